package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// decodeCase is one conformance vector: an input stream and everything a
// Decoder must report for it.
type decodeCase struct {
	name      string
	in        string
	want      []Event
	retry     string // Decoder.Retry as a Duration string; "" if none
	lastID    string // Decoder.LastEventID at the end
	truncated bool
}

// ev builds an expected event.
func ev(typ, data, id string) Event { return Event{Type: typ, Data: []byte(data), ID: id} }

// wptNone appends what the WPT handler message.py appends with
// newline=none: a single "\n". Without newline=none it appends "\n\n\n".
func wptNone(s string) string { return s + "\n" }
func wpt(s string) string     { return s + "\n\n\n" }

var long2k = strings.Repeat("x", 2*1024)

// decodeCases holds the web-platform-tests eventsource/format-* vectors (the
// "wpt/" cases, named after the test file), the spec rules they do not cover
// ("spec/") and the framings real providers send ("wire/").
func decodeCases() []decodeCase {
	return []decodeCase{
		// web-platform-tests eventsource/
		{name: "wpt/format-newlines", in: wptNone("data:test\r\ndata\ndata:test\r\n\r"),
			want: []Event{ev("", "test\n\ntest", "")}},
		{name: "wpt/format-leading-space", in: wpt("data:\ttest\rdata: \ndata:test"),
			want: []Event{ev("", "\ttest\n\ntest", "")}},
		{name: "wpt/format-field-parsing",
			in:   wptNone("data:\x00\ndata:  2\rData:1\ndata\x00:2\ndata:1\r\x00data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n"),
			want: []Event{ev("", "\x00\n 2\n1\n3\n\n4", "")}},
		{name: "wpt/format-comments",
			in:   wptNone("data:1\r:\x00\n:\r\ndata:2\n:" + long2k + "\rdata:3\n:data:fail\r:" + long2k + "\ndata:4\n"),
			want: []Event{ev("", "1\n2\n3\n4", "")}},
		{name: "wpt/format-bom", in: wpt("\uFEFFdata:1\n\n\uFEFFdata:2\n\ndata:3"),
			want: []Event{ev("", "1", ""), ev("", "3", "")}},
		{name: "wpt/format-bom-2", in: wpt("\uFEFF\uFEFFdata:1\n\ndata:2\n\ndata:3"),
			want: []Event{ev("", "2", ""), ev("", "3", "")}},
		{name: "wpt/format-bom-utf-16-le", in: wpt("\xFF\xFEdata:1\n\ndata:2"),
			want: []Event{ev("", "2", "")}},
		{name: "wpt/format-bom-utf-16-be", in: wpt("\xFE\xFFdata:1\n\ndata:2"),
			want: []Event{ev("", "2", "")}},
		{name: "wpt/format-data-before-final-empty-line", in: "retry:1000\ndata:test1\n\nid:test\ndata:test2",
			want: []Event{ev("", "test1", "")}, retry: "1s", truncated: true},
		{name: "wpt/format-field-unknown", in: wpt("data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test"),
			want: []Event{ev("", "test\n\ntest", "")}},
		{name: "wpt/format-field-data", in: wpt("data:\n\ndata\ndata\n\ndata:test"),
			want: []Event{ev("", "", ""), ev("", "\n", ""), ev("", "test", "")}},
		{name: "wpt/format-field-event", in: wpt("event:test\ndata:x\n\ndata:x"),
			want: []Event{ev("test", "x", ""), ev("", "x", "")}},
		{name: "wpt/format-field-event-empty", in: wpt("event: \ndata:data"),
			want: []Event{ev("", "data", "")}},
		{name: "spec/id-persists-across-events", in: wpt("id: 1\ndata: a\n\ndata: b"),
			want: []Event{ev("", "a", "1"), ev("", "b", "1")}, lastID: "1"},
		{name: "spec/empty-id-resets", in: wpt("id:1\ndata:a\n\nid:\ndata:b\n\nid\ndata:c\n\nid:3\ndata:d"),
			want: []Event{ev("", "a", "1"), ev("", "b", ""), ev("", "c", ""), ev("", "d", "3")}, lastID: "3"},
		{name: "spec/id-with-null-ignored", in: wpt("id: a\ndata: 1\n\nid: b\x00c\ndata: 2\n\nid: \x00\ndata: 3"),
			want: []Event{ev("", "1", "a"), ev("", "2", "a"), ev("", "3", "a")}, lastID: "a"},
		{name: "wpt/format-field-retry", in: wpt("retry:02000\ndata:x"),
			want: []Event{ev("", "x", "")}, retry: "2s"},
		{name: "wpt/format-field-retry-bogus", in: wpt("retry:2000\nretry:1000x\ndata:x"),
			want: []Event{ev("", "x", "")}, retry: "2s"},
		{name: "wpt/format-field-retry-empty", in: wpt("retry\ndata:test\n\nretry:\ndata:y"),
			want: []Event{ev("", "test", ""), ev("", "y", "")}},
		{name: "wpt/format-null-character", in: wpt("data:\x00\n"),
			want: []Event{ev("", "\x00", "")}},
		{name: "wpt/format-utf-8", in: wpt("data:ok\xE2\x80\xA6"),
			want: []Event{ev("", "ok\u2026", "")}},
		{name: "wpt/from-readable-stream-multi-line-data", in: "data: hello\ndata: world\n\n",
			want: []Event{ev("", "hello\nworld", "")}},
		{name: "wpt/from-readable-stream-line-endings", in: "data: cr\r\rdata: lf\n\ndata: crlf\r\n\r\n",
			want: []Event{ev("", "cr", ""), ev("", "lf", ""), ev("", "crlf", "")}},
		{name: "wpt/from-readable-stream-split", in: "data: hello\n\n",
			want: []Event{ev("", "hello", "")}},
		{name: "wpt/from-readable-stream-custom-type-and-comment", in: ": this is a comment\nevent: custom\ndata: hello\n\n",
			want: []Event{ev("custom", "hello", "")}},

		// Spec rules, WHATWG HTML §9.2.5-9.2.6.
		{name: "spec/empty-stream", in: ""},
		{name: "spec/only-blank-lines", in: "\n\r\n\r\n\n"},
		{name: "spec/only-comments", in: ": ping\n\n:\n\n: OPENROUTER PROCESSING\n\n"},
		{name: "spec/event-only-block-not-dispatched-and-type-reset", in: "event: a\n\ndata: x\n\n",
			want: []Event{ev("", "x", "")}},
		{name: "spec/id-only-block-sets-last-event-id", in: "id: 7\n\ndata: x\n\n",
			want: []Event{ev("", "x", "7")}, lastID: "7"},
		{name: "spec/id-only-block-at-end", in: "data: x\n\nid: 9\n\n",
			want: []Event{ev("", "x", "")}, lastID: "9"},
		{name: "spec/unterminated-event-discarded", in: "data: x\n\ndata: y",
			want: []Event{ev("", "x", "")}, truncated: true},
		{name: "spec/data-line-without-blank-line-discarded", in: "data: x\n", truncated: true},
		{name: "spec/unterminated-comment-at-eof", in: "data: x\n\n: ping", want: []Event{ev("", "x", "")}, truncated: true},
		{name: "spec/field-without-colon", in: "data\n\n", want: []Event{ev("", "", "")}},
		{name: "spec/field-names-case-sensitive", in: "DATA: x\nData: y\nEvent: z\ndata: w\n\n",
			want: []Event{ev("", "w", "")}},
		{name: "spec/only-one-space-stripped", in: "data:  two\nevent:  t\nid:  i\n\n",
			want: []Event{ev(" t", " two", " i")}, lastID: " i"},
		{name: "spec/tab-not-stripped", in: "data:\tx\n\n", want: []Event{ev("", "\tx", "")}},
		{name: "spec/trailing-space-kept", in: "data: x \n\n", want: []Event{ev("", "x ", "")}},
		{name: "spec/first-colon-splits", in: "data: a:b: c\nevent:t:u\n\n", want: []Event{ev("t:u", "a:b: c", "")}},
		{name: "spec/empty-data-value-mid-event", in: "data: a\ndata:\ndata: b\n\n", want: []Event{ev("", "a\n\nb", "")}},
		{name: "spec/explicit-message-type-kept", in: "event: message\ndata: x\n\n", want: []Event{ev("message", "x", "")}},
		{name: "spec/last-event-field-wins", in: "event: a\nevent: b\ndata: x\n\n", want: []Event{ev("b", "x", "")}},
		{name: "spec/unknown-fields-ignored", in: "foo: bar\nretry-after: 5\ndata: x\nidx: 3\n\n", want: []Event{ev("", "x", "")}},
		{name: "spec/bom-only-at-start", in: "data: a\n\n\uFEFFdata: b\n\n", want: []Event{ev("", "a", "")}},
		{name: "spec/partial-bom-is-content", in: "\xEF\xBBdata: x\n\ndata: y\n\n", want: []Event{ev("", "y", "")}},
		{name: "spec/bom-alone", in: "\uFEFF"},
		{name: "spec/bom-then-crlf", in: "\uFEFF\r\ndata: x\r\n\r\n", want: []Event{ev("", "x", "")}},
		{name: "spec/crlf-then-lone-cr-dispatches", in: "data: a\r\n\r", want: []Event{ev("", "a", "")}},
		{name: "spec/lf-cr-is-two-line-ends", in: "data: a\n\rdata: b\n\r", want: []Event{ev("", "a", ""), ev("", "b", "")}},
		{name: "spec/cr-cr-lf", in: "data: a\r\r\ndata: b\r\n\r\n", want: []Event{ev("", "a", ""), ev("", "b", "")}},
		{name: "spec/retry-digits-only", in: "retry: 1500\nretry: +5\nretry: -1\nretry:  5\nretry: 5 \nretry: 1.5\nretry: 0x10\ndata: x\n\n",
			want: []Event{ev("", "x", "")}, retry: "1.5s"},
		{name: "spec/retry-zero", in: "retry: 0\ndata: x\n\n", want: []Event{ev("", "x", "")}, retry: "0s"},
		{name: "spec/retry-in-undispatched-block", in: "retry: 250\n\n", retry: "250ms"},
		{name: "spec/retry-in-unterminated-block", in: "retry: 250\n", retry: "250ms", truncated: false},
		{name: "spec/retry-clamped", in: "retry: 99999999999999999999999\n\n", retry: "2562047h47m16.854775807s"},
		{name: "spec/id-with-null-in-undispatched-block", in: "id: a\n\nid: \x00\n\ndata: x\n\n",
			want: []Event{ev("", "x", "a")}, lastID: "a"},
		{name: "spec/id-from-unterminated-block-not-used", in: "data: x\n\nid: 5\ndata: y\n",
			want: []Event{ev("", "x", "")}, truncated: true},
		{name: "spec/nul-in-data-and-type", in: "event: a\x00b\ndata: c\x00d\n\n", want: []Event{ev("a\x00b", "c\x00d", "")}},
		{name: "spec/invalid-utf8-passed-through", in: "data: \xff\xfe\xc3\n\n", want: []Event{ev("", "\xff\xfe\xc3", "")}},
		{name: "spec/colon-only-line-is-comment", in: ":\ndata: x\n:\n\n", want: []Event{ev("", "x", "")}},
		{name: "spec/space-before-field-name", in: " data: x\n\n"},

		// Wire framings of real providers.
		{name: "wire/openai-lf",
			in: "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n" +
				"data: {\"choices\":[{\"delta\":{}}]}\n\ndata: [DONE]\n\n",
			want: []Event{ev("", `{"choices":[{"delta":{"content":"Hi"}}]}`, ""), ev("", `{"choices":[{"delta":{}}]}`, ""), ev("", "[DONE]", "")}},
		{name: "wire/anthropic-named-events",
			in: "event: message_start\ndata: {\"type\":\"message_start\"}\n\n" +
				"event: ping\ndata: {\"type\": \"ping\"}\n\n" +
				"event: content_block_delta\ndata: {\"type\":\"content_block_delta\"}\n\n",
			want: []Event{ev("message_start", `{"type":"message_start"}`, ""), ev("ping", `{"type": "ping"}`, ""),
				ev("content_block_delta", `{"type":"content_block_delta"}`, "")}},
		{name: "wire/gemini-crlf", in: "data: {\"a\":1}\r\n\r\ndata: {\"a\":2}\r\n\r\n",
			want: []Event{ev("", `{"a":1}`, ""), ev("", `{"a":2}`, "")}},
		{name: "wire/lone-cr", in: "data: a\r\rdata: b\r\r", want: []Event{ev("", "a", ""), ev("", "b", "")}},
		{name: "wire/openrouter-keepalive", in: ": OPENROUTER PROCESSING\n\ndata: x\n\n", want: []Event{ev("", "x", "")}},
		{name: "wire/no-space-after-colon", in: "data:{\"a\":1}\n\n", want: []Event{ev("", `{"a":1}`, "")}},
		{name: "wire/ids-and-retry", in: "retry: 3000\n\nid: 1\ndata: a\n\nid: 2\ndata: b\n\n",
			want: []Event{ev("", "a", "1"), ev("", "b", "2")}, retry: "3s", lastID: "2"},
	}
}

