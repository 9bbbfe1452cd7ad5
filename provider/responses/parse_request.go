package responses

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// RequestInfo is what a Responses request says beyond the sluice.Request.
type RequestInfo struct {
	// Stream is the request's "stream".
	Stream bool
	// PreviousResponseID names the response this one continues; the caller
	// resolves it (the server keeps the conversations it served) and puts
	// the earlier turns before req.Messages.
	PreviousResponseID string
	// Store is the request's "store" (nil when absent; OpenAI's default is
	// true).
	Store *bool
	// Include lists the extra output the client asked for
	// ("reasoning.encrypted_content", …).
	Include []string
	// CustomTools names the custom (freeform) tools, which the Request holds
	// as functions of one string parameter "input" (see
	// [EncoderOptions.CustomTools]).
	CustomTools []string
	// Echo is the request fields a response object repeats, as a JSON
	// object for [EncoderOptions.Echo].
	Echo json.RawMessage
}

// topLevel lists the request fields ParseRequest models; every other field
// goes to req.Extra as it came.
var topLevel = map[string]bool{
	"model": true, "instructions": true, "input": true, "tools": true, "tool_choice": true,
	"parallel_tool_calls": true, "reasoning": true, "max_output_tokens": true, "temperature": true,
	"top_p": true, "stream": true, "previous_response_id": true, "stream_options": true,
}

// echoed lists the request fields a response object repeats.
var echoed = []string{"instructions", "max_output_tokens", "metadata", "parallel_tool_calls", "previous_response_id",
	"prompt_cache_key", "reasoning", "service_tier", "store", "temperature", "text", "tool_choice", "tools",
	"top_p", "truncation", "user"}

