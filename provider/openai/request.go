package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// chatRequest is the body of POST /chat/completions, in the field order the
// SDKs send.
type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	MaxCompletionTokens int             `json:"max_completion_tokens,omitempty"`
	MaxTokens           int             `json:"max_tokens,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	TopK                int             `json:"top_k,omitempty"`
	Seed                *int64          `json:"seed,omitempty"`
	Stop                []string        `json:"stop,omitempty"`
	Tools               []chatTool      `json:"tools,omitempty"`
	ToolChoice          json.RawMessage `json:"tool_choice,omitempty"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls,omitempty"`
	ReasoningEffort     string          `json:"reasoning_effort,omitempty"`
	Stream              bool            `json:"stream,omitempty"`
	StreamOptions       json.RawMessage `json:"stream_options,omitempty"`
}

type chatMessage struct {
	Role             string          `json:"role"`
	Content          json.RawMessage `json:"content"`
	ReasoningContent string          `json:"reasoning_content,omitempty"`
	ToolCalls        []chatToolCall  `json:"tool_calls,omitempty"`
	ToolCallID       string          `json:"tool_call_id,omitempty"`
}

type chatToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type chatTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
	} `json:"function"`
}

type textPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type imagePart struct {
	Type     string `json:"type"`
	ImageURL struct {
		URL string `json:"url"`
	} `json:"image_url"`
}

// buildOptions are what differs between OpenAI and the servers that copy it.
type buildOptions struct {
	// legacyMaxTokens sends max_tokens, which every compatible server reads,
	// instead of max_completion_tokens, which OpenAI's reasoning models
	// require.
	legacyMaxTokens bool
	// noUsage leaves out stream_options.include_usage.
	noUsage bool
	// topK sends top_k, which OpenAI rejects and vLLM, llama.cpp and
	// Ollama honour.
	topK bool
	// reasoning sends assistant reasoning back as reasoning_content.
	reasoning bool
}

// BuildRequest returns the JSON body of a Chat Completions request for req,
// as OpenAI takes it: req.System as the first system message; user images
// as image_url parts (inline data as a data: URL); assistant tool calls as
// tool_calls; each tool result as its own tool message (also when it sits in
// a user message, Anthropic style); MaxTokens as max_completion_tokens;
// Reasoning.Effort as reasoning_effort (a BudgetTokens alone picks low,
// medium or high); ToolChoice.DisableParallel as parallel_tool_calls:false.
// With stream it asks for "stream":true and stream_options.include_usage, so
// that the usage chunk arrives. Fields OpenAI does not take are left out:
// TopK, reasoning parts and their opaque data (chat completions has no field
// for them). req.Extra is merged last, replacing fields of the same name.
//
// An invalid req is a *sluice.Error of KindBadRequest.
func BuildRequest(req *sluice.Request, stream bool) ([]byte, error) {
	return buildRequest(req, stream, buildOptions{})
}

func buildRequest(req *sluice.Request, stream bool, o buildOptions) ([]byte, error) {
	w, err := assembleRequest(req, stream, o)
	if err != nil {
		return nil, err
	}
	body, err := w.appendJSON(make([]byte, 0, w.size()))
	if err != nil {
		return nil, badRequest("the request cannot be encoded: "+err.Error(), "check the tool parameters and extra fields")
	}
	return mergeExtra(body, req.Extra)
}

