package ollama

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

// decodeAll reads every event of r, copying what aliases the decoder's
// buffers, and returns the final error (nil for a clean io.EOF).
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
	names, err := filepath.Glob(filepath.Join("testdata", "*.ndjson"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

// strip drops Raw and Extra, which the table tests do not spell out.
func strip(evs []sluice.Event) []sluice.Event {
	out := make([]sluice.Event, len(evs))
	for i, ev := range evs {
		ev.Raw, ev.Extra = nil, nil
		out[i] = ev
	}
	return out
}

func usage(in, out int64) *sluice.Usage {
	return &sluice.Usage{Input: sluice.ReportedCount(in), Output: sluice.ReportedCount(out)}
}

func TestDecoder(t *testing.T) {
	tests := []struct {
		file string
		want []sluice.Event
	}{
		{"text.ndjson", []sluice.Event{
			{Type: sluice.EventStart, Model: "llama3.2"},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Item: 0, Text: "The"},
			{Type: sluice.EventText, Item: 0, Text: " sky"},
			{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventUsage, Usage: usage(26, 282)},
			{Type: sluice.EventFinish, Finish: sluice.FinishStop, RawFinish: "stop"},
		}},
		{"tools.ndjson", []sluice.Event{
			{Type: sluice.EventStart, Model: "llama3.2"},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemToolCall, CallID: "call_0", Name: "get_weather"},
			{Type: sluice.EventToolCall, Item: 0, Text: `{"city":"Tokyo"}`},
			{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemToolCall},
			{Type: sluice.EventUsage, Usage: usage(180, 21)},
			{Type: sluice.EventFinish, Finish: sluice.FinishToolCalls, RawFinish: "stop"},
		}},
		{"tools_parallel.ndjson", []sluice.Event{
			{Type: sluice.EventStart, Model: "qwen3:8b"},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Item: 0, Text: "Checking both cities."},
			{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemToolCall, ID: "call_k2j3h4", CallID: "call_k2j3h4", Name: "get_weather"},
			{Type: sluice.EventToolCall, Item: 1, Text: `{"city":"Paris","unit":"celsius"}`},
			{Type: sluice.EventItemDone, Item: 1, Kind: sluice.ItemToolCall},
			{Type: sluice.EventItemStart, Item: 2, Kind: sluice.ItemToolCall, ID: "call_p9q8r7", CallID: "call_p9q8r7", Name: "get_weather"},
			{Type: sluice.EventToolCall, Item: 2, Text: `{"city":"Berlin","unit":"celsius","days":[1,2]}`},
			{Type: sluice.EventItemDone, Item: 2, Kind: sluice.ItemToolCall},
			{Type: sluice.EventUsage, Usage: usage(312, 64)},
			{Type: sluice.EventFinish, Finish: sluice.FinishToolCalls, RawFinish: "stop"},
		}},
		{"thinking.ndjson", []sluice.Event{
			{Type: sluice.EventStart, Model: "deepseek-r1:8b"},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemReasoning},
			{Type: sluice.EventReasoning, Item: 0, Text: "The user"},
			{Type: sluice.EventReasoning, Item: 0, Text: " asks for 2+2 < 5?"},
			{Type: sluice.EventReasoning, Item: 0, Text: " Yes."},
			{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemReasoning},
			{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Item: 1, Text: "Yes"},
			{Type: sluice.EventText, Item: 1, Text: ": 4 & \"quoted\"\n"},
			{Type: sluice.EventItemDone, Item: 1, Kind: sluice.ItemMessage},
			{Type: sluice.EventUsage, Usage: usage(12, 8)},
			{Type: sluice.EventFinish, Finish: sluice.FinishLength, RawFinish: "length"},
		}},
		{"unknown.ndjson", []sluice.Event{
			{Type: sluice.EventStart, Model: "gpt-oss:120b-cloud"},
			{Type: sluice.EventPassthrough, Name: "chunk"},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Item: 0, Text: "Hi"},
			{Type: sluice.EventText, Item: 0, Text: "!"},
			{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventUsage, Usage: usage(3, 2)},
			{Type: sluice.EventFinish, Finish: sluice.FinishStop, RawFinish: "unload"},
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
					t.Errorf("event %d (%v) has Extra %+v, want protocol %q", i, ev.Type, ev.Extra, Protocol)
				}
				if len(ev.Raw) == 0 || ev.Raw[0] != '{' {
					t.Errorf("event %d (%v) has Raw %q, want its line", i, ev.Type, ev.Raw)
				}
			}
		})
	}
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

