package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sluicehq/sluice"
)

func decodeAll(r io.Reader) ([]sluice.Event, error) {
	d := NewDecoder(r)
	var evs []sluice.Event
	for {
		ev, err := d.Next()
		if err == io.EOF {
			return evs, nil
		}
		if err != nil {
			return evs, err
		}
		ev.Raw = bytes.Clone(ev.Raw)
		evs = append(evs, ev)
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testdataFiles(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.sse"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func strip(evs []sluice.Event) []sluice.Event {
	out := make([]sluice.Event, len(evs))
	for i, ev := range evs {
		ev.Raw, ev.Extra = nil, nil
		out[i] = ev
	}
	return out
}

func dump(evs []sluice.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		j, _ := json.Marshal(ev)
		b.WriteString("\n\t")
		b.Write(j)
	}
	return b.String()
}

// usage builds a reported Usage from Gemini's counts.
func usage(prompt, cached, cands, thoughts, tool int64) *sluice.Usage {
	return &sluice.Usage{
		Input:     sluice.ReportedCount(prompt - cached + tool),
		CacheRead: sluice.ReportedCount(cached),
		Output:    sluice.ReportedCount(cands + thoughts),
		Reasoning: sluice.ReportedCount(thoughts),
	}
}

const sigType = sluice.OpaqueThoughtSignature

func TestDecoder(t *testing.T) {
	tests := []struct {
		file string
		want []sluice.Event
	}{
		{"text.sse", []sluice.Event{
			{Type: sluice.EventStart, ID: "ag4pavQTzLrj4Q-XkKnZBA", Model: "gemini-2.5-flash"},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Item: 0, Text: "Four."},
			{Type: sluice.EventUsage, Usage: usage(51, 0, 2, 0, 0)},
			{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventFinish, Finish: sluice.FinishStop, RawFinish: "STOP"},
			{Type: sluice.EventUsage, Usage: usage(51, 0, 2, 0, 0)},
		}},
		{"tools.sse", []sluice.Event{
			{Type: sluice.EventStart, ID: "QHiLaa6LBrb8vdIPoNztsAg", Model: "gemini-3-pro-preview"},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemToolCall, CallID: "call_0", Name: "weather"},
			{Type: sluice.EventToolCall, Item: 0, Text: `{"location":"San Francisco"}`},
			{Type: sluice.EventReasoningData, Item: 0, Opaque: sigType, Text: "EpEgCo4gAb4+9vvW/sig1=="},
			{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemToolCall},
			{Type: sluice.EventUsage, Usage: usage(29, 0, 15, 804, 0)},
			{Type: sluice.EventPassthrough, Name: "part"},
			{Type: sluice.EventFinish, Finish: sluice.FinishToolCalls, RawFinish: "STOP"},
			{Type: sluice.EventUsage, Usage: usage(29, 0, 15, 804, 0)},
		}},
		{"tools_parallel.sse", []sluice.Event{
			{Type: sluice.EventStart, ID: "par-1", Model: "gemini-2.5-flash"},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Item: 0, Text: "Let me check both."},
			{Type: sluice.EventUsage, Usage: usage(120, 0, 5, 0, 0)},
			{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemToolCall, CallID: "call_0", Name: "get_weather"},
			{Type: sluice.EventToolCall, Item: 1, Text: `{"city":"Paris"}`},
			{Type: sluice.EventReasoningData, Item: 1, Opaque: sigType, Text: "CiQBsig2"},
			{Type: sluice.EventItemDone, Item: 1, Kind: sluice.ItemToolCall},
			{Type: sluice.EventItemStart, Item: 2, Kind: sluice.ItemToolCall, ID: "fc-7", CallID: "fc-7", Name: "get_time"},
			{Type: sluice.EventToolCall, Item: 2, Text: `{"tz":"Europe/Berlin","fmt":{"h24":true}}`},
			{Type: sluice.EventItemDone, Item: 2, Kind: sluice.ItemToolCall},
			{Type: sluice.EventItemStart, Item: 3, Kind: sluice.ItemToolCall, CallID: "call_2", Name: "ping"},
			{Type: sluice.EventItemDone, Item: 3, Kind: sluice.ItemToolCall},
			{Type: sluice.EventFinish, Finish: sluice.FinishToolCalls, RawFinish: "STOP"},
			{Type: sluice.EventUsage, Usage: usage(120, 0, 40, 0, 0)},
		}},
		{"thinking.sse", []sluice.Event{
			{Type: sluice.EventStart, ID: "think-1", Model: "gemini-2.5-pro"},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemReasoning},
			{Type: sluice.EventReasoning, Item: 0, Summary: true, Text: "**Counting letters**\n\nI count the r's."},
			{Type: sluice.EventUsage, Usage: usage(9, 0, 0, 100, 0)},
			{Type: sluice.EventReasoning, Item: 0, Summary: true, Text: " Three of them."},
			{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemReasoning},
			{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Item: 1, Text: "There are **3** \"r\"s in strawberry.\n\n"},
			{Type: sluice.EventUsage, Usage: usage(9, 0, 13, 302, 0)},
			{Type: sluice.EventText, Item: 1, Text: "St**r**awbe**rr**y <3"},
			{Type: sluice.EventUsage, Usage: usage(9, 0, 23, 302, 0)},
			{Type: sluice.EventReasoningData, Item: 1, Opaque: sigType, Text: "EpAICo0IAb4+9vuku3oDHR5EQSMf"},
			{Type: sluice.EventItemDone, Item: 1, Kind: sluice.ItemMessage},
			{Type: sluice.EventFinish, Finish: sluice.FinishStop, RawFinish: "STOP"},
			{Type: sluice.EventUsage, Usage: usage(9, 0, 23, 302, 0)},
		}},
		{"cache.sse", []sluice.Event{
			{Type: sluice.EventStart, ID: "cache-1", Model: "gemini-2.5-flash"},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Item: 0, Text: "Per the document, "},
			{Type: sluice.EventUsage, Usage: usage(40123, 39000, 4, 0, 100)},
			{Type: sluice.EventText, Item: 0, Text: "the answer is 42."},
			{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventFinish, Finish: sluice.FinishStop, RawFinish: "STOP"},
			{Type: sluice.EventUsage, Usage: usage(40123, 39000, 10, 0, 100)},
		}},
		{"blocked.sse", []sluice.Event{
			{Type: sluice.EventStart, ID: "blk-1", Model: "gemini-3.7-flash"},
			{Type: sluice.EventFinish, Finish: sluice.FinishContentFilter, RawFinish: "PROHIBITED_CONTENT"},
			{Type: sluice.EventUsage, Usage: usage(9, 0, 0, 0, 0)},
		}},
		{"candidates.sse", []sluice.Event{
			{Type: sluice.EventStart, ID: "two", Model: "gemini-2.5-flash"},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Item: 0, Text: "A"},
			{Type: sluice.EventItemStart, Item: 1, Choice: 1, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Item: 1, Choice: 1, Text: "B"},
			{Type: sluice.EventUsage, Usage: usage(3, 0, 2, 0, 0)},
			{Type: sluice.EventItemDone, Item: 1, Choice: 1, Kind: sluice.ItemMessage},
			{Type: sluice.EventFinish, Choice: 1, Finish: sluice.FinishContentFilter, RawFinish: "SAFETY"},
			{Type: sluice.EventUsage, Usage: usage(3, 0, 2, 0, 0)},
			{Type: sluice.EventText, Item: 0, Text: "A2"},
			{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventFinish, Finish: sluice.FinishStop, RawFinish: "STOP"},
			{Type: sluice.EventUsage, Usage: usage(3, 0, 4, 0, 0)},
		}},
		{"unknown.sse", []sluice.Event{
			{Type: sluice.EventStart, ID: "unk-1", Model: "gemini-2.5-flash"},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Item: 0, Text: "Let me compute."},
			{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemOther},
			{Type: sluice.EventItemDone, Item: 1, Kind: sluice.ItemOther},
			{Type: sluice.EventUsage, Usage: usage(10, 0, 8, 0, 0)},
			{Type: sluice.EventItemStart, Item: 2, Kind: sluice.ItemOther},
			{Type: sluice.EventItemDone, Item: 2, Kind: sluice.ItemOther},
			{Type: sluice.EventItemStart, Item: 3, Kind: sluice.ItemOther},
			{Type: sluice.EventReasoningData, Item: 3, Opaque: sigType, Text: "aW1hZ2Utc2ln"},
			{Type: sluice.EventItemDone, Item: 3, Kind: sluice.ItemOther},
			{Type: sluice.EventUsage, Usage: usage(10, 0, 30, 0, 0)},
			{Type: sluice.EventItemStart, Item: 4, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Item: 4, Text: "The answer is 42."},
			{Type: sluice.EventItemDone, Item: 4, Kind: sluice.ItemMessage},
			{Type: sluice.EventFinish, Finish: sluice.FinishStop, RawFinish: "STOP"},
			{Type: sluice.EventUsage, Usage: usage(10, 0, 36, 0, 0)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			evs, err := decodeAll(bytes.NewReader(readTestdata(t, tt.file)))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got := strip(evs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events differ\n got: %s\nwant: %s", dump(got), dump(tt.want))
			}
			for i, ev := range evs {
				if ev.Extra == nil || ev.Extra.Protocol != Protocol {
					t.Errorf("event %d (%v) has Extra %+v", i, ev.Type, ev.Extra)
				}
				if len(ev.Raw) == 0 || ev.Raw[0] != '{' {
					t.Errorf("event %d (%v) has Raw %q", i, ev.Type, ev.Raw)
				}
			}
		})
	}
}

