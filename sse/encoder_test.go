package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/bufpool"
)

func TestEncoderEncode(t *testing.T) {
	tests := []struct {
		name    string
		lineEnd string
		ev      Event
		want    string
	}{
		{name: "data", ev: ev("", "hi", ""), want: "data: hi\n\n"},
		{name: "type-and-id", ev: ev("delta", "x", "7"), want: "event: delta\nid: 7\ndata: x\n\n"},
		{name: "empty-data", ev: ev("", "", ""), want: "data: \n\n"},
		{name: "nil-data", ev: Event{Type: "done"}, want: "event: done\ndata: \n\n"},
		{name: "lf-in-data", ev: ev("", "a\nb", ""), want: "data: a\ndata: b\n\n"},
		{name: "crlf-in-data", ev: ev("", "a\r\nb", ""), want: "data: a\ndata: b\n\n"},
		{name: "cr-in-data", ev: ev("", "a\rb", ""), want: "data: a\ndata: b\n\n"},
		{name: "lf-cr-in-data-is-two-breaks", ev: ev("", "a\n\rb", ""), want: "data: a\ndata: \ndata: b\n\n"},
		{name: "trailing-newline", ev: ev("", "a\n", ""), want: "data: a\ndata: \n\n"},
		{name: "only-newlines", ev: ev("", "\r\n\n", ""), want: "data: \ndata: \ndata: \n\n"},
		{name: "leading-space-kept", ev: ev(" t", " x", " i"), want: "event:  t\nid:  i\ndata:  x\n\n"},
		{name: "forged-event-is-data",
			ev:   ev("", "x\n\ndata: evil\nevent: admin\r\nid: 1", ""),
			want: "data: x\ndata: \ndata: data: evil\ndata: event: admin\ndata: id: 1\n\n"},
		{name: "nul-in-type-and-data", ev: ev("a\x00", "\x00", ""), want: "event: a\x00\ndata: \x00\n\n"},
		{name: "crlf-line-end", lineEnd: "\r\n", ev: ev("t", "a\nb", "1"), want: "event: t\r\nid: 1\r\ndata: a\r\ndata: b\r\n\r\n"},
		{name: "cr-line-end", lineEnd: "\r", ev: ev("", "a\r\nb", ""), want: "data: a\rdata: b\r\r"},
		{name: "explicit-lf-line-end", lineEnd: "\n", ev: ev("", "a", ""), want: "data: a\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := NewEncoder(&buf)
			enc.LineEnd = tt.lineEnd
			if err := enc.Encode(tt.ev); err != nil {
				t.Fatal(err)
			}
			if buf.Len() != 0 {
				t.Fatal("Encode wrote before Flush")
			}
			if enc.Buffered() != len(tt.want) {
				t.Errorf("Buffered() = %d, want %d", enc.Buffered(), len(tt.want))
			}
			if err := enc.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Fatalf("wrote %q, want %q", got, tt.want)
			}
			if enc.Buffered() != 0 {
				t.Errorf("Buffered() after Flush = %d", enc.Buffered())
			}
			// What was written decodes back to the event.
			got := decodeAll(&buf)
			want := []Event{{Type: tt.ev.Type, Data: normalizeEOL(tt.ev.Data), ID: tt.ev.ID}}
			if !sameEvents(got.events, want) || got.truncated {
				t.Errorf("decoded %s (truncated %v), want %s", fmtEvents(got.events), got.truncated, fmtEvents(want))
			}
		})
	}
}

// normalizeEOL turns CRLF and CR into LF, as an SSE round trip does.
func normalizeEOL(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
}

