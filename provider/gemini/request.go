package gemini

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
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
	t, ok := jsonwire.Lookup(p, "type")
	if !ok {
		return false
	}
	s, err := jsonwire.UnmarshalString(t)
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

// mergeExtra merges extra into the top level of the JSON object body, deeply
// (see [jsonwire.MergeDeep]): an extra tools array adds to the tools, an
// extra generationConfig sets its fields among the others.
func mergeExtra(body []byte, extra map[string]json.RawMessage) ([]byte, error) {
	out, err := jsonwire.MergeMembers(body, extra, jsonwire.MergeDeep)
	if bad, ok := errors.AsType[*jsonwire.InvalidValueError](err); ok {
		return nil, badRequest(fmt.Sprintf("Extra[%q] is not valid JSON", bad.Key), "give each Extra value as raw JSON, e.g. json.RawMessage(`[{\"googleSearch\":{}}]`)")
	}
	return out, err
}
