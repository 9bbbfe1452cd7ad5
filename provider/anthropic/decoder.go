package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
	"github.com/sluicehq/sluice/sse"
)

// Decoder reads a Messages API event stream and returns sluice events. It
// implements [sluice.Decoder]:
//
//   - message_start gives EventStart (ID, Model) and, when it carries usage,
//     EventUsage;
//   - each content block is an output item, numbered in arrival order:
//     content_block_start gives EventItemStart (text → ItemMessage, tool_use
//     → ItemToolCall, thinking and redacted_thinking → ItemReasoning, any
//     other block, such as server_tool_use or web_search_tool_result, →
//     ItemOther with Name set to the block type) and content_block_stop
//     gives EventItemDone;
//   - text_delta, input_json_delta and thinking_delta give EventText,
//     EventToolCall and EventReasoning; signature_delta and a
//     redacted_thinking block's data give EventReasoningData
//     (OpaqueSignature, OpaqueRedacted);
//   - message_delta gives EventUsage (the usage so far, merged field by field:
//     the API's counts are cumulative) and, with a stop_reason, EventFinish;
//   - message_stop ends the stream: Next returns io.EOF after it and only
//     after it, so EOF without it is a KindTruncated error;
//   - ping is skipped; an error event is returned as a *sluice.Error with the
//     Kind its error.type maps to and the message verbatim;
//   - citations_delta, unknown delta types and unknown event types come out
//     as EventPassthrough (Name = the wire event type, Raw = the payload).
//
// Every event's Raw is the payload of the wire event it came from. The
// block-level and message-level fields sluice does not model (a tool_use's
// caller, stop_details, service_tier, cache_creation, iterations, …) ride
// along as an [sluice.Extra] of Protocol "anthropic" on EventStart,
// EventItemStart and the last event of a message_delta, so that this
// package's [Encoder] writes the same events back. Passthrough events carry
// an empty Extra of Protocol "anthropic" so that encoders can tell whose
// they are.
//
// A delta costs one allocation, the string of its text; the buffers are
// reused.
type Decoder struct {
	sse *sse.Decoder

	index   int    // the frame's block index, -1 if it has none
	scratch []byte // for unescaping strings
	queue   [4]sluice.Event
	qi, qn  int

	blocks []block // content blocks seen, in arrival order
	usage  sluice.Usage
	done   bool  // message_stop seen
	err    error // sticky final error
}

// block maps a wire block index onto its output item.
type block struct {
	index int
	kind  sluice.ItemKind
	open  bool
}

// NewDecoder returns a Decoder reading the event stream r. It reads nothing
// until the first call to Next.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{sse: sse.NewDecoder(r)}
}

// Next returns the next event. After the stream's end it returns io.EOF, or
// the error that ended it, on every call.
func (d *Decoder) Next() (sluice.Event, error) {
	for {
		if d.qi < d.qn {
			ev := d.queue[d.qi]
			d.queue[d.qi] = sluice.Event{}
			d.qi++
			return ev, nil
		}
		if d.err != nil {
			return sluice.Event{}, d.err
		}
		if d.done {
			return sluice.Event{}, io.EOF
		}
		d.qi, d.qn = 0, 0
		if !d.sse.Next() {
			d.err = d.endError()
			continue
		}
		ev := d.sse.Event()
		if err := d.frame(ev.Type, ev.Data); err != nil {
			d.err = err
		}
	}
}

// endError says why the stream ended before message_stop.
func (d *Decoder) endError() error {
	if err := d.sse.Err(); err != nil {
		return fmt.Errorf("anthropic: read stream: %w", err)
	}
	msg := "the stream ended before message_stop"
	if d.sse.Truncated() {
		msg += ", in the middle of an event"
	}
	return &sluice.Error{Kind: sluice.KindTruncated, Message: msg}
}

func (d *Decoder) push(ev sluice.Event) {
	d.queue[d.qn] = ev
	d.qn++
}

func protocolError(what string, err error) error {
	return &sluice.Error{Kind: sluice.KindProtocol, Message: fmt.Sprintf("decode %s: %v", what, err), Err: err}
}

// frame decodes one SSE event into zero or more queued events. The fields
// every event has (type, index, delta) are read by scanning the validated
// bytes, which allocates nothing; the rare message-level events are then
// decoded with encoding/json.
func (d *Decoder) frame(name string, data []byte) error {
	label := name // for error messages
	if label == "" {
		label = "event"
	}
	if !jsonwire.Valid(data) {
		var v any
		return protocolError(label, json.Unmarshal(data, &v))
	}
	m, ok := jsonwire.ObjectMembers(data)
	if !ok {
		return protocolError(label, errNotObject)
	}
	var typ, index, delta []byte
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		switch {
		case jsonwire.KeyEquals(k, "type"):
			typ = v
		case jsonwire.KeyEquals(k, "index"):
			index = v
		case jsonwire.KeyEquals(k, "delta"):
			delta = v
		}
	}
	var t eventType
	_ = t.UnmarshalJSON(typ)
	d.index = -1
	if index != nil {
		n, ok := parseIndex(index)
		if !ok {
			return &sluice.Error{Kind: sluice.KindProtocol, Message: fmt.Sprintf("%s has index %s", label, index)}
		}
		d.index = n
	}
	switch t {
	case evPing:
		return nil
	case evContentBlockDelta:
		return d.delta(data, delta)
	case evContentBlockStart:
		return d.blockStart(data)
	case evContentBlockStop:
		i, err := d.block("content_block_stop")
		if err != nil {
			return err
		}
		d.blocks[i].open = false
		d.push(sluice.Event{Type: sluice.EventItemDone, Item: i, Kind: d.blocks[i].kind, Raw: data})
	case evMessageStart:
		return d.messageStart(data)
	case evMessageDelta:
		return d.messageDelta(data)
	case evMessageStop:
		d.done = true
	case evError:
		return inStreamError(data)
	default:
		d.passthrough(name, data, 0)
	}
	return nil
}