func TestEncoderRefuses(t *testing.T) {
	tests := []struct {
		name    string
		lineEnd string
		ev      Event
		err     error
	}{
		{"lf-in-type", "", Event{Type: "a\nb"}, ErrInvalidType},
		{"cr-in-type", "", Event{Type: "a\r"}, ErrInvalidType},
		{"lf-in-id", "", Event{ID: "\n"}, ErrInvalidID},
		{"cr-in-id", "", Event{ID: "1\r"}, ErrInvalidID},
		{"nul-in-id", "", Event{ID: "1\x002"}, ErrInvalidID},
		{"bad-line-end", "\n\n", Event{}, ErrInvalidLineEnd},
		{"bad-line-end-space", " ", Event{}, ErrInvalidLineEnd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := NewEncoder(&buf)
			enc.LineEnd = tt.lineEnd
			if err := enc.Encode(tt.ev); !errors.Is(err, tt.err) {
				t.Fatalf("Encode() = %v, want %v", err, tt.err)
			}
			if enc.Buffered() != 0 {
				t.Fatalf("a refused event left %d bytes buffered", enc.Buffered())
			}
			// A refusal is not sticky: the next valid event goes through.
			enc.LineEnd = ""
			if err := enc.Encode(ev("", "ok", "")); err != nil {
				t.Fatalf("Encode after a refusal: %v", err)
			}
		})
	}
}

func TestEncoderComment(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"simple", "keep-alive", ": keep-alive\n\n"},
		{"empty", "", ":\n\n"},
		{"multi-line", "a\nb\r\nc\rd", ": a\n: b\n: c\n: d\n\n"},
		{"trailing-newline", "a\n", ": a\n:\n\n"},
		{"looks-like-data", "x\ndata: evil", ": x\n: data: evil\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := NewEncoder(&buf)
			if err := enc.Comment(tt.text); err != nil {
				t.Fatal(err)
			}
			if err := enc.Flush(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Fatalf("wrote %q, want %q", buf.String(), tt.want)
			}
			if got := decodeAll(&buf); len(got.events) != 0 || got.truncated {
				t.Fatalf("a comment decoded as %s", fmtEvents(got.events))
			}
		})
	}
}

func TestEncoderRetry(t *testing.T) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	enc.LineEnd = "\r\n"
	for _, d := range []time.Duration{3 * time.Second, 1500 * time.Microsecond, 0} {
		if err := enc.Retry(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Retry(-time.Second); !errors.Is(err, ErrNegativeRetry) {
		t.Fatalf("Retry(-1s) = %v, want ErrNegativeRetry", err)
	}
	enc.Flush()
	want := "retry: 3000\r\n\r\nretry: 1\r\n\r\nretry: 0\r\n\r\n"
	if buf.String() != want {
		t.Fatalf("wrote %q, want %q", buf.String(), want)
	}
	d := NewDecoder(&buf)
	for d.Next() {
		t.Fatal("retry blocks dispatched an event")
	}
	if got, ok := d.Retry(); !ok || got != 0 {
		t.Fatalf("decoded Retry() = %v, %v; want 0, true", got, ok)
	}
}

func TestEncoderRaw(t *testing.T) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	enc.Encode(ev("", "a", ""))
	enc.EncodeRaw([]byte("data: {\"trunc"))
	enc.Flush()
	if want := "data: a\n\ndata: {\"trunc"; buf.String() != want {
		t.Fatalf("wrote %q, want %q", buf.String(), want)
	}
}

// recordingWriter counts Write and Flush calls.
type recordingWriter struct {
	bytes.Buffer
	writes, flushes int
	order           []string
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.writes++
	w.order = append(w.order, "write")
	return w.Buffer.Write(p)
}

func (w *recordingWriter) Flush() {
	w.flushes++
	w.order = append(w.order, "flush")
}

