package responses

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
)

// encode writes events with opts and returns the stream.
func encode(t *testing.T, opts EncoderOptions, evs []sluice.Event, end bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := NewEncoder(&buf, opts)
	for i := range evs {
		if err := e.Encode(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if end {
		if err := e.End(); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func u(in, cached, out, reasoning int64) *sluice.Usage {
	return &sluice.Usage{Input: sluice.ReportedCount(in), CacheRead: sluice.ReportedCount(cached),
		Output: sluice.ReportedCount(out), Reasoning: sluice.ReportedCount(reasoning)}
}

// Events from other protocols, in shapes the encoder must straighten out,
// always make a stream that passes Check and says what the events said.
func TestEncoderGrammar(t *testing.T) {
	const (
		start = sluice.EventStart
		is    = sluice.EventItemStart
		id    = sluice.EventItemDone
		text  = sluice.EventText
		rsn   = sluice.EventReasoning
		data  = sluice.EventReasoningData
		call  = sluice.EventToolCall
	)
	tests := []struct {
		name            string
		opts            EncoderOptions
		evs             []sluice.Event
		end             bool
		status, text    string
		reasoning, args string
		items           int
	}{
		{name: "anthropic thinking then call", end: true, status: "completed", text: "", reasoning: "think", args: `{"a":1}`, items: 2,
			evs: []sluice.Event{{Type: start, ID: "msg_1", Model: "claude"}, {Type: is, Item: 0, Kind: sluice.ItemReasoning},
				{Type: rsn, Item: 0, Text: "thi"}, {Type: rsn, Item: 0, Text: "nk"}, {Type: data, Item: 0, Opaque: sluice.OpaqueSignature, Text: "sig"},
				{Type: id, Item: 0}, {Type: is, Item: 1, Kind: sluice.ItemMessage}, {Type: id, Item: 1},
				{Type: is, Item: 2, Kind: sluice.ItemToolCall, CallID: "toolu_1", Name: "f"}, {Type: call, Item: 2, Text: `{"a":`}, {Type: call, Item: 2, Text: `1}`},
				{Type: id, Item: 2}, {Type: sluice.EventFinish, Finish: sluice.FinishToolCalls}, {Type: sluice.EventUsage, Usage: u(10, 5, 7, 3)}}},
		{name: "no item starts", end: true, status: "completed", text: "hello", items: 1,
			evs: []sluice.Event{{Type: text, Text: "hel"}, {Type: text, Text: "lo"}}},
		{name: "gemini signature on a call", end: true, status: "completed", args: "{}", items: 2,
			evs: []sluice.Event{{Type: is, Item: 0, Kind: sluice.ItemToolCall, Name: "f"}, {Type: data, Item: 0, Opaque: sluice.OpaqueThoughtSignature, Text: "ts"}, {Type: id, Item: 0}}},
		{name: "length", end: true, status: "incomplete", text: "cut", items: 1,
			evs: []sluice.Event{{Type: text, Text: "cut"}, {Type: sluice.EventFinish, Finish: sluice.FinishLength}}},
		{name: "error mid text", status: "failed", text: "part", items: 1,
			evs: []sluice.Event{{Type: text, Text: "part"}, {Type: sluice.EventError, Err: &sluice.Error{Kind: sluice.KindRateLimit, Message: "slow down", RetryAfter: 2e9}}}},
		{name: "error first", status: "failed", evs: []sluice.Event{{Type: sluice.EventError, Err: &sluice.Error{Kind: sluice.KindServer}}}},
		{name: "interleaved items", end: true, status: "completed", text: "ab", reasoning: "r", items: 3,
			evs: []sluice.Event{{Type: text, Item: 0, Text: "a"}, {Type: rsn, Item: 1, Text: "r"}, {Type: text, Item: 0, Text: "b"}}},
		{name: "custom tool", end: true, status: "completed", opts: EncoderOptions{CustomTools: []string{"apply_patch"}}, args: "*** Begin", items: 1,
			evs: []sluice.Event{{Type: is, Item: 0, Kind: sluice.ItemToolCall, CallID: "c1", Name: "apply_patch"}, {Type: call, Item: 0, Text: `{"input":"*** Be`}, {Type: call, Item: 0, Text: `gin"}`}, {Type: id, Item: 0}}},
		{name: "passthrough native", end: true, status: "completed", opts: EncoderOptions{Native: true}, text: "x", items: 1,
			evs: []sluice.Event{{Type: sluice.EventPassthrough, Name: "response.future", Raw: json.RawMessage(`{"type":"response.future","sequence_number":99}`), Extra: &sluice.Extra{Protocol: Protocol}}, {Type: text, Text: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := encode(t, tt.opts, tt.evs, tt.end)
			got, err := Check(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if got.Status != tt.status || got.Text != tt.text || got.Reasoning != tt.reasoning || len(got.Output) != tt.items {
				t.Fatalf("status %q text %q reasoning %q items %d\n%s", got.Status, got.Text, got.Reasoning, len(got.Output), out)
			}
			if tt.args != "" {
				c := got.Calls[0]
				a, _ := c["arguments"].(string)
				if c["type"] == "custom_tool_call" {
					a, _ = c["input"].(string)
				}
				if a != tt.args {
					t.Errorf("arguments %q, want %q", a, tt.args)
				}
			}
		})
	}
}

// Usage is written in OpenAI's terms: input counts cached tokens.
func TestEncoderUsage(t *testing.T) {
	out := encode(t, EncoderOptions{}, []sluice.Event{{Type: sluice.EventText, Text: "x"},
		{Type: sluice.EventUsage, Usage: &sluice.Usage{Input: sluice.ReportedCount(10), CacheRead: sluice.ReportedCount(100),
			CacheWrite: sluice.ReportedCount(20), Output: sluice.ReportedCount(7), Reasoning: sluice.ReportedCount(3)}}}, true)
	got, err := Check(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got.Usage)
	want := `{"input_tokens":130,"input_tokens_details":{"cached_tokens":100},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":3},"total_tokens":137}`
	if string(b) != want {
		t.Fatalf("usage %s, want %s", b, want)
	}
	// And back: the decoder undoes it.
	evs, err := decodeAll(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Type == sluice.EventUsage {
			if ev.Usage.Input.N != 30 || ev.Usage.CacheRead.N != 100 || ev.Usage.Output.N != 7 || ev.Usage.Reasoning.N != 3 {
				t.Fatalf("decoded usage %+v", ev.Usage)
			}
		}
	}
}

// Another provider's signature goes out sealed in encrypted_content and
// comes back, through ParseRequest, as the same data with its text.
func TestSealedReasoningRoundTrip(t *testing.T) {
	out := encode(t, EncoderOptions{Provider: "anthropic"}, []sluice.Event{
		{Type: sluice.EventItemStart, Kind: sluice.ItemReasoning},
		{Type: sluice.EventReasoning, Text: "I will call f."},
		{Type: sluice.EventReasoningData, Opaque: sluice.OpaqueSignature, Text: "SIG=="},
		{Type: sluice.EventItemDone},
		{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemToolCall, CallID: "toolu_9", Name: "f"},
		{Type: sluice.EventItemDone, Item: 1},
	}, true)
	got, err := Check(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := got.Output[0]["encrypted_content"].(string)
	if !strings.HasPrefix(enc, sluice.SealPrefix) {
		t.Fatalf("encrypted_content %q is not sealed", enc)
	}
	// A client echoes the items back, with a summary it may have rewritten.
	got.Output[0]["summary"] = []any{}
	input, _ := json.Marshal(append([]any{map[string]any{"role": "user", "content": "go"}},
		got.Output[0], got.Output[1], map[string]any{"type": "function_call_output", "call_id": "toolu_9", "output": "ok"}))
	req, _, err := ParseRequest([]byte(`{"model":"m","input":` + string(input) + `}`))
	if err != nil {
		t.Fatal(err)
	}
	a := req.Messages[1]
	if a.Role != sluice.RoleAssistant || len(a.Content) != 2 {
		t.Fatalf("assistant turn %+v", a)
	}
	r := a.Content[0]
	want := []sluice.Opaque{{Provider: "anthropic", Kind: sluice.OpaqueSignature, Data: "SIG=="}}
	if r.Type != sluice.PartReasoning || r.Text != "I will call f." || len(r.Opaque) != 1 || r.Opaque[0] != want[0] {
		t.Fatalf("reasoning part %+v", r)
	}
	if tr := req.Messages[2].Content[0]; tr.Name != "f" || tr.CallID != "toolu_9" {
		t.Fatalf("tool result %+v", tr)
	}
}