// TestDecoderResult checks what a Stream's Result makes of the events: the
// signature on the right item, the reasoning summary, cache usage.
func TestDecoderResult(t *testing.T) {
	res := func(file string) sluice.Result {
		t.Helper()
		d := NewDecoder(bytes.NewReader(readTestdata(t, file)))
		s := sluice.NewStream(t.Context(), sluice.StreamConfig{Provider: "gemini", Decoder: d})
		for _, err := range s.Events() {
			if err != nil {
				t.Fatal(err)
			}
		}
		return s.Result()
	}
	r := res("tools.sse")
	if len(r.ToolCalls) != 1 || r.ToolCalls[0] != (sluice.ToolCall{ID: "call_0", Name: "weather", Arguments: `{"location":"San Francisco"}`}) {
		t.Errorf("tool calls = %+v", r.ToolCalls)
	}
	if op := r.Items[0].Opaque; len(op) != 1 || op[0] != (sluice.Opaque{Provider: "gemini", Kind: sigType, Data: "EpEgCo4gAb4+9vvW/sig1=="}) {
		t.Errorf("tool call opaque = %+v", op)
	}
	if r.Finish != sluice.FinishToolCalls || r.Usage.Output.N != 819 || r.Usage.Reasoning.N != 804 {
		t.Errorf("finish %v usage %+v", r.Finish, r.Usage)
	}
	r = res("thinking.sse")
	if r.Reasoning != "**Counting letters**\n\nI count the r's. Three of them." || r.Text != "There are **3** \"r\"s in strawberry.\n\nSt**r**awbe**rr**y <3" {
		t.Errorf("reasoning %q text %q", r.Reasoning, r.Text)
	}
	if op := r.Items[1].Opaque; len(op) != 1 || op[0].Data != "EpAICo0IAb4+9vuku3oDHR5EQSMf" {
		t.Errorf("message opaque = %+v", op)
	}
	r = res("cache.sse")
	if u := r.Usage; u.Input.N != 1223 || u.CacheRead.N != 39000 || u.Output.N != 10 || u.InputTotal() != 40223 {
		t.Errorf("usage = %+v", u)
	}
	r = res("blocked.sse")
	if r.Finish != sluice.FinishContentFilter || r.RawFinish != "PROHIBITED_CONTENT" || r.Partial {
		t.Errorf("blocked: %+v", r)
	}
}

