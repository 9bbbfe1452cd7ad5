package anthropic

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// RequestInfo holds what a Messages API request says beyond a
// [sluice.Request]: the fields that shape the response rather than the
// generation.
type RequestInfo struct {
	// Stream is the request's "stream": false asks for one message JSON
	// object (see [MessageFromResult]) instead of an event stream.
	Stream bool
}

// ParseRequest reads a Messages API request body, as Claude Code and the
// SDKs send it, into a sluice.Request.
//
// It accepts a system string or an array of text blocks, system-role
// messages inside messages (kept as RoleSystem messages), string or block
// content, tool_use / tool_result / thinking / redacted_thinking / image
// blocks, every tool_choice (auto, any → required, tool, none,
// disable_parallel_tool_use), thinking enabled / disabled / adaptive (with
// output_config.effort as the effort, "max" read as "high"), and stream.
// Thinking blocks keep their signature as Opaque of Provider "anthropic";
// a tool result gets the name of the tool_use it answers.
//
// Nothing is lost for a relay to Anthropic: fields the Request does not
// model (metadata, output_config, service_tier, unknown ones) go to
// req.Extra as they came, and so do system, messages, tools and thinking
// when the Request cannot hold all they say (cache_control, documents,
// server tools and their results, adaptive thinking, …). [BuildRequest]
// sends those raw values back while the Request still says the same thing.
// req.Extra is Anthropic's: a request sent to another provider must not
// carry it.
//
// A body that is not such a request is a *sluice.Error of KindBadRequest
// naming the field at fault.
func ParseRequest(body []byte) (*sluice.Request, *RequestInfo, error) {
	if !jsonwire.ValidObject(body) {
		// encoding/json says what is wrong and where.
		var top map[string]json.RawMessage
		err := json.Unmarshal(body, &top)
		if err == nil {
			err = errors.New("null")
		}
		return nil, nil, withHint(badRequest("the body is not a JSON object: %v", err), "send a Messages API request: {\"model\":…,\"max_tokens\":…,\"messages\":[…]}")
	}
	// The body is checked whole once; every level below reads slices of it.
	top, _ := object(body, "the body")
	req := &sluice.Request{}
	info := &RequestInfo{}
	keep := func(k string, v json.RawMessage) {
		if req.Extra == nil {
			req.Extra = make(map[string]json.RawMessage)
		}
		req.Extra[k] = bytes.Clone(v)
	}
	for _, k := range sortedKeys(top) {
		v := top[k]
		if string(bytes.TrimSpace(v)) == "null" {
			continue
		}
		var err error
		lossy := false
		switch k {
		case "model":
			err = json.Unmarshal(v, &req.Model)
		case "max_tokens":
			err = json.Unmarshal(v, &req.MaxTokens)
		case "temperature":
			err = json.Unmarshal(v, &req.Temperature)
		case "top_p":
			err = json.Unmarshal(v, &req.TopP)
		case "top_k":
			err = json.Unmarshal(v, &req.TopK)
		case "stop_sequences":
			err = json.Unmarshal(v, &req.Stop)
		case "stream":
			err = json.Unmarshal(v, &info.Stream)
		case "system":
			req.System, lossy, err = parseSystem(v)
		case "messages":
			req.Messages, lossy, err = parseMessages(v)
		case "tools":
			req.Tools, lossy, err = parseTools(v)
		case "tool_choice":
			req.ToolChoice, err = parseToolChoice(v)
		case "thinking":
			req.Reasoning, err = parseThinking(v, top["output_config"])
			lossy = thinkingLossy(v)
		default:
			keep(k, v)
		}
		if err != nil {
			if e, ok := err.(*sluice.Error); ok {
				return nil, nil, e
			}
			return nil, nil, badRequest("%s: %v", k, err)
		}
		if lossy {
			keep(k, v)
		}
	}
	if err := req.Validate(); err != nil {
		return nil, nil, err
	}
	return req, info, nil
}

// object decodes raw as a JSON object of raw members.
func object(raw json.RawMessage, what string) (map[string]json.RawMessage, error) {
	m, ok := jsonwire.MemberMap(raw)
	if !ok {
		return nil, badRequest("%s is not a JSON object", what)
	}
	return m, nil
}