// TestDecoderOverlay checks what the last event of a line keeps for the
// round trip, and that earlier events of the line keep nothing.
func TestDecoderOverlay(t *testing.T) {
	evs, err := decodeAll(bytes.NewReader(readTestdata(t, "text.ndjson")))
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, ev := range evs {
		if ev.Extra.Fields != nil {
			fields = append(fields, string(ev.Extra.Fields))
		}
	}
	want := []string{
		`{"created_at":"2023-08-04T08:52:19.385406455-07:00"}`,
		`{"created_at":"2023-08-04T08:52:19.397101455-07:00"}`,
		`{"total_duration":4883583458,"load_duration":1334875,"prompt_eval_duration":342546000,"eval_duration":4535599000,"created_at":"2023-08-04T19:22:45.499127Z"}`,
	}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("line overlays\n got: %q\nwant: %q", fields, want)
	}
}

func TestDecoderErrors(t *testing.T) {
	const text = `{"model":"m","created_at":"t","message":{"role":"assistant","content":"a"},"done":false}` + "\n"
	tests := []struct {
		name   string
		in     string
		kind   sluice.Kind
		msg    string
		events int // events before the error
	}{
		{"empty", "", sluice.KindTruncated, "", 0},
		{"no done line", text, sluice.KindTruncated, "", 3},
		{"cut mid-line", text + `{"model":"m","created_at":"t","mess`, sluice.KindTruncated, "", 3},
		{"error line", text + `{"error":"an error was encountered while running the model"}` + "\n", sluice.KindServer, "an error was encountered while running the model", 3},
		{"error first", `{"error":"model is required"}` + "\n", sluice.KindServer, "model is required", 0},
		{"not json", text + "data: {}\n", sluice.KindProtocol, "", 3},
		{"not an object", "[1,2]\n", sluice.KindProtocol, "", 0},
		{"done not bool", `{"model":"m","done":"yes"}` + "\n", sluice.KindProtocol, "", 0},
		{"content not string", `{"model":"m","message":{"content":5},"done":false}` + "\n", sluice.KindProtocol, "", 0},
		{"bad count", `{"model":"m","message":{"content":""},"done":true,"eval_count":"x"}` + "\n", sluice.KindProtocol, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := decodeAll(strings.NewReader(tt.in))
			var e *sluice.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *sluice.Error", err)
			}
			if e.Kind != tt.kind {
				t.Errorf("kind = %v, want %v (%v)", e.Kind, tt.kind, e)
			}
			if tt.msg != "" && e.Message != tt.msg {
				t.Errorf("message = %q, want %q", e.Message, tt.msg)
			}
			if len(evs) != tt.events {
				t.Errorf("%d events before the error, want %d", len(evs), tt.events)
			}
			// The error repeats.
			d := NewDecoder(strings.NewReader(tt.in))
			for {
				if _, err := d.Next(); err != nil {
					break
				}
			}
			if _, err2 := d.Next(); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("second Next = %v, want %v again", err2, err)
			}
		})
	}
}

func TestDecoderTolerates(t *testing.T) {
	tests := []struct{ name, in string }{
		{"CRLF and blank lines", "\r\n" + `{"model":"m","message":{"role":"assistant","content":"a"},"done":false}` + "\r\n\r\n" + `{"model":"m","message":{"content":""},"done":true}` + "\r\n"},
		{"last line without newline", `{"model":"m","message":{"role":"assistant","content":"a"},"done":false}` + "\n" + `{"model":"m","message":{"content":""},"done":true}`},
		{"empty error", `{"model":"m","message":{"content":"a"},"done":false,"error":""}` + "\n" + `{"model":"m","message":{"content":""},"done":true}` + "\n"},
		{"trailing data after done", `{"model":"m","message":{"content":"a"},"done":true}` + "\nnot json\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := decodeAll(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			var text strings.Builder
			for _, ev := range evs {
				if ev.Type == sluice.EventText {
					text.WriteString(ev.Text)
				}
			}
			if text.String() != "a" {
				t.Errorf("text = %q, want %q", text.String(), "a")
			}
		})
	}
}

// TestDecoderLongLine feeds a line far longer than bufio.Scanner's default
// limit.
func TestDecoderLongLine(t *testing.T) {
	long := strings.Repeat("x", 3<<20)
	in := `{"model":"m","message":{"content":"` + long + `"},"done":false}` + "\n" +
		`{"model":"m","message":{"content":""},"done":true}` + "\n"
	evs, err := decodeAll(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if evs[2].Type != sluice.EventText || evs[2].Text != long {
		t.Fatalf("event 2 = %v with %d bytes, want the long text", evs[2].Type, len(evs[2].Text))
	}
}

// TestDecoderChunkSplit feeds every recorded stream cut at every position,
// and one byte at a time, and expects the same events.
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
		in.WriteString(`{"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":" sky"},"done":false}` + "\n")
	}
	in.WriteString(`{"model":"llama3.2","created_at":"2023-08-04T19:22:45.499127Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","eval_count":1000}` + "\n")
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