// decoded is everything observable from one run of a Decoder.
type decoded struct {
	events    []Event
	err       error
	retry     time.Duration
	hasRetry  bool
	lastID    string
	truncated bool
}

// decodeAll runs a Decoder over r to the end, copying each event's Data.
func decodeAll(r io.Reader) decoded {
	d := NewDecoder(r)
	var out decoded
	for d.Next() {
		e := d.Event()
		e.Data = bytes.Clone(e.Data)
		out.events = append(out.events, e)
	}
	out.err = d.Err()
	out.retry, out.hasRetry = d.Retry()
	out.lastID = d.LastEventID()
	out.truncated = d.Truncated()
	return out
}

// sameEvents reports whether a and b are equal, treating nil and empty Data
// as equal.
func sameEvents(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].ID != b[i].ID || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}

// fmtEvents prints events with their bytes quoted.
func fmtEvents(evs []Event) string {
	var sb strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&sb, "{Type:%q Data:%q ID:%q} ", e.Type, e.Data, e.ID)
	}
	return sb.String()
}

// check compares one run against the case.
func (tt decodeCase) check(t *testing.T, how string, got decoded) {
	t.Helper()
	if got.err != nil {
		t.Errorf("%s: Err() = %v, want nil", how, got.err)
	}
	if !sameEvents(got.events, tt.want) {
		t.Errorf("%s: events\n got %s\nwant %s", how, fmtEvents(got.events), fmtEvents(tt.want))
	}
	retry := ""
	if got.hasRetry {
		retry = got.retry.String()
	}
	if retry != tt.retry {
		t.Errorf("%s: Retry() = %q, want %q", how, retry, tt.retry)
	}
	if got.lastID != tt.lastID {
		t.Errorf("%s: LastEventID() = %q, want %q", how, got.lastID, tt.lastID)
	}
	if got.truncated != tt.truncated {
		t.Errorf("%s: Truncated() = %v, want %v", how, got.truncated, tt.truncated)
	}
}

