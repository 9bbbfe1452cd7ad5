package openai

import (
	"io"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/encodertest"
)

// A stream waiting for its provider holds no queue and no scratch buffer:
// the decoder gives its workspace (event queue and scratch buffers) back
// before each read, and the encoder its chunk buffer at each Flush. A
// gateway keeps thousands of streams open that are idle almost all the
// time (docs/benchmarks.md, memory per open stream).

// probeReader serves a stream a chunk at a time (a chunk longer than a
// Read asks for takes several) and records, at each Read, whether the
// decoder was holding a queue.
type probeReader struct {
	d       *Decoder
	chunks  []string
	reads   int
	holding int
}

func (r *probeReader) Read(p []byte) (int, error) {
	r.reads++
	if r.d.holds() {
		r.holding++
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	if r.chunks[0] = r.chunks[0][n:]; r.chunks[0] == "" {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

func TestDecoderHoldsNoQueueWhileReading(t *testing.T) {
	chunks := []string{
		"data: " + `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n",
		"data: " + `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}` + "\n\n",
		"data: " + `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}` + "\n\n",
		"data: " + `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n",
		"data: [DONE]\n\n",
	}
	r := &probeReader{chunks: chunks}
	d := NewDecoder(r)
	r.d = d
	var text strings.Builder
	for {
		ev, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == sluice.EventText {
			text.WriteString(ev.Text)
		}
	}
	if text.String() != "Hello" {
		t.Fatalf("text %q, want Hello", text.String())
	}
	if r.reads < len(chunks) || r.holding > 0 {
		t.Errorf("the decoder held its workspace during %d of %d reads, want none", r.holding, r.reads)
	}
	if d.holds() {
		t.Error("the decoder kept its workspace after the end")
	}
}

// holds reports whether d holds its event queue or any scratch buffer.
func (d *Decoder) holds() bool {
	return d.ws != nil || d.queue != nil || d.top != nil || d.chs != nil || d.tres != nil || d.fields != nil || d.str != nil
}

func TestEncoderHoldsNoBufferAfterFlush(t *testing.T) {
	var out strings.Builder
	e := NewEncoder(&out, EncoderOptions{ID: "c1", Model: "m", Created: 1})
	encodertest.HoldsNoBufferAfterFlush(t, e, e.buf.Held, &out)
	if !strings.Contains(out.String(), `"content":"Hello"`) {
		t.Fatalf("output lacks the delta:\n%s", out.String())
	}
}
