package ollama

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// The /api/chat request body. Field order follows Ollama's api.ChatRequest.
type chatRequest struct {
	Model    string          `json:"model"`
	Messages []wireMessage   `json:"messages"`
	Tools    []wireTool      `json:"tools,omitempty"`
	Think    json.RawMessage `json:"think,omitempty"`
	Options  json.RawMessage `json:"options,omitempty"`
	Stream   bool            `json:"stream"`
}

type wireMessage struct {
	Role       string         `json:"role"`
	Content    string         `json:"content"`
	Thinking   string         `json:"thinking,omitempty"`
	Images     []string       `json:"images,omitempty"`
	ToolCalls  []wireToolCall `json:"tool_calls,omitempty"`
	ToolName   string         `json:"tool_name,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type wireToolCall struct {
	ID       string       `json:"id,omitempty"`
	Function wireFunction `json:"function"`
}

type wireFunction struct {
	Index     *int            `json:"index,omitempty"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

type wireTool struct {
	Type     string          `json:"type"`
	Function wireToolFuction `json:"function"`
}

type wireToolFuction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
}

type wireOptions struct {
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	TopK        int      `json:"top_k,omitempty"`
	Seed        *int64   `json:"seed,omitempty"`
	Stop        []string `json:"stop,omitempty"`
	NumPredict  int      `json:"num_predict,omitempty"`
}

// emptySchema is sent for a tool declared without parameters.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

func badRequest(msg, hint string) *sluice.Error {
	return &sluice.Error{Kind: sluice.KindBadRequest, Message: msg, Hint: hint}
}

// BuildRequest returns the JSON body of POST /api/chat for req, with
// "stream" set to stream.
//
// System becomes a leading system message; a message's text parts are
// joined with "\n" into content (Ollama's content is one string); images are
// sent inline as base64 (an http URL is refused, since Ollama cannot fetch
// it); reasoning parts become the assistant's "thinking"; tool calls carry
// their arguments as a JSON object; each tool result becomes its own "tool"
// message with tool_name (looked up from the call when the part has none)
// and tool_call_id. Reasoning asks the model to think: "think" is the effort
// when it is low, medium or high (gpt-oss takes levels), true otherwise.
// Ollama has no tool choice: ToolChoiceNone drops the tools, the other modes
// are not expressible and are ignored. Sampling goes into "options"
// (temperature, top_p, top_k, seed, stop, num_predict = MaxTokens).
//
// req.Extra is merged last at the top level; an object merges into an
// object of the same name ("options" for num_ctx and the like), anything
// else replaces it.
func BuildRequest(req *sluice.Request, stream bool) ([]byte, error) {
	if req == nil {
		return nil, badRequest("no request", "pass a *sluice.Request")
	}
	body := chatRequest{Model: req.Model, Stream: stream, Messages: make([]wireMessage, 0, len(req.Messages)+1)}
	if req.System != "" {
		body.Messages = append(body.Messages, wireMessage{Role: "system", Content: req.System})
	}
	names := map[string]string{} // call id → tool name
	for i, m := range req.Messages {
		msgs, err := buildMessage(i, m, names)
		if err != nil {
			return nil, err
		}
		body.Messages = append(body.Messages, msgs...)
	}
	if req.ToolChoice.Mode != sluice.ToolChoiceNone {
		for _, t := range req.Tools {
			params := t.Parameters
			if len(bytes.TrimSpace(params)) == 0 || string(params) == "null" {
				params = emptySchema
			}
			if !json.Valid(params) {
				return nil, badRequest(fmt.Sprintf("tool %q has parameters that are not valid JSON", t.Name), "give Parameters as a JSON Schema object")
			}
			body.Tools = append(body.Tools, wireTool{Type: "function", Function: wireToolFuction{Name: t.Name, Description: t.Description, Parameters: params}})
		}
	}
	if r := req.Reasoning; r != nil {
		switch r.Effort {
		case "low", "medium", "high":
			body.Think = json.RawMessage(strconv.Quote(r.Effort))
		default:
			body.Think = json.RawMessage("true")
		}
	}
	opts := wireOptions{Temperature: req.Temperature, TopP: req.TopP, TopK: req.TopK, Seed: req.Seed, Stop: req.Stop, NumPredict: req.MaxTokens}
	if o, err := json.Marshal(opts); err == nil && string(o) != "{}" {
		body.Options = o
	}
	out, err := json.Marshal(body)
	if err != nil {
		return nil, badRequest("the request does not encode as JSON: "+err.Error(), "check the tool schemas and Extra values")
	}
	return mergeExtra(out, req.Extra)
}

