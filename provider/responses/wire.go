package responses

import (
	"encoding/json"
	"strconv"
)

// The JSON shapes of the Responses protocol that this package reads. Fields
// it does not model are left out; decoding ignores them.

// wireEvent is one streamed event. Only the fields of its type are set.
type wireEvent struct {
	Type         string        `json:"type"`
	OutputIndex  *int          `json:"output_index"`
	ItemID       string        `json:"item_id"`
	SummaryIndex int           `json:"summary_index"`
	Delta        string        `json:"delta"`
	Text         string        `json:"text"`
	Arguments    string        `json:"arguments"`
	Input        string        `json:"input"`
	Item         *wireItem     `json:"item"`
	Response     *wireResponse `json:"response"`
	// The flat error event's fields; the nested shape uses Error.
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
	Error   *wireError      `json:"error"`
}

// wireItem is an output item (or an input item of the same shape).
type wireItem struct {
	ID               string     `json:"id"`
	Type             string     `json:"type"`
	Status           string     `json:"status"`
	Role             string     `json:"role"`
	Content          []wirePart `json:"content"`
	Summary          []wirePart `json:"summary"`
	EncryptedContent *string    `json:"encrypted_content"`
	CallID           string     `json:"call_id"`
	Name             string     `json:"name"`
	Arguments        string     `json:"arguments"`
	Input            string     `json:"input"`
}

// wirePart is a content part of a message or reasoning item.
type wirePart struct {
	Type    string `json:"type"`
	Text    string `json:"text"`
	Refusal string `json:"refusal"`
}

// wireResponse is the response object of the lifecycle events and of a
// non-streaming reply.
type wireResponse struct {
	ID                string     `json:"id"`
	Model             string     `json:"model"`
	Status            string     `json:"status"`
	Error             *wireError `json:"error"`
	IncompleteDetails *struct {
		Reason string `json:"reason"`
	} `json:"incomplete_details"`
	Output []wireItem `json:"output"`
	Usage  *wireUsage `json:"usage"`
}

// wireError is an error object: {code, message} in response.failed,
// {type, code, message, param} in an error event or an HTTP error body.
type wireError struct {
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
}

// wireUsage is the usage object. input_tokens count cached tokens and
// output_tokens count reasoning tokens, as in Chat Completions.
type wireUsage struct {
	InputTokens        *int64 `json:"input_tokens"`
	InputTokensDetails *struct {
		CachedTokens *int64 `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        *int64 `json:"output_tokens"`
	OutputTokensDetails *struct {
		ReasoningTokens *int64 `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
}

// codeString returns a JSON code that is a string, or "" (null, a number).
func codeString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }
