package gemini

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// RequestInfo holds what a generateContent request says beyond
// [sluice.Request]. The model and whether to stream are in the URL (see
// [ModelFromPath]).
type RequestInfo struct {
	// CandidateCount is generationConfig.candidateCount, 1 when absent.
	CandidateCount int
	// IncludeThoughts is thinkingConfig.includeThoughts.
	IncludeThoughts bool
}

// ModelFromPath reads the model and the method from a request path such as
// "/v1beta/models/gemini-2.5-flash:streamGenerateContent": model
// "gemini-2.5-flash", stream true. ok is false when the path is not a
// generateContent or streamGenerateContent call.
func ModelFromPath(path string) (model string, stream, ok bool) {
	i := strings.LastIndex(path, "/models/")
	if i < 0 {
		return "", false, false
	}
	rest := path[i+len("/models/"):]
	// The method follows the last colon: a model name may hold colons of
	// its own (tuned models, the simulator's "stall@5:2s").
	j := strings.LastIndex(rest, ":")
	if j <= 0 {
		return "", false, false
	}
	model, method := rest[:j], rest[j+1:]
	if model == "" {
		return "", false, false
	}
	if m, err := url.PathUnescape(model); err == nil {
		model = m
	}
	switch method {
	case "streamGenerateContent":
		return model, true, true
	case "generateContent":
		return model, false, true
	}
	return "", false, false
}

// ParseRequest reads a generateContent or streamGenerateContent body, for
// the server's Gemini frontend and the simulator. It is the inverse of
// [BuildRequest]. The returned Request has no Model: the caller takes it
// from the URL with [ModelFromPath].
//
// "user" (or unnamed) contents become user messages and "model" contents
// assistant messages, except that functionResponse parts become tool
// messages; systemInstruction becomes System. A part's thoughtSignature
// goes into its Opaque (Provider "gemini"). Call ids missing from
// functionCall are synthesised as call_<n>, and a functionResponse without
// an id answers the oldest unanswered call of its name. A response of the
// form {"output": "<text>"} or {"error": "<text>"} becomes that text (the
// latter with IsError); any other response its JSON. Parts sluice does not
// model (executableCode, codeExecutionResult, …) are refused. Members and
// generationConfig fields sluice does not model, tools other than function
// declarations, and a toolConfig it cannot express go into Extra, so
// BuildRequest sends them on unchanged. Errors are *sluice.Error of
// KindBadRequest saying what is wrong.
func ParseRequest(body []byte) (*sluice.Request, *RequestInfo, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, nil, badRequest("the body is not a JSON object", `send {"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}`)
	}
	req := &sluice.Request{}
	info := &RequestInfo{CandidateCount: 1}
	take := func(k string, dst any) (bool, error) {
		raw, ok := top[k]
		delete(top, k)
		if !ok || string(raw) == "null" {
			return false, nil
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return false, badRequest(fmt.Sprintf("%q has the wrong shape: %v", k, err), "see https://ai.google.dev/api/generate-content#request-body")
		}
		return true, nil
	}
	var contents []wireContent
	var system wireContent
	var tools []json.RawMessage
	var toolConfig, genConfig json.RawMessage
	if _, err := take("contents", &contents); err != nil {
		return nil, nil, err
	}
	hasSystem, err := take("systemInstruction", &system)
	if err != nil {
		return nil, nil, err
	}
	if _, err := take("tools", &tools); err != nil {
		return nil, nil, err
	}
	if _, err := take("toolConfig", &toolConfig); err != nil {
		return nil, nil, err
	}
	if _, err := take("generationConfig", &genConfig); err != nil {
		return nil, nil, err
	}
	if hasSystem {
		var texts []string
		for _, p := range system.Parts {
			if p.Text != nil {
				texts = append(texts, *p.Text)
			}
		}
		req.System = strings.Join(texts, "\n")
	}
	if err := parseContents(req, contents); err != nil {
		return nil, nil, err
	}
	var otherTools []json.RawMessage
	for i, raw := range tools {
		var t struct {
			FunctionDeclarations []wireFunctionDecl `json:"functionDeclarations"`
		}
		if err := json.Unmarshal(raw, &t); err != nil || !jsonwire.IsObject(raw) {
			return nil, nil, badRequest(fmt.Sprintf("tools[%d] is not a tool object", i), "see https://ai.google.dev/api/caching#Tool")
		}
		if len(t.FunctionDeclarations) == 0 {
			otherTools = append(otherTools, raw)
			continue
		}
		if m, _ := jsonwire.ObjectMembers(raw); true {
			n := 0
			for _, _, ok := m.Next(); ok; _, _, ok = m.Next() {
				n++
			}
			if n > 1 { // function declarations beside another tool in one entry
				return nil, nil, badRequest(fmt.Sprintf("tools[%d] mixes functionDeclarations with another tool", i), "put each tool in its own entry")
			}
		}
		for _, d := range t.FunctionDeclarations {
			params := d.ParametersJSONSchema
			if len(params) == 0 {
				params = d.Parameters
			}
			req.Tools = append(req.Tools, sluice.Tool{Name: d.Name, Description: d.Description, Parameters: params})
		}
	}
	if len(otherTools) > 0 {
		b, _ := json.Marshal(otherTools)
		top["tools"] = b
	}
	if len(toolConfig) > 0 && !parseToolConfig(req, toolConfig) {
		top["toolConfig"] = toolConfig
	}
	if len(genConfig) > 0 {
		if err := parseGenerationConfig(req, info, genConfig, top); err != nil {
			return nil, nil, err
		}
	}
	if len(top) > 0 {
		req.Extra = top
	}
	if len(req.Messages) == 0 {
		return nil, nil, badRequest("the request has no contents", "add at least one user content")
	}
	return req, info, nil
}

func parseContents(req *sluice.Request, contents []wireContent) error {
	type pending struct{ id, name string }
	var open []pending
	calls := 0
	for i, c := range contents {
		role := sluice.RoleUser
		switch c.Role {
		case "", "user":
		case "model":
			role = sluice.RoleAssistant
		case "function", "tool":
			role = sluice.RoleTool
		default:
			return badRequest(fmt.Sprintf("contents[%d] has role %q", i, c.Role), `use "user" or "model"`)
		}
		if len(c.Parts) == 0 {
			return badRequest(fmt.Sprintf("contents[%d] has no parts", i), `give every content at least one part, e.g. {"text":"…"}`)
		}
		msg := sluice.Message{Role: role}
		var results []sluice.Part
		for j, p := range c.Parts {
			where := fmt.Sprintf("contents[%d].parts[%d]", i, j)
			var op []sluice.Opaque
			if p.ThoughtSignature != "" {
				op = []sluice.Opaque{{Provider: Protocol, Kind: sluice.OpaqueThoughtSignature, Data: p.ThoughtSignature}}
			}
			switch {
			case p.FunctionCall != nil:
				if p.FunctionCall.Name == "" {
					return badRequest(where+".functionCall has no name", "name the function called")
				}
				id := p.FunctionCall.ID
				if id == "" {
					id = "call_" + strconv.Itoa(calls)
				}
				calls++
				args := bytes.TrimSpace(p.FunctionCall.Args)
				if len(args) == 0 || string(args) == "null" {
					args = []byte("{}")
				} else if args[0] != '{' {
					return badRequest(where+".functionCall.args is not an object", `give the arguments as a JSON object, e.g. {"city":"Paris"}`)
				} else {
					var buf bytes.Buffer
					if json.Compact(&buf, args) == nil {
						args = buf.Bytes()
					}
				}
				open = append(open, pending{id, p.FunctionCall.Name})
				msg.Content = append(msg.Content, sluice.Part{Type: sluice.PartToolCall, CallID: id, Name: p.FunctionCall.Name, Arguments: string(args), Opaque: op})
			case p.FunctionResponse != nil:
				fr := p.FunctionResponse
				if fr.Name == "" {
					return badRequest(where+".functionResponse has no name", "name the function whose result this is")
				}
				id := fr.ID
				k := -1
				for n, o := range open {
					if (id != "" && o.id == id) || (id == "" && o.name == fr.Name) {
						k = n
						break
					}
				}
				if k >= 0 {
					id = open[k].id
					open = slices.Delete(open, k, k+1)
				}
				text, isErr := responseText(fr.Response)
				results = append(results, sluice.Part{Type: sluice.PartToolResult, CallID: id, Name: fr.Name, Text: text, IsError: isErr})
			case p.InlineData != nil:
				data, err := base64.StdEncoding.DecodeString(p.InlineData.Data)
				if err == nil && len(data) == 0 {
					return badRequest(where+".inlineData has no data", "send the bytes in base64")
				}
				if err != nil {
					if data, err = base64.URLEncoding.DecodeString(p.InlineData.Data); err != nil {
						return badRequest(where+".inlineData.data is not valid base64", "encode the bytes with standard base64")
					}
				}
				msg.Content = append(msg.Content, sluice.Part{Type: sluice.PartImage, MediaType: p.InlineData.MimeType, Data: data, Opaque: op})
			case p.FileData != nil:
				if p.FileData.FileURI == "" {
					return badRequest(where+".fileData has no fileUri", "give the file's URI")
				}
				msg.Content = append(msg.Content, sluice.Part{Type: sluice.PartImage, MediaType: p.FileData.MimeType, URL: p.FileData.FileURI, Opaque: op})
			case p.Text != nil && (p.Thought || (*p.Text == "" && op != nil)):
				msg.Content = append(msg.Content, sluice.Part{Type: sluice.PartReasoning, Text: *p.Text, Opaque: op})
			case p.Text != nil:
				msg.Content = append(msg.Content, sluice.Part{Type: sluice.PartText, Text: *p.Text, Opaque: op})
			default:
				return badRequest(where+" is of a kind sluice does not carry", "send text, inlineData, fileData, functionCall or functionResponse parts")
			}
		}
		if len(results) > 0 {
			req.Messages = append(req.Messages, sluice.Message{Role: sluice.RoleTool, Content: results})
		}
		if len(msg.Content) > 0 || len(results) == 0 {
			req.Messages = append(req.Messages, msg)
		}
	}
	return nil
}

