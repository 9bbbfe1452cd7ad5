package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStreamEvents(t *testing.T) {
	e := newTestEnv(t, nil)
	for _, tt := range []struct {
		name, method, path, body string
		model                    string
	}{
		{"GET", "GET", "/stream?prompt=hi&model=fake/words&max_tokens=16", "", "fake/words"},
		{"POST", "POST", "/stream", `{"prompt":"hi","model":"fake/words","max_tokens":16,"system":"be brief","temperature":0.2}`, "fake/words"},
		{"default model", "GET", "/stream?prompt=hi", "", "fake/words"},
		{"alias", "GET", "/stream?prompt=hi&model=gpt-4o-mini", "", "fake/words"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, tt.method, tt.path, tt.body, "Content-Type", "application/json")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			for k, want := range map[string]string{
				"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache",
				"X-Accel-Buffering": "no", "Content-Encoding": "",
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			evs := readSeed(t, body)
			var types []string
			for _, ev := range evs {
				types = append(types, ev.Data["type"].(string))
			}
			if got := strings.Join(types, ","); got != "start,token,token,done" {
				t.Fatalf("event types = %s, want start,token,token,done", got)
			}
			if evs[0].Data["model"] != tt.model || evs[0].Data["simulated"] != false {
				t.Errorf("start = %s", evs[0].Raw)
			}
			if evs[1].Data["text"] != "Hello" || evs[2].Data["text"] != ", world" {
				t.Errorf("tokens = %s %s", evs[1].Raw, evs[2].Raw)
			}
			done := evs[3].Data
			if done["finish_reason"] != "stop" {
				t.Errorf("done = %s", evs[3].Raw)
			}
			usage, _ := done["usage"].(map[string]any)
			if usage["input_tokens"] != 3.0 || usage["output_tokens"] != 2.0 {
				t.Errorf("usage = %v", usage)
			}
			metrics, _ := done["metrics"].(map[string]any)
			for _, k := range []string{"ttft_ms", "tps", "output_tokens", "e2e_ms"} {
				if _, ok := metrics[k]; !ok {
					t.Errorf("metrics lack %s: %v", k, metrics)
				}
			}
			checkEventIDs(t, resp.Header.Get("X-Request-Id"), evs)
		})
	}
}

// checkEventIDs asserts every event has an id "<stream id>:<n>" with n
// increasing.
func checkEventIDs(t *testing.T, streamID string, evs []seedEvent) {
	t.Helper()
	if streamID == "" {
		t.Fatal("no X-Request-Id")
	}
	last := -1
	for _, ev := range evs {
		sid, n, ok := strings.Cut(ev.ID, ":")
		seq, err := strconv.Atoi(n)
		if !ok || sid != streamID || err != nil || seq <= last {
			t.Fatalf("event id %q after seq %d (stream %s)", ev.ID, last, streamID)
		}
		last = seq
	}
}

