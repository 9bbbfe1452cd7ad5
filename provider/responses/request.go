package responses

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/sluicehq/sluice"
)

// BuildRequest returns the JSON body of a Responses API request for req,
// with "stream": true when stream is set. It is [Provider.Stream]'s body for
// a provider named "responses" or "openai".
//
// System becomes instructions and system-role messages "developer"
// messages. User text and images become input_text and input_image parts;
// an assistant's text an assistant message, its tool calls function_call
// (or custom_tool_call, for a custom tool of req.Extra's raw tools) items,
// and its reasoning a reasoning item with its summary and encrypted_content
// — only when OpenAI issued that data (Opaque of Provider "responses",
// "openai" or the provider's name): a reasoning item of another provider
// cannot be sent back and is dropped. Tool results become
// function_call_output items. Reasoning effort goes as reasoning.effort (a
// token budget is turned into low, medium or high) with summary "auto"
// unless another is asked; with reasoning on, the request asks for
// reasoning.encrypted_content and store false, so that the reasoning can
// come back on the next turn without OpenAI keeping it. req.Extra is merged
// in last, replacing fields of the same name.
func BuildRequest(req *sluice.Request, stream bool) ([]byte, error) {
	return buildRequest(req, stream, Protocol)
}

func buildRequest(req *sluice.Request, stream bool, name string) ([]byte, error) {
	custom := customNames(req.Extra["tools"])
	m := map[string]any{"model": req.Model}
	if req.System != "" {
		m["instructions"] = req.System
	}
	var input []map[string]any
	for i, msg := range req.Messages {
		items, err := buildItems(i, msg, name, custom)
		if err != nil {
			return nil, err
		}
		input = append(input, items...)
	}
	if input == nil {
		input = []map[string]any{}
	}
	m["input"] = input
	if len(req.Tools) > 0 {
		tools := make([]map[string]any, 0, len(req.Tools))
		for _, t := range req.Tools {
			params := t.Parameters
			if len(params) == 0 {
				params = json.RawMessage(`{"type":"object","properties":{}}`)
			}
			tools = append(tools, map[string]any{"type": "function", "name": t.Name, "description": t.Description,
				"parameters": params, "strict": false})
		}
		m["tools"] = tools
	}
	switch req.ToolChoice.Mode {
	case sluice.ToolChoiceAuto, sluice.ToolChoiceNone, sluice.ToolChoiceRequired:
		m["tool_choice"] = string(req.ToolChoice.Mode)
	case sluice.ToolChoiceTool:
		typ := "function"
		if custom[req.ToolChoice.Name] {
			typ = "custom"
		}
		m["tool_choice"] = map[string]string{"type": typ, "name": req.ToolChoice.Name}
	}
	if req.ToolChoice.DisableParallel {
		m["parallel_tool_calls"] = false
	}
	if r := req.Reasoning; r != nil && r.Effort != "none" {
		effort := r.Effort
		if effort == "" && r.BudgetTokens > 0 {
			switch {
			case r.BudgetTokens <= 2048:
				effort = "low"
			case r.BudgetTokens <= 12288:
				effort = "medium"
			default:
				effort = "high"
			}
		}
		rm := map[string]string{"summary": "auto"}
		if r.Summary != "" {
			rm["summary"] = r.Summary
		}
		if effort != "" {
			rm["effort"] = effort
		}
		m["reasoning"] = rm
		m["include"] = []string{"reasoning.encrypted_content"}
		m["store"] = false
	} else if r != nil {
		m["reasoning"] = map[string]string{"effort": "none"}
	}
	if req.MaxTokens > 0 {
		m["max_output_tokens"] = req.MaxTokens
	}
	if req.Temperature != nil {
		m["temperature"] = *req.Temperature
	}
	if req.TopP != nil {
		m["top_p"] = *req.TopP
	}
	if stream {
		m["stream"] = true
	}
	for k, v := range req.Extra {
		m[k] = v
	}
	return marshalSorted(m)
}