func TestEncoderFlushOneWrite(t *testing.T) {
	w := &recordingWriter{}
	enc := NewEncoder(w)
	enc.Comment("hello")
	enc.Retry(time.Second)
	for range 50 {
		enc.Encode(ev("delta", strings.Repeat("x", 200), "1"))
	}
	if w.writes != 0 {
		t.Fatal("wrote before Flush")
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.writes != 1 || w.flushes != 1 || strings.Join(w.order, ",") != "write,flush" {
		t.Fatalf("calls %v, want one write then one flush", w.order)
	}
	// Nothing pending: no write, but the writer is still flushed.
	enc.Flush()
	if w.writes != 1 || w.flushes != 2 {
		t.Fatalf("empty Flush: %d writes, %d flushes; want 1, 2", w.writes, w.flushes)
	}
}

// A burst larger than the pool keeps is written as it is encoded, in
// pieces of at most bufpool.MaxKept, and the writer is flushed only by
// Flush: the buffer never grows past what the pool takes back.
func TestEncoderSpillsLargeBursts(t *testing.T) {
	w := &recordingWriter{}
	enc := NewEncoder(w)
	var want strings.Builder
	for i := range 6 {
		data := strings.Repeat(string(rune('a'+i)), 6000)
		enc.Encode(ev("done", data, ""))
		want.WriteString("event: done\ndata: " + data + "\n\n")
		if cap(enc.buf) > bufpool.MaxKept {
			t.Fatalf("event %d: buffer grew to %d bytes, past %d", i, cap(enc.buf), bufpool.MaxKept)
		}
	}
	if w.writes == 0 || w.flushes != 0 {
		t.Fatalf("before Flush: %d writes, %d flushes; want some writes and no flush", w.writes, w.flushes)
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.String() != want.String() || w.flushes != 1 {
		t.Fatalf("wrote %d bytes in %d writes and %d flushes; want the %d bytes of the events in order and one flush", w.Len(), w.writes, w.flushes, want.Len())
	}
}

// middleware hides its ResponseWriter's Flush but offers Unwrap, as
// logging and metrics wrappers do.
type middleware struct{ http.ResponseWriter }

func (m middleware) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// noFlushWriter is a ResponseWriter that cannot flush at all.
type noFlushWriter struct{ http.ResponseWriter }

func TestEncoderFlushesWriter(t *testing.T) {
	t.Run("http.Flusher", func(t *testing.T) {
		rec := httptest.NewRecorder()
		enc := NewEncoder(rec)
		enc.Encode(ev("", "a", ""))
		if err := enc.Flush(); err != nil || !rec.Flushed || rec.Body.String() != "data: a\n\n" {
			t.Fatalf("err %v, flushed %v, body %q", err, rec.Flushed, rec.Body.String())
		}
	})
	t.Run("behind-middleware", func(t *testing.T) {
		rec := httptest.NewRecorder()
		enc := NewEncoder(middleware{rec})
		enc.Encode(ev("", "a", ""))
		if err := enc.Flush(); err != nil || !rec.Flushed {
			t.Fatalf("err %v, flushed %v; want the recorder flushed through Unwrap", err, rec.Flushed)
		}
	})
	t.Run("response-writer-that-cannot-flush", func(t *testing.T) {
		enc := NewEncoder(noFlushWriter{httptest.NewRecorder()})
		enc.Encode(ev("", "a", ""))
		if err := enc.Flush(); !errors.Is(err, http.ErrNotSupported) {
			t.Fatalf("Flush() = %v, want http.ErrNotSupported", err)
		}
	})
	t.Run("flush-error", func(t *testing.T) {
		var buf bytes.Buffer
		bw := bufio.NewWriter(&buf)
		enc := NewEncoder(bw)
		enc.Encode(ev("", "a", ""))
		if err := enc.Flush(); err != nil || buf.String() != "data: a\n\n" {
			t.Fatalf("err %v, underlying %q; want the bufio.Writer flushed", err, buf.String())
		}
	})
	t.Run("plain-writer", func(t *testing.T) {
		var buf bytes.Buffer
		enc := NewEncoder(&buf)
		enc.Encode(ev("", "a", ""))
		if err := enc.Flush(); err != nil || buf.String() != "data: a\n\n" {
			t.Fatalf("err %v, wrote %q", err, buf.String())
		}
	})
}

// failWriter accepts n bytes, then fails.
type failWriter struct {
	n   int
	err error
}

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	n := w.n
	w.n = 0
	return n, w.err
}

func TestEncoderStickyError(t *testing.T) {
	boom := errors.New("client gone")
	enc := NewEncoder(&failWriter{n: 4, err: boom})
	enc.Encode(ev("", "abcdef", ""))
	if err := enc.Flush(); !errors.Is(err, boom) {
		t.Fatalf("Flush() = %v, want %v", err, boom)
	}
	if got, want := enc.Buffered(), len("data: abcdef\n\n")-4; got != want {
		t.Errorf("Buffered() = %d, want the %d unwritten bytes", got, want)
	}
	for name, err := range map[string]error{
		"Encode":    enc.Encode(ev("", "x", "")),
		"Comment":   enc.Comment("x"),
		"Retry":     enc.Retry(time.Second),
		"EncodeRaw": enc.EncodeRaw([]byte("x")),
		"Flush":     enc.Flush(),
	} {
		if !errors.Is(err, boom) {
			t.Errorf("%s after a write error = %v, want %v", name, err, boom)
		}
	}

	// A writer that reports a short write without an error.
	enc = NewEncoder(shortWriter{})
	enc.Encode(ev("", "a", ""))
	if err := enc.Flush(); !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("short write: Flush() = %v, want io.ErrShortWrite", err)
	}
}

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

