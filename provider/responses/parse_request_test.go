package responses

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
)

var parseTests = []struct {
	name, body string
	check      func(t *testing.T, req *sluice.Request, info *RequestInfo)
	err        string
}{
	{name: "string input", body: `{"model":"m","input":"hi","instructions":"be brief","stream":true}`,
		check: func(t *testing.T, req *sluice.Request, info *RequestInfo) {
			if req.System != "be brief" || len(req.Messages) != 1 || req.Messages[0].Text() != "hi" || !info.Stream {
				t.Errorf("%+v %+v", req, info)
			}
		}},
	{name: "codex turn", body: `{"model":"gpt-5-codex","instructions":"sys","input":[
		{"type":"message","role":"developer","content":[{"type":"input_text","text":"env"}]},
		{"type":"message","role":"user","content":[{"type":"input_text","text":"run echo"}]},
		{"type":"reasoning","summary":[{"type":"summary_text","text":"plan"}],"content":null,"encrypted_content":"gAAA"},
		{"type":"function_call","name":"shell","arguments":"{\"command\":[\"echo\",\"hi\"]}","call_id":"call_1"},
		{"type":"function_call_output","call_id":"call_1","output":"hi\n"}],
		"tools":[{"type":"function","name":"shell","description":"run","strict":false,"parameters":{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}}}}}],
		"tool_choice":"auto","parallel_tool_calls":false,"reasoning":{"effort":"medium","summary":"auto"},"store":false,"stream":true,
		"include":["reasoning.encrypted_content"],"prompt_cache_key":"abc","text":{"verbosity":"low"}}`,
		check: func(t *testing.T, req *sluice.Request, info *RequestInfo) {
			if len(req.Messages) != 4 || req.Messages[0].Role != sluice.RoleSystem || req.Messages[2].Role != sluice.RoleAssistant {
				t.Fatalf("messages %+v", req.Messages)
			}
			a := req.Messages[2].Content
			if len(a) != 2 || a[0].Type != sluice.PartReasoning || a[0].Text != "plan" || a[0].Opaque[0].Data != "gAAA" || a[1].Name != "shell" {
				t.Errorf("assistant %+v", a)
			}
			if tr := req.Messages[3].Content[0]; tr.Name != "shell" || tr.Text != "hi\n" {
				t.Errorf("result %+v", tr)
			}
			if !req.ToolChoice.DisableParallel || req.Reasoning.Effort != "medium" || len(req.Tools) != 1 {
				t.Errorf("%+v %+v", req.ToolChoice, req.Reasoning)
			}
			if string(req.Extra["prompt_cache_key"]) != `"abc"` || req.Extra["include"] == nil || req.Extra["tools"] != nil {
				t.Errorf("extra %v", req.Extra)
			}
			if info.Store == nil || *info.Store || info.Include[0] != "reasoning.encrypted_content" {
				t.Errorf("info %+v", info)
			}
		}},
	{name: "custom tool", body: `{"model":"m","input":[{"role":"user","content":"patch"},
		{"type":"custom_tool_call","call_id":"c","name":"apply_patch","input":"*** Begin"},
		{"type":"custom_tool_call_output","call_id":"c","output":"done"}],
		"tools":[{"type":"custom","name":"apply_patch","description":"patch files"},{"type":"web_search"}],"tool_choice":{"type":"custom","name":"apply_patch"}}`,
		check: func(t *testing.T, req *sluice.Request, info *RequestInfo) {
			if len(info.CustomTools) != 1 || req.Tools[0].Name != "apply_patch" || !strings.Contains(string(req.Tools[0].Parameters), `"input"`) {
				t.Errorf("tools %+v %+v", req.Tools, info)
			}
			if c := req.Messages[1].Content[0]; c.Arguments != `{"input":"*** Begin"}` {
				t.Errorf("call %+v", c)
			}
			if req.ToolChoice.Mode != sluice.ToolChoiceTool || req.Extra["tools"] == nil {
				t.Errorf("%+v %v", req.ToolChoice, req.Extra)
			}
		}},
	{name: "image", body: `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,AAEC"}]}]}`,
		check: func(t *testing.T, req *sluice.Request, _ *RequestInfo) {
			if p := req.Messages[0].Content[0]; p.Type != sluice.PartImage || p.MediaType != "image/png" || len(p.Data) != 3 {
				t.Errorf("%+v", p)
			}
		}},
	{name: "previous response", body: `{"model":"m","previous_response_id":"resp_1","input":[{"type":"function_call_output","call_id":"x","output":[{"type":"input_text","text":"a"}]}]}`,
		check: func(t *testing.T, req *sluice.Request, info *RequestInfo) {
			if info.PreviousResponseID != "resp_1" || req.Messages[0].Content[0].Text != "a" {
				t.Errorf("%+v %+v", req, info)
			}
		}},
	{name: "not json", body: `{`, err: "not a JSON object"},
	{name: "bad role", body: `{"model":"m","input":[{"role":"robot","content":"x"}]}`, err: "role"},
	{name: "bad part", body: `{"model":"m","input":[{"role":"user","content":[{"type":"input_audio"}]}]}`, err: "input_audio"},
	{name: "call without id", body: `{"model":"m","input":[{"type":"function_call","name":"f"}]}`, err: "call_id"},
	{name: "bad tool choice", body: `{"model":"m","input":"x","tool_choice":"sometimes"}`, err: "tool_choice"},
}