func TestDecoder(t *testing.T) {
	for _, tt := range decodeCases() {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, "whole", decodeAll(strings.NewReader(tt.in)))
			tt.check(t, "one byte per read", decodeAll(iotest.OneByteReader(strings.NewReader(tt.in))))
			tt.check(t, "EOF with last data", decodeAll(iotest.DataErrReader(strings.NewReader(tt.in))))
			tt.check(t, "half reads", decodeAll(iotest.HalfReader(strings.NewReader(tt.in))))
		})
	}
}

// TestDecoderSplit feeds every case cut in two at every position: a CRLF,
// a BOM or a UTF-8 character cut across reads must decode as if whole.
func TestDecoderSplit(t *testing.T) {
	for _, tt := range decodeCases() {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i <= len(tt.in); i++ {
				r := io.MultiReader(strings.NewReader(tt.in[:i]), strings.NewReader(tt.in[i:]))
				tt.check(t, fmt.Sprintf("cut at %d", i), decodeAll(r))
			}
		})
	}
}

// TestDecoderDispatchWithoutWaiting checks that Next returns an event as
// soon as its blank line is read, without another Read: a stream that
// stalls after an event must not hold the event back. A lone CR as the last
// byte read counts as a line end at once.
func TestDecoderDispatchWithoutWaiting(t *testing.T) {
	for _, in := range []string{"data: a\n\n", "data: a\r\n\r\n", "data: a\r\r", "data: a\r\n\r"} {
		t.Run(fmt.Sprintf("%q", in), func(t *testing.T) {
			r := &stallReader{data: []byte(in)}
			d := NewDecoder(r)
			if !d.Next() {
				t.Fatalf("Next() = false, Err() = %v", d.Err())
			}
			if got := string(d.Event().Data); got != "a" {
				t.Fatalf("Data = %q, want %q", got, "a")
			}
		})
	}
}

