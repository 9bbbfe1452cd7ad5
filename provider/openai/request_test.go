package openai

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
)

func ptr[T any](v T) *T { return &v }

// fullRequest uses every field of sluice.Request.
func fullRequest() *sluice.Request {
	return &sluice.Request{
		Model:  "gpt-4o",
		System: "Be brief.",
		Messages: []sluice.Message{
			{Role: sluice.RoleUser, Content: []sluice.Part{
				sluice.Text("What is in this picture, and the weather in Paris?"),
				{Type: sluice.PartImage, MediaType: "image/png", Data: []byte("\x89PNG")},
				{Type: sluice.PartImage, URL: "https://example.com/cat.jpg"},
			}},
			{Role: sluice.RoleAssistant, Content: []sluice.Part{
				{Type: sluice.PartReasoning, Text: "Need the weather.", Opaque: []sluice.Opaque{{Provider: "anthropic", Kind: sluice.OpaqueSignature, Data: "sig"}}},
				sluice.Text("A cat. Checking the weather."),
				{Type: sluice.PartToolCall, CallID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`},
			}},
			{Role: sluice.RoleTool, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: "call_1", Name: "get_weather", Text: "18°C"}}},
		},
		MaxTokens:   256,
		Temperature: ptr(0.5),
		TopP:        ptr(0.9),
		TopK:        40,
		Seed:        ptr(int64(7)),
		Stop:        []string{"\n\n"},
		Tools:       []sluice.Tool{{Name: "get_weather", Description: "Current weather", Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)}},
		ToolChoice:  sluice.ToolChoice{Mode: sluice.ToolChoiceTool, Name: "get_weather", DisableParallel: true},
		Reasoning:   &sluice.ReasoningConfig{Effort: "low"},
		Extra:       map[string]json.RawMessage{"user": json.RawMessage(`"u-1"`), "temperature": json.RawMessage(`0.2`)},
		Header:      map[string]string{"X-Test": "1"},
	}
}

func TestBuildRequest(t *testing.T) {
	got, err := BuildRequest(fullRequest(), true)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"gpt-4o","messages":[` +
		`{"role":"system","content":"Be brief."},` +
		`{"role":"user","content":[{"type":"text","text":"What is in this picture, and the weather in Paris?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw=="}},{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]},` +
		`{"role":"assistant","content":"A cat. Checking the weather.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
		`{"role":"tool","content":"18°C","tool_call_id":"call_1"}],` +
		`"max_completion_tokens":256,"top_p":0.9,"seed":7,"stop":["\n\n"],` +
		`"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],` +
		`"tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":false,"reasoning_effort":"low",` +
		`"stream":true,"stream_options":{"include_usage":true},"temperature":0.2,"user":"u-1"}`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestBuildRequestOptions(t *testing.T) {
	req := fullRequest()
	req.Extra = nil
	body, err := buildRequest(req, true, buildOptions{legacyMaxTokens: true, noUsage: true, topK: true, reasoning: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"max_tokens":256`, `"top_k":40`, `"reasoning_content":"Need the weather."`, `"stream":true`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("no %s in %s", want, body)
		}
	}
	for _, absent := range []string{"max_completion_tokens", "stream_options", "sig"} {
		if strings.Contains(string(body), absent) {
			t.Errorf("%s in %s", absent, body)
		}
	}
	// Not streaming: no stream fields.
	body, _ = BuildRequest(&sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("hi")}, Reasoning: &sluice.ReasoningConfig{BudgetTokens: 10000}}, false)
	if want := `{"model":"m","messages":[{"role":"user","content":"hi"}],"reasoning_effort":"high"}`; string(body) != want {
		t.Errorf("got %s, want %s", body, want)
	}
}

func TestBuildRequestAnthropicStyleToolResults(t *testing.T) {
	body, err := BuildRequest(&sluice.Request{Model: "m", Messages: []sluice.Message{
		{Role: sluice.RoleAssistant, Content: []sluice.Part{{Type: sluice.PartToolCall, CallID: "a", Name: "f"}, {Type: sluice.PartToolCall, CallID: "b", Name: "g"}}},
		{Role: sluice.RoleUser, Content: []sluice.Part{
			{Type: sluice.PartToolResult, CallID: "a", Text: "1"},
			{Type: sluice.PartToolResult, CallID: "b", Text: "2", IsError: true},
			sluice.Text("Go on."),
		}},
	}}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]},` +
		`{"role":"tool","content":"1","tool_call_id":"a"},{"role":"tool","content":"2","tool_call_id":"b"},{"role":"user","content":"Go on."}]}`
	if string(body) != want {
		t.Errorf("got\n%s\nwant\n%s", body, want)
	}
}

func TestBuildRequestErrors(t *testing.T) {
	user := []sluice.Message{sluice.UserMessage("hi")}
	tests := []struct {
		name string
		req  *sluice.Request
		want string
	}{
		{"no model", &sluice.Request{Messages: user}, "names no model"},
		{"no messages", &sluice.Request{Model: "m"}, "no messages"},
		{"tool choice without name", &sluice.Request{Model: "m", Messages: user, ToolChoice: sluice.ToolChoice{Mode: sluice.ToolChoiceTool}}, "names no tool"},
		{"bad extra", &sluice.Request{Model: "m", Messages: user, Extra: map[string]json.RawMessage{"x": json.RawMessage(`{`)}}, `extra field "x"`},
		{"tool result without id", &sluice.Request{Model: "m", Messages: []sluice.Message{{Role: sluice.RoleTool, Content: []sluice.Part{{Type: sluice.PartToolResult, Text: "x"}}}}}, "without a call id"},
		{"bad parameters", &sluice.Request{Model: "m", Messages: user, Tools: []sluice.Tool{{Name: "f", Parameters: json.RawMessage(`{`)}}}, "not valid JSON"},
	}
	for _, tt := range tests {
		_, err := BuildRequest(tt.req, true)
		e := sluice.AsError(err)
		if err == nil || e.Kind != sluice.KindBadRequest || !strings.Contains(e.Error(), tt.want) {
			t.Errorf("%s: error %v, want a bad request saying %q", tt.name, err, tt.want)
		}
	}
}

func TestParseRequest(t *testing.T) {
	body := `{"model":"gpt-4o-mini","messages":[
		{"role":"developer","content":"Be brief."},
		{"role":"user","content":[{"type":"text","text":"Look:"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw==","detail":"low"}}]},
		{"role":"assistant","content":null,"reasoning_content":"hmm","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},
		{"role":"tool","tool_call_id":"call_1","content":[{"type":"text","text":"18"},{"type":"text","text":"°C"}]},
		{"role":"system","content":"Later system note."}],
		"max_tokens":100,"max_completion_tokens":200,"temperature":0,"top_k":5,"seed":1,"stop":"END",
		"tools":[{"type":"function","function":{"name":"get_weather","parameters":{ "type" : "object" }}}],
		"tool_choice":"required","parallel_tool_calls":false,"reasoning_effort":"medium",
		"stream":true,"stream_options":{"include_usage":true,"include_obfuscation":false},
		"n":2,"logprobs":true,"response_format":{"type":"json_object"}}`
	req, info, err := ParseRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := &sluice.Request{
		Model:  "gpt-4o-mini",
		System: "Be brief.",
		Messages: []sluice.Message{
			{Role: sluice.RoleUser, Content: []sluice.Part{sluice.Text("Look:"), {Type: sluice.PartImage, MediaType: "image/png", Data: []byte("\x89PNG")}}},
			{Role: sluice.RoleAssistant, Content: []sluice.Part{{Type: sluice.PartReasoning, Text: "hmm"}, {Type: sluice.PartToolCall, CallID: "call_1", Name: "get_weather", Arguments: "{}"}}},
			{Role: sluice.RoleTool, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: "call_1", Name: "get_weather", Text: "18°C"}}},
			{Role: sluice.RoleSystem, Content: []sluice.Part{sluice.Text("Later system note.")}},
		},
		MaxTokens: 200, Temperature: ptr(0.0), TopK: 5, Seed: ptr(int64(1)), Stop: []string{"END"},
		Tools:      []sluice.Tool{{Name: "get_weather", Parameters: json.RawMessage(`{"type":"object"}`)}},
		ToolChoice: sluice.ToolChoice{Mode: sluice.ToolChoiceRequired, DisableParallel: true},
		Reasoning:  &sluice.ReasoningConfig{Effort: "medium"},
	}
	if !reflect.DeepEqual(req, want) {
		g, _ := json.MarshalIndent(req, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("got\n%s\nwant\n%s", g, w)
	}
	if !info.Stream || !info.IncludeUsage || info.N != 2 || string(info.StreamOptions) != `{"include_usage":true,"include_obfuscation":false}` {
		t.Errorf("info %+v", info)
	}
	var keys []string
	for k := range info.Extra {
		keys = append(keys, k)
	}
	if len(info.Extra) != 3 || string(info.Extra["response_format"]) != `{"type":"json_object"}` || string(info.Extra["n"]) != "2" || string(info.Extra["logprobs"]) != "true" {
		t.Errorf("extra %v", keys)
	}
}

func TestParseRequestErrors(t *testing.T) {
	tests := []struct{ body, want string }{
		{`[]`, "not a JSON object"},
		{`{"model":"m"`, "not a JSON object"},
		{`{"model":"m","messages":"hi"}`, "does not match"},
		{`{"model":"m","messages":[]}`, "no messages"},
		{`{"messages":[{"role":"user","content":"hi"}]}`, "names no model"},
		{`{"model":"m","messages":[{"role":"robot","content":"hi"}]}`, `role "robot"`},
		{`{"model":"m","messages":[{"role":"function","name":"f","content":"x"}]}`, "deprecated role function"},
		{`{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "no tool_call_id"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}`, `type "input_audio"`},
		{`{"model":"m","messages":[{"role":"user","content":42}]}`, "neither a string nor an array"},
		{`{"model":"m","messages":[{"role":"assistant","content":[{"type":"image_url","image_url":{"url":"https://x"}}]}]}`, "only user messages take images"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,@@"}}]}]}`, "not valid base64"},
		{`{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":7}`, "stop is neither"},
		{`{"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":"sometimes"}`, `tool_choice "sometimes"`},
		{`{"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"allowed_tools"}}`, "not a function choice"},
		{`{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"custom","custom":{"name":"x"}}]}`, `type "custom"`},
		{`{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{}}]}`, "no function name"},
		{`{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":-1}`, "max tokens is -1"},
		{`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream_options":true}`, "stream_options is not an object"},
		{`{"model":"m","messages":[{"role":"user","content":"hi","tool_calls":[{"id":"x","type":"function","function":{"name":"f"}}]}]}`, "not an assistant message"},
	}
	for _, tt := range tests {
		_, _, err := ParseRequest([]byte(tt.body))
		e := sluice.AsError(err)
		if err == nil || e.Kind != sluice.KindBadRequest || !strings.Contains(e.Error(), tt.want) {
			t.Errorf("%s: error %v, want a bad request saying %q", tt.body, err, tt.want)
		}
		if err != nil && e.Hint == "" {
			t.Errorf("%s: no hint in %v", tt.body, err)
		}
	}
}

// TestRequestRoundTrip checks that what ParseRequest reads, BuildRequest
// writes back so that ParseRequest reads the same again.
func TestRequestRoundTrip(t *testing.T) {
	req := fullRequest()
	req.Extra, req.Header = nil, nil
	req.Messages[1].Content[0].Opaque = nil // chat completions cannot carry it
	req.Messages[0].Content[2] = sluice.Part{Type: sluice.PartImage, URL: "https://example.com/cat.jpg"}
	body, err := buildRequest(req, true, buildOptions{topK: true, reasoning: true})
	if err != nil {
		t.Fatal(err)
	}
	got, info, err := ParseRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, req) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(req, "", " ")
		t.Errorf("got\n%s\nwant\n%s", g, w)
	}
	if !info.Stream || !info.IncludeUsage || len(info.Extra) != 0 {
		t.Errorf("info %+v", info)
	}
}

// checkRequestJSON fails t unless the body written for req is byte for byte
// what json.Marshal writes for the same chatRequest.
func checkRequestJSON(t *testing.T, req *sluice.Request, o buildOptions) {
	t.Helper()
	w, err := assembleRequest(req, true, o)
	if err != nil {
		return
	}
	want, werr := json.Marshal(w)
	got, gerr := w.appendJSON(nil)
	if (werr == nil) != (gerr == nil) || string(got) != string(want) {
		t.Fatalf("appendJSON:\n%s (%v)\njson.Marshal:\n%s (%v)", got, gerr, want, werr)
	}
}

// The request body is what json.Marshal would write, without its cost.
func TestRequestJSONMatchesMarshal(t *testing.T) {
	html := &sluice.Request{Model: "m<&>", System: "a <b> & c \u2028", Stop: []string{"</s>"},
		Messages: []sluice.Message{sluice.UserMessage("x < y && y > z"), {Role: sluice.RoleAssistant, Content: []sluice.Part{
			{Type: sluice.PartToolCall, CallID: "c<1>", Name: "f&g", Arguments: `{"q":"<a>"}`}}}},
		Tools:      []sluice.Tool{{Name: "f&g", Description: "<d>", Parameters: json.RawMessage(" { \"type\" : \"object\", \"description\":\"<x>\" } ")}},
		ToolChoice: sluice.ToolChoice{Mode: sluice.ToolChoiceTool, Name: "f&g"}}
	small := &sluice.Request{Model: "m", Temperature: ptr(1e-7), TopP: ptr(1e21), Messages: []sluice.Message{sluice.UserMessage("")}}
	for _, tt := range []struct {
		name string
		req  *sluice.Request
	}{{"full", fullRequest()}, {"html", html}, {"floats", small}} {
		t.Run(tt.name, func(t *testing.T) {
			for _, o := range []buildOptions{{}, {legacyMaxTokens: true, noUsage: true, topK: true, reasoning: true}} {
				checkRequestJSON(t, tt.req, o)
				// The body's buffer is made once, a little over its size.
				w, _ := assembleRequest(tt.req, true, o)
				if b, _ := w.appendJSON(nil); w.size() < len(b) || w.size() > 2*len(b)+128 {
					t.Errorf("size() %d for a body of %d bytes", w.size(), len(b))
				}
			}
		})
	}
}