// passthrough queues an event the decoder does not model, whole.
func (d *Decoder) passthrough(name string, data []byte, item int) {
	if name == "" || name == "message" {
		var t struct{ Type string }
		if json.Unmarshal(data, &t) == nil && t.Type != "" {
			name = t.Type
		}
	}
	d.push(sluice.Event{Type: sluice.EventPassthrough, Item: item, Name: name, Raw: data, Extra: passthroughExtra})
}

// passthroughExtra marks passthrough events as this protocol's. It is shared
// and must not be modified.
var passthroughExtra = &sluice.Extra{Protocol: Protocol}

// block returns the output item of the open block the frame's index names.
// Items are numbered as blocks arrive, so the item is the position in
// d.blocks.
func (d *Decoder) block(what string) (int, error) {
	for i := len(d.blocks) - 1; i >= 0; i-- {
		if d.blocks[i].index == d.index {
			if !d.blocks[i].open {
				break
			}
			return i, nil
		}
	}
	return 0, &sluice.Error{Kind: sluice.KindProtocol, Message: fmt.Sprintf("%s for content block %d, which is not open", what, d.index)}
}

func (d *Decoder) delta(data, delta []byte) error {
	i, err := d.block("content_block_delta")
	if err != nil {
		return err
	}
	var dt deltaType
	var text []byte
	if delta != nil {
		// Each delta type carries its content in a field of its own.
		m, ok := jsonwire.ObjectMembers(delta)
		if !ok {
			return protocolError("content_block_delta", errNotObject)
		}
		for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
			if jsonwire.KeyEquals(k, "type") {
				_ = dt.UnmarshalJSON(v)
			} else if jsonwire.KeyEquals(k, "text") || jsonwire.KeyEquals(k, "partial_json") || jsonwire.KeyEquals(k, "thinking") || jsonwire.KeyEquals(k, "signature") {
				text = v
			}
		}
	}
	ev := sluice.Event{Item: i, Raw: data}
	switch dt {
	case deltaText:
		ev.Type = sluice.EventText
	case deltaInputJSON:
		ev.Type = sluice.EventToolCall
	case deltaThinking:
		ev.Type = sluice.EventReasoning
	case deltaSignature:
		ev.Type, ev.Opaque = sluice.EventReasoningData, sluice.OpaqueSignature
	default:
		d.passthrough("content_block_delta", data, i)
		return nil
	}
	if text != nil && string(text) != "null" {
		var ok bool
		if ev.Text, ok = jsonwire.Unquote(text, &d.scratch); !ok {
			return &sluice.Error{Kind: sluice.KindProtocol, Message: fmt.Sprintf("content_block_delta of type %s has a content that is not a string", delta)}
		}
	}
	d.push(ev)
	return nil
}