// buildMessage maps one domain message to one or more Ollama messages.
func buildMessage(i int, m sluice.Message, names map[string]string) ([]wireMessage, error) {
	var out []wireMessage
	w := wireMessage{Role: string(m.Role)}
	var text, thinking []string
	for j, p := range m.Content {
		switch p.Type {
		case sluice.PartText:
			text = append(text, p.Text)
		case sluice.PartReasoning:
			if p.Text != "" {
				thinking = append(thinking, p.Text)
			}
		case sluice.PartImage:
			img, err := imageBase64(p)
			if err != nil {
				return nil, badRequest(fmt.Sprintf("message %d part %d: %v", i, j, err), "send the image bytes (Part.Data) or a base64 data: URL")
			}
			w.Images = append(w.Images, img)
		case sluice.PartToolCall:
			args := json.RawMessage(strings.TrimSpace(p.Arguments))
			if len(args) == 0 {
				args = json.RawMessage("{}")
			}
			if !json.Valid(args) || args[0] != '{' {
				return nil, badRequest(fmt.Sprintf("message %d part %d: the arguments of tool call %q are not a JSON object", i, j, p.Name), "Ollama takes tool-call arguments as a JSON object")
			}
			if p.CallID != "" {
				names[p.CallID] = p.Name
			}
			w.ToolCalls = append(w.ToolCalls, wireToolCall{ID: p.CallID, Function: wireFunction{Name: p.Name, Arguments: args}})
		case sluice.PartToolResult:
			name := p.Name
			if name == "" {
				name = names[p.CallID]
			}
			out = append(out, wireMessage{Role: "tool", Content: p.Text, ToolName: name, ToolCallID: p.CallID})
		default:
			return nil, badRequest(fmt.Sprintf("message %d part %d has type %q", i, j, p.Type), "use text, image, tool_call, tool_result or reasoning parts")
		}
	}
	w.Content = strings.Join(text, "\n")
	w.Thinking = strings.Join(thinking, "")
	if m.Role == sluice.RoleTool && len(out) > 0 && w.Content == "" && len(w.Images) == 0 {
		return out, nil
	}
	if len(out) > 0 && w.Content == "" && len(w.Images) == 0 && len(w.ToolCalls) == 0 && w.Thinking == "" {
		return out, nil // a user turn that only carried tool results
	}
	return append(out, w), nil
}

// imageBase64 returns an image part's bytes in base64.
func imageBase64(p sluice.Part) (string, error) {
	if len(p.Data) > 0 {
		return base64.StdEncoding.EncodeToString(p.Data), nil
	}
	if strings.HasPrefix(p.URL, "data:") {
		meta, data, ok := strings.Cut(p.URL[len("data:"):], ",")
		if !ok {
			return "", fmt.Errorf("malformed data: URL")
		}
		if strings.HasSuffix(meta, ";base64") {
			if _, err := base64.StdEncoding.DecodeString(data); err != nil {
				return "", fmt.Errorf("data: URL is not valid base64: %v", err)
			}
			return data, nil
		}
		raw, err := url.PathUnescape(data)
		if err != nil {
			return "", fmt.Errorf("malformed data: URL: %v", err)
		}
		return base64.StdEncoding.EncodeToString([]byte(raw)), nil
	}
	if p.URL != "" {
		return "", fmt.Errorf("Ollama cannot fetch image URLs (%.60s)", p.URL)
	}
	return "", fmt.Errorf("image part without data")
}

// mergeExtra merges extra into the top level of the JSON object body, one
// level deep (see [jsonwire.MergeShallow]): an extra options object sets its
// fields among the others.
func mergeExtra(body []byte, extra map[string]json.RawMessage) ([]byte, error) {
	out, err := jsonwire.MergeMembers(body, extra, jsonwire.MergeShallow)
	if bad, ok := errors.AsType[*jsonwire.InvalidValueError](err); ok {
		return nil, badRequest(fmt.Sprintf("Extra[%q] is not valid JSON", bad.Key), "give each Extra value as raw JSON, e.g. json.RawMessage(`\"5m\"`)")
	}
	return out, err
}

