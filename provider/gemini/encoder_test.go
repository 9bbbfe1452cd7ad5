package gemini

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sse"
)

// reencode decodes in and encodes every event back as Gemini, flushing after
// every event when flushEach is set (as a server relaying event by event
// does) and once at the end otherwise.
func reencode(t *testing.T, in []byte, flushEach bool) []byte {
	t.Helper()
	var out bytes.Buffer
	enc := NewEncoder(&out, EncoderOptions{})
	d := NewDecoder(bytes.NewReader(in))
	for {
		ev, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if err := enc.Encode(&ev); err != nil {
			t.Fatalf("encode %v: %v", ev.Type, err)
		}
		if flushEach {
			if err := enc.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := enc.End(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// events returns the parsed JSON of every SSE event in b.
func events(t *testing.T, b []byte) []any {
	t.Helper()
	var out []any
	for ev, err := range sse.Read(bytes.NewReader(b)) {
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(ev.Data, &v); err != nil {
			t.Fatalf("event %q: %v", ev.Data, err)
		}
		out = append(out, v)
	}
	return out
}

// TestRoundTrip decodes every recorded stream and encodes it back through
// the Gemini encoder: each event must come back as the same JSON value. No
// field is exempt; only formatting (the reference sample's spaces) and
// member order may differ.
func TestRoundTrip(t *testing.T) {
	for _, name := range testdataFiles(t) {
		for _, flushEach := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "", true: "/flush-each"}[flushEach], func(t *testing.T) {
				in := readTestdata(t, name)
				out := reencode(t, in, flushEach)
				got, want := events(t, out), events(t, in)
				if len(got) != len(want) {
					t.Fatalf("%d events, want %d:\n%s", len(got), len(want), out)
				}
				for i := range want {
					if !reflect.DeepEqual(got[i], want[i]) {
						g, _ := json.Marshal(got[i])
						w, _ := json.Marshal(want[i])
						t.Errorf("event %d\n got: %s\nwant: %s", i, g, w)
					}
				}
				if !bytes.HasSuffix(out, []byte("}\r\n\r\n")) || bytes.Count(out, []byte("\r\n\r\n")) != len(want) {
					t.Errorf("framing: %q", out)
				}
			})
		}
	}
}

func encodeEvents(t *testing.T, opts EncoderOptions, evs []sluice.Event, flushAfter map[int]bool, end bool) string {
	t.Helper()
	var out bytes.Buffer
	opts.LineEnd = "\n" // readable expectations
	enc := NewEncoder(&out, opts)
	for i := range evs {
		if err := enc.Encode(&evs[i]); err != nil {
			t.Fatalf("encode %d: %v", i, err)
		}
		if flushAfter[i] {
			if err := enc.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if end {
		if err := enc.End(); err != nil {
			t.Fatal(err)
		}
	} else if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestEncoderForeign encodes events as an Anthropic decoder produces them.
func TestEncoderForeign(t *testing.T) {
	anth := &sluice.Extra{Protocol: "anthropic", Fields: json.RawMessage(`{"stop_sequence":null}`)}
	u1 := &sluice.Usage{Input: sluice.ReportedCount(10), CacheRead: sluice.ReportedCount(90), CacheWrite: sluice.ReportedCount(5), Output: sluice.ReportedCount(1)}
	u2 := &sluice.Usage{Output: sluice.ReportedCount(30)}
	evs := []sluice.Event{
		0:  {Type: sluice.EventStart, ID: "msg_01", Model: "claude-sonnet-4-5", Usage: u1},
		1:  {Type: sluice.EventUsage, Usage: u1},
		2:  {Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemReasoning},
		3:  {Type: sluice.EventReasoning, Item: 0, Text: "Let me think"},
		4:  {Type: sluice.EventReasoningData, Item: 0, Opaque: sluice.OpaqueSignature, Text: "anthropic-sig"},
		5:  {Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemReasoning},
		6:  {Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemMessage},
		7:  {Type: sluice.EventText, Item: 1, Text: "Hi "},
		8:  {Type: sluice.EventText, Item: 1, Text: "there"},
		9:  {Type: sluice.EventItemDone, Item: 1, Kind: sluice.ItemMessage},
		10: {Type: sluice.EventItemStart, Item: 2, Kind: sluice.ItemToolCall, ID: "toolu_1", CallID: "toolu_1", Name: "get_weather"},
		11: {Type: sluice.EventToolCall, Item: 2, Text: `{"city":`},
		12: {Type: sluice.EventToolCall, Item: 2, Text: ` "Paris"}`},
		13: {Type: sluice.EventItemDone, Item: 2, Kind: sluice.ItemToolCall},
		14: {Type: sluice.EventPassthrough, Name: "future_event", Raw: json.RawMessage(`{"type":"future_event"}`), Extra: anth},
		15: {Type: sluice.EventItemStart, Item: 3, Kind: sluice.ItemOther, Raw: json.RawMessage(`{"type":"server_tool_use"}`), Extra: anth},
		16: {Type: sluice.EventItemDone, Item: 3, Kind: sluice.ItemOther},
		17: {Type: sluice.EventFinish, Finish: sluice.FinishToolCalls, RawFinish: "tool_use", Extra: anth},
		18: {Type: sluice.EventUsage, Usage: u2},
	}
	got := encodeEvents(t, EncoderOptions{}, evs, map[int]bool{5: true, 7: true, 17: true}, true)
	want := `data: {"candidates":[{"content":{"parts":[{"text":"Let me think","thought":true}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":105,"candidatesTokenCount":1,"totalTokenCount":106,"cachedContentTokenCount":90},"modelVersion":"claude-sonnet-4-5","responseId":"msg_01"}

data: {"candidates":[{"content":{"parts":[{"text":"Hi "}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":105,"candidatesTokenCount":1,"totalTokenCount":106,"cachedContentTokenCount":90},"modelVersion":"claude-sonnet-4-5","responseId":"msg_01"}

data: {"candidates":[{"content":{"parts":[{"text":"there"},{"functionCall":{"name":"get_weather","args":{"city": "Paris"},"id":"toolu_1"}}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":105,"candidatesTokenCount":1,"totalTokenCount":106,"cachedContentTokenCount":90},"modelVersion":"claude-sonnet-4-5","responseId":"msg_01"}

data: {"candidates":[{"content":{"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":105,"candidatesTokenCount":30,"totalTokenCount":135,"cachedContentTokenCount":90},"modelVersion":"claude-sonnet-4-5","responseId":"msg_01"}

`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// What the encoder wrote, the decoder reads back as a clean stream.
	evs2, err := decodeAll(strings.NewReader(got))
	if err != nil {
		t.Fatalf("decode the encoder's output: %v", err)
	}
	if n := len(evs2); n == 0 || evs2[n-2].Type != sluice.EventFinish || evs2[n-2].Finish != sluice.FinishToolCalls {
		t.Errorf("re-decoded: %s", dump(evs2))
	}
}

func TestEncoderCases(t *testing.T) {
	tests := []struct {
		name  string
		evs   []sluice.Event
		flush map[int]bool
		end   bool
		want  string
	}{
		{
			name: "empty stream ends with STOP",
			end:  true,
			want: `data: {"candidates":[{"content":{"role":"model"},"finishReason":"STOP","index":0}],"modelVersion":"m"}` + "\n\n",
		},
		{
			name: "an unclosed tool call and bad arguments at End",
			evs: []sluice.Event{
				{Type: sluice.EventToolCall, Item: 0, CallID: "c1", Name: "f", Text: `{"a":`},
				{Type: sluice.EventFinish, Finish: sluice.FinishLength},
			},
			end:  true,
			want: `data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":"{\"a\":","id":"c1"}}],"role":"model"},"finishReason":"MAX_TOKENS","index":0}],"modelVersion":"m"}` + "\n\n",
		},
		{
			name: "error after content",
			evs: []sluice.Event{
				{Type: sluice.EventText, Text: "partial"},
				{Type: sluice.EventError, Err: &sluice.Error{Kind: sluice.KindOverloaded, Message: "overloaded"}},
			},
			want: `data: {"candidates":[{"content":{"parts":[{"text":"partial"}],"role":"model"},"index":0}],"modelVersion":"m"}` + "\n\n" +
				`data: {"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}` + "\n\n",
		},
		{
			name: "a signature without its part gets an empty text part",
			evs: []sluice.Event{
				{Type: sluice.EventItemStart, Kind: sluice.ItemReasoning},
				{Type: sluice.EventReasoningData, Opaque: sluice.OpaqueThoughtSignature, Text: "sig"},
			},
			want: `data: {"candidates":[{"content":{"parts":[{"text":"","thoughtSignature":"sig"}],"role":"model"},"index":0}],"modelVersion":"m"}` + "\n\n",
		},
		{
			name: "choices and refusals",
			evs: []sluice.Event{
				{Type: sluice.EventRefusal, Choice: 1, Item: 1, Text: "no"},
				{Type: sluice.EventText, Item: 0, Text: "yes"},
				{Type: sluice.EventFinish, Choice: 1, Finish: sluice.FinishContentFilter},
			},
			end:   true,
			flush: map[int]bool{1: true},
			want: `data: {"candidates":[{"content":{"parts":[{"text":"no"}],"role":"model"},"index":1},{"content":{"parts":[{"text":"yes"}],"role":"model"},"index":0}],"modelVersion":"m"}` + "\n\n" +
				`data: {"candidates":[{"content":{"role":"model"},"finishReason":"SAFETY","index":1},{"content":{"role":"model"},"finishReason":"STOP","index":0}],"modelVersion":"m"}` + "\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeEvents(t, EncoderOptions{Model: "m"}, tt.evs, tt.flush, tt.end)
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestEncoderAfterEnd(t *testing.T) {
	var out bytes.Buffer
	enc := NewEncoder(&out, EncoderOptions{})
	if err := enc.End(); err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(&sluice.Event{Type: sluice.EventText, Text: "late"}); err != ErrEnded {
		t.Errorf("Encode after End = %v, want ErrEnded", err)
	}
}

func BenchmarkEncoder(b *testing.B) {
	in := readTestdata(b, "thinking.sse")
	var evs []sluice.Event
	d := NewDecoder(bytes.NewReader(in))
	for {
		ev, err := d.Next()
		if err != nil {
			break
		}
		ev.Raw = bytes.Clone(ev.Raw)
		evs = append(evs, ev)
	}
	b.ReportAllocs()
	for b.Loop() {
		enc := NewEncoder(io.Discard, EncoderOptions{})
		for i := range evs {
			enc.Encode(&evs[i])
			enc.Flush()
		}
		enc.End()
	}
}
