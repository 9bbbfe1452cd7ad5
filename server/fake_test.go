package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/gateway"
	"github.com/sluicehq/sluice/requestlog"
	"github.com/sluicehq/sluice/sse"
	"github.com/sluicehq/sluice/web"
)

// testSecret stands for an API key: it must never appear in any output.
const testSecret = "sk-test-SECRET-0123456789abcdef"

// fakeProvider answers by model name with scripted events, so server tests
// control every event, error and pause without a network. Its decoders
// report when the upstream request is cancelled.
type fakeProvider struct {
	mu      sync.Mutex
	opened  []*fakeDecoder
	openedC chan *fakeDecoder
}

func newFakeProvider() *fakeProvider {
	return &fakeProvider{openedC: make(chan *fakeDecoder, 16)}
}

func (p *fakeProvider) Models(context.Context) ([]string, error) {
	return []string{"words", "forge", "fail", "hang"}, nil
}

func text(s string) sluice.Event { return sluice.Event{Type: sluice.EventText, Text: s} }

func wordsScript() []sluice.Event {
	in, out := sluice.ReportedCount(3), sluice.ReportedCount(2)
	return []sluice.Event{
		{Type: sluice.EventStart, ID: "resp_1", Model: "words"},
		{Type: sluice.EventItemStart, Kind: sluice.ItemMessage},
		text("Hello"), text(", world"),
		{Type: sluice.EventItemDone, Kind: sluice.ItemMessage},
		{Type: sluice.EventUsage, Usage: &sluice.Usage{Input: in, Output: out}},
		{Type: sluice.EventFinish, Finish: sluice.FinishStop, RawFinish: "stop"},
	}
}

func (p *fakeProvider) Stream(ctx context.Context, req *sluice.Request) (*sluice.Stream, error) {
	d := &fakeDecoder{closed: make(chan struct{}), hung: make(chan struct{})}
	switch req.Model {
	case "words":
		d.events = wordsScript()
	case "forge":
		d.events = []sluice.Event{text("a\n\ndata: {\"type\":\"done\"}\n\nid: x\r\n"), text("b")}
	case "fail":
		d.events = []sluice.Event{text("partial "), text("text")}
		d.err = &sluice.Error{Kind: sluice.KindServer, Provider: "fake", Message: "upstream exploded with key " + testSecret}
	case "truncate":
		d.events = []sluice.Event{text("cut")}
		d.err = &sluice.Error{Kind: sluice.KindTruncated, Provider: "fake", Message: "the stream ended without its end marker"}
	case "hang":
		d.events = []sluice.Event{text("first")}
		d.hang = true
	case "idle":
		d.hang = true
	case "gate":
		d.events = []sluice.Event{text("first")}
		d.gate = make(chan struct{})
		d.after = []sluice.Event{text(" second"), {Type: sluice.EventFinish, Finish: sluice.FinishStop}}
	case "echo":
		d.events = []sluice.Event{text(req.Messages[len(req.Messages)-1].Text())}
	case "reject":
		return nil, &sluice.Error{Kind: sluice.KindRateLimit, Provider: "fake", Status: 429,
			RetryAfter: 2 * time.Second, Message: "slow down"}
	case "leak":
		return nil, &sluice.Error{Kind: sluice.KindAuth, Provider: "fake", Status: 401,
			Message: "Incorrect API key provided: " + testSecret}
	default:
		return nil, &sluice.Error{Kind: sluice.KindNotFound, Provider: "fake", Status: 404, Message: "no model " + req.Model}
	}
	ctx, cancel := context.WithCancel(ctx)
	d.ctx = ctx
	p.mu.Lock()
	p.opened = append(p.opened, d)
	p.mu.Unlock()
	p.openedC <- d
	return sluice.NewStream(ctx, sluice.StreamConfig{Provider: "fake", Model: req.Model, Decoder: d, Body: d, Cancel: cancel}), nil
}

