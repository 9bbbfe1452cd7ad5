package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/gateway"
	"github.com/sluicehq/sluice/provider/openai"
)

// The relay path, measured whole: a chat completions request through
// Server.ServeHTTP to a real openai.Provider, whose upstream answers from
// memory with a recorded-shape stream of n content chunks. What one more
// relayed event costs is the difference between two stream lengths, so the
// per-request work (parsing, routing, the upstream request) cancels out.

// upstreamChunk is one content chunk as OpenAI sends it.
const upstreamChunk = `data: {"id":"chatcmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0","object":"chat.completion.chunk","created":1770933892,"model":"gpt-4.1-nano-2025-04-14","service_tier":"default","system_fingerprint":"fp_de604bd877","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"yhjoJbEF"}` + "\n\n"

// cannedStream is an OpenAI stream of n content chunks, with its role
// chunk, finish chunk, usage chunk and [DONE].
func cannedStream(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`data: {"id":"chatcmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0","object":"chat.completion.chunk","created":1770933892,"model":"gpt-4.1-nano-2025-04-14","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}` + "\n\n")
	for range n {
		b.WriteString(upstreamChunk)
	}
	b.WriteString(`data: {"id":"chatcmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0","object":"chat.completion.chunk","created":1770933892,"model":"gpt-4.1-nano-2025-04-14","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}` + "\n\n")
	fmt.Fprintf(&b, `data: {"id":"chatcmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0","object":"chat.completion.chunk","created":1770933892,"model":"gpt-4.1-nano-2025-04-14","choices":[],"usage":{"prompt_tokens":16,"completion_tokens":%d,"total_tokens":%d}}`+"\n\n", n, n+16)
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// cannedTransport answers every request with body as an SSE stream.
type cannedTransport struct{ body []byte }

func (t *cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body:   io.NopCloser(bytes.NewReader(t.body)), ContentLength: -1, Request: r}, nil
}

// discardWriter is a client that reads everything at once: a
// ResponseWriter that keeps nothing.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }
func (w *discardWriter) Flush()                      {}

// relayPath is a server relaying "up/m" to an upstream that streams n
// content chunks, and one request to relay it through an API.
type relayPath struct {
	srv          *Server
	method, path string
	body         string
}

// relayAPIs are the requests that stream "up/m" through each API.
var relayAPIs = []struct{ name, method, path, body string }{
	{"chat", http.MethodPost, "/v1/chat/completions", `{"model":"up/m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`},
	{"messages", http.MethodPost, "/v1/messages", `{"model":"up/m","stream":true,"max_tokens":2000,"messages":[{"role":"user","content":"hi"}]}`},
	{"responses", http.MethodPost, "/v1/responses", `{"model":"up/m","stream":true,"store":false,"input":"hi"}`},
	{"stream", http.MethodGet, "/stream?model=up%2Fm&prompt=hi", ""},
}

