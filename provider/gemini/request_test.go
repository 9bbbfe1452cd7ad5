package gemini

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

func ptr[T any](v T) *T { return &v }

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

func gsig(s string) []sluice.Opaque {
	return []sluice.Opaque{{Provider: "gemini", Kind: sluice.OpaqueThoughtSignature, Data: s}}
}

func TestBuildRequest(t *testing.T) {
	req := &sluice.Request{
		Model:  "gemini-2.5-flash",
		System: "Be brief.",
		Messages: []sluice.Message{
			{Role: sluice.RoleUser, Content: []sluice.Part{sluice.Text("Weather in Paris and Tokyo?"), {Type: sluice.PartImage, MediaType: "image/png", Data: []byte("\x89PNG")}}},
			{Role: sluice.RoleAssistant, Content: []sluice.Part{
				{Type: sluice.PartReasoning, Text: "**Planning**", Opaque: []sluice.Opaque{{Provider: "anthropic", Kind: sluice.OpaqueSignature, Data: "not-for-gemini"}}},
				{Type: sluice.PartToolCall, CallID: "call_0", Name: "get_weather", Arguments: `{"city":"Paris"}`, Opaque: gsig("SIG1")},
				{Type: sluice.PartToolCall, CallID: "fc-9", Name: "get_weather", Arguments: `{"city":"Tokyo"}`},
			}},
			{Role: sluice.RoleTool, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: "call_0", Text: "18C"}}},
			{Role: sluice.RoleTool, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: "fc-9", Text: `{"temp":25}`}}},
			{Role: sluice.RoleAssistant, Content: []sluice.Part{sluice.Text("Done."), {Type: sluice.PartReasoning, Opaque: gsig("SIG2")}}},
			{Role: sluice.RoleSystem, Content: []sluice.Part{sluice.Text("Answer in French.")}},
			{Role: sluice.RoleUser, Content: []sluice.Part{{Type: sluice.PartImage, URL: "https://example.com/a.jpg", MediaType: "image/jpeg"}, {Type: sluice.PartImage, URL: "data:image/gif;base64,R0lG"}}},
		},
		MaxTokens:   256,
		Temperature: ptr(0.3),
		TopP:        ptr(0.95),
		TopK:        20,
		Seed:        ptr(int64(42)),
		Stop:        []string{"END"},
		Tools:       []sluice.Tool{{Name: "get_weather", Description: "Weather", Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"additionalProperties":false}`)}, {Name: "legacy", Parameters: json.RawMessage(`{"type":"OBJECT"}`)}, {Name: "noargs"}},
		ToolChoice:  sluice.ToolChoice{Mode: sluice.ToolChoiceTool, Name: "get_weather"},
		Reasoning:   &sluice.ReasoningConfig{Effort: "low", Summary: "auto"},
		Extra: map[string]json.RawMessage{
			"generationConfig": json.RawMessage(`{"responseMimeType":"text/plain","thinkingConfig":{"thinkingBudget":2048}}`),
			"tools":            json.RawMessage(`[{"googleSearch":{}}]`),
			"safetySettings":   json.RawMessage(`[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]`),
		},
	}
	got, err := BuildRequest(req, true)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
	"contents":[
		{"role":"user","parts":[{"text":"Weather in Paris and Tokyo?"},{"inlineData":{"mimeType":"image/png","data":"iVBORw=="}}]},
		{"role":"model","parts":[
			{"text":"**Planning**","thought":true},
			{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"SIG1"},
			{"functionCall":{"id":"fc-9","name":"get_weather","args":{"city":"Tokyo"}}}]},
		{"role":"user","parts":[
			{"functionResponse":{"name":"get_weather","response":{"output":"18C"}}},
			{"functionResponse":{"id":"fc-9","name":"get_weather","response":{"temp":25}}}]},
		{"role":"model","parts":[{"text":"Done."},{"text":"","thoughtSignature":"SIG2"}]},
		{"role":"user","parts":[{"fileData":{"mimeType":"image/jpeg","fileUri":"https://example.com/a.jpg"}},{"inlineData":{"mimeType":"image/gif","data":"R0lG"}}]}],
	"systemInstruction":{"parts":[{"text":"Be brief."},{"text":"Answer in French."}]},
	"tools":[{"functionDeclarations":[
		{"name":"get_weather","description":"Weather","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"additionalProperties":false}},
		{"name":"legacy","parameters":{"type":"OBJECT"}},
		{"name":"noargs"}]},
		{"googleSearch":{}}],
	"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}},
	"generationConfig":{"stopSequences":["END"],"maxOutputTokens":256,"temperature":0.3,"topP":0.95,"topK":20,"seed":42,
		"thinkingConfig":{"includeThoughts":true,"thinkingBudget":2048},"responseMimeType":"text/plain"},
	"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]}`
	if !jsonEqual(t, got, []byte(want)) {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestBuildRequestThinking(t *testing.T) {
	tests := []struct {
		model string
		r     sluice.ReasoningConfig
		want  string
	}{
		{"gemini-2.5-pro", sluice.ReasoningConfig{Effort: "medium"}, `{"thinkingBudget":8192}`},
		{"models/gemini-2.0-flash-thinking", sluice.ReasoningConfig{Effort: "minimal"}, `{"thinkingBudget":128}`},
		{"gemini-3-pro-preview", sluice.ReasoningConfig{Effort: "high"}, `{"thinkingLevel":"high"}`},
		{"gemini-3-flash", sluice.ReasoningConfig{BudgetTokens: 500, Summary: "detailed"}, `{"includeThoughts":true,"thinkingBudget":500}`},
	}
	for _, tt := range tests {
		req := &sluice.Request{Model: tt.model, Messages: []sluice.Message{sluice.UserMessage("hi")}, Reasoning: &tt.r}
		b, err := BuildRequest(req, true)
		if err != nil {
			t.Fatal(err)
		}
		gc, _ := jsonwire.Lookup(b, "generationConfig")
		tc, _ := jsonwire.Lookup(gc, "thinkingConfig")
		if !jsonEqual(t, tc, []byte(tt.want)) {
			t.Errorf("%s %+v: thinkingConfig = %s, want %s", tt.model, tt.r, tc, tt.want)
		}
	}
}

func TestBuildRequestErrors(t *testing.T) {
	msg := func(r sluice.Role, p sluice.Part) *sluice.Request {
		return &sluice.Request{Model: "m", Messages: []sluice.Message{{Role: r, Content: []sluice.Part{p}}}}
	}
	tests := []struct {
		name string
		req  *sluice.Request
	}{
		{"nil", nil},
		{"bad data URL", msg(sluice.RoleUser, sluice.Part{Type: sluice.PartImage, URL: "data:image/png;base64,@@"})},
		{"empty image", msg(sluice.RoleUser, sluice.Part{Type: sluice.PartImage})},
		{"arguments not an object", msg(sluice.RoleAssistant, sluice.Part{Type: sluice.PartToolCall, Name: "f", Arguments: `"x"`})},
		{"result without a name", msg(sluice.RoleTool, sluice.Part{Type: sluice.PartToolResult, CallID: "nope", Text: "x"})},
		{"unknown part", msg(sluice.RoleUser, sluice.Part{Type: "video"})},
		{"bad tool choice", &sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("hi")}, ToolChoice: sluice.ToolChoice{Mode: "maybe"}}},
		{"bad extra", &sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("hi")}, Extra: map[string]json.RawMessage{"x": json.RawMessage("{")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildRequest(tt.req, true)
			var e *sluice.Error
			if !errors.As(err, &e) || e.Kind != sluice.KindBadRequest || e.Hint == "" {
				t.Errorf("err = %v, want KindBadRequest with a hint", err)
			}
		})
	}
}

