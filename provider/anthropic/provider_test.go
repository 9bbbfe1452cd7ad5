package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// recorded is what a test server saw of one request.
type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

// server serves reply for every request and records the requests.
func server(t *testing.T, reply func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, func() []recorded) {
	t.Helper()
	var mu sync.Mutex
	var seen []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, recorded{r.Method, r.URL.RequestURI(), r.Header.Clone(), body})
		mu.Unlock()
		reply(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), seen...)
	}
}

func serveStream(t *testing.T, data []byte) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.Header().Set("Request-Id", "req_test")
		_, _ = w.Write(data)
	}
}

// run ranges over s and returns its Result and final error.
func run(s *sluice.Stream) (sluice.Result, error) {
	var err error
	for _, e := range s.Events() {
		if e != nil {
			err = e
		}
	}
	return s.Result(), err
}

func TestProviderStream(t *testing.T) {
	srv, seen := server(t, serveStream(t, readFile(t, "basic.sse")))
	p := New(Config{APIKey: "sk-test", BaseURL: srv.URL + "/"})
	req := &sluice.Request{Model: "claude-sonnet-4-5", Messages: []sluice.Message{sluice.UserMessage("Hi")},
		Header: map[string]string{"anthropic-beta": "interleaved-thinking-2025-05-14", "Authorization": "Bearer stolen", "X-Api-Key": "other"}}
	s, err := p.Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := run(s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "Hello!" || res.Finish != sluice.FinishStop || res.RawFinish != "end_turn" || res.Usage.Input.N != 25 || res.Usage.Output.N != 15 || res.Partial || res.Provider != "anthropic" {
		t.Errorf("result = %+v", res)
	}
	r := seen()[0]
	h := r.header
	if r.method != "POST" || r.path != "/v1/messages" || h.Get("X-Api-Key") != "sk-test" || h.Get("Anthropic-Version") != "2023-06-01" ||
		h.Get("Anthropic-Beta") != "interleaved-thinking-2025-05-14" || h.Get("Authorization") != "" || h.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %s %v", r.method, r.path, h)
	}
	if s, _ := jsonwire.LookupDecoded(r.body, "stream"); string(s) != "true" {
		t.Errorf("body %s", r.body)
	}
}