// stallReader returns its data in one Read and then fails the test's
// expectations by panicking, standing in for a Read that would block.
type stallReader struct {
	data []byte
	done bool
}

func (r *stallReader) Read(p []byte) (int, error) {
	if r.done {
		panic("Read called again: the Decoder waited for input it did not need")
	}
	r.done = true
	return copy(p, r.data), nil
}

func TestDecoderCRLFAcrossReads(t *testing.T) {
	// The LF after a CR at the end of one read is the same line end: one
	// blank line, not two, so exactly one event with "a\nb".
	r := io.MultiReader(strings.NewReader("data: a\r"), strings.NewReader("\ndata: b\r"), strings.NewReader("\n\r"), strings.NewReader("\n"))
	got := decodeAll(r)
	want := []Event{ev("", "a\nb", "")}
	if !sameEvents(got.events, want) || got.err != nil {
		t.Fatalf("got %s err %v, want %s", fmtEvents(got.events), got.err, fmtEvents(want))
	}
}

func TestDecoderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("data: a\n\ndata: b\n\ndata: c"), iotest.ErrReader(boom))
	got := decodeAll(r)
	want := []Event{ev("", "a", ""), ev("", "b", "")}
	if !sameEvents(got.events, want) {
		t.Errorf("events = %s, want %s", fmtEvents(got.events), fmtEvents(want))
	}
	if !errors.Is(got.err, boom) {
		t.Errorf("Err() = %v, want %v", got.err, boom)
	}

	d := NewDecoder(iotest.TimeoutReader(strings.NewReader("data: a\n\n")))
	if !d.Next() {
		t.Fatal("want the event before the timeout")
	}
	if d.Next() || !errors.Is(d.Err(), iotest.ErrTimeout) {
		t.Errorf("Err() = %v, want %v", d.Err(), iotest.ErrTimeout)
	}
	if d.Next() {
		t.Error("Next after the end returned true")
	}
}

