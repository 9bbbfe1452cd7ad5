package openai_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	oai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/openai"
)

// These tests check this package's server side (ParseRequest, Encoder,
// WriteError, CompletionFromResult) with the official openai-go client, code
// nobody here wrote.

// sdkServer parses each request with ParseRequest and answers with events
// (streamed through an Encoder, or as a chat.completion), or with an error.
func sdkServer(t *testing.T, events func(*sluice.Request) ([]sluice.Event, *sluice.Error)) (*httptest.Server, *[]*sluice.Request) {
	var seen []*sluice.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, info, err := openai.ParseRequest(body)
		if err != nil {
			openai.WriteError(w, sluice.AsError(err))
			return
		}
		seen = append(seen, req)
		evs, fail := events(req)
		if fail != nil && len(evs) == 0 {
			openai.WriteError(w, fail)
			return
		}
		if !info.Stream {
			s := sluice.NewStream(r.Context(), sluice.StreamConfig{Provider: "test", Model: req.Model, Decoder: sluice.EventsDecoder(evs)})
			for range s.Events() {
			}
			res := s.Result()
			out, _ := openai.CompletionFromResult(&res, "chatcmpl-1", 1700000000)
			w.Header().Set("Content-Type", "application/json")
			w.Write(out)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		enc := openai.NewEncoder(w, openai.EncoderOptions{IncludeUsage: info.IncludeUsage})
		for i := range evs {
			enc.Encode(&evs[i])
			enc.Flush()
		}
		if fail != nil {
			enc.Encode(&sluice.Event{Type: sluice.EventError, Err: fail})
		} else {
			enc.End()
		}
		enc.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func sdkClient(srv *httptest.Server) oai.Client {
	return oai.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("k"), option.WithMaxRetries(0))
}

// recorded decodes a testdata stream into events.
func recorded(t *testing.T, name string) []sluice.Event {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	d := openai.NewDecoder(bytes.NewReader(data))
	var evs []sluice.Event
	for {
		ev, err := d.Next()
		if err != nil {
			break
		}
		ev.Raw = bytes.Clone(ev.Raw)
		evs = append(evs, ev)
	}
	return evs
}

// otherProtocol is a response as another provider's decoder reports it.
func otherProtocol() []sluice.Event {
	return []sluice.Event{
		{Type: sluice.EventStart, ID: "msg_1", Model: "claude-x"},
		{Type: sluice.EventUsage, Usage: &sluice.Usage{Input: sluice.ReportedCount(20), CacheRead: sluice.ReportedCount(100)}},
		{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemReasoning},
		{Type: sluice.EventReasoning, Item: 0, Text: "thinking"},
		{Type: sluice.EventReasoningData, Item: 0, Opaque: sluice.OpaqueSignature, Text: "sig"},
		{Type: sluice.EventItemDone, Item: 0},
		{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemMessage},
		{Type: sluice.EventText, Item: 1, Text: "Checking "},
		{Type: sluice.EventText, Item: 1, Text: "the weather."},
		{Type: sluice.EventItemDone, Item: 1},
		{Type: sluice.EventItemStart, Item: 2, Kind: sluice.ItemToolCall, CallID: "toolu_1", Name: "get_weather"},
		{Type: sluice.EventToolCall, Item: 2, Text: `{"city":`},
		{Type: sluice.EventToolCall, Item: 2, Text: `"Paris"}`},
		{Type: sluice.EventItemDone, Item: 2},
		{Type: sluice.EventUsage, Usage: &sluice.Usage{Output: sluice.ReportedCount(30), Reasoning: sluice.ReportedCount(5)}},
		{Type: sluice.EventFinish, Finish: sluice.FinishToolCalls, RawFinish: "tool_use"},
	}
}

func TestSDKStream(t *testing.T) {
	tests := []struct {
		name   string
		events []sluice.Event
		text   string
		calls  int
		finish string
		prompt int64
		cached int64
		output int64
	}{
		{"other protocol", otherProtocol(), "Checking the weather.", 1, "tool_calls", 120, 100, 30},
		{"relay openai", recorded(t, "text_usage_2026.sse"), "**", 0, "stop", 16, 0, 300},
		{"relay parallel tools", recorded(t, "tool_calls_parallel.sse"), "", 2, "tool_calls", 149, 0, 60},
		{"relay vllm", recorded(t, "vllm_reasoning.sse"), "Hello!", 0, "stop", 12, 0, 28},
		{"relay llama.cpp", recorded(t, "llamacpp.sse"), "Hello world", 0, "stop", 1085, 0, 247},
		{"relay together", recorded(t, "together.sse"), "Hello!", 0, "eos", 12, 0, 3},
		{"relay azure", recorded(t, "azure.sse"), "Hi", 0, "stop", 9, 0, 1},
		{"relay old ollama", recorded(t, "ollama_old.sse"), "Hello", 0, "stop", 26, 0, 2},
		{"relay unknown event", recorded(t, "unknown_event.sse"), "ok", 0, "stop", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := sdkServer(t, func(*sluice.Request) ([]sluice.Event, *sluice.Error) { return tt.events, nil })
			c := sdkClient(srv)
			stream := c.Chat.Completions.NewStreaming(context.Background(), oai.ChatCompletionNewParams{
				Model:         "m",
				Messages:      []oai.ChatCompletionMessageParamUnion{oai.UserMessage("Hi")},
				StreamOptions: oai.ChatCompletionStreamOptionsParam{IncludeUsage: oai.Bool(true)},
			})
			var acc oai.ChatCompletionAccumulator
			for stream.Next() {
				acc.AddChunk(stream.Current())
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			if len(acc.Choices) == 0 {
				t.Fatal("no choices")
			}
			ch := acc.Choices[0]
			if ch.Message.Content != tt.text || len(ch.Message.ToolCalls) != tt.calls || ch.FinishReason != tt.finish {
				t.Errorf("content %q, %d tool calls, finish %q", ch.Message.Content, len(ch.Message.ToolCalls), ch.FinishReason)
			}
			for _, tc := range ch.Message.ToolCalls {
				if tc.ID == "" || tc.Function.Name == "" || !json.Valid([]byte(tc.Function.Arguments)) {
					t.Errorf("tool call %+v", tc)
				}
			}
			if acc.Usage.PromptTokens != tt.prompt || acc.Usage.PromptTokensDetails.CachedTokens != tt.cached || acc.Usage.CompletionTokens != tt.output {
				t.Errorf("usage %+v", acc.Usage)
			}
		})
	}
}

func TestSDKStreamError(t *testing.T) {
	srv, _ := sdkServer(t, func(*sluice.Request) ([]sluice.Event, *sluice.Error) {
		return otherProtocol()[:8], &sluice.Error{Kind: sluice.KindOverloaded, Code: "overloaded_error", Message: "Overloaded"}
	})
	c := sdkClient(srv)
	stream := c.Chat.Completions.NewStreaming(context.Background(), oai.ChatCompletionNewParams{
		Model: "m", Messages: []oai.ChatCompletionMessageParamUnion{oai.UserMessage("Hi")},
	})
	var text string
	for stream.Next() {
		if cs := stream.Current().Choices; len(cs) > 0 {
			text += cs[0].Delta.Content
		}
	}
	if err := stream.Err(); err == nil || !bytes.Contains([]byte(err.Error()), []byte("Overloaded")) {
		t.Errorf("stream error %v, want the Overloaded error", err)
	}
	if text != "Checking " {
		t.Errorf("text before the error %q", text)
	}
}

func TestSDKHTTPError(t *testing.T) {
	srv, _ := sdkServer(t, func(*sluice.Request) ([]sluice.Event, *sluice.Error) {
		return nil, &sluice.Error{Kind: sluice.KindRateLimit, Code: "rate_limit_exceeded", Message: "slow down"}
	})
	c := sdkClient(srv)
	_, err := c.Chat.Completions.New(context.Background(), oai.ChatCompletionNewParams{
		Model: "m", Messages: []oai.ChatCompletionMessageParamUnion{oai.UserMessage("Hi")},
	})
	var apiErr *oai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Code != "rate_limit_exceeded" || apiErr.Type != "rate_limit_error" || apiErr.Message != "slow down" {
		t.Errorf("error %v", err)
	}
	// A request ParseRequest refuses comes back as the SDK's 400.
	_, err = c.Chat.Completions.New(context.Background(), oai.ChatCompletionNewParams{Model: "m"})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Type != "invalid_request_error" {
		t.Errorf("error %v", err)
	}
}

func TestSDKNonStreaming(t *testing.T) {
	srv, seen := sdkServer(t, func(*sluice.Request) ([]sluice.Event, *sluice.Error) { return otherProtocol(), nil })
	c := sdkClient(srv)
	res, err := c.Chat.Completions.New(context.Background(), oai.ChatCompletionNewParams{
		Model: "gpt-4o",
		Messages: []oai.ChatCompletionMessageParamUnion{
			oai.SystemMessage("Be brief."),
			oai.UserMessage("Weather in Paris?"),
		},
		Tools: []oai.ChatCompletionToolUnionParam{oai.ChatCompletionFunctionTool(oai.FunctionDefinitionParam{
			Name: "get_weather", Parameters: oai.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
		})},
		MaxCompletionTokens: oai.Int(100),
		Temperature:         oai.Float(0.3),
	})
	if err != nil {
		t.Fatal(err)
	}
	ch := res.Choices[0]
	if ch.Message.Content != "Checking the weather." || len(ch.Message.ToolCalls) != 1 || ch.FinishReason != "tool_calls" ||
		ch.Message.ToolCalls[0].Function.Arguments != `{"city":"Paris"}` || res.Usage.PromptTokens != 120 || res.Usage.CompletionTokens != 30 {
		t.Errorf("completion %+v", res)
	}
	req := (*seen)[0]
	if req.Model != "gpt-4o" || req.System != "Be brief." || len(req.Messages) != 1 || len(req.Tools) != 1 || req.MaxTokens != 100 || *req.Temperature != 0.3 {
		t.Errorf("parsed request %+v", req)
	}
}