func TestProviderHTTPError(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "3")
		w.Header().Set("X-Should-Retry", "true")
		w.WriteHeader(529)
		_, _ = io.WriteString(w, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}`)
	})
	p := New(Config{Name: "claude-eu", APIKey: "sk-secret-key", BaseURL: srv.URL})
	_, err := p.Stream(context.Background(), &sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("x")}})
	var e *sluice.Error
	if !errors.As(err, &e) || e.Kind != sluice.KindOverloaded || e.Status != 529 || e.Code != "overloaded_error" ||
		e.Message != "Overloaded" || e.RetryAfter != 3*time.Second || e.Provider != "claude-eu" {
		t.Fatalf("err = %#v", err)
	}
	if strings.Contains(e.Error(), "sk-secret-key") {
		t.Error("the key leaked into the error")
	}
}

func TestProviderTruncatedStream(t *testing.T) {
	data := readFile(t, "basic.sse")
	srv, _ := server(t, serveStream(t, data[:bytes.Index(data, []byte("event: message_delta"))]))
	s, err := New(Config{APIKey: "k", BaseURL: srv.URL}).Stream(context.Background(), &sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("x")}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := run(s)
	var e *sluice.Error
	if !errors.As(err, &e) || e.Kind != sluice.KindTruncated || !e.Streamed || !res.Partial || res.Text != "Hello!" {
		t.Fatalf("err = %v, result %+v", err, res)
	}
}

// TestProviderToolLoop streams a thinking + tool_use turn, then sends the
// assistant turn back: the signed thinking must come back before the
// tool_use, exactly as received.
func TestProviderToolLoop(t *testing.T) {
	srv, seen := server(t, serveStream(t, readFile(t, "padded.sse")))
	p := New(Config{Name: "sim", BaseURL: srv.URL}) // no key needed off the public API
	req := &sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("Weather in Paris?")}}
	s, err := p.Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := run(s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Finish != sluice.FinishToolCalls || len(res.ToolCalls) != 1 || res.Usage.CacheRead.N != 30112 || res.Usage.Reasoning.N != 41 {
		t.Fatalf("result %+v", res)
	}
	req.Messages = append(req.Messages, res.Message(), sluice.Message{Role: sluice.RoleTool,
		Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: res.ToolCalls[0].ID, Text: "18°C"}}})
	s, err = p.Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run(s); err != nil {
		t.Fatal(err)
	}
	msgs, _ := jsonwire.LookupDecoded(seen()[1].body, "messages")
	assertJSON(t, msgs, `[
		{"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]},
		{"role":"assistant","content":[
			{"type":"thinking","thinking":"The user wants the weather; call the tool.","signature":"EpYCCkYIBhgCKkDsampleSignatureAAAABBBBccccDDDD+/=="},
			{"type":"tool_use","id":"toolu_01PadToolCall0001","name":"get_weather","input":{"location":"Paris"}}]},
		{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01PadToolCall0001","content":"18°C"}]}]`)
}

func TestProviderModels(t *testing.T) {
	srv, seen := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("after_id") == "" {
			_, _ = io.WriteString(w, `{"data":[{"type":"model","id":"claude-opus-4-1","display_name":"Claude Opus 4.1"},{"type":"model","id":"claude-sonnet-4-5"}],"has_more":true,"first_id":"claude-opus-4-1","last_id":"claude-sonnet-4-5"}`)
			return
		}
		_, _ = io.WriteString(w, `{"data":[{"type":"model","id":"claude-haiku-4-5"}],"has_more":false,"last_id":"claude-haiku-4-5"}`)
	})
	ids, err := New(Config{AuthToken: "tok", BaseURL: srv.URL}).Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "claude-opus-4-1,claude-sonnet-4-5,claude-haiku-4-5" {
		t.Errorf("ids = %v", ids)
	}
	r := seen()
	if len(r) != 2 || r[0].method != "GET" || r[1].path != "/v1/models?limit=1000&after_id=claude-sonnet-4-5" || r[0].header.Get("Authorization") != "Bearer tok" {
		t.Errorf("requests %+v", r)
	}
}