// zeroReader returns (0, nil) forever.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// badReader claims to have read more than it was given.
type badReader struct{}

func (badReader) Read(p []byte) (int, error) { return len(p) + 1, nil }

func TestDecoderBadReaders(t *testing.T) {
	if err := decodeAll(zeroReader{}).err; !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("zero reader: Err() = %v, want io.ErrNoProgress", err)
	}
	if err := decodeAll(badReader{}).err; err == nil {
		t.Error("bad count: Err() = nil, want an error")
	}
}

// TestDecoderLongLine decodes a single 10 MB data line, first whole and
// then in the small reads a network delivers: there is no line limit.
func TestDecoderLongLine(t *testing.T) {
	const size = 10 << 20
	payload := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	in := slices3("data: ", payload, "\n\ndata: after\n\n")
	for _, tc := range []struct {
		name string
		r    io.Reader
	}{
		{"whole", bytes.NewReader(in)},
		{"1500-byte reads", &chunkReader{b: in, n: 1500}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.r)
			if !d.Next() {
				t.Fatalf("no event; Err() = %v", d.Err())
			}
			if !bytes.Equal(d.Event().Data, payload) {
				t.Fatalf("Data has %d bytes, want the %d-byte payload", len(d.Event().Data), len(payload))
			}
			if !d.Next() || string(d.Event().Data) != "after" {
				t.Fatalf("want the event after the long line; Err() = %v", d.Err())
			}
			if d.Next() || d.Err() != nil {
				t.Fatalf("want a clean end, Err() = %v", d.Err())
			}
		})
	}
}

// slices3 concatenates its parts.
func slices3(a string, b []byte, c string) []byte {
	out := make([]byte, 0, len(a)+len(b)+len(c))
	return append(append(append(out, a...), b...), c...)
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[n:]
	return n, nil
}

// loopReader repeats b forever.
type loopReader struct {
	b   []byte
	off int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.b[r.off:])
		n += c
		r.off = (r.off + c) % len(r.b)
	}
	return n, nil
}

// TestDecoderNoAllocs proves that a warmed-up Decoder allocates nothing per
// event, for the framings of OpenAI (no type, no id), Anthropic (a cycle of
// named types) and Gemini (CRLF), and with a fixed id.
func TestDecoderNoAllocs(t *testing.T) {
	streams := map[string]string{
		"openai": openAIStream(8),
		"anthropic": "event: message_start\ndata: {\"type\":\"message_start\"}\n\n" +
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"hi\"}}\n\n" +
			"event: ping\ndata: {\"type\":\"ping\"}\n\n" +
			": keepalive\n\n" +
			"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
		"gemini":   "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hi\"}]}}]}\r\n\r\n",
		"fixed-id": "id: 42\nretry: 1000\ndata: line one\ndata: line two\n\n",
	}
	for name, s := range streams {
		t.Run(name, func(t *testing.T) {
			d := NewDecoder(&loopReader{b: []byte(s)})
			for range 1000 { // warm up: grow buffers, fill the type cache
				if !d.Next() {
					t.Fatal(d.Err())
				}
			}
			if n := testing.AllocsPerRun(10000, func() {
				if !d.Next() {
					t.Fatal(d.Err())
				}
			}); n != 0 {
				t.Errorf("%v allocations per event, want 0", n)
			}
		})
	}
}