// A token holding a blank line and an SSE field must arrive as text, not
// end the event and forge a done event.
func TestStreamTokenCannotForgeEvents(t *testing.T) {
	e := newTestEnv(t, nil)
	resp, body := e.do(t, "GET", "/stream?prompt=hi&model=fake/forge", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	evs := readSeed(t, body)
	if len(evs) != 4 {
		t.Fatalf("got %d events, want start, 2 tokens, done: %s", len(evs), body)
	}
	want := "a\n\ndata: {\"type\":\"done\"}\n\nid: x\r\n"
	if evs[1].Data["type"] != "token" || evs[1].Data["text"] != want {
		t.Errorf("token = %q, want the text %q", evs[1].Raw, want)
	}
	if evs[2].Data["text"] != "b" || evs[3].Data["type"] != "done" {
		t.Errorf("events after the forged text: %s / %s", evs[2].Raw, evs[3].Raw)
	}
	if n := strings.Count(string(body), "\n\n"); n != 4 {
		t.Errorf("the body has %d blank lines, want 4 (one per event):\n%s", n, body)
	}
}

func TestStreamMidstreamFailure(t *testing.T) {
	e := newTestEnv(t, nil)
	for _, tt := range []struct {
		model, kind, partial string
	}{
		{"fake/fail", "server", "partial text"},
		{"fake/truncate", "truncated", "cut"},
	} {
		t.Run(tt.model, func(t *testing.T) {
			resp, body := e.do(t, "GET", "/stream?prompt=hi&model="+tt.model, "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			evs := readSeed(t, body)
			last := evs[len(evs)-1].Data
			if last["type"] != "error" || last["kind"] != tt.kind || last["partial_text"] != tt.partial {
				t.Fatalf("last event = %s, want an error of kind %s carrying %q", evs[len(evs)-1].Raw, tt.kind, tt.partial)
			}
			if last["finish_reason"] != "error" {
				t.Errorf("finish_reason = %v", last["finish_reason"])
			}
			for _, ev := range evs {
				if ev.Data["type"] == "done" {
					t.Errorf("a failed stream sent a done event")
				}
			}
			if strings.Contains(string(body), testSecret) {
				t.Errorf("the secret leaked into the stream: %s", body)
			}
			checkEventIDs(t, resp.Header.Get("X-Request-Id"), evs)
		})
	}
}

func TestStreamBadRequests(t *testing.T) {
	e := newTestEnv(t, nil)
	small := newTestEnv(t, func(c *Config) { c.MaxBodyBytes = 64 })
	for _, tt := range []struct {
		name         string
		env          *testEnv
		method, path string
		body         string
		status       int
		kind         string
		contains     string
	}{
		{"invalid JSON", e, "POST", "/stream", `{"prompt":`, 400, "bad_request", "not valid JSON"},
		{"wrong type", e, "POST", "/stream", `{"prompt":"x","max_tokens":"ten"}`, 400, "bad_request", "max_tokens"},
		{"unknown field", e, "POST", "/stream", `{"prompt":"x","max_token":5}`, 400, "bad_request", "max_token"},
		{"two values", e, "POST", "/stream", `{"prompt":"x"} {}`, 400, "bad_request", "more than one"},
		{"no prompt GET", e, "GET", "/stream?model=fake/words", "", 400, "bad_request", "no prompt"},
		{"blank prompt POST", e, "POST", "/stream", `{"prompt":"  "}`, 400, "bad_request", "no prompt"},
		{"negative max tokens", e, "GET", "/stream?prompt=x&max_tokens=-1", "", 400, "bad_request", "max_tokens is -1"},
		{"max tokens not a number", e, "GET", "/stream?prompt=x&max_tokens=lots", "", 400, "bad_request", "not a whole number"},
		{"bad temperature", e, "GET", "/stream?prompt=x&temperature=hot", "", 400, "bad_request", "temperature"},
		{"unknown parameter", e, "GET", "/stream?prompt=x&modle=fake/words", "", 400, "bad_request", "modle"},
		{"repeated parameter", e, "GET", "/stream?prompt=x&prompt=y", "", 400, "bad_request", "2 times"},
		{"unknown provider", e, "GET", "/stream?prompt=x&model=nope/m", "", 404, "not_found", "fake/words"},
		{"no provider", e, "GET", "/stream?prompt=x&model=gpt-5", "", 404, "not_found", "fake/forge"},
		{"body over limit", small, "POST", "/stream", `{"prompt":"` + strings.Repeat("x", 100) + `"}`, 413, "bad_request", "64 bytes"},
		{"upstream rate limit", e, "GET", "/stream?prompt=x&model=fake/reject", "", 429, "rate_limit", "slow down"},
		{"upstream unknown model", e, "GET", "/stream?prompt=x&model=fake/unknown", "", 404, "not_found", "no model unknown"},
		{"upstream auth", e, "GET", "/stream?prompt=x&model=fake/leak", "", 401, "auth", "[redacted]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := tt.env.do(t, tt.method, tt.path, tt.body, "Content-Type", "application/json")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var got seedError
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if got.Type != "error" || got.Kind != tt.kind {
				t.Errorf("body = %s, want type error, kind %s", body, tt.kind)
			}
			if !strings.Contains(got.Message+" "+got.Hint, tt.contains) {
				t.Errorf("message %q / hint %q lacks %q", got.Message, got.Hint, tt.contains)
			}
			if strings.Contains(string(body), testSecret) {
				t.Errorf("the secret leaked: %s", body)
			}
			if tt.status == 429 && resp.Header.Get("Retry-After") != "2" {
				t.Errorf("Retry-After = %q, want 2", resp.Header.Get("Retry-After"))
			}
		})
	}
}

// openStream starts a /stream request and returns a reader over its body
// and a function that disconnects the client.
func openStream(t *testing.T, url string) (*bufio.Reader, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		cancel()
		t.Fatalf("status %d", resp.StatusCode)
	}
	return bufio.NewReader(resp.Body), cancel
}

