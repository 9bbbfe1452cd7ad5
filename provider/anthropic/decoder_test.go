package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sluicehq/sluice"
)

// describe renders an event in one line for table tests.
func describe(ev sluice.Event) string {
	var b strings.Builder
	b.WriteString(ev.Type.String())
	switch ev.Type {
	case sluice.EventStart:
		fmt.Fprintf(&b, " id=%s model=%s", ev.ID, ev.Model)
	case sluice.EventUsage:
		u := ev.Usage
		for _, f := range []struct {
			n string
			c sluice.Count
		}{{"in", u.Input}, {"cr", u.CacheRead}, {"cw", u.CacheWrite}, {"out", u.Output}, {"rs", u.Reasoning}} {
			if f.c.Known() {
				fmt.Fprintf(&b, " %s=%d", f.n, f.c.N)
			}
		}
	case sluice.EventFinish:
		fmt.Fprintf(&b, " %s %s", ev.Finish, ev.RawFinish)
	default:
		fmt.Fprintf(&b, " #%d", ev.Item)
		if ev.Kind != 0 {
			fmt.Fprintf(&b, " %s", ev.Kind)
		}
		if ev.ID != "" {
			fmt.Fprintf(&b, " id=%s", ev.ID)
		}
		if ev.CallID != "" {
			fmt.Fprintf(&b, " call=%s", ev.CallID)
		}
		if ev.Name != "" {
			fmt.Fprintf(&b, " name=%s", ev.Name)
		}
		if ev.Opaque != "" {
			fmt.Fprintf(&b, " %s", ev.Opaque)
		}
		if ev.Type != sluice.EventItemStart && ev.Type != sluice.EventItemDone && ev.Type != sluice.EventPassthrough {
			fmt.Fprintf(&b, " %q", ev.Text)
		}
	}
	return b.String()
}

// decodeAll reads every event of r, with Raw copied, and the final error
// (nil for a clean io.EOF).
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