func TestParseRequest(t *testing.T) {
	body := `{
	"contents":[
		{"role":"user","parts":[{"text":"Hi"},{"inlineData":{"mimeType":"image/png","data":"iVBORw=="}}]},
		{"role":"model","parts":[{"text":"plan","thought":true},{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"S1"},{"functionCall":{"id":"x9","name":"g"}}]},
		{"role":"user","parts":[{"functionResponse":{"id":"x9","name":"g","response":{"error":"boom"}}},{"functionResponse":{"name":"f","response":{"output":"ok"}}},{"text":"and?"}]},
		{"role":"model","parts":[{"text":"","thoughtSignature":"S2"},{"fileData":{"fileUri":"gs://b/o.pdf","mimeType":"application/pdf"}}]}],
	"systemInstruction":{"role":"system","parts":[{"text":"sys"}]},
	"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT"}},{"name":"g","parametersJsonSchema":{"type":"object"}}]},{"codeExecution":{}}],
	"toolConfig":{"functionCallingConfig":{"mode":"ANY"}},
	"generationConfig":{"temperature":0.5,"maxOutputTokens":99,"candidateCount":2,"responseMimeType":"application/json","thinkingConfig":{"includeThoughts":true,"thinkingBudget":-1}},
	"safetySettings":[]}`
	req, info, err := ParseRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if info.CandidateCount != 2 || !info.IncludeThoughts {
		t.Errorf("info = %+v", info)
	}
	want := &sluice.Request{
		System: "sys",
		Messages: []sluice.Message{
			{Role: sluice.RoleUser, Content: []sluice.Part{sluice.Text("Hi"), {Type: sluice.PartImage, MediaType: "image/png", Data: []byte("\x89PNG")}}},
			{Role: sluice.RoleAssistant, Content: []sluice.Part{
				{Type: sluice.PartReasoning, Text: "plan"},
				{Type: sluice.PartToolCall, CallID: "call_0", Name: "f", Arguments: `{"a":1}`, Opaque: gsig("S1")},
				{Type: sluice.PartToolCall, CallID: "x9", Name: "g", Arguments: `{}`},
			}},
			{Role: sluice.RoleTool, Content: []sluice.Part{
				{Type: sluice.PartToolResult, CallID: "x9", Name: "g", Text: "boom", IsError: true},
				{Type: sluice.PartToolResult, CallID: "call_0", Name: "f", Text: "ok"},
			}},
			{Role: sluice.RoleUser, Content: []sluice.Part{sluice.Text("and?")}},
			{Role: sluice.RoleAssistant, Content: []sluice.Part{
				{Type: sluice.PartReasoning, Opaque: gsig("S2")},
				{Type: sluice.PartImage, MediaType: "application/pdf", URL: "gs://b/o.pdf"},
			}},
		},
		MaxTokens:   99,
		Temperature: ptr(0.5),
		Tools:       []sluice.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"OBJECT"}`)}, {Name: "g", Parameters: json.RawMessage(`{"type":"object"}`)}},
		ToolChoice:  sluice.ToolChoice{Mode: sluice.ToolChoiceRequired},
		Reasoning:   &sluice.ReasoningConfig{Summary: "auto"},
		Extra: map[string]json.RawMessage{
			"tools":            json.RawMessage(`[{"codeExecution":{}}]`),
			"generationConfig": json.RawMessage(`{"candidateCount":2,"responseMimeType":"application/json","thinkingConfig":{"thinkingBudget":-1}}`),
			"safetySettings":   json.RawMessage(`[]`),
		},
	}
	if !reflect.DeepEqual(req, want) {
		g, _ := json.MarshalIndent(req, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("got:\n%s\nwant:\n%s", g, w)
	}
	req.Model = "gemini-2.5-flash"
	out, err := BuildRequest(req, true)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := ParseRequest(out)
	if err != nil {
		t.Fatal(err)
	}
	again.Model = req.Model
	if !reflect.DeepEqual(again, req) {
		g, _ := json.MarshalIndent(again, "", " ")
		t.Errorf("parse(build(parse(body))) differs:\n%s\nbody:\n%s", g, out)
	}
}

func TestParseRequestErrors(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not json", `{`},
		{"not an object", `[]`},
		{"no contents", `{}`},
		{"contents wrong shape", `{"contents":{}}`},
		{"bad role", `{"contents":[{"role":"robot","parts":[{"text":"x"}]}]}`},
		{"unsupported part", `{"contents":[{"role":"model","parts":[{"executableCode":{"code":"1"}}]}]}`},
		{"bad base64", `{"contents":[{"parts":[{"inlineData":{"mimeType":"image/png","data":"%%%"}}]}]}`},
		{"bad generationConfig", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"temperature":"hot"}}`},
		{"mixed tool entry", `{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f"}],"googleSearch":{}}]}`},
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

func TestModelFromPath(t *testing.T) {
	tests := []struct {
		path          string
		model         string
		stream, valid bool
	}{
		{"/v1beta/models/gemini-2.5-flash:streamGenerateContent", "gemini-2.5-flash", true, true},
		{"/v1beta/models/gemini-2.5-pro:generateContent", "gemini-2.5-pro", false, true},
		{"/gemini/v1beta/models/tunedModels%2Fx:generateContent", "tunedModels/x", false, true},
		{"/v1beta/models/gemini-2.5-pro:countTokens", "", false, false},
		{"/v1beta/models", "", false, false},
		{"/v1beta/models/text+stall@5:2s:streamGenerateContent", "text+stall@5:2s", true, true},
		{"/v1beta/models/:generateContent", "", false, false},
	}
	for _, tt := range tests {
		m, s, ok := ModelFromPath(tt.path)
		if m != tt.model || s != tt.stream || ok != tt.valid {
			t.Errorf("ModelFromPath(%q) = %q, %v, %v", tt.path, m, s, ok)
		}
	}
}

func TestResponseFromResult(t *testing.T) {
	res := &sluice.Result{
		Provider: "gemini", Model: "gemini-2.5-flash", ID: "r1",
		Items: []sluice.Item{
			{Index: 0, Kind: sluice.ItemReasoning, Summary: "plan"},
			{Index: 1, Kind: sluice.ItemMessage, Text: "Hi", Opaque: gsig("S")},
			{Index: 2, Kind: sluice.ItemToolCall, CallID: "call_0", Name: "f", Text: `{"a":1}`},
			{Index: 3, Kind: sluice.ItemOther},
		},
		Finish: sluice.FinishToolCalls, RawFinish: "STOP",
		Usage: sluice.Usage{Input: sluice.ReportedCount(5), Output: sluice.ReportedCount(7), Reasoning: sluice.ReportedCount(4)},
	}
	got := ResponseFromResult(res)
	want := `{"candidates":[{"content":{"parts":[{"text":"plan","thought":true},{"text":"Hi","thoughtSignature":"S"},{"functionCall":{"name":"f","args":{"a":1}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":3,"totalTokenCount":12,"thoughtsTokenCount":4},"modelVersion":"gemini-2.5-flash","responseId":"r1"}`
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Gemini's strings are written as Google's JSON writes them, with <, > and & escaped:
// text (appended directly) and the model name (through the writer), by the
// stream encoder and ResponseFromResult alike.
func TestEncodersEscapeHTML(t *testing.T) {
	res := &sluice.Result{Model: "a<b&c>", Items: []sluice.Item{{Kind: sluice.ItemMessage, Text: "a<b&c>"}}}
	var buf bytes.Buffer
	enc := NewEncoder(&buf, EncoderOptions{Model: "a<b&c>"})
	if err := enc.Encode(&sluice.Event{Type: sluice.EventText, Text: "a<b&c>"}); err != nil {
		t.Fatal(err)
	}
	if err := enc.End(); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"ResponseFromResult": string(ResponseFromResult(res)), "Encoder": buf.String()} {
		if n := strings.Count(out, `"a\u003cb\u0026c\u003e"`); n < 2 { // the text and the model
			t.Errorf("%s: %s", name, out)
		}
	}
}