// RequestInfo holds what an /api/chat request says beyond [sluice.Request].
type RequestInfo struct {
	// Stream is the request's "stream", true when absent (Ollama streams by
	// default).
	Stream bool
}

// ParseRequest reads a POST /api/chat body, for the server's Ollama
// frontend and the simulator. It is the inverse of [BuildRequest]: a leading
// system message becomes System, "thinking" a reasoning part, tool_calls
// tool-call parts (ids synthesised as call_<n> when absent), tool messages
// tool results (matched to their call by tool_call_id, else by tool_name,
// else to the oldest unanswered call), images image parts with their media
// type sniffed, "think" Reasoning (false stays in Extra), and the options
// temperature, top_p, top_k, seed, stop and num_predict the sampling fields.
// Every other member, and every other option, goes into Extra, so
// BuildRequest sends it on unchanged. Errors are *sluice.Error of
// KindBadRequest saying what is wrong.
func ParseRequest(body []byte) (*sluice.Request, *RequestInfo, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, nil, badRequest("the body is not a JSON object", `send {"model":"llama3.2","messages":[{"role":"user","content":"Hi"}]}`)
	}
	req := &sluice.Request{}
	info := &RequestInfo{Stream: true}
	field := func(k string, dst any) error {
		raw, ok := top[k]
		if !ok || string(raw) == "null" {
			delete(top, k)
			return nil
		}
		delete(top, k)
		if err := json.Unmarshal(raw, dst); err != nil {
			return badRequest(fmt.Sprintf("%q has the wrong type: %v", k, err), "see https://docs.ollama.com/api/chat")
		}
		return nil
	}
	var msgs []wireMessage
	var tools []wireTool
	var stream *bool
	var think json.RawMessage
	var opts map[string]json.RawMessage
	for _, f := range []struct {
		k   string
		dst any
	}{{"model", &req.Model}, {"messages", &msgs}, {"tools", &tools}, {"stream", &stream}, {"think", &think}, {"options", &opts}} {
		if err := field(f.k, f.dst); err != nil {
			return nil, nil, err
		}
	}
	if stream != nil {
		info.Stream = *stream
	}
	if req.Model == "" {
		return nil, nil, badRequest(`"model" is missing`, `name the model, e.g. "model":"llama3.2"`)
	}
	if err := parseMessages(req, msgs); err != nil {
		return nil, nil, err
	}
	for _, t := range tools {
		tool := sluice.Tool{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters}
		if string(tool.Parameters) == string(emptySchema) {
			tool.Parameters = nil
		}
		req.Tools = append(req.Tools, tool)
	}
	switch t := strings.TrimSpace(string(think)); t {
	case "":
	case "true":
		req.Reasoning = &sluice.ReasoningConfig{}
	case `"low"`, `"medium"`, `"high"`:
		req.Reasoning = &sluice.ReasoningConfig{Effort: strings.Trim(t, `"`)}
	default:
		top["think"] = think
	}
	if err := parseOptions(req, opts, top); err != nil {
		return nil, nil, err
	}
	if len(top) > 0 {
		req.Extra = top
	}
	if err := req.Validate(); err != nil {
		return nil, nil, err
	}
	return req, info, nil
}

