package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

func jsonValue(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON %v: %s", err, b)
	}
	return v
}

func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	if !reflect.DeepEqual(jsonValue(t, got), jsonValue(t, []byte(want))) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func ptr[T any](v T) *T { return &v }

func sig(data string) []sluice.Opaque {
	return []sluice.Opaque{{Provider: "anthropic", Kind: sluice.OpaqueSignature, Data: data}}
}

func TestBuildRequest(t *testing.T) {
	user := sluice.UserMessage
	tests := []struct {
		name   string
		req    sluice.Request
		stream bool
		want   string
	}{{
		name:   "minimal with defaults",
		req:    sluice.Request{Model: "claude-haiku-4-5", System: "Be brief.", Messages: []sluice.Message{user("Hi")}},
		stream: true,
		want:   `{"model":"claude-haiku-4-5","max_tokens":4096,"system":"Be brief.","messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}],"stream":true}`,
	}, {
		name: "tool loop keeps signed thinking before tool_use",
		req: sluice.Request{Model: "m", MaxTokens: 100, Messages: []sluice.Message{
			user("Weather?"),
			{Role: sluice.RoleAssistant, Content: []sluice.Part{
				{Type: sluice.PartReasoning, Text: "call it", Opaque: sig("SIG1")},
				sluice.Text("Checking."),
				{Type: sluice.PartToolCall, CallID: "toolu_1", Name: "get_weather", Arguments: `{"city": "Paris"}`},
				{Type: sluice.PartReasoning, Text: "late", Opaque: sig("SIG2")},
			}},
			{Role: sluice.RoleTool, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: "toolu_1", Name: "get_weather", Text: "sunny"}}},
		}},
		want: `{"model":"m","max_tokens":100,"messages":[
			{"role":"user","content":[{"type":"text","text":"Weather?"}]},
			{"role":"assistant","content":[
				{"type":"thinking","thinking":"call it","signature":"SIG1"},
				{"type":"text","text":"Checking."},
				{"type":"thinking","thinking":"late","signature":"SIG2"},
				{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]}]}`,
	}, {
		name: "foreign and unsigned reasoning is dropped, redacted is kept, same roles merge",
		req: sluice.Request{Model: "m", Messages: []sluice.Message{
			user("a"),
			{Role: sluice.RoleAssistant, Content: []sluice.Part{
				{Type: sluice.PartReasoning, Text: "openai thoughts", Opaque: []sluice.Opaque{{Provider: "openai", Kind: sluice.OpaqueEncrypted, Data: "gAAA"}}},
				{Type: sluice.PartReasoning, Text: "gemini", Opaque: []sluice.Opaque{{Provider: "anthropic", Kind: sluice.OpaqueThoughtSignature, Data: "x"}}},
				{Type: sluice.PartReasoning, Text: "unsigned"},
			}},
			user("b"),
			{Role: sluice.RoleAssistant, Content: []sluice.Part{
				{Type: sluice.PartReasoning, Opaque: []sluice.Opaque{{Provider: "anthropic", Kind: sluice.OpaqueRedacted, Data: "REDACTED"}}},
				{Type: sluice.PartReasoning, Text: "x", Opaque: []sluice.Opaque{{Provider: "sim", Kind: sluice.OpaqueSignature, Data: "SIMSIG"}}},
				sluice.Text(""),
				sluice.Text("ok"),
			}},
		}},
		want: `{"model":"m","max_tokens":4096,"messages":[
			{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
			{"role":"assistant","content":[{"type":"redacted_thinking","data":"REDACTED"},{"type":"text","text":"ok"}]}]}`,
	}, {
		name: "tool results first in a merged user message; system messages join system",
		req: sluice.Request{Model: "m", System: "S1", Messages: []sluice.Message{
			{Role: sluice.RoleSystem, Content: []sluice.Part{sluice.Text("S2")}},
			{Role: sluice.RoleAssistant, Content: []sluice.Part{
				{Type: sluice.PartToolCall, CallID: "c1", Name: "f"},
				{Type: sluice.PartToolCall, CallID: "c2", Name: "f", Arguments: "{}"},
			}},
			{Role: sluice.RoleUser, Content: []sluice.Part{sluice.Text("and also"), {Type: sluice.PartToolResult, CallID: "c2", Text: "two", IsError: true}}},
			{Role: sluice.RoleTool, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: "c1"}}},
		}},
		want: `{"model":"m","max_tokens":4096,"system":"S1\n\nS2","messages":[
			{"role":"assistant","content":[{"type":"tool_use","id":"c1","name":"f","input":{}},{"type":"tool_use","id":"c2","name":"f","input":{}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"c2","content":"two","is_error":true},{"type":"tool_result","tool_use_id":"c1"},{"type":"text","text":"and also"}]}]}`,
	}, {
		name: "effort becomes a budget; thinking drops temperature and top_k",
		req: sluice.Request{Model: "m", Messages: []sluice.Message{user("x")}, Temperature: ptr(0.2), TopP: ptr(0.5), TopK: 5,
			Reasoning: &sluice.ReasoningConfig{Effort: "high"}},
		want: `{"model":"m","max_tokens":28672,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"thinking":{"type":"enabled","budget_tokens":24576}}`,
	}, {
		name: "effort is capped at half of max tokens; top_p 0.95 stays",
		req: sluice.Request{Model: "m", MaxTokens: 4000, TopP: ptr(0.95), Messages: []sluice.Message{user("x")},
			Reasoning: &sluice.ReasoningConfig{Effort: "medium"}},
		want: `{"model":"m","max_tokens":4000,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"top_p":0.95,"thinking":{"type":"enabled","budget_tokens":2000}}`,
	}, {
		name: "a small budget is raised to the minimum; effort none is off",
		req:  sluice.Request{Model: "m", Messages: []sluice.Message{user("x")}, Reasoning: &sluice.ReasoningConfig{BudgetTokens: 100}},
		want: `{"model":"m","max_tokens":5120,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"thinking":{"type":"enabled","budget_tokens":1024}}`,
	}, {
		name: "reasoning effort none",
		req:  sluice.Request{Model: "m", Temperature: ptr(0.0), Messages: []sluice.Message{user("x")}, Reasoning: &sluice.ReasoningConfig{Effort: "none"}},
		want: `{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"temperature":0}`,
	}, {
		name: "tools, tool choice, sampling, stop, extra",
		req: sluice.Request{Model: "m", Messages: []sluice.Message{user("x")}, TopK: 3, Stop: []string{"END"}, Seed: ptr(int64(1)),
			Tools: []sluice.Tool{
				{Name: "get", Description: "Get it.", Parameters: json.RawMessage(`{"type":"object","properties":{"q":{"type":"string"}}}`)},
				{Name: "noargs"},
			},
			ToolChoice: sluice.ToolChoice{Mode: sluice.ToolChoiceRequired, DisableParallel: true},
			Extra:      map[string]json.RawMessage{"metadata": json.RawMessage(`{"user_id":"u1"}`), "stream": json.RawMessage(`true`), "top_k": json.RawMessage(`9`)},
		},
		want: `{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"top_k":9,"stop_sequences":["END"],
			"tools":[{"name":"get","description":"Get it.","input_schema":{"type":"object","properties":{"q":{"type":"string"}}}},{"name":"noargs","input_schema":{"type":"object","properties":{}}}],
			"tool_choice":{"type":"any","disable_parallel_tool_use":true},"metadata":{"user_id":"u1"}}`,
	}, {
		name: "tool choice without tools is left out; a named tool",
		req:  sluice.Request{Model: "m", Messages: []sluice.Message{user("x")}, ToolChoice: sluice.ToolChoice{Mode: sluice.ToolChoiceNone}},
		want: `{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}`,
	}, {
		name: "images",
		req: sluice.Request{Model: "m", Messages: []sluice.Message{{Role: sluice.RoleUser, Content: []sluice.Part{
			{Type: sluice.PartImage, URL: "data:image/png;base64,iVBORw0KGgo="},
			{Type: sluice.PartImage, URL: "https://example.com/cat.jpg"},
			{Type: sluice.PartImage, MediaType: "image/gif", Data: []byte("GIF89a")},
		}}}},
		want: `{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[
			{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
			{"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}},
			{"type":"image","source":{"type":"base64","media_type":"image/gif","data":"R0lGODlh"}}]}]}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BuildRequest(&tt.req, tt.stream)
			if err != nil {
				t.Fatal(err)
			}
			assertJSON(t, got, tt.want)
		})
	}
}

func TestBuildRequestToolChoices(t *testing.T) {
	tools := []sluice.Tool{{Name: "f"}}
	tests := []struct {
		c    sluice.ToolChoice
		want string
	}{
		{sluice.ToolChoice{}, ``},
		{sluice.ToolChoice{Mode: sluice.ToolChoiceAuto}, `{"type":"auto"}`},
		{sluice.ToolChoice{Mode: sluice.ToolChoiceNone}, `{"type":"none"}`},
		{sluice.ToolChoice{Mode: sluice.ToolChoiceRequired}, `{"type":"any"}`},
		{sluice.ToolChoice{Mode: sluice.ToolChoiceTool, Name: "f"}, `{"type":"tool","name":"f"}`},
		{sluice.ToolChoice{DisableParallel: true}, `{"type":"auto","disable_parallel_tool_use":true}`},
	}
	for _, tt := range tests {
		body, err := BuildRequest(&sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("x")}, Tools: tools, ToolChoice: tt.c}, false)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := jsonwire.LookupDecoded(body, "tool_choice")
		if string(got) != tt.want {
			t.Errorf("%+v: tool_choice = %s, want %s", tt.c, got, tt.want)
		}
	}
}

func TestBuildRequestErrors(t *testing.T) {
	msgs := []sluice.Message{sluice.UserMessage("x")}
	tests := []struct {
		name string
		req  sluice.Request
	}{
		{"no model", sluice.Request{Messages: msgs}},
		{"no messages", sluice.Request{Model: "m"}},
		{"bad tool arguments", sluice.Request{Model: "m", Messages: []sluice.Message{{Role: sluice.RoleAssistant, Content: []sluice.Part{{Type: sluice.PartToolCall, CallID: "c", Name: "f", Arguments: `{"a":`}}}}}},
		{"arguments not an object", sluice.Request{Model: "m", Messages: []sluice.Message{{Role: sluice.RoleAssistant, Content: []sluice.Part{{Type: sluice.PartToolCall, CallID: "c", Name: "f", Arguments: `[1]`}}}}}},
		{"budget over max tokens", sluice.Request{Model: "m", Messages: msgs, MaxTokens: 2000, Reasoning: &sluice.ReasoningConfig{BudgetTokens: 3000}}},
		{"no room to think", sluice.Request{Model: "m", Messages: msgs, MaxTokens: 1000, Reasoning: &sluice.ReasoningConfig{Effort: "low"}}},
		{"unknown effort", sluice.Request{Model: "m", Messages: msgs, Reasoning: &sluice.ReasoningConfig{Effort: "extreme"}}},
		{"bad schema", sluice.Request{Model: "m", Messages: msgs, Tools: []sluice.Tool{{Name: "f", Parameters: json.RawMessage(`{`)}}}},
		{"bad extra", sluice.Request{Model: "m", Messages: msgs, Extra: map[string]json.RawMessage{"x": json.RawMessage(`{`)}}},
		{"image without type", sluice.Request{Model: "m", Messages: []sluice.Message{{Role: sluice.RoleUser, Content: []sluice.Part{{Type: sluice.PartImage, Data: []byte("x")}}}}}},
		{"unknown part", sluice.Request{Model: "m", Messages: []sluice.Message{{Role: sluice.RoleUser, Content: []sluice.Part{{Type: "video"}}}}}},
	}
	for _, tt := range tests {
		_, err := BuildRequest(&tt.req, true)
		var e *sluice.Error
		if !errors.As(err, &e) || e.Kind != sluice.KindBadRequest || e.Message == "" {
			t.Errorf("%s: err = %v, want a bad request", tt.name, err)
		}
	}
}

// claudeCodeBody is shaped like what Claude Code sends: system blocks with
// cache_control, a tool loop with signed thinking, cache_control on the last
// block, a built-in tool, adaptive thinking with an effort, metadata and a
// field sluice does not know.
const claudeCodeBody = `{
  "model": "claude-sonnet-4-6",
  "max_tokens": 32000,
  "stream": true,
  "system": [
    {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
    {"type": "text", "text": "Work in /repo."}
  ],
  "messages": [
    {"role": "user", "content": [{"type": "text", "text": "List the files."}]},
    {"role": "assistant", "content": [
      {"type": "thinking", "thinking": "Use ls.", "signature": "EpYCsig"},
      {"type": "tool_use", "id": "toolu_01", "name": "Bash", "input": {"command": "ls"}}
    ]},
    {"role": "user", "content": [
      {"type": "tool_result", "tool_use_id": "toolu_01", "content": [{"type": "text", "text": "a.go\nb.go"}]},
      {"type": "text", "text": "Now read a.go", "cache_control": {"type": "ephemeral"}}
    ]}
  ],
  "tools": [
    {"name": "Bash", "description": "Run a command.", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}},
    {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
  ],
  "tool_choice": {"type": "auto"},
  "thinking": {"type": "adaptive"},
  "output_config": {"effort": "max"},
  "metadata": {"user_id": "user_abc"},
  "context_management": {"edits": []}
}`

func TestParseRequestClaudeCode(t *testing.T) {
	req, info, err := ParseRequest([]byte(claudeCodeBody))
	if err != nil {
		t.Fatal(err)
	}
	if !info.Stream || req.Model != "claude-sonnet-4-6" || req.MaxTokens != 32000 {
		t.Errorf("info %+v, model %q, max %d", info, req.Model, req.MaxTokens)
	}
	if req.System != "You are Claude Code.\n\nWork in /repo." {
		t.Errorf("system = %q", req.System)
	}
	want := []sluice.Message{
		{Role: sluice.RoleUser, Content: []sluice.Part{sluice.Text("List the files.")}},
		{Role: sluice.RoleAssistant, Content: []sluice.Part{
			{Type: sluice.PartReasoning, Text: "Use ls.", Opaque: sig("EpYCsig")},
			{Type: sluice.PartToolCall, CallID: "toolu_01", Name: "Bash", Arguments: `{"command":"ls"}`},
		}},
		{Role: sluice.RoleUser, Content: []sluice.Part{
			{Type: sluice.PartToolResult, CallID: "toolu_01", Name: "Bash", Text: "a.go\nb.go"},
			sluice.Text("Now read a.go"),
		}},
	}
	if !reflect.DeepEqual(req.Messages, want) {
		t.Errorf("messages:\n%+v\nwant\n%+v", req.Messages, want)
	}
	if len(req.Tools) != 1 || req.Tools[0].Name != "Bash" || req.ToolChoice.Mode != sluice.ToolChoiceAuto {
		t.Errorf("tools %+v choice %+v", req.Tools, req.ToolChoice)
	}
	if req.Reasoning == nil || req.Reasoning.Effort != "high" {
		t.Errorf("reasoning = %+v", req.Reasoning)
	}
	if got := strings.Join(sortedKeys(req.Extra), ","); got != "context_management,messages,metadata,output_config,system,thinking,tools" {
		t.Errorf("extra keys = %s", got)
	}

	// A same-protocol relay sends exactly what the client sent.
	body, err := BuildRequest(req, true)
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, body, claudeCodeBody)

	// Once the conversation changes, the request's own messages win.
	req.Messages = append(req.Messages, sluice.Message{Role: sluice.RoleAssistant, Content: []sluice.Part{sluice.Text("Reading.")}})
	req.System = "Changed."
	body, err = BuildRequest(req, true)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := jsonwire.LookupDecoded(body, "messages")
	system, _ := jsonwire.LookupDecoded(body, "system")
	if strings.Contains(string(msgs), "cache_control") || !strings.Contains(string(msgs), "Reading.") || string(system) != `"Changed."` {
		t.Errorf("edited request built as\n%s", body)
	}
}

func TestParseRequestRelayDropsUnsignedThinking(t *testing.T) {
	body := `{"model":"m","max_tokens":10,"messages":[
		{"role":"user","content":"q"},
		{"role":"assistant","content":[{"type":"thinking","thinking":"from elsewhere","signature":""},{"type":"text","text":"a","citations":[]}]},
		{"role":"user","content":"q2"}]}`
	req, _, err := ParseRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if req.Extra["messages"] == nil {
		t.Fatal("citations did not keep the raw messages")
	}
	out, err := BuildRequest(req, false)
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, out, `{"model":"m","max_tokens":10,"messages":[
		{"role":"user","content":"q"},
		{"role":"assistant","content":[{"type":"text","text":"a","citations":[]}]},
		{"role":"user","content":"q2"}]}`)
}

func TestParseRequestVariants(t *testing.T) {
	tests := []struct {
		name, body string
		check      func(t *testing.T, r *sluice.Request)
	}{
		{"system string and system message", `{"model":"m","system":"S","messages":[{"role":"system","content":"S2"},{"role":"user","content":"u"}]}`, func(t *testing.T, r *sluice.Request) {
			if r.System != "S" || r.Messages[0].Role != sluice.RoleSystem || r.Extra != nil {
				t.Errorf("%+v", r)
			}
			body, _ := BuildRequest(r, false)
			if s, _ := jsonwire.LookupDecoded(body, "system"); string(s) != `"S\n\nS2"` {
				t.Errorf("system = %s", s)
			}
		}},
		{"thinking enabled", `{"model":"m","messages":[{"role":"user","content":"u"}],"thinking":{"type":"enabled","budget_tokens":2048}}`, func(t *testing.T, r *sluice.Request) {
			if r.Reasoning == nil || r.Reasoning.BudgetTokens != 2048 || r.Extra != nil {
				t.Errorf("%+v %v", r.Reasoning, r.Extra)
			}
		}},
		{"thinking disabled", `{"model":"m","messages":[{"role":"user","content":"u"}],"thinking":{"type":"disabled"}}`, func(t *testing.T, r *sluice.Request) {
			if r.Reasoning != nil {
				t.Errorf("%+v", r.Reasoning)
			}
		}},
		{"tool choice any", `{"model":"m","messages":[{"role":"user","content":"u"}],"tool_choice":{"type":"any","disable_parallel_tool_use":true}}`, func(t *testing.T, r *sluice.Request) {
			if r.ToolChoice != (sluice.ToolChoice{Mode: sluice.ToolChoiceRequired, DisableParallel: true}) {
				t.Errorf("%+v", r.ToolChoice)
			}
		}},
		{"tool choice tool", `{"model":"m","messages":[{"role":"user","content":"u"}],"tool_choice":{"type":"tool","name":"f"}}`, func(t *testing.T, r *sluice.Request) {
			if r.ToolChoice != (sluice.ToolChoice{Mode: sluice.ToolChoiceTool, Name: "f"}) {
				t.Errorf("%+v", r.ToolChoice)
			}
		}},
		{"tool choice none", `{"model":"m","messages":[{"role":"user","content":"u"}],"tool_choice":{"type":"none"}}`, func(t *testing.T, r *sluice.Request) {
			if r.ToolChoice.Mode != sluice.ToolChoiceNone {
				t.Errorf("%+v", r.ToolChoice)
			}
		}},
		{"sampling and nulls", `{"model":"m","messages":[{"role":"user","content":"u"}],"temperature":0.5,"top_p":0.9,"top_k":4,"stop_sequences":["x"],"system":null,"stream":false}`, func(t *testing.T, r *sluice.Request) {
			if *r.Temperature != 0.5 || *r.TopP != 0.9 || r.TopK != 4 || r.Stop[0] != "x" {
				t.Errorf("%+v", r)
			}
		}},
		{"images and redacted thinking", `{"model":"m","messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"image","source":{"type":"url","url":"https://x/y.png"}}]},{"role":"assistant","content":[{"type":"redacted_thinking","data":"R"},{"type":"text","text":"t"}]}]}`, func(t *testing.T, r *sluice.Request) {
			p := r.Messages[0].Content
			if p[0].MediaType != "image/png" || string(p[0].Data) != "\x89PNG\r\n\x1a\n" || p[1].URL != "https://x/y.png" || r.Extra != nil {
				t.Errorf("%+v", p)
			}
			if o := r.Messages[1].Content[0].Opaque; len(o) != 1 || o[0].Kind != sluice.OpaqueRedacted || o[0].Data != "R" {
				t.Errorf("%+v", o)
			}
		}},
		{"documents are kept raw", `{"model":"m","messages":[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc"}},{"type":"text","text":"sum it"}]}]}`, func(t *testing.T, r *sluice.Request) {
			if len(r.Messages[0].Content) != 1 || r.Extra["messages"] == nil {
				t.Errorf("%+v %v", r.Messages, r.Extra)
			}
			body, _ := BuildRequest(r, false)
			if !strings.Contains(string(body), `"document"`) {
				t.Errorf("document lost: %s", body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, err := ParseRequest([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}

func TestParseRequestErrors(t *testing.T) {
	for _, body := range []string{
		`not json`,
		`[]`,
		`{"messages":[{"role":"user","content":"x"}]}`,
		`{"model":"m","messages":[]}`,
		`{"model":"m","messages":{}}`,
		`{"model":"m","messages":[{"role":"tool","content":"x"}]}`,
		`{"model":"m","messages":[{"role":"user","content":5}]}`,
		`{"model":"m","messages":[{"role":"user","content":[{"text":"no type"}]}]}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"!!"}}]}]}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"system":5}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"system":[{"type":"image"}]}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"sometimes"}}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"tool"}}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"thinking":{"type":"maybe"}}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"description":"nameless"}]}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":"many"}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":-1}`,
	} {
		_, _, err := ParseRequest([]byte(body))
		var e *sluice.Error
		if !errors.As(err, &e) || e.Kind != sluice.KindBadRequest {
			t.Errorf("%s: err = %v, want a bad request", body, err)
		}
	}
}

// TestRequestRoundTrip: a request BuildRequest writes parses back to itself.
func TestRequestRoundTrip(t *testing.T) {
	req := &sluice.Request{Model: "m", MaxTokens: 2000, System: "sys", Stop: []string{"s"},
		Messages: []sluice.Message{
			sluice.UserMessage("q"),
			{Role: sluice.RoleAssistant, Content: []sluice.Part{
				{Type: sluice.PartReasoning, Text: "t", Opaque: sig("S")},
				{Type: sluice.PartToolCall, CallID: "c", Name: "f", Arguments: `{"x":1}`},
			}},
			{Role: sluice.RoleUser, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: "c", Name: "f", Text: "r"}}},
		},
		Tools:      []sluice.Tool{{Name: "f", Description: "d", Parameters: json.RawMessage(`{"type":"object"}`)}},
		ToolChoice: sluice.ToolChoice{Mode: sluice.ToolChoiceTool, Name: "f"},
		Reasoning:  &sluice.ReasoningConfig{BudgetTokens: 1024},
	}
	body, err := BuildRequest(req, true)
	if err != nil {
		t.Fatal(err)
	}
	got, info, err := ParseRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Stream || !reflect.DeepEqual(got, req) {
		t.Errorf("parsed back:\n%+v\nwant\n%+v", got, req)
	}
}

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(claudeCodeBody))
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":5000},"max_tokens":10}`))
	f.Add([]byte(`{"model":"m","messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"b","input":[]}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, _, err := ParseRequest(body)
		if err != nil {
			var e *sluice.Error
			if !errors.As(err, &e) || e.Kind != sluice.KindBadRequest {
				t.Fatalf("err = %v, want a bad request", err)
			}
			return
		}
		out, err := BuildRequest(req, true)
		if err != nil {
			return // a request the API would refuse too (a budget over max_tokens)
		}
		checkRequestJSON(t, req)
		if !json.Valid(out) {
			t.Fatalf("BuildRequest wrote invalid JSON: %s", out)
		}
		if _, _, err := ParseRequest(out); err != nil {
			t.Fatalf("BuildRequest output does not parse: %v\n%s", err, out)
		}
	})
}

// A system message added to a parsed request joins the client's own system
// blocks, cache_control kept.
func TestBuildRequestRawSystemWithSystemMessage(t *testing.T) {
	req, _, err := ParseRequest([]byte(claudeCodeBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Messages = append([]sluice.Message{{Role: sluice.RoleSystem, Content: []sluice.Part{sluice.Text("Gateway note.")}}}, req.Messages...)
	body, err := BuildRequest(req, true)
	if err != nil {
		t.Fatal(err)
	}
	system, _ := jsonwire.LookupDecoded(body, "system")
	assertJSON(t, system, `[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}},{"type":"text","text":"Work in /repo."},{"type":"text","text":"Gateway note."}]`)

	req.Extra["system"] = json.RawMessage(`"plain"`)
	req.System = "plain"
	body, _ = BuildRequest(req, true)
	system, _ = jsonwire.LookupDecoded(body, "system")
	assertJSON(t, system, `[{"type":"text","text":"plain"},{"type":"text","text":"Gateway note."}]`)
}

// ParseRequest reads slices of the body without copying them, and copies
// what it keeps: a caller may reuse the body's memory at once.
func TestParseRequestKeepsNothingOfTheBody(t *testing.T) {
	body := agentRequest()
	body = append(body[:len(body)-1], `,"metadata":{"user_id":"u"},"thinking":{"type":"enabled","budget_tokens":2048}}`...)
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

// checkRequestJSON fails t unless the body written for req is byte for byte
// what marshal (encoding/json, without HTML escapes) writes for the same
// wireRequest.
func checkRequestJSON(t *testing.T, req *sluice.Request) {
	t.Helper()
	w, err := assembleRequest(req, true, nil)
	if err != nil {
		return
	}
	want, werr := marshal(w)
	got, gerr := w.appendJSON(nil)
	if (werr == nil) != (gerr == nil) || string(got) != string(want) {
		t.Fatalf("appendJSON:\n%s (%v)\nmarshal:\n%s (%v)", got, gerr, want, werr)
	}
}

// The request body is what marshal would write, without its cost.
func TestRequestJSONMatchesMarshal(t *testing.T) {
	bodies := []string{claudeCodeBody, string(agentRequest()),
		`{"model":"m<&>","max_tokens":5,"system":"a <b> & \u2028","temperature":1e-7,"top_p":0.5,"top_k":3,"stop_sequences":["</s>"],"messages":[{"role":"user","content":"x < y"}]}`,
		"{\"model\":\"m\",\"messages\":[ {\"role\":\"user\", \"content\": [ {\"type\":\"text\", \"text\":\"spaced\"} ] } ],\"thinking\":{ \"type\": \"enabled\", \"budget_tokens\": 2048 },\"max_tokens\":4096}"}
	for i, body := range bodies {
		req, _, err := ParseRequest([]byte(body))
		if err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
		checkRequestJSON(t, req)
		// The body's buffer is made once, a little over its size.
		w, err := assembleRequest(req, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := w.appendJSON(nil); w.size() < len(b) || w.size() > 2*len(b)+128 {
			t.Errorf("body %d: size() %d for a body of %d bytes", i, w.size(), len(b))
		}
	}
	w := &wireRequest{Model: "m", Messages: json.RawMessage(`[]`), Tools: json.RawMessage(`[{"not json`)}
	if b, err := w.appendJSON(nil); err == nil {
		t.Errorf("a raw member that is not JSON was written: %s", b)
	}
}