// assembleRequest is the chatRequest that buildRequest writes.
func assembleRequest(req *sluice.Request, stream bool, o buildOptions) (*chatRequest, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	w := &chatRequest{Model: req.Model, Temperature: req.Temperature, TopP: req.TopP, Seed: req.Seed, Stop: req.Stop}
	if o.legacyMaxTokens {
		w.MaxTokens = req.MaxTokens
	} else {
		w.MaxCompletionTokens = req.MaxTokens
	}
	if o.topK {
		w.TopK = req.TopK
	}
	if req.System != "" {
		w.Messages = append(w.Messages, chatMessage{Role: "system", Content: jsonString(req.System)})
	}
	for i, m := range req.Messages {
		msgs, err := buildMessages(i, m, o)
		if err != nil {
			return nil, err
		}
		w.Messages = append(w.Messages, msgs...)
	}
	for _, t := range req.Tools {
		var ct chatTool
		ct.Type = "function"
		ct.Function.Name, ct.Function.Description, ct.Function.Parameters = t.Name, t.Description, t.Parameters
		if len(t.Parameters) > 0 && !json.Valid(t.Parameters) {
			return nil, badRequest(fmt.Sprintf("the parameters of tool %q are not valid JSON", t.Name), "give the tool's JSON Schema as a JSON object")
		}
		w.Tools = append(w.Tools, ct)
	}
	switch req.ToolChoice.Mode {
	case "":
	case sluice.ToolChoiceAuto, sluice.ToolChoiceNone, sluice.ToolChoiceRequired:
		w.ToolChoice = jsonString(string(req.ToolChoice.Mode))
	case sluice.ToolChoiceTool:
		if req.ToolChoice.Name == "" {
			return nil, badRequest("tool choice \"tool\" names no tool", "set ToolChoice.Name to the tool the model must call")
		}
		w.ToolChoice = fmt.Appendf(nil, `{"type":"function","function":{"name":%s}}`, jsonString(req.ToolChoice.Name))
	default:
		return nil, badRequest(fmt.Sprintf("tool choice mode %q is unknown", req.ToolChoice.Mode), "use auto, none, required or tool")
	}
	if req.ToolChoice.DisableParallel && len(req.Tools) > 0 {
		f := false
		w.ParallelToolCalls = &f
	}
	if r := req.Reasoning; r != nil {
		w.ReasoningEffort = r.Effort
		if w.ReasoningEffort == "" && r.BudgetTokens > 0 {
			switch {
			case r.BudgetTokens <= 2048:
				w.ReasoningEffort = "low"
			case r.BudgetTokens <= 8192:
				w.ReasoningEffort = "medium"
			default:
				w.ReasoningEffort = "high"
			}
		}
	}
	if stream {
		w.Stream = true
		if !o.noUsage {
			w.StreamOptions = json.RawMessage(`{"include_usage":true}`)
		}
	}
	return w, nil
}

// buildMessages maps one message; a message may become several, since each
// tool result is its own tool message.
func buildMessages(i int, m sluice.Message, o buildOptions) ([]chatMessage, error) {
	var out []chatMessage
	var content []sluice.Part
	var calls []chatToolCall
	var reasoning strings.Builder
	for _, p := range m.Content {
		switch p.Type {
		case sluice.PartText, sluice.PartImage:
			content = append(content, p)
		case sluice.PartToolResult:
			if p.CallID == "" {
				return nil, badRequest(fmt.Sprintf("message %d has a tool result without a call id", i), "quote the id of the tool call it answers")
			}
			out = append(out, chatMessage{Role: "tool", Content: jsonString(p.Text), ToolCallID: p.CallID})
		case sluice.PartToolCall:
			var c chatToolCall
			c.ID, c.Type = p.CallID, "function"
			c.Function.Name, c.Function.Arguments = p.Name, p.Arguments
			if strings.TrimSpace(c.Function.Arguments) == "" {
				c.Function.Arguments = "{}"
			}
			calls = append(calls, c)
		case sluice.PartReasoning:
			reasoning.WriteString(p.Text)
		default:
			return nil, badRequest(fmt.Sprintf("message %d has a part of type %q", i, p.Type), "use text, image, tool_call, tool_result or reasoning parts")
		}
	}
	role := string(m.Role)
	switch m.Role {
	case sluice.RoleTool:
		if len(content) > 0 && len(out) == 0 {
			return nil, badRequest(fmt.Sprintf("tool message %d has no tool result", i), "put the output in a tool_result part with the call id")
		}
		return out, nil
	case sluice.RoleUser:
		if len(out) > 0 && len(content) == 0 {
			return out, nil
		}
	}
	msg := chatMessage{Role: role, ToolCalls: calls}
	if m.Role == sluice.RoleAssistant && o.reasoning {
		msg.ReasoningContent = reasoning.String()
	}
	var err error
	if msg.Content, err = buildContent(content, m.Role); err != nil {
		return nil, err
	}
	return append(out, msg), nil
}

