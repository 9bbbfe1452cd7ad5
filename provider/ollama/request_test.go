package ollama

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/sluicehq/sluice"
)

func ptr[T any](v T) *T { return &v }

// jsonEqual reports whether a and b hold the same JSON value.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

func TestBuildRequest(t *testing.T) {
	req := &sluice.Request{
		Model:  "llama3.2",
		System: "Be brief.",
		Messages: []sluice.Message{
			{Role: sluice.RoleUser, Content: []sluice.Part{sluice.Text("What is in"), sluice.Text("this picture?"), {Type: sluice.PartImage, MediaType: "image/png", Data: []byte("\x89PNG")}}},
			{Role: sluice.RoleAssistant, Content: []sluice.Part{
				{Type: sluice.PartReasoning, Text: "Look at it.", Opaque: []sluice.Opaque{{Provider: "anthropic", Kind: sluice.OpaqueSignature, Data: "sig"}}},
				sluice.Text("Let me check."),
				{Type: sluice.PartToolCall, CallID: "call_1", Name: "lookup", Arguments: `{"q":"png"}`},
			}},
			{Role: sluice.RoleTool, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: "call_1", Text: "a cat"}}},
			{Role: sluice.RoleUser, Content: []sluice.Part{{Type: sluice.PartImage, URL: "data:image/jpeg;base64,/9j/"}}},
		},
		MaxTokens:   100,
		Temperature: ptr(0.5),
		TopP:        ptr(0.9),
		TopK:        40,
		Seed:        ptr(int64(7)),
		Stop:        []string{"\n\n"},
		Tools:       []sluice.Tool{{Name: "lookup", Description: "Look up", Parameters: json.RawMessage(`{"type":"object","properties":{"q":{"type":"string"}}}`)}, {Name: "noargs"}},
		Reasoning:   &sluice.ReasoningConfig{Effort: "high"},
		Extra:       map[string]json.RawMessage{"keep_alive": json.RawMessage(`"5m"`), "options": json.RawMessage(`{"num_ctx":8192,"temperature":0.7}`), "format": json.RawMessage(`"json"`)},
	}
	got, err := BuildRequest(req, true)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"llama3.2","messages":[
		{"role":"system","content":"Be brief."},
		{"role":"user","content":"What is in\nthis picture?","images":["iVBORw=="]},
		{"role":"assistant","content":"Let me check.","thinking":"Look at it.","tool_calls":[{"id":"call_1","function":{"name":"lookup","arguments":{"q":"png"}}}]},
		{"role":"tool","content":"a cat","tool_name":"lookup","tool_call_id":"call_1"},
		{"role":"user","content":"","images":["/9j/"]}],
		"tools":[{"type":"function","function":{"name":"lookup","description":"Look up","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}},
		         {"type":"function","function":{"name":"noargs","parameters":{"type":"object","properties":{}}}}],
		"think":"high",
		"options":{"temperature":0.7,"top_p":0.9,"top_k":40,"seed":7,"stop":["\n\n"],"num_predict":100,"num_ctx":8192},
		"stream":true,"format":"json","keep_alive":"5m"}`
	if !jsonEqual(t, got, []byte(want)) {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestBuildRequestErrors(t *testing.T) {
	user := func(p sluice.Part) *sluice.Request {
		return &sluice.Request{Model: "m", Messages: []sluice.Message{{Role: sluice.RoleUser, Content: []sluice.Part{p}}}}
	}
	tests := []struct {
		name string
		req  *sluice.Request
	}{
		{"nil", nil},
		{"image URL", user(sluice.Part{Type: sluice.PartImage, URL: "https://example.com/cat.png"})},
		{"bad data URL", user(sluice.Part{Type: sluice.PartImage, URL: "data:image/png;base64,@@@"})},
		{"arguments not an object", &sluice.Request{Model: "m", Messages: []sluice.Message{{Role: sluice.RoleAssistant, Content: []sluice.Part{{Type: sluice.PartToolCall, Name: "f", Arguments: "[1]"}}}}}},
		{"unknown part", user(sluice.Part{Type: "video"})},
		{"bad extra", &sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("hi")}, Extra: map[string]json.RawMessage{"x": json.RawMessage("{")}}},
		{"bad schema", &sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("hi")}, Tools: []sluice.Tool{{Name: "f", Parameters: json.RawMessage("{")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildRequest(tt.req, true)
			var e *sluice.Error
			if !errors.As(err, &e) || e.Kind != sluice.KindBadRequest || e.Hint == "" {
				t.Errorf("err = %v, want a KindBadRequest with a hint", err)
			}
		})
	}
}

func TestToolChoiceNoneDropsTools(t *testing.T) {
	req := &sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("hi")},
		Tools: []sluice.Tool{{Name: "f"}}, ToolChoice: sluice.ToolChoice{Mode: sluice.ToolChoiceNone}}
	got, err := BuildRequest(req, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":false}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestParseRequest(t *testing.T) {
	body := `{"model":"qwen3","messages":[
		{"role":"system","content":"sys"},
		{"role":"User","content":"look","images":["iVBORw0KGgo="]},
		{"role":"assistant","content":"","thinking":"hmm","tool_calls":[{"function":{"name":"a","arguments":{"x":1}}},{"function":{"name":"b","arguments":{}}}]},
		{"role":"tool","tool_name":"b","content":"B"},
		{"role":"tool","content":"A"}],
		"tools":[{"type":"function","function":{"name":"a","parameters":{"type":"object","properties":{}}}}],
		"think":true,"stream":false,"keep_alive":-1,
		"options":{"temperature":0.2,"top_k":5,"num_predict":-1,"num_ctx":4096,"stop":["x"]}}`
	req, info, err := ParseRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if info.Stream {
		t.Error("Stream = true, want false")
	}
	want := &sluice.Request{
		Model:  "qwen3",
		System: "sys",
		Messages: []sluice.Message{
			{Role: sluice.RoleUser, Content: []sluice.Part{sluice.Text("look"), {Type: sluice.PartImage, MediaType: "image/png", Data: []byte("\x89PNG\r\n\x1a\n")}}},
			{Role: sluice.RoleAssistant, Content: []sluice.Part{
				{Type: sluice.PartReasoning, Text: "hmm"},
				{Type: sluice.PartToolCall, CallID: "call_0", Name: "a", Arguments: `{"x":1}`},
				{Type: sluice.PartToolCall, CallID: "call_1", Name: "b", Arguments: `{}`},
			}},
			{Role: sluice.RoleTool, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: "call_1", Name: "b", Text: "B"}}},
			{Role: sluice.RoleTool, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: "call_0", Name: "a", Text: "A"}}},
		},
		Temperature: ptr(0.2),
		TopK:        5,
		Stop:        []string{"x"},
		Tools:       []sluice.Tool{{Name: "a"}},
		Reasoning:   &sluice.ReasoningConfig{},
		Extra: map[string]json.RawMessage{
			"keep_alive": json.RawMessage(`-1`),
			"options":    json.RawMessage(`{"num_ctx":4096,"num_predict":-1}`),
		},
	}
	if !reflect.DeepEqual(req, want) {
		g, _ := json.MarshalIndent(req, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("got:\n%s\nwant:\n%s", g, w)
	}

	// Sent on, nothing the client asked for is lost.
	out, err := BuildRequest(req, info.Stream)
	if err != nil {
		t.Fatal(err)
	}
	again, info2, err := ParseRequest(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, req) || info2.Stream != info.Stream {
		t.Errorf("parse(build(parse(body))) differs:\n%s", out)
	}
}

func TestParseRequestErrors(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not json", `{`},
		{"array", `[]`},
		{"no model", `{"messages":[{"role":"user","content":"hi"}]}`},
		{"model not string", `{"model":1,"messages":[]}`},
		{"no messages", `{"model":"m"}`},
		{"bad role", `{"model":"m","messages":[{"role":"robot","content":"hi"}]}`},
		{"bad image", `{"model":"m","messages":[{"role":"user","content":"hi","images":["%%"]}]}`},
		{"bad option", `{"model":"m","messages":[{"role":"user","content":"hi"}],"options":{"temperature":"hot"}}`},
		{"messages not array", `{"model":"m","messages":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseRequest([]byte(tt.body))
			var e *sluice.Error
			if !errors.As(err, &e) || e.Kind != sluice.KindBadRequest {
				t.Errorf("err = %v, want KindBadRequest", err)
			}
		})
	}
}