// responseText turns a functionResponse.response into a tool result's text.
func responseText(r json.RawMessage) (string, bool) {
	r = bytes.TrimSpace(r)
	var m map[string]json.RawMessage
	if json.Unmarshal(r, &m) == nil && len(m) == 1 {
		for k, v := range m {
			var s string
			if (k == "output" || k == "error") && json.Unmarshal(v, &s) == nil {
				return s, k == "error"
			}
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, r) == nil {
		return buf.String(), false
	}
	return string(r), false
}

// parseToolConfig maps toolConfig into req.ToolChoice; false when it says
// more than ToolChoice can.
func parseToolConfig(req *sluice.Request, raw json.RawMessage) bool {
	var tc struct {
		FunctionCallingConfig *struct {
			Mode                 string   `json:"mode"`
			AllowedFunctionNames []string `json:"allowedFunctionNames"`
		} `json:"functionCallingConfig"`
	}
	if json.Unmarshal(raw, &tc) != nil || tc.FunctionCallingConfig == nil {
		return false
	}
	var n int
	m, _ := jsonwire.ObjectMembers(raw)
	for _, _, ok := m.Next(); ok; _, _, ok = m.Next() {
		n++
	}
	if n != 1 {
		return false
	}
	f := tc.FunctionCallingConfig
	switch {
	case f.Mode == "AUTO" && len(f.AllowedFunctionNames) == 0:
		req.ToolChoice.Mode = sluice.ToolChoiceAuto
	case f.Mode == "NONE" && len(f.AllowedFunctionNames) == 0:
		req.ToolChoice.Mode = sluice.ToolChoiceNone
	case f.Mode == "ANY" && len(f.AllowedFunctionNames) == 0:
		req.ToolChoice.Mode = sluice.ToolChoiceRequired
	case f.Mode == "ANY" && len(f.AllowedFunctionNames) == 1:
		req.ToolChoice = sluice.ToolChoice{Mode: sluice.ToolChoiceTool, Name: f.AllowedFunctionNames[0]}
	default:
		return false
	}
	return true
}

// parseGenerationConfig moves the fields sluice models into req and leaves
// the rest in extra["generationConfig"].
func parseGenerationConfig(req *sluice.Request, info *RequestInfo, raw json.RawMessage, extra map[string]json.RawMessage) error {
	var gc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &gc); err != nil {
		return badRequest(`"generationConfig" is not an object`, "see https://ai.google.dev/api/generate-content#generationconfig")
	}
	take := func(k string, dst any) (bool, error) {
		v, ok := gc[k]
		if !ok || string(v) == "null" {
			return false, nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return false, badRequest(fmt.Sprintf("generationConfig.%s has the wrong type: %v", k, err), "see https://ai.google.dev/api/generate-content#generationconfig")
		}
		delete(gc, k)
		return true, nil
	}
	var temp, topP float64
	var seed int64
	var tc map[string]json.RawMessage
	steps := []struct {
		k   string
		dst any
		set func()
	}{
		{"maxOutputTokens", &req.MaxTokens, nil},
		{"temperature", &temp, func() { req.Temperature = &temp }},
		{"topP", &topP, func() { req.TopP = &topP }},
		{"topK", &req.TopK, nil},
		{"seed", &seed, func() { req.Seed = &seed }},
		{"stopSequences", &req.Stop, nil},
		{"candidateCount", &info.CandidateCount, nil},
		{"thinkingConfig", &tc, nil},
	}
	for _, s := range steps {
		ok, err := take(s.k, s.dst)
		if err != nil {
			return err
		}
		if ok && s.set != nil {
			s.set()
		}
	}
	if info.CandidateCount != 1 {
		gc["candidateCount"] = json.RawMessage(strconv.Itoa(info.CandidateCount))
	}
	if req.MaxTokens < 0 {
		return badRequest("generationConfig.maxOutputTokens is negative", "use a positive number")
	}
	if tc != nil {
		r := &sluice.ReasoningConfig{}
		if v, ok := tc["includeThoughts"]; ok {
			var b bool
			if json.Unmarshal(v, &b) == nil {
				delete(tc, "includeThoughts")
				info.IncludeThoughts = b
				if b {
					r.Summary = "auto"
				}
			}
		}
		if v, ok := tc["thinkingBudget"]; ok {
			var n int
			if json.Unmarshal(v, &n) == nil && n > 0 {
				r.BudgetTokens = n
				delete(tc, "thinkingBudget")
			}
		}
		if v, ok := tc["thinkingLevel"]; ok {
			var s string
			if json.Unmarshal(v, &s) == nil && s != "" {
				r.Effort = strings.ToLower(s)
				delete(tc, "thinkingLevel")
			}
		}
		if *r != (sluice.ReasoningConfig{}) {
			req.Reasoning = r
		}
		if len(tc) > 0 { // a budget of 0 or -1 (dynamic), and whatever is new
			b, _ := json.Marshal(tc)
			gc["thinkingConfig"] = b
		}
	}
	if len(gc) > 0 {
		b, _ := json.Marshal(gc)
		extra["generationConfig"] = b
	}
	return nil
}