// onlyKeys reports whether m has no keys besides allowed.
func onlyKeys(m map[string]json.RawMessage, allowed ...string) bool {
	for k := range m {
		if !slices.Contains(allowed, k) {
			return false
		}
	}
	return true
}

func str(m map[string]json.RawMessage, key string) string {
	s, _ := jsonwire.UnmarshalString(m[key])
	return s
}

// parseSystem reads a system string or array of text blocks, joined with
// blank lines. An array is lossy: its blocks and their cache_control are
// only in the raw value.
func parseSystem(raw json.RawMessage) (string, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		s, err := jsonwire.UnmarshalString(raw)
		return s, false, err
	}
	blocks, ok := jsonwire.ElementList(raw)
	if !ok {
		return "", false, badRequest("system must be a string or an array of text blocks")
	}
	var texts []string
	for i, b := range blocks {
		m, err := object(b, fmt.Sprintf("system[%d]", i))
		if err != nil {
			return "", false, err
		}
		if t := str(m, "type"); t != blockText {
			return "", false, withHint(badRequest("system[%d] has type %q", i, t), "system blocks must be text blocks")
		}
		texts = append(texts, str(m, "text"))
	}
	return strings.Join(texts, "\n\n"), true, nil
}

// parseTools reads the tools array. Client tools become Tools; tools of a
// built-in type (web_search_…, bash_…) and fields such as cache_control
// make it lossy.
func parseTools(raw json.RawMessage) ([]sluice.Tool, bool, error) {
	list, ok := jsonwire.ElementList(raw)
	if !ok {
		return nil, false, badRequest("tools must be an array")
	}
	var tools []sluice.Tool
	lossy := false
	for i, t := range list {
		m, err := object(t, fmt.Sprintf("tools[%d]", i))
		if err != nil {
			return nil, false, err
		}
		if typ := str(m, "type"); typ != "" && typ != "custom" {
			lossy = true
			continue
		}
		if !onlyKeys(m, "name", "description", "input_schema") {
			lossy = true
		}
		tool := sluice.Tool{Name: str(m, "name"), Description: str(m, "description")}
		if tool.Name == "" {
			return nil, false, badRequest("tools[%d] has no name", i)
		}
		if s := m["input_schema"]; len(s) > 0 {
			var c bytes.Buffer
			if err := json.Compact(&c, s); err != nil {
				return nil, false, badRequest("tools[%d].input_schema: %v", i, err)
			}
			tool.Parameters = c.Bytes()
		}
		tools = append(tools, tool)
	}
	return tools, lossy, nil
}