func TestDecoderErrors(t *testing.T) {
	const text = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}],\"role\":\"model\"},\"index\":0}]}\r\n\r\n"
	const rpc = `{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`
	tests := []struct {
		name   string
		in     string
		kind   sluice.Kind
		code   string
		msg    string
		events int
	}{
		{"empty", "", sluice.KindTruncated, "", "", 0},
		{"no finishReason", text, sluice.KindTruncated, "", "", 4},
		{"cut event", text + "data: {\"candidates\":[{\"finishReason\":\"STOP\",\"index\":0}]}", sluice.KindTruncated, "", "", 4},
		{"finished then cut", text + "data: {\"candidates\":[{\"finishReason\":\"STOP\",\"index\":0}]}\r\n\r\ndata: {\"x\":", sluice.KindTruncated, "", "", 7},
		{"error object", text + "data: " + rpc + "\r\n\r\n", sluice.KindOverloaded, "UNAVAILABLE", "The model is overloaded. Please try again later.", 4},
		{"error in array", text + "data: [" + rpc + "]\r\n\r\n", sluice.KindOverloaded, "UNAVAILABLE", "The model is overloaded. Please try again later.", 4},
		{"quota error with retry", "data: {\"error\":{\"code\":429,\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"26s\"}]}}\n\n", sluice.KindRateLimit, "RESOURCE_EXHAUSTED", "quota", 0},
		{"not json", text + "data: {oops}\r\n\r\n", sluice.KindProtocol, "", "", 4},
		{"not an object", "data: 5\n\n", sluice.KindProtocol, "", "", 0},
		{"candidates not array", "data: {\"candidates\":{}}\n\n", sluice.KindProtocol, "", "", 0},
		{"text not string", "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":1}]}}]}\n\n", sluice.KindProtocol, "", "", 0},
		{"bad count", "data: {\"usageMetadata\":{\"promptTokenCount\":1.5}}\n\n", sluice.KindProtocol, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := decodeAll(strings.NewReader(tt.in))
			var e *sluice.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *sluice.Error", err)
			}
			if e.Kind != tt.kind || e.Code != tt.code || (tt.msg != "" && e.Message != tt.msg) || e.Status != 0 {
				t.Errorf("got %v kind=%v code=%q status=%d", e, e.Kind, e.Code, e.Status)
			}
			if len(evs) != tt.events {
				t.Errorf("%d events before the error, want %d: %s", len(evs), tt.events, dump(evs))
			}
		})
	}
}