// buildContent is a single text as a string, anything else as an array of
// parts, and nothing as null.
func buildContent(parts []sluice.Part, role sluice.Role) (json.RawMessage, error) {
	switch {
	case len(parts) == 0:
		return nil, nil
	case len(parts) == 1 && parts[0].Type == sluice.PartText:
		return jsonString(parts[0].Text), nil
	}
	var arr []any
	for _, p := range parts {
		switch p.Type {
		case sluice.PartText:
			arr = append(arr, textPart{Type: "text", Text: p.Text})
		case sluice.PartImage:
			if role != sluice.RoleUser {
				continue // only user messages take images
			}
			var ip imagePart
			ip.Type = "image_url"
			ip.ImageURL.URL = p.URL
			if p.URL == "" {
				ip.ImageURL.URL = "data:" + p.MediaType + ";base64," + base64.StdEncoding.EncodeToString(p.Data)
			}
			arr = append(arr, ip)
		}
	}
	if len(arr) == 0 {
		return nil, nil
	}
	return json.Marshal(arr)
}

// mergeExtra replaces or adds the top-level fields of extra, in key order.
func mergeExtra(body []byte, extra map[string]json.RawMessage) ([]byte, error) {
	if len(extra) == 0 {
		return body, nil
	}
	keys := make([]string, 0, len(extra))
	for k, v := range extra {
		if !json.Valid(v) {
			return nil, badRequest(fmt.Sprintf("extra field %q is not valid JSON", k), "give each extra field as a JSON value")
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := append(make([]byte, 0, len(body)+64), '{')
	it, _ := jsonwire.ObjectMembers(body)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		if _, replaced := extra[string(k)]; !replaced {
			out = jsonwire.AppendMember(out, k, v)
		}
	}
	for _, k := range keys {
		out = jsonwire.Comma(out)
		out = jsonwire.AppendString(out, k)
		out = append(out, ':')
		out = append(out, extra[k]...)
	}
	return append(out, '}'), nil
}

// jsonString is s as a JSON string, HTML-safe as json.Marshal writes it
// (the request body is written as json.Marshal would, see appendJSON).
func jsonString(s string) json.RawMessage { return jsonwire.AppendHTMLString(nil, s) }

func badRequest(msg, hint string) *sluice.Error {
	return &sluice.Error{Kind: sluice.KindBadRequest, Message: msg, Hint: hint}
}

// RequestInfo holds what a Chat Completions request says beyond
// [sluice.Request]: how to stream the reply, and the fields this package does
// not model.
type RequestInfo struct {
	// Stream is the request's stream flag.
	Stream bool
	// IncludeUsage is stream_options.include_usage: pass it to
	// EncoderOptions.IncludeUsage.
	IncludeUsage bool
	// N is the number of choices asked for (n), 0 when not given.
	N int
	// StreamOptions is stream_options verbatim, nil when absent.
	StreamOptions json.RawMessage
	// Extra holds every top-level field this package does not model (n,
	// logprobs, response_format, user, metadata, …), verbatim. They are
	// kept out of Request.Extra because Request.Extra is merged into any
	// provider's body: copy them there when the upstream speaks this
	// protocol, so an OpenAI-to-OpenAI relay loses nothing.
	Extra map[string]json.RawMessage
}

// modelledFields are the top-level request fields ParseRequest maps.
var modelledFields = []string{"model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p",
	"top_k", "seed", "stop", "tools", "tool_choice", "parallel_tool_calls", "reasoning_effort", "stream", "stream_options"}

// parsedRequest is the request as ParseRequest reads it: every field that
// may take several shapes stays raw.
type parsedRequest struct {
	Model               string          `json:"model"`
	Messages            []parsedMessage `json:"messages"`
	MaxCompletionTokens int             `json:"max_completion_tokens"`
	MaxTokens           int             `json:"max_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	TopK                int             `json:"top_k"`
	Seed                *int64          `json:"seed"`
	Stop                json.RawMessage `json:"stop"`
	Tools               []struct {
		Type     string `json:"type"`
		Function struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
		} `json:"function"`
	} `json:"tools"`
	ToolChoice        json.RawMessage `json:"tool_choice"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls"`
	ReasoningEffort   string          `json:"reasoning_effort"`
	Stream            bool            `json:"stream"`
	StreamOptions     json.RawMessage `json:"stream_options"`
	N                 int             `json:"n"`
}

type parsedMessage struct {
	Role             string          `json:"role"`
	Content          json.RawMessage `json:"content"`
	ReasoningContent string          `json:"reasoning_content"`
	ToolCalls        []chatToolCall  `json:"tool_calls"`
	ToolCallID       string          `json:"tool_call_id"`
}

// ParseRequest reads a Chat Completions request body, as a server frontend
// or the simulator receives it. The first system (or developer) message
// becomes Request.System and later ones stay system messages; string and
// array contents become parts (text, and image_url with data: URLs decoded);
// assistant tool_calls and reasoning_content become tool-call and reasoning
// parts; each tool message becomes a tool result, named after the call it
// answers; max_completion_tokens (or max_tokens) becomes MaxTokens,
// reasoning_effort Reasoning.Effort, parallel_tool_calls:false
// ToolChoice.DisableParallel. stream, stream_options and every field not
// modelled go into the RequestInfo.
//
// A body that is not a valid request is a *sluice.Error of KindBadRequest
// saying what is wrong.
func ParseRequest(body []byte) (*sluice.Request, *RequestInfo, error) {
	if !jsonwire.ValidObject(body) {
		return nil, nil, badRequest("the request body is not a JSON object", "send a Chat Completions request: {\"model\":…,\"messages\":[…]}")
	}
	p, err := unmarshalRequest(body)
	if err != nil {
		return nil, nil, err
	}
	return p.convert(body)
}

// unmarshalRequest decodes body. It is apart from convert, whose frame is
// large, so that encoding/json's recursion runs on a shallow stack: a
// gateway parses on the goroutine that then relays the stream, and the
// deepest point of a request's life decides that goroutine's stack size.
func unmarshalRequest(body []byte) (*parsedRequest, error) {
	p := new(parsedRequest)
	if err := json.Unmarshal(body, p); err != nil {
		return nil, badRequest("the request does not match the Chat Completions format: "+strings.TrimPrefix(err.Error(), "json: "),
			"see https://platform.openai.com/docs/api-reference/chat/create")
	}
	return p, nil
}

// convert turns the decoded request into a sluice.Request and its
// RequestInfo; body is the request's JSON, for the fields not modelled.
func (p *parsedRequest) convert(body []byte) (*sluice.Request, *RequestInfo, error) {
	info := &RequestInfo{Stream: p.Stream, N: p.N}
	it, _ := jsonwire.ObjectMembers(body)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		name := jsonwire.KeyString(k)
		if slices.Contains(modelledFields, name) {
			continue
		}
		if info.Extra == nil {
			info.Extra = make(map[string]json.RawMessage)
		}
		info.Extra[name] = bytes.Clone(v)
	}
	if len(p.StreamOptions) > 0 && !jsonwire.IsNull(p.StreamOptions) {
		info.StreamOptions = bytes.Clone(p.StreamOptions)
		var so struct {
			IncludeUsage bool `json:"include_usage"`
		}
		if err := json.Unmarshal(p.StreamOptions, &so); err != nil {
			return nil, nil, badRequest("stream_options is not an object", `send {"include_usage":true} or leave it out`)
		}
		info.IncludeUsage = so.IncludeUsage
	}

	req := &sluice.Request{Model: p.Model, MaxTokens: p.MaxCompletionTokens, Temperature: p.Temperature, TopP: p.TopP, TopK: p.TopK, Seed: p.Seed}
	if req.MaxTokens == 0 {
		req.MaxTokens = p.MaxTokens
	}
	if r := strings.TrimSpace(p.ReasoningEffort); r != "" {
		req.Reasoning = &sluice.ReasoningConfig{Effort: r}
	}
	var err error
	if req.Stop, err = parseStop(p.Stop); err != nil {
		return nil, nil, err
	}
	for i, t := range p.Tools {
		if t.Type != "function" && t.Type != "" {
			return nil, nil, badRequest(fmt.Sprintf("tool %d has type %q", i, t.Type), "only function tools are supported")
		}
		if t.Function.Name == "" {
			return nil, nil, badRequest(fmt.Sprintf("tool %d has no function name", i), "name every function tool")
		}
		tool := sluice.Tool{Name: t.Function.Name, Description: t.Function.Description}
		if len(t.Function.Parameters) > 0 && !jsonwire.IsNull(t.Function.Parameters) {
			var buf bytes.Buffer
			if err := json.Compact(&buf, t.Function.Parameters); err == nil {
				tool.Parameters = buf.Bytes()
			}
		}
		req.Tools = append(req.Tools, tool)
	}
	if req.ToolChoice, err = parseToolChoice(p.ToolChoice); err != nil {
		return nil, nil, err
	}
	if p.ParallelToolCalls != nil && !*p.ParallelToolCalls && len(req.Tools) > 0 {
		req.ToolChoice.DisableParallel = true
	}
	names := map[string]string{} // call id → tool name, for tool results
	for i, m := range p.Messages {
		msg, err := parseMessage(i, m, names)
		if err != nil {
			return nil, nil, err
		}
		if i == 0 && msg.Role == sluice.RoleSystem && onlyText(msg.Content) {
			req.System = msg.Text()
			continue
		}
		req.Messages = append(req.Messages, msg)
	}
	if err := req.Validate(); err != nil {
		return nil, nil, err
	}
	return req, info, nil
}