// marshalSorted marshals m; encoding/json sorts map keys, which keeps bodies
// reproducible.
func marshalSorted(m map[string]any) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, &sluice.Error{Kind: sluice.KindBadRequest, Message: "responses: the request does not marshal: " + err.Error()}
	}
	return b, nil
}

// customNames lists the custom tools of a raw tools list.
func customNames(raw json.RawMessage) map[string]bool {
	if len(raw) == 0 {
		return nil
	}
	var tools []struct {
		Type, Name string
	}
	json.Unmarshal(raw, &tools)
	out := map[string]bool{}
	for _, t := range tools {
		if t.Type == "custom" {
			out[t.Name] = true
		}
	}
	return out
}

// buildItems returns the input items of one message.
func buildItems(i int, msg sluice.Message, name string, custom map[string]bool) ([]map[string]any, error) {
	var items []map[string]any
	switch msg.Role {
	case sluice.RoleSystem, sluice.RoleUser:
		role := "user"
		if msg.Role == sluice.RoleSystem {
			role = "developer"
		}
		var parts []map[string]any
		for _, p := range msg.Content {
			switch p.Type {
			case sluice.PartText:
				parts = append(parts, map[string]any{"type": "input_text", "text": p.Text})
			case sluice.PartImage:
				url := p.URL
				if url == "" {
					url = "data:" + p.MediaType + ";base64," + base64.StdEncoding.EncodeToString(p.Data)
				}
				parts = append(parts, map[string]any{"type": "input_image", "image_url": url})
			case sluice.PartToolResult:
				items = append(items, toolOutput(p, custom))
			}
		}
		if len(parts) > 0 {
			items = append(items, map[string]any{"type": "message", "role": role, "content": parts})
		}
	case sluice.RoleTool:
		for _, p := range msg.Content {
			switch p.Type {
			case sluice.PartToolResult:
				items = append(items, toolOutput(p, custom))
			case sluice.PartText:
				if p.Text != "" {
					items = append(items, map[string]any{"type": "message", "role": "user",
						"content": []map[string]any{{"type": "input_text", "text": p.Text}}})
				}
			}
		}
	case sluice.RoleAssistant:
		var text []map[string]any
		flush := func() {
			if len(text) > 0 {
				items = append(items, map[string]any{"type": "message", "role": "assistant", "content": text})
				text = nil
			}
		}
		for _, p := range msg.Content {
			switch p.Type {
			case sluice.PartText:
				if p.Text != "" {
					text = append(text, map[string]any{"type": "output_text", "text": p.Text})
				}
			case sluice.PartReasoning:
				enc := ""
				for _, o := range p.Opaque {
					if o.Kind == sluice.OpaqueEncrypted && (o.Provider == Protocol || o.Provider == "openai" || o.Provider == name) {
						enc = o.Data
					}
				}
				if enc == "" {
					continue // not OpenAI's: it cannot go back
				}
				flush()
				summary := []map[string]any{}
				if p.Text != "" {
					summary = append(summary, map[string]any{"type": "summary_text", "text": p.Text})
				}
				items = append(items, map[string]any{"type": "reasoning", "summary": summary, "encrypted_content": enc})
			case sluice.PartToolCall:
				flush()
				if custom[p.Name] {
					var in struct {
						Input string `json:"input"`
					}
					json.Unmarshal([]byte(p.Arguments), &in)
					items = append(items, map[string]any{"type": "custom_tool_call", "call_id": p.CallID, "name": p.Name, "input": in.Input})
					continue
				}
				args := p.Arguments
				if args == "" {
					args = "{}"
				}
				items = append(items, map[string]any{"type": "function_call", "call_id": p.CallID, "name": p.Name, "arguments": args})
			}
		}
		flush()
	default:
		return nil, &sluice.Error{Kind: sluice.KindBadRequest, Message: fmt.Sprintf("message %d has role %q", i, msg.Role)}
	}
	return items, nil
}

func toolOutput(p sluice.Part, custom map[string]bool) map[string]any {
	typ := "function_call_output"
	if custom[p.Name] {
		typ = "custom_tool_call_output"
	}
	return map[string]any{"type": typ, "call_id": p.CallID, "output": p.Text}
}
