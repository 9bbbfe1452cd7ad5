package openai

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sse"
)

// The relay benchmarks report their cost against a raw SSE relay of the
// same stream in the same run (absolute times on a shared machine are
// noise): compare ns/op of BenchmarkRelay with BenchmarkRawRelay.

// BenchmarkRawRelay copies the stream event by event through the SSE layer
// alone, without looking at the JSON: the floor for any relay.
func BenchmarkRawRelay(b *testing.B) {
	data := longStream(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d := sse.NewDecoder(bytes.NewReader(data))
		enc := sse.NewEncoder(io.Discard)
		for d.Next() {
			enc.Encode(d.Event())
			enc.Flush()
		}
	}
}

func BenchmarkDecoder(b *testing.B) {
	data := longStream(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(data))
		for {
			if _, err := d.Next(); err != nil {
				break
			}
		}
	}
}

func BenchmarkEncoder(b *testing.B) {
	evs := []sluice.Event{{Type: sluice.EventStart, ID: "msg_1", Model: "m"}, {Type: sluice.EventItemStart, Kind: sluice.ItemMessage}}
	for range 1000 {
		evs = append(evs, sluice.Event{Type: sluice.EventText, Text: " token"})
	}
	evs = append(evs, sluice.Event{Type: sluice.EventFinish, Finish: sluice.FinishStop}, sluice.Event{Type: sluice.EventUsage, Usage: &sluice.Usage{Input: reported(5), Output: reported(1000)}})
	b.ReportAllocs()
	for b.Loop() {
		enc := NewEncoder(io.Discard, EncoderOptions{IncludeUsage: true, Created: 1})
		for i := range evs {
			enc.Encode(&evs[i])
			enc.Flush()
		}
		enc.End()
		enc.Flush()
	}
}

// BenchmarkRelay decodes an OpenAI stream and encodes it back, flushing
// after every event, as the server's relay does.
func BenchmarkRelay(b *testing.B) {
	data := longStream(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(data))
		enc := NewEncoder(io.Discard, EncoderOptions{IncludeUsage: true})
		for {
			ev, err := d.Next()
			if err != nil {
				enc.End()
				break
			}
			enc.Encode(&ev)
			enc.Flush()
		}
		enc.Flush()
	}
}

// agentRequest is a Chat Completions request the size of a coding agent's
// turn: 100 messages of user text, tool calls and file contents, ~115 KB.
func agentRequest() []byte {
	var sb strings.Builder
	sb.WriteString(`{"model":"gpt-4o","stream":true,"messages":[{"role":"system","content":"You are a coding agent."}`)
	for i := range 100 {
		if i%2 == 0 {
			fmt.Fprintf(&sb, `,{"role":"user","content":%q}`, strings.Repeat("please look at file main.go and fix the bug ", 25))
		} else {
			fmt.Fprintf(&sb, `,{"role":"assistant","content":null,"tool_calls":[{"id":"call_%d","type":"function","function":{"name":"read_file","arguments":"{\"path\":\"main.go\"}"}}]},{"role":"tool","tool_call_id":"call_%d","content":%q}`, i, i, strings.Repeat("package main\n\nfunc main() {}\n", 30))
		}
	}
	sb.WriteString(`],"tools":[{"type":"function","function":{"name":"read_file","description":"read a file","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}}]}`)
	return []byte(sb.String())
}

// BenchmarkAgentRequest is what a gateway spends on a coding agent's
// request before sending it on: reading it, and writing the provider's.
func BenchmarkAgentRequest(b *testing.B) {
	body := agentRequest()
	req, _, err := ParseRequest(body)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			ParseRequest(body)
		}
	})
	b.Run("build", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			BuildRequest(req, true)
		}
	})
}