func onlyText(parts []sluice.Part) bool {
	for _, p := range parts {
		if p.Type != sluice.PartText {
			return false
		}
	}
	return len(parts) > 0
}

func parseStop(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || jsonwire.IsNull(raw) {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, badRequest("stop is neither a string nor an array of strings", `send "stop":["\n\n"]`)
	}
	if len(many) == 0 {
		return nil, nil
	}
	return many, nil
}

func parseToolChoice(raw json.RawMessage) (sluice.ToolChoice, error) {
	if len(raw) == 0 || jsonwire.IsNull(raw) {
		return sluice.ToolChoice{}, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch m := sluice.ToolChoiceMode(s); m {
		case sluice.ToolChoiceAuto, sluice.ToolChoiceNone, sluice.ToolChoiceRequired:
			return sluice.ToolChoice{Mode: m}, nil
		}
		return sluice.ToolChoice{}, badRequest(fmt.Sprintf("tool_choice %q is unknown", s), "use auto, none, required or {\"type\":\"function\",\"function\":{\"name\":…}}")
	}
	var o struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &o); err != nil || o.Type != "function" || o.Function.Name == "" {
		return sluice.ToolChoice{}, badRequest("tool_choice is not a function choice", `use {"type":"function","function":{"name":"…"}}`)
	}
	return sluice.ToolChoice{Mode: sluice.ToolChoiceTool, Name: o.Function.Name}, nil
}

