package sluice

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Role is the author of a [Message].
type Role string

// The roles every provider understands. Tool results travel as [PartToolResult]
// parts in a RoleTool (or, for Anthropic, RoleUser) message.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// PartType says which fields of a [Part] are set.
type PartType string

// The kinds of message content.
const (
	PartText       PartType = "text"        // Text
	PartImage      PartType = "image"       // URL, or MediaType + Data
	PartToolCall   PartType = "tool_call"   // CallID, Name, Arguments
	PartToolResult PartType = "tool_result" // CallID, Name, Text, IsError
	PartReasoning  PartType = "reasoning"   // Text (may be empty), Opaque
)

// Part is one piece of a message's content. It is a flat struct rather than an
// interface so requests marshal, compare and copy without type switches.
type Part struct {
	Type PartType `json:"type"`
	// Text is the text of a text part, the thinking of a reasoning part, or the
	// output of a tool result.
	Text string `json:"text,omitempty"`
	// URL is an image's http(s) or data: URL.
	URL string `json:"url,omitempty"`
	// MediaType and Data hold an inline image (for example "image/png").
	MediaType string `json:"media_type,omitempty"`
	Data      []byte `json:"data,omitempty"`
	// CallID ties a tool result to the tool call it answers.
	CallID string `json:"call_id,omitempty"`
	// Name is the tool's name.
	Name string `json:"name,omitempty"`
	// Arguments is the tool call's arguments, a JSON object as text.
	Arguments string `json:"arguments,omitempty"`
	// IsError marks a tool result that reports a failure.
	IsError bool `json:"is_error,omitempty"`
	// Opaque is the reasoning's provider-issued data (signatures, encrypted
	// content) that must be sent back unchanged on the next turn.
	Opaque []Opaque `json:"opaque,omitempty"`
}

// Text returns a text part.
func Text(s string) Part { return Part{Type: PartText, Text: s} }

// Message is one turn of a conversation.
type Message struct {
	Role    Role   `json:"role"`
	Content []Part `json:"content"`
}

// UserMessage returns a user message holding one text part.
func UserMessage(text string) Message {
	return Message{Role: RoleUser, Content: []Part{Text(text)}}
}

// Text returns the concatenated text parts of the message.
func (m Message) Text() string {
	var b strings.Builder
	for _, p := range m.Content {
		if p.Type == PartText {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// Tool is a function the model may call.
type Tool struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Parameters is the JSON Schema of the arguments object. Nil means an
	// object with no declared properties.
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

// ToolChoiceMode says whether and how the model must call a tool.
type ToolChoiceMode string

// Tool choice modes. The zero value leaves the provider's default (auto).
const (
	ToolChoiceAuto     ToolChoiceMode = "auto"
	ToolChoiceNone     ToolChoiceMode = "none"
	ToolChoiceRequired ToolChoiceMode = "required"
	ToolChoiceTool     ToolChoiceMode = "tool" // the tool named in ToolChoice.Name
)

// ToolChoice constrains tool calling.
type ToolChoice struct {
	Mode ToolChoiceMode `json:"mode,omitempty"`
	Name string         `json:"name,omitempty"`
	// DisableParallel asks for at most one tool call per turn.
	DisableParallel bool `json:"disable_parallel,omitempty"`
}

// ReasoningConfig asks a reasoning model to think. Providers take either an
// effort level (OpenAI, Gemini) or a token budget (Anthropic, Gemini); each
// adapter converts the one it is given into what its API accepts.
type ReasoningConfig struct {
	// Effort is "minimal", "low", "medium" or "high".
	Effort string `json:"effort,omitempty"`
	// BudgetTokens caps thinking tokens.
	BudgetTokens int `json:"budget_tokens,omitempty"`
	// Summary asks for reasoning summaries ("auto", "concise", "detailed")
	// where the provider offers them.
	Summary string `json:"summary,omitempty"`
}

// Request is one generation request, the same for every provider.
type Request struct {
	// Model is the model's name within its provider (no "provider/" prefix).
	Model    string    `json:"model"`
	System   string    `json:"system,omitempty"`
	Messages []Message `json:"messages"`
	// MaxTokens caps output tokens; 0 means the provider's default.
	MaxTokens   int      `json:"max_tokens,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	// TopK and Seed are honoured by the providers that have them.
	TopK       int              `json:"top_k,omitempty"`
	Seed       *int64           `json:"seed,omitempty"`
	Stop       []string         `json:"stop,omitempty"`
	Tools      []Tool           `json:"tools,omitempty"`
	ToolChoice ToolChoice       `json:"tool_choice,omitzero"`
	Reasoning  *ReasoningConfig `json:"reasoning,omitempty"`
	// Extra holds per-provider fields merged into the provider's request body
	// as given, keyed by the body's top-level field name. It is how a caller
	// reaches a provider feature this type does not model.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
	// Header holds extra HTTP headers for the upstream request (for example
	// anthropic-beta). Authorization headers here are ignored.
	Header map[string]string `json:"header,omitempty"`
}

// Validate reports the first problem that makes r unusable, in words that say
// how to fix it.
func (r *Request) Validate() error {
	if r.Model == "" {
		return &Error{Kind: KindBadRequest, Message: "the request names no model", Hint: "pass a model such as openai/gpt-4o-mini"}
	}
	if len(r.Messages) == 0 {
		return &Error{Kind: KindBadRequest, Message: "the request has no messages", Hint: "add at least one user message"}
	}
	if r.MaxTokens < 0 {
		return &Error{Kind: KindBadRequest, Message: fmt.Sprintf("max tokens is %d", r.MaxTokens), Hint: "use a positive number, or 0 for the provider's default"}
	}
	for i, m := range r.Messages {
		switch m.Role {
		case RoleSystem, RoleUser, RoleAssistant, RoleTool:
		default:
			return &Error{Kind: KindBadRequest, Message: fmt.Sprintf("message %d has role %q", i, m.Role), Hint: "use system, user, assistant or tool"}
		}
	}
	return nil
}
