package anthropic_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/anthropic"
)

// fakeAPI answers /v1/messages with the docs' basic stream, standing in for
// api.anthropic.com.
func fakeAPI() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		f, _ := os.Open("testdata/basic.sse")
		defer f.Close()
		_, _ = io.Copy(w, f)
	}))
}

func ExampleProvider_Stream() {
	api := fakeAPI()
	defer api.Close()

	// In a program: p, err := anthropic.FromEnv(os.Getenv)
	p := anthropic.New(anthropic.Config{APIKey: "sk-ant-example", BaseURL: api.URL})
	s, err := p.Stream(context.Background(), &sluice.Request{
		Model:    "claude-sonnet-4-5",
		Messages: []sluice.Message{sluice.UserMessage("Say hello")},
	})
	if err != nil {
		fmt.Println(err) // a *sluice.Error: Kind, Status, RetryAfter
		return
	}
	defer s.Close()
	for ev, err := range s.Events() {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		if ev.Type == sluice.EventText {
			fmt.Print(ev.Text)
		}
	}
	res := s.Result()
	fmt.Printf("\nfinish=%s (%s) input=%d output=%d\n", res.Finish, res.RawFinish, res.Usage.Input.N, res.Usage.Output.N)
	// Output:
	// Hello!
	// finish=stop (end_turn) input=25 output=15
}

// An Encoder turns events from any provider into the Messages API's stream;
// here a few events such as an OpenAI adapter would produce.
func ExampleEncoder() {
	enc := anthropic.NewEncoder(os.Stdout, anthropic.EncoderOptions{})
	for _, ev := range []sluice.Event{
		{Type: sluice.EventStart, ID: "msg_1", Model: "gpt-4o-mini"},
		{Type: sluice.EventItemStart, Kind: sluice.ItemMessage},
		{Type: sluice.EventText, Text: "Hi"},
		{Type: sluice.EventFinish, Finish: sluice.FinishStop, RawFinish: "stop"},
		{Type: sluice.EventUsage, Usage: &sluice.Usage{Input: sluice.ReportedCount(8), Output: sluice.ReportedCount(1)}},
	} {
		_ = enc.Encode(&ev)
	}
	_ = enc.End()
	_ = enc.Flush()
	// Output:
	// event: message_start
	// data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"gpt-4o-mini","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}
	//
	// event: content_block_start
	// data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}
	//
	// event: ping
	// data: {"type": "ping"}
	//
	// event: content_block_delta
	// data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}
	//
	// event: content_block_stop
	// data: {"type":"content_block_stop","index":0}
	//
	// event: message_delta
	// data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":8,"output_tokens":1}}
	//
	// event: message_stop
	// data: {"type":"message_stop"}
}