func TestProviderCountTokens(t *testing.T) {
	srv, seen := server(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"input_tokens":42}`)
	})
	req := &sluice.Request{Model: "m", MaxTokens: 100, Temperature: ptr(0.5), System: "s",
		Messages: []sluice.Message{sluice.UserMessage("x")}, Tools: []sluice.Tool{{Name: "f"}},
		Extra: map[string]json.RawMessage{"metadata": json.RawMessage(`{"user_id":"u"}`)}}
	n, err := New(Config{APIKey: "k", BaseURL: srv.URL}).CountTokens(context.Background(), req)
	if err != nil || n != 42 {
		t.Fatalf("CountTokens = %d, %v", n, err)
	}
	r := seen()[0]
	if r.path != "/v1/messages/count_tokens" {
		t.Errorf("path %s", r.path)
	}
	assertJSON(t, r.body, `{"model":"m","system":"s","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"tools":[{"name":"f","input_schema":{"type":"object","properties":{}}}]}`)
}

func TestFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	_, err := FromEnv(env(nil))
	var e *sluice.Error
	if !errors.As(err, &e) || e.Kind != sluice.KindAuth || !strings.Contains(e.Hint, "ANTHROPIC_API_KEY") {
		t.Errorf("err = %v", err)
	}
	p, err := FromEnv(env(map[string]string{"ANTHROPIC_API_KEY": " sk-1 ", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/"}))
	if err != nil || p.cfg.APIKey != "sk-1" || p.cfg.BaseURL != "http://127.0.0.1:9" || p.Name() != "anthropic" {
		t.Errorf("provider %+v, %v", p, err)
	}
	// No key against the public API fails before sending anything.
	_, err = New(Config{}).Stream(context.Background(), &sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("x")}})
	if !errors.As(err, &e) || e.Kind != sluice.KindAuth {
		t.Errorf("err = %v", err)
	}
	// A bad request never reaches the network either.
	_, err = New(Config{APIKey: "k"}).Stream(context.Background(), &sluice.Request{Model: "m"})
	if !errors.As(err, &e) || e.Kind != sluice.KindBadRequest || e.Provider != "anthropic" {
		t.Errorf("err = %v", err)
	}
}

func TestMessageFromResult(t *testing.T) {
	for _, tt := range []struct {
		file, want string
	}{{"padded.sse", `{"id":"msg_01PadShape7x9QeXk2LmNv","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[
			{"type":"thinking","thinking":"The user wants the weather; call the tool.","signature":"EpYCCkYIBhgCKkDsampleSignatureAAAABBBBccccDDDD+/=="},
			{"type":"tool_use","id":"toolu_01PadToolCall0001","name":"get_weather","input":{"location":"Paris"}}],
			"stop_reason":"tool_use","stop_sequence":null,
			"usage":{"input_tokens":12,"cache_creation_input_tokens":2048,"cache_read_input_tokens":30112,"output_tokens":87,"output_tokens_details":{"thinking_tokens":41}}}`,
	}, {"redacted_thinking.sse", `{"id":"msg_01RedactedSample00000001","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[
			{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj"},
			{"type":"thinking","thinking":"Some of my reasoning was redacted; the answer is still 42.","signature":"ErUBCkYIBRgCIkB0c2lnbmF0dXJlLWZvci10aGlua2luZw=="},
			{"type":"text","text":"42."}],
			"stop_reason":"end_turn","stop_sequence":null,
			"usage":{"input_tokens":31,"cache_creation_input_tokens":0,"cache_read_input_tokens":1200,"output_tokens":64}}`,
	}} {
		t.Run(tt.file, func(t *testing.T) {
			s := sluice.NewStream(context.Background(), sluice.StreamConfig{Provider: "anthropic", Decoder: NewDecoder(bytes.NewReader(readFile(t, tt.file)))})
			res, err := run(s)
			if err != nil {
				t.Fatal(err)
			}
			got, err := MessageFromResult(&res, "")
			if err != nil {
				t.Fatal(err)
			}
			assertJSON(t, got, tt.want)
		})
	}

	// A result from another provider.
	res := sluice.Result{Model: "gpt-4o", Finish: sluice.FinishLength, RawFinish: "length",
		Items: []sluice.Item{
			{Kind: sluice.ItemReasoning, Summary: "plan", Opaque: []sluice.Opaque{{Provider: "openai", Kind: sluice.OpaqueEncrypted, Data: "g"}}},
			{Kind: sluice.ItemReasoning, Opaque: []sluice.Opaque{{Provider: "openai", Kind: sluice.OpaqueEncrypted, Data: "h"}}},
			{Kind: sluice.ItemMessage, Text: "Hi"},
			{Kind: sluice.ItemOther, Name: "web_search_call"},
			{Choice: 1, Kind: sluice.ItemMessage, Text: "other"},
		},
		Usage: sluice.Usage{Input: sluice.ReportedCount(5), Output: sluice.EstimatedCount(2)}}
	got, err := MessageFromResult(&res, "msg_x")
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, got, `{"id":"msg_x","type":"message","role":"assistant","model":"gpt-4o","content":[
		{"type":"thinking","thinking":"plan","signature":""},{"type":"text","text":"Hi"}],
		"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":2}}`)

	res = sluice.Result{Items: []sluice.Item{{Kind: sluice.ItemToolCall, CallID: "c", Name: "f", Text: `{"a":`}}}
	if _, err := MessageFromResult(&res, ""); err == nil {
		t.Error("cut tool arguments gave no error")
	}
}