func parseMessage(i int, m parsedMessage, names map[string]string) (sluice.Message, error) {
	var msg sluice.Message
	switch m.Role {
	case "system", "developer":
		msg.Role = sluice.RoleSystem
	case "user":
		msg.Role = sluice.RoleUser
	case "assistant":
		msg.Role = sluice.RoleAssistant
	case "tool":
		if m.ToolCallID == "" {
			return msg, badRequest(fmt.Sprintf("tool message %d has no tool_call_id", i), "quote the id of the tool call it answers")
		}
		parts, err := parseContent(i, m.Content)
		if err != nil {
			return msg, err
		}
		var text strings.Builder
		for _, p := range parts {
			if p.Type == sluice.PartText {
				text.WriteString(p.Text)
			}
		}
		msg.Role = sluice.RoleTool
		msg.Content = []sluice.Part{{Type: sluice.PartToolResult, CallID: m.ToolCallID, Name: names[m.ToolCallID], Text: text.String()}}
		return msg, nil
	case "function":
		return msg, badRequest(fmt.Sprintf("message %d has the deprecated role function", i), "send tool results as role tool with a tool_call_id")
	default:
		return msg, badRequest(fmt.Sprintf("message %d has role %q", i, m.Role), "use system, developer, user, assistant or tool")
	}
	if m.Role == "assistant" && m.ReasoningContent != "" {
		msg.Content = append(msg.Content, sluice.Part{Type: sluice.PartReasoning, Text: m.ReasoningContent})
	}
	parts, err := parseContent(i, m.Content)
	if err != nil {
		return msg, err
	}
	for _, p := range parts {
		if p.Type == sluice.PartImage && msg.Role != sluice.RoleUser {
			return msg, badRequest(fmt.Sprintf("message %d is a %s message with an image", i, m.Role), "only user messages take images")
		}
	}
	msg.Content = append(msg.Content, parts...)
	if len(m.ToolCalls) > 0 && m.Role != "assistant" {
		return msg, badRequest(fmt.Sprintf("message %d is not an assistant message but has tool_calls", i), "only assistant messages carry tool calls")
	}
	for j, c := range m.ToolCalls {
		if c.Type != "function" && c.Type != "" {
			return msg, badRequest(fmt.Sprintf("tool call %d of message %d has type %q", j, i, c.Type), "only function tool calls are supported")
		}
		args := c.Function.Arguments
		if strings.TrimSpace(args) == "" {
			args = "{}"
		}
		names[c.ID] = c.Function.Name
		msg.Content = append(msg.Content, sluice.Part{Type: sluice.PartToolCall, CallID: c.ID, Name: c.Function.Name, Arguments: args})
	}
	return msg, nil
}