func parseToolChoice(raw json.RawMessage) (sluice.ToolChoice, error) {
	var c struct {
		Type                   string `json:"type"`
		Name                   string `json:"name"`
		DisableParallelToolUse bool   `json:"disable_parallel_tool_use"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return sluice.ToolChoice{}, badRequest("tool_choice must be an object such as {\"type\":\"auto\"}")
	}
	tc := sluice.ToolChoice{Name: c.Name, DisableParallel: c.DisableParallelToolUse}
	switch c.Type {
	case "auto":
		tc.Mode = sluice.ToolChoiceAuto
	case "any":
		tc.Mode = sluice.ToolChoiceRequired
	case "none":
		tc.Mode = sluice.ToolChoiceNone
	case "tool":
		tc.Mode = sluice.ToolChoiceTool
		if c.Name == "" {
			return tc, withHint(badRequest("tool_choice of type tool names no tool"), "add \"name\": the tool to call")
		}
	default:
		return tc, withHint(badRequest("tool_choice has type %q", c.Type), "use auto, any, tool or none")
	}
	return tc, nil
}

// parseThinking reads thinking: enabled gives its budget, disabled nil,
// adaptive a config whose effort is output_config.effort.
func parseThinking(raw, outputConfig json.RawMessage) (*sluice.ReasoningConfig, error) {
	var t struct {
		Type         string `json:"type"`
		BudgetTokens int    `json:"budget_tokens"`
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, badRequest("thinking must be an object such as {\"type\":\"enabled\",\"budget_tokens\":2048}")
	}
	switch t.Type {
	case "disabled":
		return nil, nil
	case "enabled":
		return &sluice.ReasoningConfig{BudgetTokens: t.BudgetTokens}, nil
	case "adaptive":
		var oc struct {
			Effort string `json:"effort"`
		}
		_ = json.Unmarshal(outputConfig, &oc)
		r := &sluice.ReasoningConfig{}
		switch oc.Effort {
		case "low", "medium", "high":
			r.Effort = oc.Effort
		case "max":
			r.Effort = "high"
		}
		return r, nil
	}
	return nil, withHint(badRequest("thinking has type %q", t.Type), "use enabled, adaptive or disabled")
}

// thinkingLossy reports whether a thinking object says more than a
// ReasoningConfig holds: adaptive thinking, display, new fields.
func thinkingLossy(raw json.RawMessage) bool {
	m, err := object(raw, "thinking")
	if err != nil {
		return false
	}
	t := str(m, "type")
	return (t != "enabled" && t != "disabled") || !onlyKeys(m, "type", "budget_tokens")
}

// parseMessages reads the messages array. It is lossy when a message or
// block holds what Parts cannot: cache_control, citations, documents,
// server tool blocks, images in tool results, unknown block types.
func parseMessages(raw json.RawMessage) ([]sluice.Message, bool, error) {
	list, ok := jsonwire.ElementList(raw)
	if !ok {
		return nil, false, badRequest("messages must be an array")
	}
	msgs := make([]sluice.Message, 0, len(list))
	names := make(map[string]string) // tool_use id → tool name
	lossy := false
	for i, r := range list {
		at := fmt.Sprintf("messages[%d]", i)
		m, err := object(r, at)
		if err != nil {
			return nil, false, err
		}
		if !onlyKeys(m, "role", "content") {
			lossy = true
		}
		msg := sluice.Message{}
		switch role := str(m, "role"); role {
		case "user":
			msg.Role = sluice.RoleUser
		case "assistant":
			msg.Role = sluice.RoleAssistant
		case "system":
			msg.Role = sluice.RoleSystem
		default:
			return nil, false, withHint(badRequest("%s has role %q", at, role), "use user or assistant")
		}
		content := bytes.TrimSpace(m["content"])
		switch {
		case len(content) > 0 && content[0] == '"':
			s, err := jsonwire.UnmarshalString(content)
			if err != nil {
				return nil, false, badRequest("%s.content: %v", at, err)
			}
			msg.Content = []sluice.Part{sluice.Text(s)}
		case len(content) > 0 && content[0] == '[':
			blocks, _ := jsonwire.ElementList(content)
			for j, b := range blocks {
				part, ok, l, err := parseBlock(b, names)
				if err != nil {
					return nil, false, badRequest("%s.content[%d]: %v", at, j, err)
				}
				lossy = lossy || l
				if ok {
					msg.Content = append(msg.Content, part)
				}
			}
		default:
			return nil, false, badRequest("%s.content must be a string or an array of blocks", at)
		}
		msgs = append(msgs, msg)
	}
	return msgs, lossy, nil
}

// parseBlock reads one content block; ok is false for a block that has no
// Part (it is then lossy).
func parseBlock(raw json.RawMessage, names map[string]string) (part sluice.Part, ok, lossy bool, err error) {
	m, err := object(raw, "the block")
	if err != nil {
		return part, false, false, err
	}
	switch typ := str(m, "type"); typ {
	case blockText:
		return sluice.Text(str(m, "text")), true, !onlyKeys(m, "type", "text"), nil
	case "image":
		part, lossy, err = parseImage(m)
		return part, err == nil && !lossy, lossy, err
	case blockToolUse:
		part = sluice.Part{Type: sluice.PartToolCall, CallID: str(m, "id"), Name: str(m, "name"), Arguments: "{}"}
		if in := bytes.TrimSpace(m["input"]); len(in) > 0 {
			var c bytes.Buffer
			if err := json.Compact(&c, in); err != nil {
				return part, false, false, fmt.Errorf("input: %v", err)
			}
			part.Arguments = c.String()
		}
		names[part.CallID] = part.Name
		return part, true, !onlyKeys(m, "type", "id", "name", "input"), nil
	case "tool_result":
		id := str(m, "tool_use_id")
		part = sluice.Part{Type: sluice.PartToolResult, CallID: id, Name: names[id]}
		_ = json.Unmarshal(m["is_error"], &part.IsError)
		lossy = !onlyKeys(m, "type", "tool_use_id", "content", "is_error")
		c := bytes.TrimSpace(m["content"])
		switch {
		case len(c) == 0 || string(c) == "null":
		case c[0] == '"':
			part.Text, _ = jsonwire.UnmarshalString(c)
		default:
			blocks, ok := jsonwire.ElementList(c)
			if !ok {
				return part, false, false, fmt.Errorf("tool_result content must be a string or an array of blocks")
			}
			var texts []string
			for _, b := range blocks {
				bm, err := object(b, "a tool_result block")
				if err != nil {
					return part, false, false, err
				}
				if str(bm, "type") != blockText || !onlyKeys(bm, "type", "text") {
					lossy = true // images and documents stay in the raw value
				}
				if str(bm, "type") == blockText {
					texts = append(texts, str(bm, "text"))
				}
			}
			lossy = lossy || len(blocks) > 1
			part.Text = strings.Join(texts, "\n")
		}
		return part, true, lossy, nil
	case blockThinking:
		part = sluice.Part{Type: sluice.PartReasoning, Text: str(m, "thinking")}
		if sig := str(m, "signature"); sig != "" {
			part.Opaque = []sluice.Opaque{{Provider: Protocol, Kind: sluice.OpaqueSignature, Data: sig}}
		}
		return part, true, !onlyKeys(m, "type", "thinking", "signature"), nil
	case blockRedactedThinking:
		part = sluice.Part{Type: sluice.PartReasoning}
		if data := str(m, "data"); data != "" {
			part.Opaque = []sluice.Opaque{{Provider: Protocol, Kind: sluice.OpaqueRedacted, Data: data}}
		}
		return part, true, !onlyKeys(m, "type", "data"), nil
	case "":
		return part, false, false, fmt.Errorf("the block has no type")
	}
	return part, false, true, nil
}

// parseImage reads an image block with a base64 or url source; any other
// source is lossy.
func parseImage(m map[string]json.RawMessage) (sluice.Part, bool, error) {
	part := sluice.Part{Type: sluice.PartImage}
	src, err := object(m["source"], "the image source")
	if err != nil {
		return part, false, err
	}
	lossy := !onlyKeys(m, "type", "source")
	switch str(src, "type") {
	case "base64":
		part.MediaType = str(src, "media_type")
		data, err := base64.StdEncoding.DecodeString(str(src, "data"))
		if err != nil {
			return part, false, fmt.Errorf("image data is not base64: %v", err)
		}
		part.Data = data
		return part, lossy || !onlyKeys(src, "type", "media_type", "data"), nil
	case "url":
		part.URL = str(src, "url")
		return part, lossy || !onlyKeys(src, "type", "url"), nil
	}
	return part, true, nil
}

// messagesEqual reports whether two conversations say the same thing.
func messagesEqual(a, b []sluice.Message) bool {
	return slices.EqualFunc(a, b, func(x, y sluice.Message) bool {
		return x.Role == y.Role && slices.EqualFunc(x.Content, y.Content, partEqual)
	})
}

func partEqual(x, y sluice.Part) bool {
	return x.Type == y.Type && x.Text == y.Text && x.URL == y.URL && x.MediaType == y.MediaType &&
		bytes.Equal(x.Data, y.Data) && x.CallID == y.CallID && x.Name == y.Name &&
		x.Arguments == y.Arguments && x.IsError == y.IsError && slices.Equal(x.Opaque, y.Opaque)
}

func toolsEqual(a, b []sluice.Tool) bool {
	return slices.EqualFunc(a, b, func(x, y sluice.Tool) bool {
		return x.Name == y.Name && x.Description == y.Description && bytes.Equal(x.Parameters, y.Parameters)
	})
}

func reasoningEqual(a, b *sluice.ReasoningConfig) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
