package sluice_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sim"
)

// The main call: send a request, range over its events, read the Result.
// Any provider works the same way; this one is the in-process simulator.
func ExampleProvider_Stream() {
	p := sim.NewProvider(sim.ProviderConfig{Sim: sim.Config{Echo: true}})
	defer p.Close()

	req := &sluice.Request{Model: "text", Messages: []sluice.Message{sluice.UserMessage("streams are measured")}}
	s, err := p.Stream(context.Background(), req)
	if err != nil {
		fmt.Println("error:", err) // an *sluice.Error with Kind, Status, RetryAfter
		return
	}
	defer s.Close()
	for ev, err := range s.Events() {
		if err != nil {
			break // the last item; the Result keeps what arrived
		}
		if ev.Type == sluice.EventText {
			fmt.Printf("[%s]", ev.Text)
		}
	}
	res := s.Result()
	fmt.Println()
	fmt.Println(res.Finish, res.Usage.Output.N, res.Partial)
	// Output:
	// [streams][ are][ measured]
	// stop 3 false
}

// An error after some tokens keeps them: the Result is partial and the error
// says what happened and whether anything was streamed.
func ExampleStream_Result() {
	p := sim.NewProvider(sim.ProviderConfig{Sim: sim.Config{Echo: true}})
	defer p.Close()

	req := &sluice.Request{Model: "text+midstream_error@2", Messages: []sluice.Message{sluice.UserMessage("one two three four")}}
	s, err := p.Stream(context.Background(), req)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for range s.Events() {
	}
	res := s.Result()
	var e *sluice.Error
	fmt.Println(errors.As(s.Err(), &e), e.Kind, e.Streamed)
	fmt.Printf("%q partial=%v finish=%s\n", res.Text, res.Partial, res.Finish)
	// Output:
	// true server true
	// "one two" partial=true finish=error
}

// A relay buffers what it writes and flushes when the stream is about to
// wait for the network: the events one read of the upstream delivered go
// out together, and none waits for the next to arrive.
func ExampleStream_OnWait() {
	p := sim.NewProvider(sim.ProviderConfig{Sim: sim.Config{Echo: true}})
	defer p.Close()

	req := &sluice.Request{Model: "text", Messages: []sluice.Message{sluice.UserMessage("one two three four five six")}}
	s, err := p.Stream(context.Background(), req)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	defer s.Close()
	var buf strings.Builder
	var writes []string
	flush := func() {
		if buf.Len() > 0 {
			writes = append(writes, buf.String()) // one write to the client
			buf.Reset()
		}
	}
	if !s.OnWait(flush) {
		fmt.Println("this stream does not come from the network: flush after every event")
	}
	for ev, err := range s.Events() {
		if err != nil {
			break
		}
		if ev.Type == sluice.EventText {
			buf.WriteString(ev.Text)
		}
	}
	flush()
	fmt.Println(strings.Join(writes, ""))
	// Output:
	// one two three four five six
}