func describeAll(evs []sluice.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = describe(ev)
	}
	return out
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecoderStreams(t *testing.T) {
	tests := []struct {
		file string
		want []string
		err  sluice.Kind // 0: clean end
	}{
		{"basic.sse", []string{
			"start id=msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY model=claude-sonnet-4-5-20250929",
			"usage in=25 out=1",
			"item_start #0 message",
			`text #0 "Hello"`,
			`text #0 "!"`,
			"item_done #0 message",
			"usage in=25 out=15",
			"finish stop end_turn",
		}, 0},
		{"tool_use.sse", []string{
			"start id=msg_014p7gG3wDgGV9EUtLvnow3U model=claude-sonnet-4-5-20250929",
			"usage in=472 out=2",
			"item_start #0 message",
			`text #0 "Okay"`,
			"item_done #0 message",
			"item_start #1 tool_call id=toolu_01T1x1fJ34qAmk2tNTrN7Up6 call=toolu_01T1x1fJ34qAmk2tNTrN7Up6 name=get_weather",
			`tool_call #1 ""`,
			`tool_call #1 "{\"location\":"`,
			`tool_call #1 " \"San"`,
			`tool_call #1 " Francisc"`,
			`tool_call #1 "o,"`,
			`tool_call #1 " CA\""`,
			`tool_call #1 ", "`,
			`tool_call #1 "\"unit\": \"fah"`,
			`tool_call #1 "renheit\"}"`,
			"item_done #1 tool_call",
			"usage in=472 out=89",
			"finish tool_calls tool_use",
		}, 0},
		{"thinking.sse", []string{
			"start id=msg_01... model=claude-sonnet-4-5-20250929",
			"item_start #0 reasoning",
			`reasoning #0 "Let me solve this step by step:\n\n1. First break down 27 * 453"`,
			`reasoning_data #0 signature "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."`,
			"item_done #0 reasoning",
			"item_start #1 message",
			`text #1 "27 * 453 = 12,231"`,
			"item_done #1 message",
			"finish stop end_turn",
		}, 0},
		{"redacted_thinking.sse", []string{
			"start id=msg_01RedactedSample00000001 model=claude-sonnet-4-5-20250929",
			"usage in=31 cr=1200 cw=0 out=1",
			"item_start #0 reasoning",
			`reasoning_data #0 redacted "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj"`,
			"item_done #0 reasoning",
			"item_start #1 reasoning",
			`reasoning #1 "Some of my reasoning was redacted; the answer is still 42."`,
			`reasoning_data #1 signature "ErUBCkYIBRgCIkB0c2lnbmF0dXJlLWZvci10aGlua2luZw=="`,
			"item_done #1 reasoning",
			"item_start #2 message",
			`text #2 "42."`,
			"item_done #2 message",
			"usage in=31 cr=1200 cw=0 out=64",
			"finish stop end_turn",
		}, 0},
		{"padded.sse", []string{
			"start id=msg_01PadShape7x9QeXk2LmNv model=claude-sonnet-4-6",
			"usage in=12 cr=30112 cw=2048 out=3",
			"item_start #0 reasoning",
			`reasoning #0 "The user wants the weather; call the tool."`,
			`reasoning_data #0 signature "EpYCCkYIBhgCKkDsampleSignatureAAAABBBBccccDDDD+/=="`,
			"item_done #0 reasoning",
			"item_start #1 tool_call id=toolu_01PadToolCall0001 call=toolu_01PadToolCall0001 name=get_weather",
			`tool_call #1 ""`,
			`tool_call #1 "{\"location\": \"Paris\"}"`,
			"item_done #1 tool_call",
			"usage in=12 cr=30112 cw=2048 out=87 rs=41",
			"finish tool_calls tool_use",
		}, 0},
		{"server_tool.sse", []string{
			"start id=msg_01ServerToolSample000001 model=claude-sonnet-4-5-20250929",
			"usage in=2679 cr=0 cw=0 out=3",
			"item_start #0 other id=srvtoolu_014hJH82Qum7Td6UV8gDXThB name=server_tool_use",
			`tool_call #0 "{\"query\": \"weather NYC today\"}"`,
			"item_done #0 other",
			"item_start #1 other name=web_search_tool_result",
			"item_done #1 other",
			"item_start #2 message",
			"passthrough #2 name=content_block_delta",
			`text #2 "It is sunny and 24°C in New York."`,
			"item_done #2 message",
			"usage in=10682 cr=0 cw=0 out=510",
			"finish stop end_turn",
		}, 0},
		{"unknown.sse", []string{
			"start id=msg_01UnknownSample000000001 model=claude-future-9",
			"usage in=9 out=1",
			"passthrough #0 name=future_event",
			"item_start #0 other name=compaction",
			"passthrough #0 name=content_block_delta",
			"item_done #0 other",
			"item_start #1 message",
			"text #1 \"Hi \\\"there\\\"\\n\\t<ok> & é\"",
			"item_done #1 message",
			"usage in=9 out=20",
			"finish stop pause_turn",
		}, 0},
		{"error.sse", []string{
			"start id=msg_01ErrorSample00000000001 model=claude-sonnet-4-5-20250929",
			"usage in=25 out=1",
			"item_start #0 message",
			`text #0 "Partial answ"`,
		}, sluice.KindOverloaded},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			evs, err := decodeAll(bytes.NewReader(readFile(t, tt.file)))
			got := describeAll(evs)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if tt.err == 0 {
				if err != nil {
					t.Fatalf("err = %v, want a clean end", err)
				}
				return
			}
			var e *sluice.Error
			if !errors.As(err, &e) || e.Kind != tt.err {
				t.Fatalf("err = %v, want kind %v", err, tt.err)
			}
		})
	}
}

func TestDecoderRawAndExtra(t *testing.T) {
	evs, err := decodeAll(bytes.NewReader(readFile(t, "padded.sse")))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if !json.Valid(ev.Raw) {
			t.Errorf("%s: Raw is not JSON: %q", describe(ev), ev.Raw)
		}
	}
	// The tool_use block's caller survives as Extra.
	start := evs[6]
	if start.Type != sluice.EventItemStart || start.Extra == nil || start.Extra.Protocol != Protocol ||
		!bytes.Contains(start.Extra.Fields, []byte(`"caller":{"type":"direct"}`)) {
		t.Errorf("tool_use start extra = %+v", start.Extra)
	}
	// The message_delta's stop_details and iterations survive on its last event.
	fin := evs[len(evs)-1]
	if fin.Extra == nil || !bytes.Contains(fin.Extra.Fields, []byte(`"iterations"`)) || bytes.Contains(fin.Extra.Fields, []byte("  ")) {
		t.Errorf("finish extra = %s", fin.Extra.Fields)
	}
}