// TestDecoderShrinks checks that a buffer grown by one huge event is not
// kept for the rest of the stream.
func TestDecoderShrinks(t *testing.T) {
	big := strings.Repeat("x", 4*maxRetained)
	d := NewDecoder(io.MultiReader(strings.NewReader("data: "+big+"\n\n"), strings.NewReader("data: a\n\n"), strings.NewReader("data: b\n\n")))
	for range 3 {
		if !d.Next() {
			t.Fatal(d.Err())
		}
	}
	if cap(d.data) > maxRetained || len(d.buf) > maxRetained {
		t.Errorf("after the big event: data cap %d, buf len %d; want both <= %d", cap(d.data), len(d.buf), maxRetained)
	}
}

func TestRead(t *testing.T) {
	var got []Event
	for e, err := range Read(strings.NewReader("data: a\n\nevent: t\nid: 1\ndata: b\n\n")) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e) // Read's Data is a copy: safe to keep
	}
	want := []Event{ev("", "a", ""), ev("t", "b", "1")}
	if !sameEvents(got, want) {
		t.Fatalf("got %s, want %s", fmtEvents(got), fmtEvents(want))
	}

	boom := errors.New("boom")
	var n int
	var last error
	for _, err := range Read(io.MultiReader(strings.NewReader("data: a\n\n"), iotest.ErrReader(boom))) {
		n++
		last = err
	}
	if n != 2 || !errors.Is(last, boom) {
		t.Fatalf("got %d items ending in %v, want 2 ending in %v", n, last, boom)
	}

	for range Read(strings.NewReader("data: a\n\ndata: b\n\n")) {
		break // must not panic by yielding again
	}
}

// TestDecoderScansOnce checks that a line arriving over many reads is not
// rescanned from its start on every read (which made a 10 MB line in
// network-sized reads quadratic).
func TestDecoderScansOnce(t *testing.T) {
	d := NewDecoder(strings.NewReader("data: abc"))
	if !d.fill() || !d.skipBOM() {
		t.Fatal("no bytes")
	}
	if _, ok := d.line(); ok || d.scanned != len("data: abc") {
		t.Fatalf("after a partial line: ok %v, scanned %d; want false, %d", ok, d.scanned, len("data: abc"))
	}
}

// waitProbe serves one event per Read, as a network stream delivers them
// one at a time, and counts the Reads made while the Decoder held a buffer.
type waitProbe struct {
	d        *Decoder
	events   []string
	waits    int  // reads that began an event, or the end
	holding  int  // those made while the Decoder held a buffer
	boundary bool // the last Read ended an event, or none was made
}

func (r *waitProbe) Read(p []byte) (int, error) {
	if r.boundary {
		r.waits++
		if r.d.buf != nil || r.d.data != nil {
			r.holding++
		}
	}
	if len(r.events) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.events[0])
	r.events[0] = r.events[0][n:]
	r.boundary = r.events[0] == ""
	if r.boundary {
		r.events = r.events[1:]
	}
	return n, nil
}

// A Decoder waiting for the next event holds no buffer: it gave them back
// to the pool and reads into its probe array, and events longer than the
// probe arrive whole all the same. A gateway's open streams wait almost all
// the time (docs/benchmarks.md, memory per open stream).
func TestDecoderHoldsNoBufferWhileWaiting(t *testing.T) {
	long := strings.Repeat("y", 3*probeSize)
	events := []string{"data: a\n\n", "event: delta\ndata: " + long + "\n\n", "data: b\ndata: c\n\n", ": ping\n\n", "data: d\n\n"}
	r := &waitProbe{events: append([]string(nil), events...), boundary: true}
	d := NewDecoder(r)
	r.d = d
	var got []string
	for d.Next() {
		got = append(got, string(d.Event().Data))
	}
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
	want := []string{"a", long, "b\nc", "d"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	// Every read that began an event found the Decoder without buffers,
	// the first one too: a stream waits for its first token longest (the
	// long event's later reads come while it is half read).
	if r.waits <= len(events) || r.holding > 0 {
		t.Errorf("%d of %d reads between events waited while the Decoder held a buffer", r.holding, r.waits)
	}
	if d.buf != nil || d.data != nil {
		t.Error("the Decoder kept its buffers after the end")
	}
}
