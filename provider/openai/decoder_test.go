package openai

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sluicehq/sluice"
)

func reported(n int64) sluice.Count { return sluice.ReportedCount(n) }

// TestDecoderStreams decodes every recorded stream and checks what a caller
// gets: text, reasoning, refusal, tool calls, finish, usage, error.
func TestDecoderStreams(t *testing.T) {
	type call = sluice.ToolCall
	tests := []struct {
		file      string
		text      string
		reasoning string
		refusal   string
		tools     []call
		finish    sluice.FinishReason
		raw       string
		usage     sluice.Usage
		items     int
		err       *sluice.Error // Kind, Code, Message
	}{
		{file: "text_2024.sse", text: "I'm unable", finish: "stop", raw: "stop", items: 1,
			usage: sluice.Usage{Input: reported(14), Output: reported(30), Reasoning: reported(0)}},
		{file: "text_usage_2026.sse", text: "**", finish: "stop", raw: "stop", items: 1,
			usage: sluice.Usage{Input: reported(16), CacheRead: reported(0), Output: reported(300), Reasoning: reported(0)}},
		{file: "tool_calls_parallel.sse", finish: "tool_calls", raw: "tool_calls", items: 2,
			tools: []call{
				{ID: "call_JMW1whyEaYG438VE1OIflxA2", Name: "GetWeatherArgs", Arguments: `{"city": "Edinburgh", "country": "UK", "units": "c"}`},
				{ID: "call_DNYTawLBoN8fj3KN6qU9N1Ou", Name: "get_stock_price", Arguments: `{"ticker": "AAPL", "exchange": "NASDAQ"}`},
			},
			usage: sluice.Usage{Input: reported(149), Output: reported(60), Reasoning: reported(0)}},
		{file: "tool_call_single.sse", finish: "tool_calls", raw: "tool_calls", items: 1,
			tools: []call{{ID: "call_7SlsOeYzP1XhvXnNmOQL7Kd0", Name: "get_weather", Arguments: `{"city":"Paris"}`}},
			usage: sluice.Usage{Input: reported(58), Output: reported(15), Reasoning: reported(0)}},
		{file: "n3.sse", text: `{"city":"Edinburgh"}`, finish: "stop", raw: "stop", items: 3,
			usage: sluice.Usage{Input: reported(79), Output: reported(42), Reasoning: reported(0)}},
		{file: "refusal_logprobs.sse", refusal: "I'm sorry", finish: "stop", raw: "stop", items: 1},
		{file: "logprobs.sse", text: "Foo!", finish: "stop", raw: "stop", items: 1},
		{file: "length.sse", text: `{"city`, finish: "length", raw: "length", items: 1,
			usage: sluice.Usage{Input: reported(79), Output: reported(1), Reasoning: reported(0)}},
		{file: "cache_reasoning_usage.sse", text: "Done.", finish: "stop", raw: "stop", items: 1,
			usage: sluice.Usage{Input: reported(86), CacheRead: reported(1920), Output: reported(300), Reasoning: reported(256)}},
		{file: "vllm_reasoning.sse", text: "Hello!", reasoning: "The user says hello.", finish: "stop", raw: "stop", items: 2,
			usage: sluice.Usage{Input: reported(12), Output: reported(28)}},
		{file: "vllm_continuous_usage.sse", text: "Hi there", finish: "length", raw: "length", items: 1,
			usage: sluice.Usage{Input: reported(9), Output: reported(2)}},
		{file: "llamacpp.sse", text: "Hello world", finish: "stop", raw: "stop", items: 1,
			usage: sluice.Usage{Input: reported(1085), Output: reported(247)}},
		{file: "groq.sse", text: "Hello there", finish: "stop", raw: "stop", items: 1,
			usage: sluice.Usage{Input: reported(18), Output: reported(2)}},
		{file: "together.sse", text: "Hello!", finish: "stop", raw: "eos", items: 1,
			usage: sluice.Usage{Input: reported(12), Output: reported(3)}},
		{file: "azure.sse", text: "Hi", finish: "stop", raw: "stop", items: 1,
			usage: sluice.Usage{Input: reported(9), CacheRead: reported(0), Output: reported(1), Reasoning: reported(0)}},
		{file: "ollama_old.sse", text: "Hello", finish: "stop", raw: "stop", items: 1,
			usage: sluice.Usage{Input: reported(26), Output: reported(2)}},
		{file: "openrouter.sse", text: "Hi", finish: "stop", raw: "stop", items: 1,
			usage: sluice.Usage{Input: reported(8), CacheRead: reported(0), Output: reported(2), Reasoning: reported(0)}},
		{file: "deepseek_reasoning.sse", text: "Hi", reasoning: "Okay, a greeting.\n", finish: "stop", raw: "stop", items: 2,
			usage: sluice.Usage{Input: reported(10), CacheRead: reported(0), Output: reported(30), Reasoning: reported(25)}},
		{file: "framing_crlf.sse", text: "A\u00e9\U0001F600\n", finish: "stop", raw: "stop", items: 1},
		{file: "unknown_event.sse", text: "ok", finish: "stop", raw: "stop", items: 1},
		{file: "error_midstream.sse", text: "Hello", finish: "error", items: 1,
			err: &sluice.Error{Kind: sluice.KindServer, Code: "server_error", Message: "The server had an error while processing your request. Sorry about that!"}},
		{file: "error_event_groq.sse", finish: "error",
			err: &sluice.Error{Kind: sluice.KindBadRequest, Code: "tool_use_failed", Message: "Failed to call a function. Please adjust your prompt. See 'failed_generation' for more details."}},
		{file: "error_vllm.sse", finish: "error",
			err: &sluice.Error{Kind: sluice.KindBadRequest, Code: "BadRequestError", Message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens."}},
		{file: "error_lmstudio.sse", text: "Hi", finish: "error", items: 1,
			err: &sluice.Error{Kind: sluice.KindServer, Message: "Compute error."}},
		// llama.cpp's old "error:" field is invisible to a conforming SSE
		// parser: the stream ends cleanly with the text so far.
		{file: "error_llamacpp_field.sse", text: "Partial", finish: "stop", items: 1},
		{file: "truncated.sse", text: "Cut", finish: "error", items: 1,
			err: &sluice.Error{Kind: sluice.KindTruncated, Message: "the stream ended without data: [DONE]"}},
		{file: "truncated_mid_event.sse", finish: "error",
			err: &sluice.Error{Kind: sluice.KindTruncated, Message: "the stream ended without data: [DONE], inside an event"}},
		{file: "malformed.sse", finish: "error",
			err: &sluice.Error{Kind: sluice.KindProtocol}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(strings.TrimSuffix(tt.file, ".sse"), func(t *testing.T) {
			res := result(readFile(t, tt.file))
			if res.Text != tt.text {
				t.Errorf("text = %q, want %q", res.Text, tt.text)
			}
			if res.Reasoning != tt.reasoning {
				t.Errorf("reasoning = %q, want %q", res.Reasoning, tt.reasoning)
			}
			var refusal string
			for _, it := range res.Items {
				refusal += it.Refusal
			}
			if refusal != tt.refusal {
				t.Errorf("refusal = %q, want %q", refusal, tt.refusal)
			}
			if !reflect.DeepEqual(res.ToolCalls, tt.tools) {
				t.Errorf("tool calls = %+v, want %+v", res.ToolCalls, tt.tools)
			}
			if res.Finish != tt.finish || res.RawFinish != tt.raw {
				t.Errorf("finish = %q (%q), want %q (%q)", res.Finish, res.RawFinish, tt.finish, tt.raw)
			}
			if res.Usage.Output.Source != sluice.Estimated && res.Usage != tt.usage {
				t.Errorf("usage = %+v, want %+v", res.Usage, tt.usage)
			}
			if len(res.Items) != tt.items {
				t.Errorf("%d items, want %d: %+v", len(res.Items), tt.items, res.Items)
			}
			for _, it := range res.Items {
				if tt.err == nil && !it.Done {
					t.Errorf("item %d not done", it.Index)
				}
			}
			switch {
			case tt.err == nil && res.Err != nil:
				t.Errorf("error %v, want none", res.Err)
			case tt.err != nil && res.Err == nil:
				t.Errorf("no error, want %v", tt.err)
			case tt.err != nil:
				e := res.Err
				if e.Kind != tt.err.Kind || e.Code != tt.err.Code || (tt.err.Message != "" && e.Message != tt.err.Message) {
					t.Errorf("error = %s (code %q), want kind %s code %q message %q", e, e.Code, tt.err.Kind, tt.err.Code, tt.err.Message)
				}
				if !res.Partial || e.Status != 0 || e.Provider != "openai" {
					t.Errorf("partial %v status %d provider %q", res.Partial, e.Status, e.Provider)
				}
				if e.Streamed != (tt.text != "") {
					t.Errorf("Streamed = %v", e.Streamed)
				}
			}
		})
	}
	for _, name := range streamFiles(t) {
		if !seen[name] {
			t.Errorf("testdata/%s has no case", name)
		}
	}
}

// TestDecoderGolden compares every stream's events with its golden
// transcript; go test -update rewrites them.
func TestDecoderGolden(t *testing.T) {
	for _, name := range streamFiles(t) {
		t.Run(strings.TrimSuffix(name, ".sse"), func(t *testing.T) {
			got := transcript(decodeAll(bytes.NewReader(readFile(t, name))))
			golden := filepath.Join("testdata", strings.TrimSuffix(name, ".sse")+".events")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("events differ from %s (go test -update rewrites it):\n got:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// TestDecoderChunkSplit feeds every stream cut in two at every position, one
// byte at a time and in halves: the events must not depend on how the bytes
// arrive.
func TestDecoderChunkSplit(t *testing.T) {
	for _, name := range streamFiles(t) {
		t.Run(strings.TrimSuffix(name, ".sse"), func(t *testing.T) {
			data := readFile(t, name)
			want := transcript(decodeAll(bytes.NewReader(data)))
			readers := map[string]func() io.Reader{
				"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
				"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
				"data+EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
			}
			for rname, r := range readers {
				if got := transcript(decodeAll(r())); got != want {
					t.Errorf("%s: got\n%s\nwant\n%s", rname, got, want)
				}
			}
			for i := 0; i <= len(data); i++ {
				r := io.MultiReader(bytes.NewReader(data[:i]), bytes.NewReader(data[i:]))
				if got := transcript(decodeAll(r)); got != want {
					t.Fatalf("cut at %d: got\n%s\nwant\n%s", i, got, want)
				}
			}
		})
	}
}

// TestDecoderItems checks the item structure of a stream that switches from
// reasoning to text to tool calls, with a reused tool index.
func TestDecoderItems(t *testing.T) {
	const p = `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":`
	stream := "data: " + p + `{"role":"assistant","content":null,"reasoning_content":"think"}}]}` + "\n\n" +
		"data: " + p + `{"content":"Let me check."}}]}` + "\n\n" +
		// Two calls both numbered 0, told apart by their ids.
		"data: " + p + `{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":"{}"}}]}}]}` + "\n\n" +
		"data: " + p + `{"tool_calls":[{"index":0,"id":"call_b","type":"function","function":{"name":"g","arguments":"{\"x\""}}]}}]}` + "\n\n" +
		"data: " + p + `{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]}` + "\n\n" +
		"data: " + p + `{},"finish_reason":"tool_calls"}]}` + "\n\n" +
		"data: [DONE]\n\n"
	evs, err := decodeAll(strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	got := summary(evs)
	want := []string{
		"start",
		"item_start reasoning #0", "reasoning #0 think",
		"item_done reasoning #0", "item_start message #1", "text #1 Let me check.",
		"item_done message #1", "item_start tool_call #2 f", "tool_call #2 {}",
		"item_done tool_call #2", "item_start tool_call #3 g", `tool_call #3 {"x"`,
		"tool_call #3 :1}",
		"item_done tool_call #3", "finish tool_calls/tool_calls #0",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// summary renders events one a line: type, kind, item, name, text.
func summary(evs []sluice.Event) []string {
	var got []string
	for _, ev := range evs {
		s := ev.Type.String()
		switch ev.Type {
		case sluice.EventItemStart, sluice.EventItemDone:
			s += " " + ev.Kind.String()
		case sluice.EventFinish:
			s += " " + string(ev.Finish) + "/" + ev.RawFinish
		case sluice.EventPassthrough:
			s += " " + ev.Name + " " + string(ev.Raw)
		}
		if ev.Type != sluice.EventStart && ev.Type != sluice.EventPassthrough {
			s += " #" + strconv.Itoa(ev.Item)
		}
		if ev.Choice != 0 {
			s += " c" + strconv.Itoa(ev.Choice)
		}
		if ev.Name != "" && ev.Type != sluice.EventPassthrough {
			s += " " + ev.Name
		}
		if ev.Text != "" {
			s += " " + ev.Text
		}
		got = append(got, s)
	}
	return got
}

// TestDecoderEdges decodes small streams that test one rule each.
func TestDecoderEdges(t *testing.T) {
	const p = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[`
	const done = "data: [DONE]\n\n"
	tests := []struct {
		name   string
		stream string
		want   []string
		err    sluice.Kind
	}{
		{"empty data is a keep-alive", "data: \n\n" + p + `{"index":0,"delta":{"content":"a"}}]}` + "\n\n" + done,
			[]string{"start", "item_start message #0", "text #0 a", "item_done message #0"}, 0},
		{"named event passes through", "event: ping\ndata: {}\n\n" + done,
			[]string{"passthrough ping {}"}, 0},
		{"empty finish_reason is none", p + `{"index":0,"delta":{"content":"a"},"finish_reason":""}]}` + "\n\n" + done,
			[]string{"start", "item_start message #0", "text #0 a", "item_done message #0"}, 0},
		{"the same reasoning twice is one delta", p + `{"index":0,"delta":{"reasoning":"r","reasoning_content":"r"}}]}` + "\n\n" + done,
			[]string{"start", "item_start reasoning #0", "reasoning #0 r", "item_done reasoning #0"}, 0},
		{"[DONE] with spaces, then nothing is read", "data:  [DONE] \n\n" + p + `{"index":0,"delta":{"content":"late"}}]}` + "\n\n",
			nil, 0},
		{"function_call finish", p + `{"index":0,"delta":{},"finish_reason":"function_call"}]}` + "\n\n" + done,
			[]string{"start", "finish tool_calls/function_call #0"}, 0},
		{"content_filter finish", p + `{"index":0,"delta":{},"finish_reason":"content_filter"}]}` + "\n\n" + done,
			[]string{"start", "finish content_filter/content_filter #0"}, 0},
		{"n=2 in one chunk", p + `{"index":1,"delta":{"content":"b"}},{"index":0,"delta":{"content":"a"}}]}` + "\n\n" + done,
			[]string{"start", "item_start message #0 c1", "text #0 c1 b", "item_start message #1", "text #1 a", "item_done message #0 c1", "item_done message #1"}, 0},
		{"a bad chunk yields nothing", p + `{"index":0,"delta":{"content":"a","tool_calls":[1]}}]}` + "\n\n" + done,
			nil, sluice.KindProtocol},
		{"repeated key", p + `{"index":0,"delta":{"content":"a","content":"b"}}]}` + "\n\n" + done,
			nil, sluice.KindProtocol},
		{"huge choice index", p + `{"index":99999999999,"delta":{}}]}` + "\n\n" + done,
			nil, sluice.KindProtocol},
		{"not an object", "data: [1,2]\n\n", nil, sluice.KindProtocol},
		{"usage not an object", p + `],"usage":7}` + "\n\n", nil, sluice.KindProtocol},
		{"null error is no error", p + `{"index":0,"delta":{"content":"a"}}],"error":null}` + "\n\n" + done,
			[]string{"start", "item_start message #0", "text #0 a", "item_done message #0"}, 0},
		{"error event without JSON", "event: error\ndata: upstream died\n\n", nil, sluice.KindServer},
		{"tool call without index", p + `{"index":0,"delta":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":"{"}}]}}]}` + "\n\n" +
			p + `{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"}"}}]}}]}` + "\n\n" + done,
			[]string{"start", "item_start tool_call #0 f", "tool_call #0 {", "tool_call #0 }", "item_done tool_call #0"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := decodeAll(strings.NewReader(tt.stream))
			if got := summary(evs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if e := sluice.AsError(err); (e == nil) != (tt.err == 0) || (e != nil && e.Kind != tt.err) {
				t.Errorf("error %v, want kind %s", err, tt.err)
			}
		})
	}
}