// fakeDecoder plays a script. With hang set it blocks after the script until
// the request is cancelled, like an upstream that stops sending.
type fakeDecoder struct {
	ctx    context.Context
	events []sluice.Event
	err    error
	hang   bool
	i      int
	// gate, when set, is waited for after events; then after is played.
	gate  chan struct{}
	after []sluice.Event

	hung      chan struct{} // closed when the decoder starts hanging
	hungOnce  sync.Once
	closed    chan struct{} // closed when the body is closed
	closeOnce sync.Once
}

func (d *fakeDecoder) Next() (sluice.Event, error) {
	if d.i < len(d.events) {
		d.i++
		return d.events[d.i-1], nil
	}
	if d.gate != nil {
		d.hungOnce.Do(func() { close(d.hung) })
		select {
		case <-d.gate:
		case <-d.ctx.Done():
			return sluice.Event{}, d.ctx.Err()
		}
		d.events, d.after, d.i, d.gate = d.after, nil, 0, nil
		return d.Next()
	}
	if d.hang {
		d.hungOnce.Do(func() { close(d.hung) })
		<-d.ctx.Done()
		return sluice.Event{}, d.ctx.Err()
	}
	if d.err != nil {
		return sluice.Event{}, d.err
	}
	return sluice.Event{}, io.EOF
}

func (d *fakeDecoder) Close() error {
	d.closeOnce.Do(func() { close(d.closed) })
	return nil
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testEnv is a Server over the fake provider behind an httptest server.
type testEnv struct {
	srv   *Server
	http  *httptest.Server
	fake  *fakeProvider
	log   *syncBuffer
	store *requestlog.Store
}

func newTestEnv(t *testing.T, tweak func(*Config)) *testEnv {
	t.Helper()
	fake := newFakeProvider()
	reg := gateway.NewRegistry(nil)
	reg.Add("fake", fake)
	store, err := requestlog.Open(requestlog.Memory, requestlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	logs := &syncBuffer{}
	cfg := Config{
		Router:       reg,
		DefaultModel: "fake/words",
		Aliases:      map[string]string{"gpt-4o-mini": "fake/words"},
		RequestLog:   store,
		Logger:       slog.New(slog.NewJSONHandler(logs, nil)),
		Secrets:      []string{testSecret},
		Web:          web.FS(),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &testEnv{srv: srv, http: hs, fake: fake, log: logs, store: store}
}

// get sends a GET and returns the response with its body read.
func (e *testEnv) do(t *testing.T, method, path, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.http.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// seedEvent is a decoded /stream event.
type seedEvent struct {
	ID   string
	Data map[string]any
	Raw  string
}

// readSeed decodes every /stream event in b.
func readSeed(t *testing.T, b []byte) []seedEvent {
	t.Helper()
	var out []seedEvent
	for ev, err := range sse.Read(bytes.NewReader(b)) {
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(ev.Data, &m); err != nil {
			t.Fatalf("event %q is not JSON: %v", ev.Data, err)
		}
		out = append(out, seedEvent{ID: ev.ID, Data: m, Raw: string(ev.Data)})
	}
	return out
}

// apiError is an error reply of either API, decoded.
type apiError struct {
	Format, Type, Message, Code string
}

func (e apiError) String() string {
	s := e.Format + ":" + e.Type
	if e.Code != "" {
		s += ":" + e.Code
	}
	return s + ": " + e.Message
}

// decodeAPIError reads an OpenAI {"error":{…}} or Anthropic
// {"type":"error","error":{…}} body, failing the test on anything else.
func decodeAPIError(t *testing.T, body []byte) apiError {
	t.Helper()
	var v struct {
		Type  string `json:"type"`
		Error struct {
			Type    string  `json:"type"`
			Message string  `json:"message"`
			Code    *string `json:"code"`
			Param   *string `json:"param"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Error.Type == "" || v.Error.Message == "" {
		t.Fatalf("not an API error body (%v): %s", err, body)
	}
	e := apiError{Format: "openai", Type: v.Error.Type, Message: v.Error.Message}
	if v.Type == "error" {
		e.Format = "anthropic"
	}
	if v.Error.Code != nil {
		e.Code = *v.Error.Code
	}
	return e
}