// readUntil reads lines until one contains s, and returns everything read.
func readUntil(t *testing.T, r *bufio.Reader, s string) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		b.WriteString(line)
		if strings.Contains(line, s) {
			return b.String()
		}
		if err != nil {
			t.Fatalf("reading until %q: %v; read:\n%s", s, err, b.String())
		}
	}
}

// waitClosed waits for the fake upstream's body to be closed.
func waitClosed(t *testing.T, d *fakeDecoder) {
	t.Helper()
	select {
	case <-d.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream request was not cancelled")
	}
}

func TestStreamHeartbeatWhileIdle(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.Heartbeat = time.Millisecond })
	r, cancel := openStream(t, e.http.URL+"/stream?prompt=x&model=fake/idle")
	defer cancel()
	readUntil(t, r, `"type":"start"`)
	readUntil(t, r, ": ping")
	readUntil(t, r, ": ping")
}

func TestClientDisconnectCancelsUpstream(t *testing.T) {
	e := newTestEnv(t, nil)
	r, disconnect := openStream(t, e.http.URL+"/stream?prompt=x&model=fake/hang")
	d := <-e.fake.openedC
	readUntil(t, r, `"text":"first"`)
	<-d.hung
	disconnect()
	waitClosed(t, d)
	e.srv.active.Wait()
	_, body := e.do(t, "GET", "/metrics", "")
	for _, want := range []string{
		"sluice_client_disconnects_total 1",
		`sluice_requests_total{model="hang",outcome="canceled",provider="fake"} 1`,
		"sluice_active_streams 0",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if err := e.store.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := e.store.List(t.Context(), 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("request log: %v %v", got, err)
	}
	if !got[0].Partial || got[0].Text != "first" || got[0].Finish != "canceled" {
		t.Errorf("logged %+v, want the partial text with finish canceled", got[0])
	}
}

func TestParseStreamQuery(t *testing.T) {
	for _, tt := range []struct {
		query string
		want  streamRequest
		err   string
	}{
		{"prompt=hi", streamRequest{Prompt: "hi"}, ""},
		{"prompt=hi&model=a/b&system=s&max_tokens=5", streamRequest{Prompt: "hi", Model: "a/b", System: "s", MaxTokens: 5}, ""},
		{"prompt=hi&temperature=NaN", streamRequest{}, "temperature"},
		{"prompt=hi&max_tokens=1e3", streamRequest{}, "whole number"},
		{"x=1", streamRequest{}, "unknown query parameter"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			got, err := parseStreamQuery(q)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Message, tt.err) {
					t.Fatalf("err = %v, want one about %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Prompt != tt.want.Prompt || got.Model != tt.want.Model || got.System != tt.want.System || got.MaxTokens != tt.want.MaxTokens {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
