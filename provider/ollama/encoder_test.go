package ollama

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

// reencode decodes in and encodes every event back as Ollama, flushing after
// every event when flushEach is set (as a server relaying event by event
// does) and once at the end otherwise.
func reencode(t *testing.T, in []byte, flushEach bool) []byte {
	t.Helper()
	var out bytes.Buffer
	enc := NewEncoder(&out, EncoderOptions{})
	d := NewDecoder(bytes.NewReader(in))
	for {
		ev, err := d.Next()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("decode: %v", err)
			}
			break
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

func parseLines(t *testing.T, b []byte) []any {
	t.Helper()
	var out []any
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var v any
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out = append(out, v)
	}
	return out
}

// TestRoundTrip decodes every recorded stream and encodes it back through
// the Ollama encoder: each line must come back with the same members and
// values. No field is exempt. The recorded lines use Ollama's own member
// order and escaping, so the bytes come back identical too.
func TestRoundTrip(t *testing.T) {
	for _, name := range testdataFiles(t) {
		for _, flushEach := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "", true: "/flush-each"}[flushEach], func(t *testing.T) {
				in := readTestdata(t, name)
				out := reencode(t, in, flushEach)
				got, want := parseLines(t, out), parseLines(t, in)
				if len(got) != len(want) {
					t.Fatalf("%d lines, want %d:\n%s", len(got), len(want), out)
				}
				for i := range want {
					if !reflect.DeepEqual(got[i], want[i]) {
						g, _ := json.Marshal(got[i])
						w, _ := json.Marshal(want[i])
						t.Errorf("line %d\n got: %s\nwant: %s", i, g, w)
					}
				}
				if !bytes.Equal(out, in) {
					t.Errorf("bytes differ\n got: %s\nwant: %s", out, in)
				}
			})
		}
	}
}