// TestDecoderAfterEnd checks that Next keeps returning the final error.
func TestDecoderAfterEnd(t *testing.T) {
	for _, name := range []string{"text_2024.sse", "truncated.sse"} {
		d := NewDecoder(bytes.NewReader(readFile(t, name)))
		var first error
		for first == nil {
			_, first = d.Next()
		}
		for range 3 {
			if _, err := d.Next(); err != first {
				t.Errorf("%s: Next after the end = %v, want %v", name, err, first)
			}
		}
	}
}

// TestDecoderReadError checks that a broken connection is KindConnection.
func TestDecoderReadError(t *testing.T) {
	data := readFile(t, "text_2024.sse")
	r := io.MultiReader(bytes.NewReader(data[:300]), iotest.ErrReader(errors.New("connection reset by peer")))
	_, err := decodeAll(r)
	var e *sluice.Error
	if !errors.As(err, &e) || e.Kind != sluice.KindConnection || !strings.Contains(e.Message, "connection reset") {
		t.Errorf("error = %v, want a connection error", err)
	}
}

// TestDecoderReuse checks that decoding a long stream allocates nothing per
// chunk beyond the text strings.
func TestDecoderReuse(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector adds allocations")
	}
	count := func(n int) float64 {
		data := longStream(n)
		return testing.AllocsPerRun(20, func() {
			d := NewDecoder(bytes.NewReader(data))
			for {
				if _, err := d.Next(); err != nil {
					break
				}
			}
		})
	}
	// The cost of 200 more chunks: one string per text delta and nothing
	// else (the Extra of every chunk is the same, so it is shared).
	if per := (count(400) - count(200)) / 200; per > 1.01 {
		t.Errorf("%.2f allocations a chunk, want 1 (the text)", per)
	}
}

// longStream is the 2026 text stream with n content chunks.
func longStream(n int) []byte {
	const p = `{"id":"chatcmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0","object":"chat.completion.chunk","created":1770933892,"model":"gpt-4.1-nano-2025-04-14","service_tier":"default","system_fingerprint":"fp_de604bd877","choices":[{"index":0,"delta":`
	var b bytes.Buffer
	b.WriteString("data: " + p + `{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"Qup1BsQ3"}` + "\n\n")
	for range n {
		b.WriteString("data: " + p + `{"content":" token"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"yhjoJbEF"}` + "\n\n")
	}
	b.WriteString("data: " + p + `{},"logprobs":null,"finish_reason":"stop"}],"usage":null,"obfuscation":"zap0"}` + "\n\n")
	b.WriteString(`data: {"id":"chatcmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0","object":"chat.completion.chunk","created":1770933892,"model":"gpt-4.1-nano-2025-04-14","service_tier":"default","system_fingerprint":"fp_de604bd877","choices":[],"usage":{"prompt_tokens":16,"completion_tokens":300,"total_tokens":316,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"obfuscation":"h9RiQLL"}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}