func TestDecoderErrors(t *testing.T) {
	const start = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"x\"}}\n\n"
	const block = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	tests := []struct {
		name, stream string
		kind         sluice.Kind
		code, msg    string
	}{
		{"empty", "", sluice.KindTruncated, "", ""},
		{"no message_stop", start + block, sluice.KindTruncated, "", ""},
		{"cut inside an event", start + "event: content_block_start\ndata: {\"type\"", sluice.KindTruncated, "", ""},
		{"malformed json", start + "event: content_block_delta\ndata: {\"type\":\n\n", sluice.KindProtocol, "", ""},
		{"not json", "data: [DONE]\n\n", sluice.KindProtocol, "", ""},
		{"delta for unknown block", start + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n", sluice.KindProtocol, "", ""},
		{"block started twice", start + block + block, sluice.KindProtocol, "", ""},
		{"untyped block", start + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{}}\n\n", sluice.KindProtocol, "", ""},
		{"overloaded", start + "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n", sluice.KindOverloaded, "overloaded_error", "Overloaded"},
		{"rate limit", "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of request tokens has exceeded your per-minute rate limit\"}}\n\n", sluice.KindRateLimit, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"},
		{"api error", "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}\n\n", sluice.KindServer, "api_error", "Internal server error"},
		{"invalid request", "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"bad\"}}\n\n", sluice.KindBadRequest, "invalid_request_error", "bad"},
		{"timeout", "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"timeout_error\",\"message\":\"t\"}}\n\n", sluice.KindTimeout, "timeout_error", "t"},
		{"unknown type", "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"brand_new_error\",\"message\":\"n\"}}\n\n", sluice.KindServer, "brand_new_error", "n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(strings.NewReader(tt.stream))
			var err error
			for err == nil {
				_, err = d.Next()
			}
			var e *sluice.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *sluice.Error", err, err)
			}
			if e.Kind != tt.kind || (tt.code != "" && e.Code != tt.code) || (tt.msg != "" && e.Message != tt.msg) {
				t.Errorf("err = %+v, want kind %v code %q message %q", e, tt.kind, tt.code, tt.msg)
			}
			if _, again := d.Next(); again != err {
				t.Errorf("second Next = %v, want the same error", again)
			}
		})
	}
}

func TestDecoderEOFOnlyAfterMessageStop(t *testing.T) {
	stream := "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\nevent: future\ndata: {}\n\n"
	d := NewDecoder(strings.NewReader(stream))
	for range 3 {
		if _, err := d.Next(); err != io.EOF {
			t.Fatalf("Next = %v, want io.EOF", err)
		}
	}
}

func TestDecoderReadError(t *testing.T) {
	boom := errors.New("connection reset")
	d := NewDecoder(iotest.TimeoutReader(io.MultiReader(bytes.NewReader(readFile(t, "basic.sse")[:300]), iotest.ErrReader(boom))))
	var err error
	for err == nil {
		_, err = d.Next()
	}
	if !errors.Is(err, iotest.ErrTimeout) && !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the reader's error", err)
	}
}