func (d *Decoder) blockStart(data []byte) error {
	var p struct {
		ContentBlock json.RawMessage `json:"content_block"`
	}
	var wb wireBlock
	if err := json.Unmarshal(data, &p); err != nil {
		return protocolError("content_block_start", err)
	}
	if len(p.ContentBlock) == 0 || json.Unmarshal(p.ContentBlock, &wb) != nil || wb.Type == "" {
		return &sluice.Error{Kind: sluice.KindProtocol, Message: "content_block_start without a typed content_block"}
	}
	if d.index < 0 {
		return &sluice.Error{Kind: sluice.KindProtocol, Message: "content_block_start without an index"}
	}
	for _, b := range d.blocks {
		if b.index == d.index && b.open {
			return &sluice.Error{Kind: sluice.KindProtocol, Message: fmt.Sprintf("content_block_start for block %d, which is already open", d.index)}
		}
	}
	item := len(d.blocks)
	start := sluice.Event{Type: sluice.EventItemStart, Item: item, Raw: data}
	// Content that a block start carries (a proxy that sends tool input or
	// thinking whole) becomes events, and the kept template is blanked, so
	// the encoder does not write it twice.
	var blank []field
	var after [2]sluice.Event
	na := 0
	switch wb.Type {
	case blockText:
		start.Kind = sluice.ItemMessage
		if wb.Text != "" {
			after[na] = sluice.Event{Type: sluice.EventText, Item: item, Text: wb.Text, Raw: data}
			na++
			blank = append(blank, field{"text", []byte(`""`)})
		}
	case blockToolUse:
		start.Kind, start.ID, start.CallID, start.Name = sluice.ItemToolCall, wb.ID, wb.ID, wb.Name
		if in := bytes.TrimSpace(wb.Input); len(in) > 0 && !isEmptyObject(in) && string(in) != "null" {
			var c bytes.Buffer
			_ = json.Compact(&c, in)
			after[na] = sluice.Event{Type: sluice.EventToolCall, Item: item, Text: c.String(), Raw: data}
			na++
			blank = append(blank, field{"input", []byte(`{}`)})
		}
	case blockThinking:
		start.Kind = sluice.ItemReasoning
		if wb.Thinking != "" {
			after[na] = sluice.Event{Type: sluice.EventReasoning, Item: item, Text: wb.Thinking, Raw: data}
			na++
			blank = append(blank, field{"thinking", []byte(`""`)})
		}
		if wb.Signature != "" {
			after[na] = sluice.Event{Type: sluice.EventReasoningData, Item: item, Text: wb.Signature, Opaque: sluice.OpaqueSignature, Raw: data}
			na++
			blank = append(blank, field{"signature", []byte(`""`)})
		}
	case blockRedactedThinking:
		// The data stays in the template: a redacted block is written whole
		// at its start, so the encoder takes it from there.
		start.Kind = sluice.ItemReasoning
		after[na] = sluice.Event{Type: sluice.EventReasoningData, Item: item, Text: wb.Data, Opaque: sluice.OpaqueRedacted, Raw: data}
		na++
	default:
		start.Kind, start.ID, start.Name = sluice.ItemOther, wb.ID, wb.Type
	}
	cb := []byte(p.ContentBlock)
	if len(blank) > 0 {
		var err error
		if cb, err = editObject(nil, cb, blank, false, nil); err != nil {
			return protocolError("content_block_start", err)
		}
	}
	start.Extra = extraFor(data, field{"content_block", cb})
	d.blocks = append(d.blocks, block{index: d.index, kind: start.Kind, open: true})
	d.push(start)
	for _, ev := range after[:na] {
		d.push(ev)
	}
	return nil
}

func isEmptyObject(b []byte) bool {
	return len(b) >= 2 && b[0] == '{' && len(bytes.TrimSpace(b[1:len(b)-1])) == 0
}

// extraFor keeps a compact copy of the wire payload data, with set replacing
// its fields, as the template the encoder fills in.
func extraFor(data []byte, set ...field) *sluice.Extra {
	b, err := editObject(make([]byte, 0, len(data)), data, set, false, nil)
	if err != nil {
		return nil
	}
	var c bytes.Buffer
	c.Grow(len(b))
	if json.Compact(&c, b) != nil {
		return nil
	}
	return &sluice.Extra{Protocol: Protocol, Fields: c.Bytes()}
}

func (d *Decoder) messageStart(data []byte) error {
	var p struct {
		Message struct {
			ID    string     `json:"id"`
			Model string     `json:"model"`
			Usage *wireUsage `json:"usage"`
		} `json:"message"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return protocolError("message_start", err)
	}
	m := &p.Message
	start := sluice.Event{Type: sluice.EventStart, ID: m.ID, Model: m.Model, Raw: data}
	start.Extra = extraFor(data)
	d.push(start)
	if m.Usage != nil {
		d.usage = d.usage.Merge(m.Usage.usage())
		u := d.usage
		d.push(sluice.Event{Type: sluice.EventUsage, Usage: &u, Raw: data})
	}
	return nil
}

func (d *Decoder) messageDelta(data []byte) error {
	var p struct {
		Delta struct {
			StopReason *string `json:"stop_reason"`
		} `json:"delta"`
		Usage *wireUsage `json:"usage"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return protocolError("message_delta", err)
	}
	if p.Usage == nil && p.Delta.StopReason == nil {
		d.passthrough("message_delta", data, 0)
		return nil
	}
	if p.Usage != nil {
		d.usage = d.usage.Merge(p.Usage.usage())
		u := d.usage
		d.push(sluice.Event{Type: sluice.EventUsage, Usage: &u, Raw: data})
	}
	if r := p.Delta.StopReason; r != nil {
		d.push(sluice.Event{Type: sluice.EventFinish, Finish: finishFor(*r), RawFinish: *r, Raw: data})
	}
	// The whole message_delta is the template: the encoder writes one
	// message_delta from it, with its own stop reason and counts.
	if x := extraFor(data); x != nil {
		d.queue[d.qn-1].Extra = x
	}
	return nil
}

// inStreamError turns an error event into the *sluice.Error to return.
func inStreamError(data []byte) error {
	var p struct {
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return protocolError("error event", err)
	}
	e := &sluice.Error{Kind: kindForType(p.Error.Type, 0), Code: p.Error.Type, Message: p.Error.Message}
	if e.Message == "" {
		e.Message = string(bytes.TrimSpace(data))
	}
	return e
}