func parseMessages(req *sluice.Request, msgs []wireMessage) error {
	type pending struct{ id, name string }
	var open []pending // tool calls not answered yet
	ncalls := 0
	for i, wm := range msgs {
		role := sluice.Role(strings.ToLower(wm.Role))
		if i == 0 && role == sluice.RoleSystem && req.System == "" {
			req.System = wm.Content
			continue
		}
		m := sluice.Message{Role: role}
		switch role {
		case sluice.RoleSystem, sluice.RoleUser, sluice.RoleAssistant:
			if wm.Thinking != "" {
				m.Content = append(m.Content, sluice.Part{Type: sluice.PartReasoning, Text: wm.Thinking})
			}
			if wm.Content != "" || (len(wm.Images) == 0 && len(wm.ToolCalls) == 0 && wm.Thinking == "") {
				m.Content = append(m.Content, sluice.Text(wm.Content))
			}
			for j, img := range wm.Images {
				data, err := base64.StdEncoding.DecodeString(img)
				if err == nil && len(data) == 0 {
					err = fmt.Errorf("it is empty")
				}
				if err != nil {
					return badRequest(fmt.Sprintf("messages[%d].images[%d] is not valid base64: %v", i, j, err), "send images as plain base64 without a data: prefix")
				}
				m.Content = append(m.Content, sluice.Part{Type: sluice.PartImage, MediaType: http.DetectContentType(data), Data: data})
			}
			for j, tc := range wm.ToolCalls {
				args := bytes.TrimSpace(tc.Function.Arguments)
				switch {
				case len(args) == 0 || string(args) == "null":
					args = []byte("{}")
				case args[0] == '"':
					var s string
					if err := json.Unmarshal(args, &s); err != nil {
						return badRequest(fmt.Sprintf("messages[%d].tool_calls[%d].function.arguments: %v", i, j, err), "send the arguments as a JSON object")
					}
					args = []byte(s)
				default:
					var buf bytes.Buffer
					if err := json.Compact(&buf, args); err == nil {
						args = buf.Bytes()
					}
				}
				id := tc.ID
				if id == "" {
					id = "call_" + strconv.Itoa(ncalls)
				}
				ncalls++
				open = append(open, pending{id, tc.Function.Name})
				m.Content = append(m.Content, sluice.Part{Type: sluice.PartToolCall, CallID: id, Name: tc.Function.Name, Arguments: string(args)})
			}
		case sluice.RoleTool:
			id := wm.ToolCallID
			k := -1
			for j, p := range open {
				if (id != "" && p.id == id) || (id == "" && (wm.ToolName == "" || p.name == wm.ToolName)) {
					k = j
					break
				}
			}
			name := wm.ToolName
			if k >= 0 {
				if id == "" {
					id = open[k].id
				}
				if name == "" {
					name = open[k].name
				}
				open = slices.Delete(open, k, k+1)
			}
			m.Content = append(m.Content, sluice.Part{Type: sluice.PartToolResult, CallID: id, Name: name, Text: wm.Content})
		default:
			return badRequest(fmt.Sprintf("messages[%d] has role %q", i, wm.Role), "use system, user, assistant or tool")
		}
		req.Messages = append(req.Messages, m)
	}
	return nil
}

// parseOptions moves the options sluice models into req and leaves the rest
// in extra["options"].
func parseOptions(req *sluice.Request, opts map[string]json.RawMessage, extra map[string]json.RawMessage) error {
	if len(opts) == 0 {
		return nil
	}
	// take decodes option k into dst and removes it; it reports whether the
	// option was there.
	take := func(k string, dst any) (bool, error) {
		raw, ok := opts[k]
		if !ok || string(raw) == "null" {
			return false, nil
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return false, badRequest(fmt.Sprintf("options.%s has the wrong type: %v", k, err), "see https://docs.ollama.com/modelfile#valid-parameters-and-values")
		}
		delete(opts, k)
		return true, nil
	}
	var temp, topP float64
	var seed int64
	if ok, err := take("temperature", &temp); err != nil {
		return err
	} else if ok {
		req.Temperature = &temp
	}
	if ok, err := take("top_p", &topP); err != nil {
		return err
	} else if ok {
		req.TopP = &topP
	}
	if _, err := take("top_k", &req.TopK); err != nil {
		return err
	}
	if ok, err := take("seed", &seed); err != nil {
		return err
	} else if ok {
		req.Seed = &seed
	}
	if _, err := take("stop", &req.Stop); err != nil {
		return err
	}
	if raw, ok := opts["num_predict"]; ok {
		var n int
		if err := json.Unmarshal(raw, &n); err != nil {
			return badRequest(fmt.Sprintf("options.num_predict has the wrong type: %v", err), "use an integer")
		}
		if n > 0 { // -1 (no limit) and -2 (fill the context) stay in Extra
			req.MaxTokens = n
			delete(opts, "num_predict")
		}
	}
	if len(opts) > 0 {
		b, err := json.Marshal(opts)
		if err != nil {
			return badRequest("options do not encode: "+err.Error(), "")
		}
		extra["options"] = b
	}
	return nil
}
