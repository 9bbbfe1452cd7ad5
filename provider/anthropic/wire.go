package anthropic

import (
	"encoding/json"

	"github.com/sluicehq/sluice"
)

// Protocol is the name of this wire protocol. It marks the [sluice.Extra] and
// passthrough events this package writes, so that only this package's
// encoder puts them back on the wire, and it is the default provider name.
const Protocol = "anthropic"

// eventType is a wire event's "type", decoded without allocating a string.
type eventType uint8

const (
	evUnknown eventType = iota
	evMessageStart
	evContentBlockStart
	evContentBlockDelta
	evContentBlockStop
	evMessageDelta
	evMessageStop
	evPing
	evError
)

// UnmarshalJSON matches the quoted name against the known event types; a
// name it does not know (or one spelt with escapes) is evUnknown.
func (t *eventType) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"message_start"`:
		*t = evMessageStart
	case `"content_block_start"`:
		*t = evContentBlockStart
	case `"content_block_delta"`:
		*t = evContentBlockDelta
	case `"content_block_stop"`:
		*t = evContentBlockStop
	case `"message_delta"`:
		*t = evMessageDelta
	case `"message_stop"`:
		*t = evMessageStop
	case `"ping"`:
		*t = evPing
	case `"error"`:
		*t = evError
	default:
		*t = evUnknown
	}
	return nil
}

// deltaType is a content_block_delta's delta "type".
type deltaType uint8

const (
	deltaUnknown deltaType = iota
	deltaText
	deltaInputJSON
	deltaThinking
	deltaSignature
)

// UnmarshalJSON matches the quoted name against the modelled delta types.
// citations_delta and anything newer are deltaUnknown and pass through raw.
func (t *deltaType) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"text_delta"`:
		*t = deltaText
	case `"input_json_delta"`:
		*t = deltaInputJSON
	case `"thinking_delta"`:
		*t = deltaThinking
	case `"signature_delta"`:
		*t = deltaSignature
	default:
		*t = deltaUnknown
	}
	return nil
}

// wireUsage is the usage object of message_start.message, message_delta and
// a non-streaming message. Pointers tell a reported 0 from an absent field.
type wireUsage struct {
	InputTokens              *int64 `json:"input_tokens"`
	CacheCreationInputTokens *int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int64 `json:"cache_read_input_tokens"`
	OutputTokens             *int64 `json:"output_tokens"`
	OutputTokensDetails      *struct {
		ThinkingTokens *int64 `json:"thinking_tokens"`
	} `json:"output_tokens_details"`
}

// usage normalises the wire usage. Anthropic's input_tokens already exclude
// cache reads and writes, so each maps straight onto its disjoint bucket;
// output_tokens include thinking tokens, as sluice's Output does.
func (w *wireUsage) usage() sluice.Usage {
	var u sluice.Usage
	set := func(c *sluice.Count, n *int64) {
		if n != nil {
			*c = sluice.ReportedCount(*n)
		}
	}
	set(&u.Input, w.InputTokens)
	set(&u.CacheWrite, w.CacheCreationInputTokens)
	set(&u.CacheRead, w.CacheReadInputTokens)
	set(&u.Output, w.OutputTokens)
	if w.OutputTokensDetails != nil {
		set(&u.Reasoning, w.OutputTokensDetails.ThinkingTokens)
	}
	return u
}

// The block types this package models; any other block is an ItemOther.
const (
	blockText             = "text"
	blockToolUse          = "tool_use"
	blockThinking         = "thinking"
	blockRedactedThinking = "redacted_thinking"
)

// wireBlock holds the fields of a content block that the decoder and the
// request parser model.
type wireBlock struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Text      string          `json:"text"`
	Thinking  string          `json:"thinking"`
	Signature string          `json:"signature"`
	Data      string          `json:"data"`
	Input     json.RawMessage `json:"input"`
}

// stopReasons maps every documented stop_reason to its normalised finish.
var stopReasons = map[string]sluice.FinishReason{
	"end_turn":                      sluice.FinishStop,
	"stop_sequence":                 sluice.FinishStop,
	"pause_turn":                    sluice.FinishStop,
	"max_tokens":                    sluice.FinishLength,
	"model_context_window_exceeded": sluice.FinishLength,
	"tool_use":                      sluice.FinishToolCalls,
	"refusal":                       sluice.FinishContentFilter,
}

// finishFor normalises a stop_reason. An undocumented value is a stop: the
// model did end the message, and the raw value travels beside it.
func finishFor(stopReason string) sluice.FinishReason {
	if f, ok := stopReasons[stopReason]; ok {
		return f
	}
	return sluice.FinishStop
}

// stopReasonFor picks the stop_reason to write for a finish: the raw value
// when it is one of Anthropic's own and agrees with the finish (so a relay
// keeps pause_turn or stop_sequence), otherwise the nearest Anthropic value.
func stopReasonFor(f sluice.FinishReason, raw string) string {
	if got, ok := stopReasons[raw]; ok && (got == f || f == "") {
		return raw
	}
	switch f {
	case sluice.FinishLength, sluice.FinishBudget:
		return "max_tokens"
	case sluice.FinishToolCalls:
		return "tool_use"
	case sluice.FinishContentFilter:
		return "refusal"
	}
	return "end_turn"
}