// ParseRequest reads a Responses API request body, as Codex, the Agents SDK
// and the openai SDKs send it, into a sluice.Request.
//
// It reads instructions (the System), input as a string or a list of items
// (messages with string or part content — input_text, output_text,
// input_image, refusal —; function_call and function_call_output;
// custom_tool_call and its output; reasoning items with their summary,
// content and encrypted_content, which becomes Opaque of Provider
// "responses", or the data [sluice.Seal] packed in it), developer and system
// messages (as RoleSystem messages), function and custom tools (a custom
// tool as a function with one string parameter "input"), tool_choice,
// parallel_tool_calls, reasoning effort and summary, max_output_tokens,
// temperature, top_p and stream. Consecutive assistant-side items (text,
// reasoning, calls) make one assistant message; each tool output one tool
// message, named after the call it answers. Item types sluice does not model
// (item_reference, hosted tool calls) are skipped.
//
// Every other field (include, store, text, metadata, prompt_cache_key,
// service_tier, unknown ones), and tools when some are not functions,
// goes to req.Extra as it came, for a Responses upstream only: a request
// sent to another provider must not carry it.
//
// A body that is not such a request is a *sluice.Error of KindBadRequest
// naming the field at fault.
func ParseRequest(body []byte) (*sluice.Request, *RequestInfo, error) {
	if !jsonwire.ValidObject(body) {
		// encoding/json says what is wrong and where.
		var top map[string]json.RawMessage
		msg := "the body is not a JSON object"
		if err := json.Unmarshal(body, &top); err != nil {
			msg += ": " + err.Error()
		}
		return nil, nil, badRequest(msg, `send a Responses API request: {"model":…,"input":…}`)
	}
	// The body is checked whole once; what is read below are slices of it,
	// and what the Request keeps is copied where it is kept.
	top, _ := jsonwire.MemberMap(body)
	req := &sluice.Request{}
	info := &RequestInfo{}
	str := func(k string, dst *string) error {
		v, ok := top[k]
		if !ok || isNull(v) {
			return nil
		}
		if json.Unmarshal(v, dst) != nil {
			return badRequest(fmt.Sprintf("%s is not a string", k), "")
		}
		return nil
	}
	if err := str("model", &req.Model); err != nil {
		return nil, nil, err
	}
	if err := str("instructions", &req.System); err != nil {
		return nil, nil, err
	}
	if err := str("previous_response_id", &info.PreviousResponseID); err != nil {
		return nil, nil, err
	}
	if v, ok := top["stream"]; ok && !isNull(v) {
		if json.Unmarshal(v, &info.Stream) != nil {
			return nil, nil, badRequest("stream is not a boolean", "")
		}
	}
	if v, ok := top["store"]; ok && !isNull(v) {
		var b bool
		if json.Unmarshal(v, &b) != nil {
			return nil, nil, badRequest("store is not a boolean", "")
		}
		info.Store = &b
	}
	if v, ok := top["include"]; ok && !isNull(v) {
		if json.Unmarshal(v, &info.Include) != nil {
			return nil, nil, badRequest("include is not a list of strings", "")
		}
	}
	if v, ok := top["max_output_tokens"]; ok && !isNull(v) {
		if json.Unmarshal(v, &req.MaxTokens) != nil || req.MaxTokens < 0 {
			return nil, nil, badRequest("max_output_tokens is not a positive integer", "")
		}
	}
	for _, k := range []string{"temperature", "top_p"} {
		v, ok := top[k]
		if !ok || isNull(v) {
			continue
		}
		var f float64
		if json.Unmarshal(v, &f) != nil {
			return nil, nil, badRequest(k+" is not a number", "")
		}
		if k == "temperature" {
			req.Temperature = &f
		} else {
			req.TopP = &f
		}
	}
	if v, ok := top["parallel_tool_calls"]; ok && !isNull(v) {
		var b bool
		if json.Unmarshal(v, &b) != nil {
			return nil, nil, badRequest("parallel_tool_calls is not a boolean", "")
		}
		req.ToolChoice.DisableParallel = !b
	}
	if v, ok := top["reasoning"]; ok && !isNull(v) {
		var r struct {
			Effort  *string `json:"effort"`
			Summary *string `json:"summary"`
		}
		if json.Unmarshal(v, &r) != nil {
			return nil, nil, badRequest("reasoning is not an object {effort, summary}", "")
		}
		rc := &sluice.ReasoningConfig{}
		if r.Effort != nil {
			rc.Effort = *r.Effort
		}
		if r.Summary != nil {
			rc.Summary = *r.Summary
		}
		if rc.Effort != "" || rc.Summary != "" {
			req.Reasoning = rc
		}
	}
	rawTools := false
	if v, ok := top["tools"]; ok && !isNull(v) {
		var err error
		if rawTools, err = parseTools(v, req, info); err != nil {
			return nil, nil, err
		}
	}
	if v, ok := top["tool_choice"]; ok && !isNull(v) {
		if err := parseToolChoice(v, req); err != nil {
			return nil, nil, err
		}
	}
	if v, ok := top["input"]; ok && !isNull(v) {
		msgs, err := parseInput(v, info.CustomTools)
		if err != nil {
			return nil, nil, err
		}
		req.Messages = msgs
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if topLevel[k] && !(k == "tools" && rawTools) {
			continue
		}
		if req.Extra == nil {
			req.Extra = map[string]json.RawMessage{}
		}
		req.Extra[k] = bytes.Clone(top[k])
	}
	echo := map[string]json.RawMessage{}
	for _, k := range echoed {
		if v, ok := top[k]; ok {
			echo[k] = v
		}
	}
	info.Echo, _ = json.Marshal(echo)
	sluice.UnsealRequest(req)
	return req, info, nil
}