// TestEncoderRoundTripSequence encodes a mixed stream and decodes it back.
func TestEncoderRoundTripSequence(t *testing.T) {
	events := []Event{
		ev("", `{"a":1}`, ""),
		ev("content_block_delta", "multi\nline\r\nwith\rbreaks", "1"),
		ev("", "", "2"),
		ev("message", "\n", "3"),
		ev("x", "\uFEFFbom inside is data", "4"),
		ev("", strings.Repeat("long ", 100000), "5"),
	}
	for _, le := range []string{"\n", "\r\n", "\r"} {
		var buf bytes.Buffer
		enc := NewEncoder(&buf)
		enc.LineEnd = le
		enc.Comment("start")
		enc.Retry(2 * time.Second)
		for _, e := range events {
			if err := enc.Encode(e); err != nil {
				t.Fatal(err)
			}
			enc.Comment("ping\nping")
		}
		if err := enc.Flush(); err != nil {
			t.Fatal(err)
		}
		got := decodeAll(unevenReader(buf.Bytes()))
		var want []Event
		for _, e := range events {
			want = append(want, Event{Type: e.Type, Data: normalizeEOL(e.Data), ID: e.ID})
		}
		if !sameEvents(got.events, want) || got.err != nil || got.truncated || got.retry != 2*time.Second {
			t.Fatalf("LineEnd %q: decoded %d events (err %v, truncated %v, retry %v), want %d equal events",
				le, len(got.events), got.err, got.truncated, got.retry, len(want))
		}
	}
}

// unevenReader returns a reader over b in reads of 777 bytes, so lines and
// CRLFs are cut at arbitrary places.
func unevenReader(b []byte) io.Reader { return &chunkReader{b: b, n: 777} }

// TestEncoderNoAllocs proves Encode plus Flush allocate nothing once the
// buffer has grown.
func TestEncoderNoAllocs(t *testing.T) {
	enc := NewEncoder(io.Discard)
	e := ev("content_block_delta", openAIChunk, "12345")
	enc.Encode(e)
	enc.Flush()
	if n := testing.AllocsPerRun(1000, func() {
		enc.Encode(e)
		enc.Comment("ping")
		enc.Flush()
	}); n != 0 {
		t.Fatalf("%v allocations per event, want 0", n)
	}
}

// An Encoder holds no buffer once a Flush has written it, whatever the
// size of the events: a server's idle streams hold none, and a huge event's
// buffer is not kept (bufpool drops it rather than lend it again).
func TestEncoderHoldsNoBufferBetweenFlushes(t *testing.T) {
	for _, size := range []int{10, 4 << 10, 2 * bufpool.MaxKept} {
		enc := NewEncoder(io.Discard)
		enc.Encode(Event{Data: make([]byte, size)})
		if enc.Buffered() <= size {
			t.Fatalf("%d-byte event: %d bytes buffered", size, enc.Buffered())
		}
		if err := enc.Flush(); err != nil {
			t.Fatal(err)
		}
		if enc.buf != nil || enc.scr.Held() {
			t.Errorf("%d-byte event: a buffer of %d bytes kept after Flush", size, cap(enc.buf))
		}
	}
}
