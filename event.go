package sluice

import (
	"encoding/json"
	"fmt"
	"time"
)

// EventType says what an [Event] carries.
type EventType uint8

// The event types. Every content event belongs to an output item, announced by
// an EventItemStart with the same Item index before its first delta.
const (
	// EventStart opens the response: ID and Model are the provider's response
	// id and resolved model name.
	EventStart EventType = iota + 1
	// EventItemStart opens output item Item of kind Kind. For a tool call, ID
	// is the provider's item id, CallID the call id and Name the tool.
	EventItemStart
	// EventItemDone closes output item Item.
	EventItemDone
	// EventText is a delta of visible message text.
	EventText
	// EventRefusal is a delta of a refusal message (OpenAI).
	EventRefusal
	// EventReasoning is a delta of reasoning text; Summary is true for a
	// reasoning summary rather than raw thinking.
	EventReasoning
	// EventReasoningData carries opaque reasoning data in Text, of kind Opaque.
	// It must go back to the provider unchanged on the next turn.
	EventReasoningData
	// EventToolCall is a fragment of a tool call's JSON arguments.
	EventToolCall
	// EventUsage reports token usage; later reports refine earlier ones.
	EventUsage
	// EventFinish ends a choice with a normalised Finish and the provider's
	// RawFinish.
	EventFinish
	// EventError carries an error to encode on the wire. Decoders never return
	// it from Next; they return the *Error instead, which the Stream yields as
	// its final item.
	EventError
	// EventPassthrough is a wire event the decoder does not know: Name is its
	// event type and Raw its payload, so a same-protocol relay loses nothing.
	EventPassthrough
)

var eventTypeNames = [...]string{
	EventStart: "start", EventItemStart: "item_start", EventItemDone: "item_done",
	EventText: "text", EventRefusal: "refusal", EventReasoning: "reasoning",
	EventReasoningData: "reasoning_data", EventToolCall: "tool_call", EventUsage: "usage",
	EventFinish: "finish", EventError: "error", EventPassthrough: "passthrough",
}

// String returns the event type's snake_case name.
func (t EventType) String() string {
	if int(t) < len(eventTypeNames) && eventTypeNames[t] != "" {
		return eventTypeNames[t]
	}
	return "unknown"
}

// MarshalText encodes the type by name.
func (t EventType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText decodes a type name.
func (t *EventType) UnmarshalText(b []byte) error {
	for i, n := range eventTypeNames {
		if n != "" && n == string(b) {
			*t = EventType(i)
			return nil
		}
	}
	return fmt.Errorf("unknown event type %q", b)
}

// IsContent reports whether the event carries generated tokens: text, refusal,
// reasoning or tool-call arguments. TTFT and inter-token latency are measured
// on these events.
func (t EventType) IsContent() bool {
	switch t {
	case EventText, EventRefusal, EventReasoning, EventToolCall:
		return true
	}
	return false
}

// ItemKind is the kind of an output item.
type ItemKind uint8

// The output item kinds.
const (
	ItemMessage ItemKind = iota + 1
	ItemReasoning
	ItemToolCall
	// ItemOther is a block the decoder does not model (a server tool call, a
	// new block type); its raw start payload is in Event.Raw.
	ItemOther
)

var itemKindNames = [...]string{ItemMessage: "message", ItemReasoning: "reasoning", ItemToolCall: "tool_call", ItemOther: "other"}

// String returns the kind's name.
func (k ItemKind) String() string {
	if int(k) < len(itemKindNames) && itemKindNames[k] != "" {
		return itemKindNames[k]
	}
	return "unknown"
}

// MarshalText encodes the kind by name.
func (k ItemKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a kind name.
func (k *ItemKind) UnmarshalText(b []byte) error {
	for i, n := range itemKindNames {
		if n != "" && n == string(b) {
			*k = ItemKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown item kind %q", b)
}

// OpaqueKind names the kind of provider-issued reasoning data.
type OpaqueKind string

// The opaque reasoning data kinds.
const (
	OpaqueSignature        OpaqueKind = "signature"         // Anthropic thinking signature
	OpaqueRedacted         OpaqueKind = "redacted"          // Anthropic redacted_thinking data
	OpaqueEncrypted        OpaqueKind = "encrypted"         // OpenAI encrypted_content
	OpaqueThoughtSignature OpaqueKind = "thought_signature" // Gemini thoughtSignature
)

// Opaque is reasoning data only its issuer can read. It is only ever sent back
// to the provider named in Provider: another provider would reject it.
type Opaque struct {
	Provider string     `json:"provider"`
	Kind     OpaqueKind `json:"kind"`
	Data     string     `json:"data"`
}

// Extra holds a provider's fields that Event does not model, as a JSON object,
// so an encoder of the same Protocol can put them back. Encoders of other
// protocols ignore it.
type Extra struct {
	Protocol string          `json:"protocol"`
	Fields   json.RawMessage `json:"fields"`
}

// Event is one step of a response. Which fields are set depends on Type; the
// zero value of the others is meaningful ("not set").
type Event struct {
	Type EventType `json:"type"`
	// Item is the output item's index, counted from 0 in arrival order within
	// the response. Response-level events (start, usage, finish) keep 0.
	Item int `json:"item"`
	// Choice is the choice index for providers that stream several (n > 1).
	Choice int `json:"choice,omitempty"`
	// Kind is the item's kind on EventItemStart and EventItemDone.
	Kind ItemKind `json:"kind,omitempty"`
	// ID is the response id (EventStart) or the item id.
	ID string `json:"id,omitempty"`
	// CallID is a tool call's id, which the tool result must quote.
	CallID string `json:"call_id,omitempty"`
	// Name is the tool name, or the wire event type of a passthrough event.
	Name string `json:"name,omitempty"`
	// Model is the provider's resolved model name on EventStart.
	Model string `json:"model,omitempty"`
	// Text is the delta (text, refusal, reasoning, tool arguments) or the
	// opaque data.
	Text string `json:"text,omitempty"`
	// Summary marks a reasoning delta as summary rather than raw thinking.
	Summary bool `json:"summary,omitempty"`
	// Opaque is the kind of opaque data on EventReasoningData.
	Opaque    OpaqueKind   `json:"opaque,omitempty"`
	Usage     *Usage       `json:"usage,omitempty"`
	Finish    FinishReason `json:"finish,omitempty"`
	RawFinish string       `json:"raw_finish,omitempty"`
	Err       *Error       `json:"error,omitempty"`
	// Extra is what the provider sent beyond the fields above.
	Extra *Extra `json:"extra,omitempty"`
	// Raw is the provider's payload for the wire frame this event came from.
	// It aliases the decoder's buffer and is valid until the next event; copy
	// it to keep it. Not copying is what keeps the relay path allocation-free.
	Raw json.RawMessage `json:"raw,omitempty"`
	// At is when the event was decoded, measured on the monotonic clock from
	// the moment the request was sent. The Stream sets it.
	At time.Duration `json:"at_ns,omitempty"`
}