// parseContent reads a message's content: null, a string, or an array of
// text, refusal and image_url parts.
func parseContent(i int, raw json.RawMessage) ([]sluice.Part, error) {
	if len(raw) == 0 || jsonwire.IsNull(raw) {
		return nil, nil
	}
	// The common case, a string, without encoding/json: raw is a value
	// of a body already checked (ValidObject, then json.Unmarshal), and
	// decoding it again with encoding/json rescanned every message's text
	// (40% of parsing a coding agent's request).
	if s, ok := jsonwire.Unquote(raw, nil); ok {
		return []sluice.Part{sluice.Text(s)}, nil
	}
	var arr []struct {
		Type     string          `json:"type"`
		Text     string          `json:"text"`
		Refusal  string          `json:"refusal"`
		ImageURL json.RawMessage `json:"image_url"`
	}
	if err := json.Unmarshal(raw, &arr); err != nil {
		return nil, badRequest(fmt.Sprintf("the content of message %d is neither a string nor an array of parts", i), `send "content":"…" or [{"type":"text","text":"…"}]`)
	}
	var parts []sluice.Part
	for _, p := range arr {
		switch p.Type {
		case "text":
			parts = append(parts, sluice.Text(p.Text))
		case "refusal":
			parts = append(parts, sluice.Text(p.Refusal))
		case "image_url":
			part, err := parseImage(i, p.ImageURL)
			if err != nil {
				return nil, err
			}
			parts = append(parts, part)
		default:
			return nil, badRequest(fmt.Sprintf("message %d has a content part of type %q", i, p.Type), "sluice carries text and image_url parts")
		}
	}
	return parts, nil
}

func parseImage(i int, raw json.RawMessage) (sluice.Part, error) {
	var url string
	if err := json.Unmarshal(raw, &url); err != nil {
		var o struct {
			URL string `json:"url"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return sluice.Part{}, badRequest(fmt.Sprintf("an image_url of message %d is not {\"url\":…}", i), `send "image_url":{"url":"https://…"}`)
		}
		url = o.URL
	}
	if url == "" {
		return sluice.Part{}, badRequest(fmt.Sprintf("an image of message %d has no url", i), "give an https: or data: URL")
	}
	if rest, ok := strings.CutPrefix(url, "data:"); ok {
		if mt, b64, ok := strings.Cut(rest, ";base64,"); ok {
			data, err := base64.StdEncoding.DecodeString(b64)
			if err == nil && len(data) == 0 {
				return sluice.Part{}, badRequest(fmt.Sprintf("the data URL of an image in message %d is empty", i), "send the image's bytes, base64-encoded")
			}
			if err != nil {
				return sluice.Part{}, badRequest(fmt.Sprintf("the data URL of an image in message %d is not valid base64", i), "encode the image with standard base64")
			}
			return sluice.Part{Type: sluice.PartImage, MediaType: mt, Data: data}, nil
		}
	}
	return sluice.Part{Type: sluice.PartImage, URL: url}, nil
}