func TestParseRequest(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			req, info, err := ParseRequest([]byte(tt.body))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want one saying %q", err, tt.err)
				}
				if e := sluice.AsError(err); e.Kind != sluice.KindBadRequest {
					t.Errorf("kind %s", e.Kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, req, info)
		})
	}
}

// BuildRequest sends OpenAI's own reasoning back and drops another's.
func TestBuildRequest(t *testing.T) {
	req := &sluice.Request{Model: "gpt-5", System: "sys", Reasoning: &sluice.ReasoningConfig{BudgetTokens: 4000},
		Tools: []sluice.Tool{{Name: "f"}}, ToolChoice: sluice.ToolChoice{Mode: sluice.ToolChoiceTool, Name: "f", DisableParallel: true},
		Messages: []sluice.Message{sluice.UserMessage("hi"), {Role: sluice.RoleAssistant, Content: []sluice.Part{
			{Type: sluice.PartReasoning, Text: "mine", Opaque: []sluice.Opaque{{Provider: "openai", Kind: sluice.OpaqueEncrypted, Data: "E1"}}},
			{Type: sluice.PartReasoning, Text: "theirs", Opaque: []sluice.Opaque{{Provider: "anthropic", Kind: sluice.OpaqueSignature, Data: "S"}}},
			{Type: sluice.PartText, Text: "calling"},
			{Type: sluice.PartToolCall, CallID: "c1", Name: "f", Arguments: `{}`}}},
			{Role: sluice.RoleTool, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: "c1", Text: "ok"}}}}}
	b, err := BuildRequest(req, true)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	s := string(b)
	for _, want := range []string{`"instructions":"sys"`, `"encrypted_content":"E1"`, `"effort":"medium"`, `"parallel_tool_calls":false`,
		`"tool_choice":{"name":"f","type":"function"}`, `"type":"function_call_output"`, `"include":["reasoning.encrypted_content"]`, `"store":false`} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %s in %s", want, s)
		}
	}
	if strings.Contains(s, "theirs") {
		t.Errorf("another provider's reasoning was sent: %s", s)
	}
	if in := m["input"].([]any); len(in) != 5 {
		t.Errorf("%d input items: %s", len(in), s)
	}
}

// ParseRequest reads slices of the body without copying them, and copies
// what it keeps: a caller may reuse the body's memory at once.
func TestParseRequestKeepsNothingOfTheBody(t *testing.T) {
	body := agentRequest()
	body = append(body[:len(body)-1], `,"metadata":{"k":"v"},"tool_choice":"auto","previous_response_id":"resp_1","text":{"format":{"type":"text"}}}`...)
	want, wantInfo, err := ParseRequest(bytes.Clone(body))
	if err != nil {
		t.Fatal(err)
	}
	got, gotInfo, err := ParseRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'x'
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotInfo, wantInfo) {
		t.Error("the parsed request changed when the body's memory was overwritten")
	}
}