// parseTools reads the tools; it reports whether some are not functions,
// in which case the raw list goes to a Responses upstream.
func parseTools(v json.RawMessage, req *sluice.Request, info *RequestInfo) (bool, error) {
	var tools []struct {
		Type        string          `json:"type"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	}
	if json.Unmarshal(v, &tools) != nil {
		return false, badRequest("tools is not a list of tool objects", "")
	}
	raw := false
	for i, t := range tools {
		switch t.Type {
		case "function":
			if t.Name == "" {
				return false, badRequest(fmt.Sprintf("tools[%d] has no name", i), "")
			}
			params := t.Parameters
			if isNull(params) {
				params = nil
			}
			req.Tools = append(req.Tools, sluice.Tool{Name: t.Name, Description: t.Description, Parameters: bytes.Clone(params)})
		case "custom":
			if t.Name == "" {
				return false, badRequest(fmt.Sprintf("tools[%d] has no name", i), "")
			}
			req.Tools = append(req.Tools, CustomTool(t.Name, t.Description))
			info.CustomTools = append(info.CustomTools, t.Name)
			raw = true
		default:
			// A hosted tool (web_search, file_search, local_shell, mcp, …)
			// only a Responses upstream runs.
			raw = true
		}
	}
	return raw, nil
}

// CustomTool returns the function that stands for a custom (freeform) tool
// on targets that have none: one required string parameter, "input".
func CustomTool(name, description string) sluice.Tool {
	return sluice.Tool{Name: name, Description: description,
		Parameters: json.RawMessage(`{"type":"object","properties":{"input":{"type":"string","description":"The tool's whole input, as free text."}},"required":["input"],"additionalProperties":false}`)}
}

func parseToolChoice(v json.RawMessage, req *sluice.Request) error {
	var s string
	if json.Unmarshal(v, &s) == nil {
		switch s {
		case "auto":
			req.ToolChoice.Mode = sluice.ToolChoiceAuto
		case "none":
			req.ToolChoice.Mode = sluice.ToolChoiceNone
		case "required":
			req.ToolChoice.Mode = sluice.ToolChoiceRequired
		default:
			return badRequest(fmt.Sprintf("tool_choice %q is not auto, none or required", s), "")
		}
		return nil
	}
	var o struct {
		Type string `json:"type"`
		Name string `json:"name"`
		Mode string `json:"mode"`
	}
	if json.Unmarshal(v, &o) != nil {
		return badRequest("tool_choice is neither a string nor an object", "")
	}
	switch o.Type {
	case "function", "custom":
		if o.Name == "" {
			return badRequest("tool_choice names no tool", "")
		}
		req.ToolChoice.Mode, req.ToolChoice.Name = sluice.ToolChoiceTool, o.Name
	case "allowed_tools":
		if o.Mode == "required" {
			req.ToolChoice.Mode = sluice.ToolChoiceRequired
		} else {
			req.ToolChoice.Mode = sluice.ToolChoiceAuto
		}
	default:
		req.ToolChoice.Mode = sluice.ToolChoiceAuto
	}
	return nil
}

// inputItem is one item of input, with the fields of every type sluice
// models.
type inputItem struct {
	Type             string          `json:"type"`
	Role             string          `json:"role"`
	Content          json.RawMessage `json:"content"`
	Summary          []wirePart      `json:"summary"`
	EncryptedContent *string         `json:"encrypted_content"`
	CallID           string          `json:"call_id"`
	Name             string          `json:"name"`
	Arguments        string          `json:"arguments"`
	Input            string          `json:"input"`
	Output           json.RawMessage `json:"output"`
}

// parseInput reads input: a string (one user message) or a list of items.
func parseInput(v json.RawMessage, custom []string) ([]sluice.Message, error) {
	if s, ok := stringValue(v); ok {
		return []sluice.Message{sluice.UserMessage(s)}, nil
	}
	raw, ok := jsonwire.ElementList(v)
	if !ok {
		return nil, badRequest("input is neither a string nor a list of items", "")
	}
	var msgs []sluice.Message
	names := map[string]string{} // call id → tool name
	// assistant returns the assistant message to add to: the last message
	// when it is one, else a new one.
	assistant := func() *sluice.Message {
		if n := len(msgs); n > 0 && msgs[n-1].Role == sluice.RoleAssistant {
			return &msgs[n-1]
		}
		msgs = append(msgs, sluice.Message{Role: sluice.RoleAssistant})
		return &msgs[len(msgs)-1]
	}
	for i, r := range raw {
		var it inputItem
		if err := json.Unmarshal(r, &it); err != nil {
			return nil, badRequest(fmt.Sprintf("input[%d] is not an item object: %v", i, err), "")
		}
		typ := it.Type
		if typ == "" && it.Role != "" {
			typ = "message"
		}
		switch typ {
		case "message":
			role, err := roleOf(it.Role, i)
			if err != nil {
				return nil, err
			}
			parts, err := parseContent(it.Content, i)
			if err != nil {
				return nil, err
			}
			if role == sluice.RoleAssistant {
				m := assistant()
				m.Content = append(m.Content, parts...)
				continue
			}
			msgs = append(msgs, sluice.Message{Role: role, Content: parts})
		case "reasoning":
			p := sluice.Part{Type: sluice.PartReasoning}
			var text strings.Builder
			for _, s := range it.Summary {
				text.WriteString(s.Text)
			}
			if text.Len() == 0 && len(it.Content) > 0 && !isNull(it.Content) {
				var parts []wirePart
				if json.Unmarshal(it.Content, &parts) == nil {
					for _, c := range parts {
						text.WriteString(c.Text)
					}
				}
			}
			p.Text = text.String()
			if it.EncryptedContent != nil && *it.EncryptedContent != "" {
				p.Opaque = []sluice.Opaque{{Provider: Protocol, Kind: sluice.OpaqueEncrypted, Data: *it.EncryptedContent}}
			}
			m := assistant()
			m.Content = append(m.Content, p)
		case "function_call", "custom_tool_call":
			if it.CallID == "" {
				return nil, badRequest(fmt.Sprintf("input[%d] (%s) has no call_id", i, typ), "")
			}
			args := it.Arguments
			if typ == "custom_tool_call" {
				args = string(jsonwire.AppendString([]byte(`{"input":`), it.Input)) + "}"
			}
			names[it.CallID] = it.Name
			m := assistant()
			m.Content = append(m.Content, sluice.Part{Type: sluice.PartToolCall, CallID: it.CallID, Name: it.Name, Arguments: args})
		case "function_call_output", "custom_tool_call_output":
			if it.CallID == "" {
				return nil, badRequest(fmt.Sprintf("input[%d] (%s) has no call_id", i, typ), "")
			}
			out, err := outputText(it.Output, i)
			if err != nil {
				return nil, err
			}
			msgs = append(msgs, sluice.Message{Role: sluice.RoleTool, Content: []sluice.Part{
				{Type: sluice.PartToolResult, CallID: it.CallID, Name: names[it.CallID], Text: out}}})
		default:
			// item_reference, hosted tool calls and their outputs: nothing
			// another provider could read.
		}
	}
	return msgs, nil
}

func roleOf(role string, i int) (sluice.Role, error) {
	switch role {
	case "user":
		return sluice.RoleUser, nil
	case "assistant":
		return sluice.RoleAssistant, nil
	case "system", "developer":
		return sluice.RoleSystem, nil
	}
	return "", badRequest(fmt.Sprintf("input[%d] has role %q", i, role), "use user, assistant, system or developer")
}

// parseContent reads a message's content: a string or a list of parts.
func parseContent(v json.RawMessage, i int) ([]sluice.Part, error) {
	if len(v) == 0 || isNull(v) {
		return nil, nil
	}
	if s, ok := stringValue(v); ok {
		return []sluice.Part{sluice.Text(s)}, nil
	}
	var parts []struct {
		Type     string          `json:"type"`
		Text     string          `json:"text"`
		Refusal  string          `json:"refusal"`
		ImageURL json.RawMessage `json:"image_url"`
	}
	if json.Unmarshal(v, &parts) != nil {
		return nil, badRequest(fmt.Sprintf("input[%d].content is neither a string nor a list of parts", i), "")
	}
	var out []sluice.Part
	for j, p := range parts {
		switch p.Type {
		case "input_text", "output_text", "text", "summary_text":
			out = append(out, sluice.Text(p.Text))
		case "refusal":
			out = append(out, sluice.Text(p.Refusal))
		case "input_image":
			var url string
			if json.Unmarshal(p.ImageURL, &url) != nil || url == "" {
				return nil, badRequest(fmt.Sprintf("input[%d].content[%d] is an input_image without an image_url", i, j),
					"send the image as a URL or a data: URL")
			}
			out = append(out, imagePart(url))
		default:
			return nil, badRequest(fmt.Sprintf("input[%d].content[%d] has type %q", i, j, p.Type),
				"sluice reads input_text, output_text, input_image and refusal parts")
		}
	}
	return out, nil
}

// imagePart returns an image part for a URL, decoding a base64 data: URL.
func imagePart(url string) sluice.Part {
	if rest, ok := strings.CutPrefix(url, "data:"); ok {
		if meta, data, ok := strings.Cut(rest, ","); ok && strings.HasSuffix(meta, ";base64") {
			if b, err := base64.StdEncoding.DecodeString(data); err == nil {
				return sluice.Part{Type: sluice.PartImage, MediaType: strings.TrimSuffix(meta, ";base64"), Data: b}
			}
		}
	}
	return sluice.Part{Type: sluice.PartImage, URL: url}
}

// outputText reads a tool output: a string or a list of text parts.
func outputText(v json.RawMessage, i int) (string, error) {
	if len(v) == 0 || isNull(v) {
		return "", nil
	}
	if s, ok := stringValue(v); ok {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(v, &parts) != nil {
		return "", badRequest(fmt.Sprintf("input[%d].output is neither a string nor a list of parts", i), "")
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// stringValue returns v, a value of a body already checked, as a string
// when it is one: without encoding/json, which would check the whole
// value again only to find that a list is not a string.
func stringValue(v json.RawMessage) (string, bool) {
	v = jsonwire.TrimSpace(v)
	if !jsonwire.IsString(v) {
		return "", false
	}
	return jsonwire.Unquote(v, nil)
}

func badRequest(msg, hint string) *sluice.Error {
	return &sluice.Error{Kind: sluice.KindBadRequest, Status: http.StatusBadRequest, Code: "invalid_request_error", Message: msg, Hint: hint}
}