// streamFiles are the recorded streams every decoder property is checked on.
func streamFiles(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.sse"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no testdata streams: %v", err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func fingerprint(evs []sluice.Event, err error) string {
	b, _ := json.Marshal(evs)
	return fmt.Sprintf("%s\nerr=%v", b, err)
}

// TestDecoderChunkSplit feeds every recorded stream cut at every position,
// and one byte at a time, and expects the very same events.
func TestDecoderChunkSplit(t *testing.T) {
	for _, name := range streamFiles(t) {
		t.Run(name, func(t *testing.T) {
			data := readFile(t, name)
			want := fingerprint(decodeAll(bytes.NewReader(data)))
			for i := range data {
				got := fingerprint(decodeAll(io.MultiReader(bytes.NewReader(data[:i]), bytes.NewReader(data[i:]))))
				if got != want {
					t.Fatalf("cut at %d:\n%s\nwant:\n%s", i, got, want)
				}
			}
			for _, r := range []io.Reader{iotest.OneByteReader(bytes.NewReader(data)), iotest.DataErrReader(bytes.NewReader(data)), iotest.HalfReader(bytes.NewReader(data))} {
				if got := fingerprint(decodeAll(r)); got != want {
					t.Fatalf("%T:\n%s\nwant:\n%s", r, got, want)
				}
			}
		})
	}
}

// TestDecoderTruncation cuts every recorded stream short: before its end
// marker the decoder must report KindTruncated, never a clean end.
func TestDecoderTruncation(t *testing.T) {
	for _, name := range streamFiles(t) {
		data := readFile(t, name)
		end := bytes.Index(data, []byte("event: message_stop"))
		if end < 0 {
			continue
		}
		end += len("event: message_stop\ndata: ")
		for i := 0; i < end; i++ {
			_, err := decodeAll(bytes.NewReader(data[:i]))
			var e *sluice.Error
			if !errors.As(err, &e) || e.Kind != sluice.KindTruncated {
				t.Fatalf("%s cut at %d: err = %v, want truncated", name, i, err)
			}
		}
	}
}

func FuzzDecoder(f *testing.F) {
	for _, name := range streamFiles(f) {
		f.Add(readFile(f, name))
	}
	f.Add([]byte("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":-1,\"content_block\":{\"type\":\"tool_use\",\"input\":{\"a\":1}}}\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		want := fingerprint(decodeAll(bytes.NewReader(data)))
		cut := 0
		if len(data) > 0 {
			cut = int(data[0]) % (len(data) + 1)
		}
		got := fingerprint(decodeAll(io.MultiReader(bytes.NewReader(data[:cut]), bytes.NewReader(data[cut:]))))
		if got != want {
			t.Fatalf("cut at %d:\n%s\nwant:\n%s", cut, got, want)
		}
	})
}

func BenchmarkDecoder(b *testing.B) {
	data := readFile(b, "tool_use.sse")
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(data)
		d := NewDecoder(r)
		for {
			if _, err := d.Next(); err != nil {
				break
			}
		}
	}
}

// BenchmarkDecoderDeltas measures the hot path alone: allocations per text
// delta (one: its string).
func BenchmarkDecoderDeltas(b *testing.B) {
	const n = 1000
	var buf bytes.Buffer
	buf.WriteString("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"x\"}}\n\n")
	buf.WriteString("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")
	for range n {
		buf.WriteString("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello, \\\"world\\\"\\n\"}}\n\n")
	}
	data := buf.Bytes()
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(data)
		d := NewDecoder(r)
		for {
			if _, err := d.Next(); err != nil {
				break
			}
		}
	}
}

// TestDecoderWholeBlocks covers shapes the API does not send but proxies
// do: block starts that carry their content whole, events without an
// "event:" line, an undocumented stop reason. Relayed, they must decode to
// the same events, without the content written twice.
func TestDecoderWholeBlocks(t *testing.T) {
	stream := "" +
		"data: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"x\"}}\n\n" +
		"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"whole\",\"signature\":\"SIG\"}}\n\n" +
		"data: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
		"data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"Hi\"}}\n\n" +
		"data: {\"type\":\"content_block_stop\",\"index\":1}\n\n" +
		"data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{ \"a\" : [1, 2] }}}\n\n" +
		"data: {\"type\":\"content_block_stop\",\"index\":2}\n\n" +
		"data: {\"type\":\"brand_new\",\"x\":1}\n\n" +
		"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"brand_new_reason\"}}\n\n" +
		"data: {\"type\":\"message_delta\",\"delta\":{\"stop_sequence\":null}}\n\n" +
		"data: {\"type\":\"message_stop\"}\n\n"
	want := []string{
		"start id=m model=x",
		"item_start #0 reasoning",
		`reasoning #0 "whole"`,
		`reasoning_data #0 signature "SIG"`,
		"item_done #0 reasoning",
		"item_start #1 message",
		`text #1 "Hi"`,
		"item_done #1 message",
		"item_start #2 tool_call id=t call=t name=f",
		`tool_call #2 "{\"a\":[1,2]}"`,
		"item_done #2 tool_call",
		"passthrough #0 name=brand_new",
		"finish stop brand_new_reason",
		"passthrough #0 name=message_delta",
	}
	evs, err := decodeAll(strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(describeAll(evs), "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	relayed, err := decodeAll(bytes.NewReader(relay(t, []byte(stream), EncoderOptions{})))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(describeAll(relayed), "\n"); got != strings.Join(want, "\n") {
		t.Errorf("relayed events:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
