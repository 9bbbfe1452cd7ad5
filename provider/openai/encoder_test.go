package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

func encodeAll(t *testing.T, opts EncoderOptions, evs []sluice.Event, end bool) string {
	t.Helper()
	var buf bytes.Buffer
	enc := NewEncoder(&buf, opts)
	for i := range evs {
		if err := enc.Encode(&evs[i]); err != nil {
			t.Fatalf("Encode(%v): %v", evs[i].Type, err)
		}
	}
	if end {
		if err := enc.End(); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func u(input, cacheRead, cacheWrite, output int64) *sluice.Usage {
	return &sluice.Usage{Input: reported(input), CacheRead: reported(cacheRead), CacheWrite: reported(cacheWrite), Output: reported(output)}
}

// anthropicEvents is a response as the Anthropic decoder reports it:
// thinking with a signature, text, a tool call, usage at the start and at
// the end, and an event of its own protocol.
func anthropicEvents() []sluice.Event {
	other := &sluice.Extra{Protocol: "anthropic", Fields: json.RawMessage(`{"stop_details":null}`)}
	return []sluice.Event{
		{Type: sluice.EventStart, ID: "msg_01", Model: "claude-sonnet-4-5", Extra: other},
		{Type: sluice.EventUsage, Usage: u(10, 5, 2, 1)},
		{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemReasoning},
		{Type: sluice.EventReasoning, Item: 0, Text: "Weather needed."},
		{Type: sluice.EventReasoningData, Item: 0, Opaque: sluice.OpaqueSignature, Text: "EqQBCgIYAhIM"},
		{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemReasoning},
		{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemMessage},
		{Type: sluice.EventText, Item: 1, Text: "Let me \"check\"."},
		{Type: sluice.EventItemDone, Item: 1, Kind: sluice.ItemMessage},
		{Type: sluice.EventPassthrough, Name: "ping", Raw: json.RawMessage(`{"type":"ping"}`), Extra: &sluice.Extra{Protocol: "anthropic"}},
		{Type: sluice.EventItemStart, Item: 2, Kind: sluice.ItemToolCall, ID: "toolu_01", CallID: "toolu_01", Name: "get_weather"},
		{Type: sluice.EventToolCall, Item: 2, Text: `{"city":`},
		{Type: sluice.EventToolCall, Item: 2, Text: `"Paris"}`},
		{Type: sluice.EventItemDone, Item: 2, Kind: sluice.ItemToolCall},
		{Type: sluice.EventItemStart, Item: 3, Kind: sluice.ItemOther, Raw: json.RawMessage(`{"type":"server_tool_use"}`)},
		{Type: sluice.EventItemDone, Item: 3, Kind: sluice.ItemOther},
		{Type: sluice.EventUsage, Usage: &sluice.Usage{Output: reported(42), Reasoning: reported(7)}},
		{Type: sluice.EventFinish, Finish: sluice.FinishToolCalls, RawFinish: "tool_use"},
	}
}

// TestEncoderOtherProtocol pins the exact bytes written for another
// protocol's events: OpenAI's chunk shapes, reasoning as reasoning_content,
// the signature, the ping and the server tool dropped, usage merged into one
// chunk before [DONE].
func TestEncoderOtherProtocol(t *testing.T) {
	got := encodeAll(t, EncoderOptions{IncludeUsage: true, ID: "chatcmpl-x", Created: 1700000000}, anthropicEvents(), true)
	const head = `data: {"id":"chatcmpl-x","object":"chat.completion.chunk","created":1700000000,"model":"claude-sonnet-4-5",`
	want := head + `"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
		head + `"choices":[{"index":0,"delta":{"reasoning_content":"Weather needed."},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
		head + `"choices":[{"index":0,"delta":{"content":"Let me \"check\"."},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
		head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"toolu_01","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
		head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
		head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
		head + `"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}` + "\n\n" +
		head + `"choices":[],"usage":{"prompt_tokens":17,"completion_tokens":42,"total_tokens":59,"prompt_tokens_details":{"cached_tokens":5},"completion_tokens_details":{"reasoning_tokens":7}}}` + "\n\n" +
		"data: [DONE]\n\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestEncoderFirstChunk checks the role chunk's shape for each way a choice
// can start.
func TestEncoderFirstChunk(t *testing.T) {
	tests := []struct {
		name  string
		first sluice.Event
		delta string
	}{
		{"text", sluice.Event{Type: sluice.EventText, Text: "x"}, `{"role":"assistant","content":"","refusal":null}`},
		{"tool", sluice.Event{Type: sluice.EventItemStart, Kind: sluice.ItemToolCall, CallID: "c", Name: "f"}, `{"role":"assistant","content":null}`},
		{"refusal", sluice.Event{Type: sluice.EventRefusal, Text: "no"}, `{"role":"assistant","content":null,"refusal":""}`},
		{"finish", sluice.Event{Type: sluice.EventFinish, Finish: sluice.FinishStop}, `{"role":"assistant","content":"","refusal":null}`},
		{"choice 2", sluice.Event{Type: sluice.EventText, Choice: 2, Text: "x"}, `{"role":"assistant","content":"","refusal":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := encodeAll(t, EncoderOptions{ID: "i", Model: "m", Created: 1}, []sluice.Event{tt.first}, false)
			evs := wireEvents(t, []byte(out))
			if len(evs) != 2 {
				t.Fatalf("%d chunks, want the role chunk and one: %s", len(evs), out)
			}
			chs, _ := jsonwire.Lookup([]byte(evs[0].Data), "choices")
			it, _ := jsonwire.ArrayElements(chs)
			c, _ := it.Next()
			d, _ := jsonwire.Lookup(c, "delta")
			idx, _ := jsonwire.Lookup(c, "index")
			if string(d) != tt.delta || string(idx) != string(rune('0'+tt.first.Choice)) {
				t.Errorf("first chunk %s, want delta %s for choice %d", evs[0].Data, tt.delta, tt.first.Choice)
			}
		})
	}
}

// TestEncoderError checks the in-stream error: OpenAI's error object, no
// [DONE] after it, and no further writes.
func TestEncoderError(t *testing.T) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf, EncoderOptions{ID: "i", Model: "m", Created: 1})
	enc.Encode(&sluice.Event{Type: sluice.EventText, Text: "Hel"})
	err := enc.Encode(&sluice.Event{Type: sluice.EventError, Err: &sluice.Error{Kind: sluice.KindOverloaded, Code: "overloaded_error", Message: "Overloaded"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.End(); err != nil {
		t.Fatalf("End after an error: %v", err)
	}
	if err := enc.Encode(&sluice.Event{Type: sluice.EventText, Text: "lo"}); !errors.Is(err, errEnded) {
		t.Errorf("Encode after the error = %v, want errEnded", err)
	}
	enc.Flush()
	evs := wireEvents(t, buf.Bytes())
	last := evs[len(evs)-1].Data
	if want := `{"error":{"message":"Overloaded","type":"service_unavailable_error","param":null,"code":"overloaded_error"}}`; last != want {
		t.Errorf("last event %s, want %s", last, want)
	}
	if strings.Contains(buf.String(), "[DONE]") {
		t.Error("[DONE] after an error")
	}
	for _, ev := range evs[:len(evs)-1] {
		if _, ok := jsonwire.Lookup([]byte(ev.Data), "error"); ok {
			t.Errorf("a normal chunk has an error key: %s", ev.Data)
		}
	}
}

// TestEncoderUsage checks that usage waits for IncludeUsage, merges later
// reports, and is written once.
func TestEncoderUsage(t *testing.T) {
	evs := []sluice.Event{
		{Type: sluice.EventText, Text: "a"},
		{Type: sluice.EventUsage, Usage: &sluice.Usage{Input: reported(3)}},
		{Type: sluice.EventUsage, Usage: &sluice.Usage{Output: reported(4)}},
		{Type: sluice.EventFinish, Finish: sluice.FinishLength, RawFinish: "max_tokens"},
	}
	without := encodeAll(t, EncoderOptions{}, evs, true)
	if strings.Contains(without, "usage") {
		t.Errorf("usage without IncludeUsage:\n%s", without)
	}
	with := wireEvents(t, []byte(encodeAll(t, EncoderOptions{IncludeUsage: true}, evs, true)))
	if n := len(with); n != 5 {
		t.Fatalf("%d events, want role, text, finish, usage, [DONE]", n)
	}
	if u, _ := jsonwire.Lookup([]byte(with[3].Data), "usage"); string(u) != `{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}` {
		t.Errorf("usage %s", u)
	}
	if !strings.Contains(with[2].Data, `"finish_reason":"length"`) {
		t.Errorf("finish chunk %s, want length", with[2].Data)
	}
	// Same id and created on every chunk, even with none given.
	id, _ := jsonwire.Lookup([]byte(with[0].Data), "id")
	created, _ := jsonwire.Lookup([]byte(with[0].Data), "created")
	if !strings.HasPrefix(string(id), `"chatcmpl-`) || string(created) == "0" {
		t.Errorf("id %s created %s", id, created)
	}
	for _, ev := range with[:4] {
		i, _ := jsonwire.Lookup([]byte(ev.Data), "id")
		c, _ := jsonwire.Lookup([]byte(ev.Data), "created")
		if string(i) != string(id) || string(c) != string(created) {
			t.Errorf("chunk %s has another id or created", ev.Data)
		}
	}
}

// TestEncoderToolWithoutID gives a Gemini-style call (no id, arguments in
// one piece, no start) an id and a start.
func TestEncoderToolWithoutID(t *testing.T) {
	out := encodeAll(t, EncoderOptions{ID: "i", Model: "m", Created: 1}, []sluice.Event{
		{Type: sluice.EventToolCall, Item: 0, Name: "lookup", Text: `{"q":"x"}`},
		{Type: sluice.EventToolCall, Item: 1, Name: "other", Text: `{}`},
	}, false)
	evs := wireEvents(t, []byte(out))
	if len(evs) != 3 {
		t.Fatalf("%d events: %s", len(evs), out)
	}
	for i, ev := range evs[1:] {
		var c struct {
			Choices []struct {
				Delta struct {
					ToolCalls []struct {
						Index    int
						ID       string
						Type     string
						Function struct{ Name, Arguments string }
					} `json:"tool_calls"`
				}
			}
		}
		json.Unmarshal([]byte(ev.Data), &c)
		tc := c.Choices[0].Delta.ToolCalls[0]
		if tc.Index != i || !strings.HasPrefix(tc.ID, "call_") || tc.Type != "function" || tc.Function.Arguments == "" || tc.Function.Name == "" {
			t.Errorf("tool call %+v", tc)
		}
	}
}

// TestEncoderOptions checks the reasoning field, the system fingerprint and
// CRLF line ends.
func TestEncoderOptions(t *testing.T) {
	out := encodeAll(t, EncoderOptions{ID: "i", Model: "m", Created: 1, ReasoningField: "reasoning", SystemFingerprint: "fp_sluice", LineEnd: "\r\n"},
		[]sluice.Event{{Type: sluice.EventReasoning, Text: "hmm"}}, true)
	want := `data: {"id":"i","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":"fp_sluice","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}` + "\r\n\r\n" +
		`data: {"id":"i","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":"fp_sluice","choices":[{"index":0,"delta":{"reasoning":"hmm"},"logprobs":null,"finish_reason":null}]}` + "\r\n\r\n" +
		"data: [DONE]\r\n\r\n"
	if out != want {
		t.Errorf("got\n%q\nwant\n%q", out, want)
	}
}

// TestEncoderPassthrough writes this protocol's unknown events as they came
// and drops other protocols'.
func TestEncoderPassthrough(t *testing.T) {
	out := encodeAll(t, EncoderOptions{}, []sluice.Event{
		{Type: sluice.EventPassthrough, Name: "weird", Raw: json.RawMessage(`{"foo":1}`), Extra: &sluice.Extra{Protocol: Protocol}},
		{Type: sluice.EventPassthrough, Name: "ping", Raw: json.RawMessage(`{"type":"ping"}`), Extra: &sluice.Extra{Protocol: "anthropic"}},
		{Type: sluice.EventPassthrough, Name: "mystery", Raw: json.RawMessage(`{}`)},
	}, false)
	if out != "event: weird\ndata: {\"foo\":1}\n\n" {
		t.Errorf("got %q", out)
	}
}

// TestEncoderWriteError checks that a failed write sticks.
func TestEncoderWriteError(t *testing.T) {
	enc := NewEncoder(failWriter{}, EncoderOptions{})
	enc.Encode(&sluice.Event{Type: sluice.EventText, Text: "x"})
	if err := enc.Flush(); err == nil {
		t.Fatal("Flush succeeded on a failing writer")
	}
	if err := enc.Encode(&sluice.Event{Type: sluice.EventText, Text: "y"}); err == nil {
		t.Error("Encode after a failed write succeeded")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("client gone") }

// TestEncoderFlushKeepsChunk checks that a chunk whose events have not all
// arrived is not split by a Flush between them.
func TestEncoderFlushKeepsChunk(t *testing.T) {
	data := readFile(t, "vllm_reasoning.sse")
	evs, err := decodeAll(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := NewEncoder(&buf, EncoderOptions{IncludeUsage: true})
	for i := range evs {
		enc.Encode(&evs[i])
		enc.Flush() // the server flushes after every event
	}
	enc.End()
	enc.Flush()
	if got, want := len(wireEvents(t, buf.Bytes())), len(wireEvents(t, data)); got != want {
		t.Errorf("%d chunks, want %d", got, want)
	}
}