var fixedNow = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func encodeEvents(t *testing.T, opts EncoderOptions, evs []sluice.Event, flushAfter map[int]bool, end bool) string {
	t.Helper()
	var out bytes.Buffer
	if opts.Now == nil {
		opts.Now = fixedNow
	}
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

// TestEncoderForeign encodes events as another provider's decoder produces
// them: deltas batched per Flush, tool-call arguments collected until the
// item is done, opaque data, passthrough of other protocols and other
// choices dropped.
func TestEncoderForeign(t *testing.T) {
	ms := time.Millisecond
	openai := &sluice.Extra{Protocol: "openai", Fields: json.RawMessage(`{"system_fingerprint":"fp"}`)}
	evs := []sluice.Event{
		0:  {Type: sluice.EventStart, ID: "chatcmpl-1", Model: "gpt-4o-mini", Extra: openai},
		1:  {Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemReasoning},
		2:  {Type: sluice.EventReasoning, Item: 0, Text: "hmm", At: 100 * ms},
		3:  {Type: sluice.EventReasoningData, Item: 0, Opaque: sluice.OpaqueEncrypted, Text: "gAAA"},
		4:  {Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemReasoning},
		5:  {Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemMessage},
		6:  {Type: sluice.EventText, Item: 1, Text: "Hel", At: 200 * ms},
		7:  {Type: sluice.EventText, Item: 1, Text: "lo <b>", At: 300 * ms},
		8:  {Type: sluice.EventText, Item: 1, Choice: 1, Text: "other choice"},
		9:  {Type: sluice.EventPassthrough, Name: "weird", Raw: json.RawMessage(`{"x":1}`), Extra: openai},
		10: {Type: sluice.EventItemDone, Item: 1, Kind: sluice.ItemMessage},
		11: {Type: sluice.EventItemStart, Item: 2, Kind: sluice.ItemToolCall, ID: "fc_1", CallID: "call_abc", Name: "get_weather"},
		12: {Type: sluice.EventToolCall, Item: 2, Text: `{"city":`, At: 400 * ms},
		13: {Type: sluice.EventToolCall, Item: 2, Text: `"Paris"}`, At: 500 * ms},
		14: {Type: sluice.EventItemDone, Item: 2, Kind: sluice.ItemToolCall},
		15: {Type: sluice.EventFinish, Finish: sluice.FinishToolCalls, RawFinish: "tool_calls", Extra: openai},
		16: {Type: sluice.EventUsage, Usage: &sluice.Usage{Input: sluice.ReportedCount(10), CacheRead: sluice.ReportedCount(5), Output: sluice.ReportedCount(7)}, At: 600 * ms},
	}
	got := encodeEvents(t, EncoderOptions{}, evs, map[int]bool{2: true, 6: true}, true)
	want := `{"model":"gpt-4o-mini","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":"","thinking":"hmm"},"done":false}
{"model":"gpt-4o-mini","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":"Hel"},"done":false}
{"model":"gpt-4o-mini","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":"lo \u003cb\u003e"},"done":false}
{"model":"gpt-4o-mini","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":"","tool_calls":[{"id":"call_abc","function":{"index":0,"name":"get_weather","arguments":{"city":"Paris"}}}]},"done":false}
{"model":"gpt-4o-mini","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":600000000,"prompt_eval_count":15,"prompt_eval_duration":100000000,"eval_count":7,"eval_duration":400000000}
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestEncoderBatching(t *testing.T) {
	tests := []struct {
		name  string
		evs   []sluice.Event
		flush map[int]bool
		end   bool
		want  string
	}{
		{
			name: "deltas between flushes make one line",
			evs: []sluice.Event{
				{Type: sluice.EventText, Text: "a"}, {Type: sluice.EventText, Text: "b"},
			},
			want: `{"model":"m","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":"ab"},"done":false}` + "\n",
		},
		{
			name: "reasoning after text starts a line",
			evs: []sluice.Event{
				{Type: sluice.EventText, Text: "a"}, {Type: sluice.EventReasoning, Item: 1, Text: "r"},
			},
			want: `{"model":"m","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":"a"},"done":false}` + "\n" +
				`{"model":"m","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":"","thinking":"r"},"done":false}` + "\n",
		},
		{
			name: "unclosed tool call and bad arguments at End",
			evs: []sluice.Event{
				{Type: sluice.EventToolCall, Item: 3, CallID: "c1", Name: "f", Text: `{"a":`},
				{Type: sluice.EventFinish, Finish: sluice.FinishLength},
			},
			end: true,
			want: `{"model":"m","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":"","tool_calls":[{"id":"c1","function":{"index":0,"name":"f","arguments":"{\"a\":"}}]},"done":false}` + "\n" +
				`{"model":"m","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"length"}` + "\n",
		},
		{
			name: "error line ends the stream",
			evs: []sluice.Event{
				{Type: sluice.EventText, Text: "partial"},
				{Type: sluice.EventError, Err: &sluice.Error{Kind: sluice.KindServer, Message: `runner "x" crashed`}},
			},
			want: `{"model":"m","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":"partial"},"done":false}` + "\n" +
				`{"error":"runner \"x\" crashed"}` + "\n",
		},
		{
			name: "empty stream still ends with a done line",
			end:  true,
			want: `{"model":"m","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}` + "\n",
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
	enc := NewEncoder(&out, EncoderOptions{Now: fixedNow})
	if err := enc.Encode(&sluice.Event{Type: sluice.EventError, Err: &sluice.Error{Message: "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(&sluice.Event{Type: sluice.EventText, Text: "late"}); err != ErrEnded {
		t.Errorf("Encode after error = %v, want ErrEnded", err)
	}
	if err := enc.End(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != `{"error":"x"}`+"\n" {
		t.Errorf("got %q", got)
	}
}

func TestChatResponseFromResult(t *testing.T) {
	res := &sluice.Result{
		Provider: "openai", Model: "gpt-4o", Text: "Hi", Reasoning: "think",
		ToolCalls: []sluice.ToolCall{{ID: "call_1", Name: "f", Arguments: `{"a":1}`}},
		Finish:    sluice.FinishToolCalls, RawFinish: "tool_calls",
		Usage:   sluice.Usage{Input: sluice.ReportedCount(5), Output: sluice.ReportedCount(3)},
		Metrics: sluice.Metrics{TTFT: 100, E2E: 300},
	}
	got := string(ChatResponseFromResult(res, fixedNow()))
	want := `{"model":"gpt-4o","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":"Hi","thinking":"think","tool_calls":[{"id":"call_1","function":{"index":0,"name":"f","arguments":{"a":1}}}]},"done":true,"done_reason":"stop","total_duration":300,"prompt_eval_count":5,"prompt_eval_duration":100,"eval_count":3,"eval_duration":200}`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if !strings.HasPrefix(got, "{") || !json.Valid([]byte(got)) {
		t.Error("not valid JSON")
	}
}

func BenchmarkEncoder(b *testing.B) {
	var sink bytes.Buffer
	enc := NewEncoder(&sink, EncoderOptions{Model: "llama3.2"})
	ev := sluice.Event{Type: sluice.EventText, Text: " sky"}
	b.ReportAllocs()
	for b.Loop() {
		enc.Encode(&ev)
		enc.Flush()
		sink.Reset()
	}
}

// Ollama's strings are written as its Go server writes them, with <, > and & escaped:
// text (appended directly) and the model name (through the writer), by the
// stream encoder and ChatResponseFromResult alike.
func TestEncodersEscapeHTML(t *testing.T) {
	res := &sluice.Result{Model: "a<b&c>", Text: "a<b&c>"}
	var buf bytes.Buffer
	enc := NewEncoder(&buf, EncoderOptions{Model: "a<b&c>", Now: fixedNow})
	if err := enc.Encode(&sluice.Event{Type: sluice.EventText, Text: "a<b&c>"}); err != nil {
		t.Fatal(err)
	}
	if err := enc.End(); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"ChatResponseFromResult": string(ChatResponseFromResult(res, fixedNow())), "Encoder": buf.String()} {
		if n := strings.Count(out, `"a\u003cb\u0026c\u003e"`); n < 2 { // the text and the model
			t.Errorf("%s: %s", name, out)
		}
	}
}