func newRelayPath(tb testing.TB, n int, method, path, body string) *relayPath {
	tb.Helper()
	reg := gateway.NewRegistry(nil)
	reg.Add("up", openai.New(openai.Config{Name: "up", BaseURL: "http://upstream.invalid/v1",
		HTTPClient: &http.Client{Transport: &cannedTransport{body: cannedStream(n)}}}))
	srv, err := New(Config{Router: reg, Heartbeat: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return &relayPath{srv: srv, method: method, path: path, body: body}
}

// do relays one stream and returns the bytes written to the client.
func (p *relayPath) do(tb testing.TB) int {
	var body io.Reader
	if p.body != "" {
		body = strings.NewReader(p.body)
	}
	r, _ := http.NewRequest(p.method, "http://sluice.test"+p.path, body)
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	w := &discardWriter{h: http.Header{}}
	p.srv.ServeHTTP(w, r)
	if w.status != http.StatusOK || w.n == 0 {
		tb.Fatalf("%s: status %d, %d bytes", p.path, w.status, w.n)
	}
	return w.n
}

// Relaying one more content event allocates at most once (the delta's
// text, which the Result keeps) whichever API the client speaks: no event
// is copied to the heap on its way from the decoder through the relay and
// the sealer to the encoder. So a gateway's heap stays near its live size
// while its streams run, instead of filling with garbage up to the
// collector's goal, which made sluice's memory per open stream twice the
// raw relay's (docs/benchmarks.md).
func TestRelayAllocationsPerEvent(t *testing.T) {
	if raceEnabled {
		t.Skip("with the race detector sync.Pool drops some of what it is given back, so borrowed buffers are allocated again")
	}
	const short, long = 100, 1100
	for _, api := range relayAPIs {
		t.Run(api.name, func(t *testing.T) {
			ps := newRelayPath(t, short, api.method, api.path, api.body)
			pl := newRelayPath(t, long, api.method, api.path, api.body)
			ps.do(t)
			pl.do(t)
			as := testing.AllocsPerRun(20, func() { ps.do(t) })
			al := testing.AllocsPerRun(20, func() { pl.do(t) })
			per := (al - as) / (long - short)
			t.Logf("%.0f allocations for %d events, %.0f for %d: %.2f per event", as, short, al, long, per)
			if per > 1.1 {
				t.Errorf("%.2f allocations per relayed event, want at most 1", per)
			}
		})
	}
}

// BenchmarkRelayPath reports the cost of one relayed content event through
// the whole server path, per API (see TestRelayAllocationsPerEvent).
func BenchmarkRelayPath(b *testing.B) {
	const n = 1000
	for _, api := range relayAPIs {
		b.Run(api.name, func(b *testing.B) {
			p := newRelayPath(b, n, api.method, api.path, api.body)
			b.ReportAllocs()
			for b.Loop() {
				p.do(b)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}

// flushCounter is a client that counts the flushes it gets and reports
// each write on a channel.
type flushCounter struct {
	discardWriter
	flushes int
	writes  chan []byte
}

func (w *flushCounter) Write(b []byte) (int, error) {
	if w.writes != nil {
		w.writes <- bytes.Clone(b)
	}
	return w.discardWriter.Write(b)
}

func (w *flushCounter) Flush() { w.flushes++ }

// Events that arrive together go out together: the relay flushes when the
// stream is about to wait for the network, not after every event, so a
// burst from upstream is one write to the client, as a byte relay makes
// it (and under load, when events queue up, that is the difference between
// one system call and a dozen).
func TestRelayBatchesWhatArrivesTogether(t *testing.T) {
	const n = 200
	p := newRelayPath(t, n, http.MethodPost, "/v1/chat/completions", relayAPIs[0].body)
	r, _ := http.NewRequest(http.MethodPost, "http://sluice.test/v1/chat/completions", strings.NewReader(p.body))
	w := &flushCounter{discardWriter: discardWriter{h: http.Header{}}}
	p.srv.ServeHTTP(w, r)
	if w.status != http.StatusOK {
		t.Fatalf("status %d", w.status)
	}
	// The canned upstream hands over its stream in reads of the decoder's
	// buffer size, a few events each.
	if w.flushes > n/2 {
		t.Errorf("%d flushes for %d events that were all there at once; want them batched", w.flushes, n)
	}
}

// pipeTransport answers one request with a body the test writes.
type pipeTransport struct{ body *io.PipeReader }

func (t *pipeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: t.body, ContentLength: -1, Request: r}, nil
}

// Batching never holds an event back: each one reaches the client before
// the upstream sends the next, which this upstream only does once the
// client has the previous one. A relay that waited for a second event to
// flush the first would deadlock here.
func TestRelayBatchingHoldsNothingBack(t *testing.T) {
	pr, pw := io.Pipe()
	reg := gateway.NewRegistry(nil)
	reg.Add("up", openai.New(openai.Config{Name: "up", BaseURL: "http://upstream.invalid/v1",
		HTTPClient: &http.Client{Transport: &pipeTransport{body: pr}}}))
	srv, err := New(Config{Router: reg, Heartbeat: -1})
	if err != nil {
		t.Fatal(err)
	}
	w := &flushCounter{discardWriter: discardWriter{h: http.Header{}}, writes: make(chan []byte, 64)}
	r, _ := http.NewRequest(http.MethodPost, "http://sluice.test/v1/chat/completions", strings.NewReader(relayAPIs[0].body))
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeHTTP(w, r)
	}()
	// waitFor reads what the client gets until it holds s.
	waitFor := func(s string) {
		t.Helper()
		var got []byte
		timeout := time.After(5 * time.Second)
		for !bytes.Contains(got, []byte(s)) {
			select {
			case b := <-w.writes:
				got = append(got, b...)
			case <-timeout:
				t.Fatalf("the client did not get %q within 5 s; it has %q", s, got)
			}
		}
	}
	for ev := range strings.SplitAfterSeq(string(cannedStream(3)), "\n\n") {
		if ev == "" {
			continue
		}
		if _, err := io.WriteString(pw, ev); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(ev, `"content":" token"`) {
			waitFor(`" token"`)
			// Drop what the client has, so the next wait needs new bytes.
			for len(w.writes) > 0 {
				<-w.writes
			}
		}
	}
	pw.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the relay did not end")
	}
}
