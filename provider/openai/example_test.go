package openai_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/openai"
)

func ExampleProvider_Stream() {
	// A stand-in for https://api.openai.com/v1 or any compatible server.
	stream, _ := os.ReadFile("testdata/text_2024.sse")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(stream)
	}))
	defer srv.Close()

	p := openai.New(openai.Config{APIKey: "sk-…", BaseURL: srv.URL})
	s, err := p.Stream(context.Background(), &sluice.Request{
		Model:    "gpt-4o",
		Messages: []sluice.Message{sluice.UserMessage("Say something")},
	})
	if err != nil {
		fmt.Println(err) // *sluice.Error: Kind, Status, RetryAfter
		return
	}
	defer s.Close()
	for ev, err := range s.Events() {
		if err != nil {
			fmt.Println("\nerror:", err)
			break
		}
		if ev.Type == sluice.EventText {
			fmt.Print(ev.Text)
		}
	}
	res := s.Result()
	fmt.Printf("\n%s, %d tokens in, %d out\n", res.Finish, res.Usage.InputTotal(), res.Usage.Output.N)
	// Output:
	// I'm unable
	// stop, 14 tokens in, 30 out
}

func ExampleEncoder() {
	// Any provider's events, written as a Chat Completions stream.
	enc := openai.NewEncoder(os.Stdout, openai.EncoderOptions{ID: "chatcmpl-1", Model: "m", Created: 1700000000})
	for _, ev := range []sluice.Event{
		{Type: sluice.EventItemStart, Kind: sluice.ItemMessage},
		{Type: sluice.EventText, Text: "Hi"},
		{Type: sluice.EventFinish, Finish: sluice.FinishStop},
	} {
		enc.Encode(&ev)
	}
	enc.End()
	enc.Flush()
	// Output:
	// data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}
	//
	// data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}
	//
	// data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}
	//
	// data: [DONE]
}

var _ io.Writer = os.Stdout
