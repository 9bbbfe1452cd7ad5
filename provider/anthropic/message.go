package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// MessageFromResult returns the Messages API's non-streaming reply for res:
// a "message" object with its content blocks, stop_reason and usage, for a
// request that asked for "stream": false. id names the message; when empty,
// res.ID is used, or a new "msg_…" id.
//
// Blocks follow the items of choice 0 in order: reasoning as a thinking
// block with its signature (or a redacted_thinking block), on the same terms
// as the [Encoder] (another provider's reasoning is a thinking block with an
// empty signature, and is left out when it has no text); text as a text
// block (refusal text included); a tool call as a tool_use block with its
// arguments as the input object. ItemOther items are left out: a Result
// does not keep their raw blocks. A tool call whose arguments are not a
// JSON object (a stream cut short) is an error.
func MessageFromResult(res *sluice.Result, id string) ([]byte, error) {
	if id == "" {
		id = res.ID
	}
	if id == "" {
		id = newID()
	}
	b := append([]byte(`{"id":`), jsonwire.AppendString(nil, id)...)
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = jsonwire.AppendString(b, res.Model)
	b = append(b, `,"content":[`...)
	n := 0
	sep := func(b []byte) []byte {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		return b
	}
	tools := false
	for _, it := range res.Items {
		if it.Choice != 0 {
			continue
		}
		switch it.Kind {
		case sluice.ItemReasoning:
			b = appendReasoningBlocks(b, it, sep)
		case sluice.ItemMessage:
			text := it.Text + it.Refusal
			if text == "" {
				continue
			}
			b = sep(b)
			b = append(b, `{"type":"text","text":`...)
			b = jsonwire.AppendString(b, text)
			b = append(b, '}')
		case sluice.ItemToolCall:
			args := bytes.TrimSpace([]byte(it.Arguments()))
			if !json.Valid(args) || args[0] != '{' {
				return nil, &sluice.Error{Kind: sluice.KindProtocol,
					Message: fmt.Sprintf("tool call %s (%s) has arguments that are not a JSON object", it.CallID, it.Name)}
			}
			callID := it.CallID
			if callID == "" {
				callID = it.ID
			}
			tools = true
			b = sep(b)
			b = append(b, `{"type":"tool_use","id":`...)
			b = jsonwire.AppendString(b, callID)
			b = append(b, `,"name":`...)
			b = jsonwire.AppendString(b, it.Name)
			b = append(b, `,"input":`...)
			var c bytes.Buffer
			_ = json.Compact(&c, args)
			b = append(b, c.Bytes()...)
			b = append(b, '}')
		}
	}
	reason := stopReasonFor(res.Finish, res.RawFinish)
	if res.Finish == "" && res.RawFinish == "" && tools {
		reason = "tool_use"
	}
	b = append(b, `],"stop_reason":`...)
	b = jsonwire.AppendString(b, reason)
	b = append(b, `,"stop_sequence":null,"usage":`...)
	b = appendUsage(b, &res.Usage)
	return append(b, '}'), nil
}

// appendReasoningBlocks appends the blocks of one reasoning item, each after
// what sep appends.
func appendReasoningBlocks(b []byte, it sluice.Item, sep func([]byte) []byte) []byte {
	sig, wrote := "", false
	for _, o := range it.Opaque {
		switch o.Kind {
		case sluice.OpaqueSignature:
			sig = o.Data
		case sluice.OpaqueRedacted:
			b = sep(b)
			b = append(b, redactedBlock(o.Data)...)
			wrote = true
		}
	}
	text := it.Text
	if text == "" {
		text = it.Summary
	}
	if sig == "" && (text == "" || wrote) {
		return b
	}
	b = sep(b)
	b = append(b, `{"type":"thinking","thinking":`...)
	b = jsonwire.AppendString(b, text)
	b = append(b, `,"signature":`...)
	b = jsonwire.AppendString(b, sig)
	return append(b, '}')
}