func TestDecoderRetryInfo(t *testing.T) {
	in := "data: {\"error\":{\"code\":429,\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"1.5s\"}]}}\n\n"
	_, err := decodeAll(strings.NewReader(in))
	var e *sluice.Error
	if !errors.As(err, &e) || e.RetryAfter != 1500*1e6 {
		t.Errorf("err = %#v", err)
	}
}

// TestDecoderFraming accepts LF separators and the array framing of the
// non-SSE endpoint inside one event.
func TestDecoderFraming(t *testing.T) {
	lf := strings.ReplaceAll(string(readTestdata(t, "text.sse")), "\r\n", "\n")
	a, err := decodeAll(strings.NewReader(lf))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := decodeAll(bytes.NewReader(readTestdata(t, "text.sse")))
	if !equalEvents(a, b) {
		t.Errorf("LF framing differs from CRLF")
	}
	arr := "data: [{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"index\":0}]},{\"candidates\":[{\"finishReason\":\"STOP\",\"index\":0}]}]\r\n\r\n"
	evs, err := decodeAll(strings.NewReader(arr))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(evs); n != 7 || evs[2].Text != "x" || evs[5].Type != sluice.EventFinish {
		t.Errorf("array framing: %s", dump(evs))
	}
}

func TestDecoderChunkSplit(t *testing.T) {
	for _, name := range testdataFiles(t) {
		t.Run(name, func(t *testing.T) {
			in := readTestdata(t, name)
			want, wantErr := decodeAll(bytes.NewReader(in))
			check := func(how string, r io.Reader) {
				t.Helper()
				got, err := decodeAll(r)
				if errString(err) != errString(wantErr) {
					t.Fatalf("%s: err = %v, want %v", how, err, wantErr)
				}
				if !equalEvents(got, want) {
					t.Fatalf("%s: events differ\n got: %s\nwant: %s", how, dump(got), dump(want))
				}
			}
			check("one byte at a time", iotest.OneByteReader(bytes.NewReader(in)))
			check("data with EOF", iotest.DataErrReader(bytes.NewReader(in)))
			for i := range len(in) {
				check("cut", io.MultiReader(bytes.NewReader(in[:i]), bytes.NewReader(in[i:])))
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func equalEvents(a, b []sluice.Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !bytes.Equal(x.Raw, y.Raw) {
			return false
		}
		if (x.Extra == nil) != (y.Extra == nil) || (x.Extra != nil && (x.Extra.Protocol != y.Extra.Protocol || !bytes.Equal(x.Extra.Fields, y.Extra.Fields))) {
			return false
		}
		x.Raw, y.Raw, x.Extra, y.Extra = nil, nil, nil, nil
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

func BenchmarkDecoder(b *testing.B) {
	var in bytes.Buffer
	for range 1000 {
		in.WriteString("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" sky\"}],\"role\":\"model\"},\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":51,\"candidatesTokenCount\":2,\"totalTokenCount\":53,\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":51}]},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"ag4pavQTzLrj4Q-XkKnZBA\"}\r\n\r\n")
	}
	in.WriteString("data: {\"candidates\":[{\"content\":{\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}]}\r\n\r\n")
	data := in.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(data))
		for {
			if _, err := d.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
}
