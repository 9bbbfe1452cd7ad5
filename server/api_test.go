package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/gateway"
	"github.com/sluicehq/sluice/provider/anthropic"
	"github.com/sluicehq/sluice/provider/openai"
)

// decodeAll decodes a streamed body with a protocol's own decoder and
// returns the text and the error that ended it (nil after the end marker).
func decodeAll(t *testing.T, d sluice.Decoder) (string, *sluice.Usage, error) {
	t.Helper()
	var text strings.Builder
	var usage *sluice.Usage
	for {
		ev, err := d.Next()
		if errors.Is(err, io.EOF) {
			return text.String(), usage, nil
		}
		if err != nil {
			return text.String(), usage, err
		}
		switch ev.Type {
		case sluice.EventText:
			text.WriteString(ev.Text)
		case sluice.EventUsage:
			u := *ev.Usage
			usage = &u
		}
	}
}

func TestChatCompletions(t *testing.T) {
	e := newTestEnv(t, nil)
	t.Run("stream with usage", func(t *testing.T) {
		resp, body := e.do(t, "POST", "/v1/chat/completions",
			`{"model":"fake/words","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		text, usage, err := decodeAll(t, openai.NewDecoder(bytes.NewReader(body)))
		if err != nil || text != "Hello, world" || usage == nil || usage.Output.N != 2 {
			t.Errorf("text %q usage %+v err %v\n%s", text, usage, err, body)
		}
		if !strings.Contains(string(body), `"model":"fake/words"`) || !strings.Contains(string(body), resp.Header.Get("X-Request-Id")) {
			t.Errorf("chunks do not carry the model and request id:\n%s", body)
		}
	})
	t.Run("stream without usage", func(t *testing.T) {
		_, body := e.do(t, "POST", "/v1/chat/completions",
			`{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
		if strings.Contains(string(body), `"usage":{`) || !strings.HasSuffix(string(body), "data: [DONE]\n\n") {
			t.Errorf("body:\n%s", body)
		}
	})
	t.Run("not streamed", func(t *testing.T) {
		resp, body := e.do(t, "POST", "/v1/chat/completions", `{"model":"fake/words","messages":[{"role":"user","content":"hi"}]}`)
		var got struct {
			Object  string
			Choices []struct {
				Message      struct{ Content string }
				FinishReason string `json:"finish_reason"`
			}
			Usage struct {
				CompletionTokens int `json:"completion_tokens"`
			}
		}
		if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %s %v", resp.StatusCode, body, err)
		}
		if got.Object != "chat.completion" || got.Choices[0].Message.Content != "Hello, world" ||
			got.Choices[0].FinishReason != "stop" || got.Usage.CompletionTokens != 2 {
			t.Errorf("got %s", body)
		}
	})
	t.Run("midstream failure", func(t *testing.T) {
		_, body := e.do(t, "POST", "/v1/chat/completions",
			`{"model":"fake/fail","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
		text, _, err := decodeAll(t, openai.NewDecoder(bytes.NewReader(body)))
		var se *sluice.Error
		if !errors.As(err, &se) || text != "partial text" || strings.Contains(string(body), "[DONE]") {
			t.Errorf("text %q err %v; body:\n%s", text, err, body)
		}
		if strings.Contains(string(body), testSecret) {
			t.Error("the secret leaked into the stream")
		}
	})
	t.Run("failure not streamed", func(t *testing.T) {
		resp, body := e.do(t, "POST", "/v1/chat/completions", `{"model":"fake/fail","messages":[{"role":"user","content":"hi"}]}`)
		if got := decodeAPIError(t, body); resp.StatusCode != 500 || got.Format != "openai" || strings.Contains(string(body), testSecret) {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
}

func TestMessages(t *testing.T) {
	e := newTestEnv(t, nil)
	t.Run("stream", func(t *testing.T) {
		resp, body := e.do(t, "POST", "/v1/messages",
			`{"model":"fake/words","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		text, usage, err := decodeAll(t, anthropic.NewDecoder(bytes.NewReader(body)))
		if err != nil || text != "Hello, world" || usage == nil || usage.Output.N != 2 {
			t.Errorf("text %q usage %+v err %v\n%s", text, usage, err, body)
		}
	})
	t.Run("not streamed", func(t *testing.T) {
		resp, body := e.do(t, "POST", "/v1/messages", `{"model":"fake/words","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`)
		var got struct {
			Type       string
			Content    []struct{ Type, Text string }
			StopReason string `json:"stop_reason"`
		}
		if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %s %v", resp.StatusCode, body, err)
		}
		if got.Type != "message" || len(got.Content) != 1 || got.Content[0].Text != "Hello, world" || got.StopReason != "end_turn" {
			t.Errorf("got %s", body)
		}
	})
	t.Run("midstream failure", func(t *testing.T) {
		_, body := e.do(t, "POST", "/v1/messages",
			`{"model":"fake/fail","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
		text, _, err := decodeAll(t, anthropic.NewDecoder(bytes.NewReader(body)))
		if err == nil || text != "partial text" || strings.Contains(string(body), "message_stop") ||
			!strings.Contains(string(body), "event: error") {
			t.Errorf("text %q err %v; body:\n%s", text, err, body)
		}
	})
}

// Bad input gets a clear 4xx in each API's own error format.
func TestAPIBadRequests(t *testing.T) {
	e := newTestEnv(t, nil)
	small := newTestEnv(t, func(c *Config) { c.MaxBodyBytes = 100 })
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	for _, tt := range []struct {
		name     string
		env      *testEnv
		body     string
		status   int
		contains string
	}{
		{"invalid JSON", e, `{"model":`, 400, "JSON"},
		{"unknown model lists the known ones", e, `{"model":"nope/x","max_tokens":5,` + msgs + `}`, 404, "fake/words"},
		{"model without provider", e, `{"model":"gpt-5","max_tokens":5,` + msgs + `}`, 404, "gpt-4o-mini"},
		{"missing messages", e, `{"model":"fake/words","max_tokens":5}`, 400, "message"},
		{"empty messages", e, `{"model":"fake/words","max_tokens":5,"messages":[]}`, 400, "message"},
		{"negative max tokens", e, `{"model":"fake/words","max_tokens":-1,` + msgs + `}`, 400, "max"},
		{"body over the limit", small, `{"model":"fake/words","max_tokens":5,"messages":[{"role":"user","content":"` + strings.Repeat("x", 200) + `"}]}`, 413, "100 bytes"},
		{"upstream rate limit", e, `{"model":"fake/reject","max_tokens":5,` + msgs + `}`, 429, "slow down"},
	} {
		for _, api := range []struct{ path, format string }{{"/v1/chat/completions", "openai"}, {"/v1/messages", "anthropic"}} {
			t.Run(api.format+"/"+tt.name, func(t *testing.T) {
				resp, body := tt.env.do(t, "POST", api.path, tt.body, "Content-Type", "application/json")
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
				}
				got := decodeAPIError(t, body)
				if got.Format != api.format {
					t.Errorf("error in %s format, want %s: %s", got.Format, api.format, body)
				}
				if !strings.Contains(strings.ToLower(got.Message), strings.ToLower(tt.contains)) {
					t.Errorf("message %q lacks %q", got.Message, tt.contains)
				}
				if tt.status == 429 && resp.Header.Get("Retry-After") != "2" {
					t.Errorf("Retry-After = %q", resp.Header.Get("Retry-After"))
				}
			})
		}
	}
}

func TestAPIMethodNotAllowed(t *testing.T) {
	e := newTestEnv(t, nil)
	resp, _ := e.do(t, "GET", "/v1/chat/completions", "")
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/chat/completions = %d", resp.StatusCode)
	}
}

// Idle streams of both APIs get keep-alive comments, which every SSE client
// ignores.
func TestAPIHeartbeat(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.Heartbeat = time.Millisecond })
	for _, tt := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"fake/idle","stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/messages", `{"model":"fake/idle","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
	} {
		t.Run(tt.path, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "POST", e.http.URL+tt.path, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.Header.Get("X-Request-Id") == "" || resp.Header.Get("X-Accel-Buffering") != "no" {
				t.Errorf("headers %v", resp.Header)
			}
			r := bufio.NewReader(resp.Body)
			readUntil(t, r, ": ping")
			readUntil(t, r, ": ping")
		})
	}
}

// A request body of declared length is read into one buffer of its size:
// io.ReadAll grew one from 512 bytes by doubling, a dozen allocations and
// twice the body in garbage for an agent's 100 KB prompt.
func TestReadBodySizedByContentLength(t *testing.T) {
	srv, err := New(Config{Router: gateway.NewRegistry(nil)})
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("x", 100<<10)
	allocs := testing.AllocsPerRun(20, func() {
		r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
		w := httptest.NewRecorder()
		b, e := srv.readBody(w, r)
		if e != nil || len(b) != len(body) {
			t.Fatalf("read %d bytes, error %v", len(b), e)
		}
	})
	// The request, its recorder and the MaxBytesReader take a few; the
	// body one.
	base := testing.AllocsPerRun(20, func() {
		r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(""))
		srv.readBody(httptest.NewRecorder(), r)
	})
	if extra := allocs - base; extra > 1 {
		t.Errorf("%.0f allocations to read a 100 KB body of known length, want 1", extra)
	}
}
