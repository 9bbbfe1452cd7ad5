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
)

// The generateContent request body, fields in the order of the API docs.
type generateRequest struct {
	Contents          []wireContent   `json:"contents"`
	SystemInstruction *wireContent    `json:"systemInstruction,omitempty"`
	Tools             []wireTool      `json:"tools,omitempty"`
	ToolConfig        *wireToolConfig `json:"toolConfig,omitempty"`
	GenerationConfig  json.RawMessage `json:"generationConfig,omitempty"`
}

type wireContent struct {
	Role  string     `json:"role,omitempty"`
	Parts []wirePart `json:"parts"`
}

type wirePart struct {
	Text             *string               `json:"text,omitempty"`
	Thought          bool                  `json:"thought,omitempty"`
	InlineData       *wireBlob             `json:"inlineData,omitempty"`
	FileData         *wireFile             `json:"fileData,omitempty"`
	FunctionCall     *wireFunctionCall     `json:"functionCall,omitempty"`
	FunctionResponse *wireFunctionResponse `json:"functionResponse,omitempty"`
	ThoughtSignature string                `json:"thoughtSignature,omitempty"`
}

type wireBlob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

type wireFile struct {
	MimeType string `json:"mimeType,omitempty"`
	FileURI  string `json:"fileUri"`
}

type wireFunctionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type wireFunctionResponse struct {
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type wireTool struct {
	FunctionDeclarations []wireFunctionDecl `json:"functionDeclarations,omitempty"`
}

type wireFunctionDecl struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	Parameters           json.RawMessage `json:"parameters,omitempty"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
}

type wireToolConfig struct {
	FunctionCallingConfig struct {
		Mode                 string   `json:"mode,omitempty"`
		AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
	} `json:"functionCallingConfig"`
}

type wireGenerationConfig struct {
	StopSequences   []string            `json:"stopSequences,omitempty"`
	MaxOutputTokens int                 `json:"maxOutputTokens,omitempty"`
	Temperature     *float64            `json:"temperature,omitempty"`
	TopP            *float64            `json:"topP,omitempty"`
	TopK            int                 `json:"topK,omitempty"`
	Seed            *int64              `json:"seed,omitempty"`
	ThinkingConfig  *wireThinkingConfig `json:"thinkingConfig,omitempty"`
}

type wireThinkingConfig struct {
	IncludeThoughts bool   `json:"includeThoughts,omitempty"`
	ThinkingBudget  *int   `json:"thinkingBudget,omitempty"`
	ThinkingLevel   string `json:"thinkingLevel,omitempty"`
}

func badRequest(msg, hint string) *sluice.Error {
	return &sluice.Error{Kind: sluice.KindBadRequest, Message: msg, Hint: hint}
}

// effortBudget is the thinkingBudget for an effort on Gemini 1.x and 2.x,
// which take budgets only.
var effortBudget = map[string]int{"minimal": 128, "low": 1024, "medium": 8192, "high": 24576}

// takesBudget reports whether model takes thinkingBudget rather than
// thinkingLevel (Gemini 3 and later).
func takesBudget(model string) bool {
	m := strings.TrimPrefix(model, "models/")
	return strings.HasPrefix(m, "gemini-1") || strings.HasPrefix(m, "gemini-2")
}

// signatureOf returns the Gemini thought signature among opaque data.
func signatureOf(op []sluice.Opaque) string {
	for _, o := range op {
		if o.Kind == sluice.OpaqueThoughtSignature {
			return o.Data
		}
	}
	return ""
}

// isSynthesisedID reports whether id has the call_<n> form this package's
// decoders invent when the API sends no id; such ids are not sent back.
func isSynthesisedID(id string) bool {
	n, ok := strings.CutPrefix(id, "call_")
	if !ok || n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// BuildRequest returns the JSON body of POST /models/{model}:generateContent
// or :streamGenerateContent for req. The model and streaming are chosen by
// the URL, so neither req.Model nor stream changes the body.
//
// System and system messages become systemInstruction; user turns "user"
// contents and assistant turns "model" contents, consecutive turns of one
// role merged into one content (Gemini wants all answers to a turn's
// function calls in one content). Parts: text; images inline (Data or a
// data: URL) or as fileData (an http or gs:// URL); tool calls as
// functionCall with their args object; tool results as functionResponse
// with the result as "response" (a JSON object result as is, other text as
// {"output": text}, or {"error": text} when IsError); reasoning as
// "thought": true text. A Gemini thought signature in a part's Opaque is
// sent back on that part, so a signature on a tool call returns on its
// functionCall; a reasoning part with no text carries just its signature.
// Call ids go back as functionCall.id and functionResponse.id, except the
// call_<n> ids a decoder synthesised.
//
// generationConfig holds maxOutputTokens, temperature, topP, topK, seed,
// stopSequences and thinkingConfig: BudgetTokens is thinkingBudget; Effort is
// thinkingLevel on Gemini 3 and later and a budget on 1.x and 2.x (minimal
// 128, low 1024, medium 8192, high 24576); a Summary asks for
// includeThoughts. Tools become functionDeclarations with the schema as
// parametersJsonSchema (as parameters when it uses Gemini's upper-case
// OpenAPI types), and ToolChoice toolConfig.functionCallingConfig (auto
// AUTO, none NONE, required ANY, a named tool ANY with allowedFunctionNames).
//
// req.Extra is merged last at the top level: objects merge member by
// member ("generationConfig" for responseMimeType and the like), arrays are
// appended to ("tools" for googleSearch), anything else replaces.
func BuildRequest(req *sluice.Request, stream bool) ([]byte, error) {
	_ = stream
	if req == nil {
		return nil, badRequest("no request", "pass a *sluice.Request")
	}
	body := generateRequest{Contents: []wireContent{}}
	var system []wirePart
	if req.System != "" {
		system = append(system, textPart(req.System))
	}
	names := map[string]string{} // call id → function name
	for i, m := range req.Messages {
		role := "user"
		switch m.Role {
		case sluice.RoleAssistant:
			role = "model"
		case sluice.RoleSystem:
			for _, p := range m.Content {
				if p.Type == sluice.PartText {
					system = append(system, textPart(p.Text))
				}
			}
			continue
		}
		parts, err := buildParts(i, m, names)
		if err != nil {
			return nil, err
		}
		if len(parts) == 0 {
			continue
		}
		if n := len(body.Contents); n > 0 && body.Contents[n-1].Role == role {
			body.Contents[n-1].Parts = append(body.Contents[n-1].Parts, parts...)
			continue
		}
		body.Contents = append(body.Contents, wireContent{Role: role, Parts: parts})
	}
	if len(system) > 0 {
		body.SystemInstruction = &wireContent{Parts: system}
	}
	if len(req.Tools) > 0 {
		decls := make([]wireFunctionDecl, 0, len(req.Tools))
		for _, t := range req.Tools {
			d := wireFunctionDecl{Name: t.Name, Description: t.Description}
			if p := bytes.TrimSpace(t.Parameters); len(p) > 0 && string(p) != "null" {
				if !json.Valid(p) {
					return nil, badRequest(fmt.Sprintf("tool %q has parameters that are not valid JSON", t.Name), "give Parameters as a JSON Schema object")
				}
				if openAPISchema(p) {
					d.Parameters = p
				} else {
					d.ParametersJSONSchema = p
				}
			}
			decls = append(decls, d)
		}
		body.Tools = []wireTool{{FunctionDeclarations: decls}}
	}
	if tc := req.ToolChoice; tc.Mode != "" {
		c := &wireToolConfig{}
		switch tc.Mode {
		case sluice.ToolChoiceAuto:
			c.FunctionCallingConfig.Mode = "AUTO"
		case sluice.ToolChoiceNone:
			c.FunctionCallingConfig.Mode = "NONE"
		case sluice.ToolChoiceRequired:
			c.FunctionCallingConfig.Mode = "ANY"
		case sluice.ToolChoiceTool:
			c.FunctionCallingConfig.Mode = "ANY"
			c.FunctionCallingConfig.AllowedFunctionNames = []string{tc.Name}
		default:
			return nil, badRequest(fmt.Sprintf("tool choice mode %q", tc.Mode), "use auto, none, required or tool")
		}
		body.ToolConfig = c
	}
	gc := wireGenerationConfig{StopSequences: req.Stop, MaxOutputTokens: req.MaxTokens, Temperature: req.Temperature, TopP: req.TopP, TopK: req.TopK, Seed: req.Seed}
	if r := req.Reasoning; r != nil {
		tc := &wireThinkingConfig{IncludeThoughts: r.Summary != "" && r.Summary != "none"}
		switch {
		case r.BudgetTokens > 0:
			tc.ThinkingBudget = &r.BudgetTokens
		case r.Effort != "" && takesBudget(req.Model):
			if b, ok := effortBudget[r.Effort]; ok {
				tc.ThinkingBudget = &b
			}
		case r.Effort != "":
			tc.ThinkingLevel = r.Effort
		}
		if tc.IncludeThoughts || tc.ThinkingBudget != nil || tc.ThinkingLevel != "" {
			gc.ThinkingConfig = tc
		}
	}
	if b, err := json.Marshal(gc); err == nil && string(b) != "{}" {
		body.GenerationConfig = b
	}
	out, err := json.Marshal(body)
	if err != nil {
		return nil, badRequest("the request does not encode as JSON: "+err.Error(), "check the tool schemas and Extra values")
	}
	return mergeExtra(out, req.Extra)
}

func textPart(s string) wirePart { return wirePart{Text: &s} }

// openAPISchema reports whether a schema uses Gemini's own OpenAPI subset
// (upper-case type names), which goes in "parameters" rather than
// "parametersJsonSchema".
func openAPISchema(p []byte) bool {
	t, ok := lookup(p, "type")
	if !ok {
		return false
	}
	s, err := unquote(t)
	return err == nil && s != "" && s == strings.ToUpper(s)
}

// buildParts maps one domain message to Gemini parts.
func buildParts(i int, m sluice.Message, names map[string]string) ([]wirePart, error) {
	var parts []wirePart
	for j, p := range m.Content {
		where := fmt.Sprintf("message %d part %d", i, j)
		sig := signatureOf(p.Opaque)
		switch p.Type {
		case sluice.PartText:
			wp := textPart(p.Text)
			wp.ThoughtSignature = sig
			parts = append(parts, wp)
		case sluice.PartReasoning:
			if p.Text == "" && sig == "" {
				continue
			}
			wp := textPart(p.Text)
			wp.Thought = p.Text != ""
			wp.ThoughtSignature = sig
			parts = append(parts, wp)
		case sluice.PartImage:
			wp, err := imagePart(p)
			if err != nil {
				return nil, badRequest(where+": "+err.Error(), "send the image bytes (Part.Data), a base64 data: URL, or an https or gs:// URL")
			}
			parts = append(parts, wp)
		case sluice.PartToolCall:
			args := json.RawMessage(bytes.TrimSpace([]byte(p.Arguments)))
			if len(args) == 0 {
				args = json.RawMessage("{}")
			}
			if !json.Valid(args) || args[0] != '{' {
				return nil, badRequest(fmt.Sprintf("%s: the arguments of tool call %q are not a JSON object", where, p.Name), "Gemini takes function-call args as a JSON object")
			}
			if p.CallID != "" {
				names[p.CallID] = p.Name
			}
			fc := &wireFunctionCall{Name: p.Name, Args: args}
			if !isSynthesisedID(p.CallID) {
				fc.ID = p.CallID
			}
			parts = append(parts, wirePart{FunctionCall: fc, ThoughtSignature: sig})
		case sluice.PartToolResult:
			name := p.Name
			if name == "" {
				name = names[p.CallID]
			}
			if name == "" {
				return nil, badRequest(where+": a tool result names no tool and answers no earlier call", "set Part.Name to the function's name")
			}
			fr := &wireFunctionResponse{Name: name, Response: toolResponse(p)}
			if !isSynthesisedID(p.CallID) {
				fr.ID = p.CallID
			}
			parts = append(parts, wirePart{FunctionResponse: fr})
		default:
			return nil, badRequest(fmt.Sprintf("%s has type %q", where, p.Type), "use text, image, tool_call, tool_result or reasoning parts")
		}
	}
	return parts, nil
}

// toolResponse is the functionResponse.response object for a tool result.
func toolResponse(p sluice.Part) json.RawMessage {
	t := bytes.TrimSpace([]byte(p.Text))
	if !p.IsError && len(t) > 0 && t[0] == '{' && json.Valid(t) {
		return t
	}
	key := "output"
	if p.IsError {
		key = "error"
	}
	b, _ := json.Marshal(map[string]string{key: p.Text})
	return b
}

func imagePart(p sluice.Part) (wirePart, error) {
	if len(p.Data) > 0 {
		mt := p.MediaType
		if mt == "" {
			mt = "application/octet-stream"
		}
		return wirePart{InlineData: &wireBlob{MimeType: mt, Data: base64.StdEncoding.EncodeToString(p.Data)}}, nil
	}
	if rest, ok := strings.CutPrefix(p.URL, "data:"); ok {
		meta, data, ok := strings.Cut(rest, ",")
		if !ok {
			return wirePart{}, fmt.Errorf("malformed data: URL")
		}
		mt, isB64 := strings.CutSuffix(meta, ";base64")
		if mt == "" {
			mt = p.MediaType
		}
		if isB64 {
			if _, err := base64.StdEncoding.DecodeString(data); err != nil {
				return wirePart{}, fmt.Errorf("data: URL is not valid base64: %v", err)
			}
		} else {
			raw, err := url.PathUnescape(data)
			if err != nil {
				return wirePart{}, fmt.Errorf("malformed data: URL: %v", err)
			}
			data = base64.StdEncoding.EncodeToString([]byte(raw))
		}
		return wirePart{InlineData: &wireBlob{MimeType: mt, Data: data}}, nil
	}
	if p.URL != "" {
		return wirePart{FileData: &wireFile{MimeType: p.MediaType, FileURI: p.URL}}, nil
	}
	return wirePart{}, fmt.Errorf("image part without data or URL")
}

// mergeExtra merges extra into the top level of the JSON object body.
func mergeExtra(body []byte, extra map[string]json.RawMessage) ([]byte, error) {
	if len(extra) == 0 {
		return body, nil
	}
	keys := make([]string, 0, len(extra))
	for k, v := range extra {
		if !json.Valid(v) {
			return nil, badRequest(fmt.Sprintf("Extra[%q] is not valid JSON", k), "give each Extra value as raw JSON, e.g. json.RawMessage(`[{\"googleSearch\":{}}]`)")
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var members []byte
	m := objectMembers(body)
	for k, v, ok := m.next(); ok; k, v, ok = m.next() {
		if x, found := extra[string(k)]; found {
			v = mergeValues(v, x)
		}
		members = appendMember(members, k, v)
	}
	for _, k := range keys {
		if _, found := lookup(body, k); found {
			continue
		}
		q, _ := json.Marshal(k)
		members = appendMember(members, q[1:len(q)-1], bytes.TrimSpace(extra[k]))
	}
	return wrapObject(members), nil
}

// mergeValues merges b into a: objects member by member (b wins), arrays
// by appending b's elements, anything else is b.
func mergeValues(a, b []byte) []byte {
	a, b = trimSpace(a), trimSpace(b)
	switch {
	case isObject(a) && isObject(b):
		var body []byte
		m := objectMembers(a)
		for k, v, ok := m.next(); ok; k, v, ok = m.next() {
			if x, found := lookup(b, string(k)); found {
				v = mergeValues(v, x)
			}
			body = appendMember(body, k, v)
		}
		m = objectMembers(b)
		for k, v, ok := m.next(); ok; k, v, ok = m.next() {
			if _, found := lookup(a, string(k)); !found {
				body = appendMember(body, k, v)
			}
		}
		return append(append([]byte{'{'}, body...), '}')
	case len(a) > 0 && a[0] == '[' && len(b) > 0 && b[0] == '[':
		out := []byte{'['}
		n := 0
		for _, arr := range [][]byte{a, b} {
			e := arrayElements(arr)
			for v, ok := e.next(); ok; v, ok = e.next() {
				if n > 0 {
					out = append(out, ',')
				}
				out = append(out, v...)
				n++
			}
		}
		return append(out, ']')
	}
	return b
}

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
	model, method, found := strings.Cut(rest, ":")
	if !found || model == "" {
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
		if err := json.Unmarshal(raw, &t); err != nil || !isObject(raw) {
			return nil, nil, badRequest(fmt.Sprintf("tools[%d] is not a tool object", i), "see https://ai.google.dev/api/caching#Tool")
		}
		if len(t.FunctionDeclarations) == 0 {
			otherTools = append(otherTools, raw)
			continue
		}
		if m := objectMembers(raw); true {
			n := 0
			for _, _, ok := m.next(); ok; _, _, ok = m.next() {
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
	m := objectMembers(raw)
	for _, _, ok := m.next(); ok; _, _, ok = m.next() {
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
