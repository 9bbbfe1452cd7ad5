package anthropic

import (
	"io"
	"math/rand/v2"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/bufpool"
	"github.com/sluicehq/sluice/internal/jsonwire"
	"github.com/sluicehq/sluice/sse"
)

// EncoderOptions tunes an [Encoder]. The zero value writes what the live API
// writes, in compact JSON.
type EncoderOptions struct {
	// ID and Model name the message when the events bring no EventStart, or
	// one without them. An empty ID is replaced by a random "msg_…" id.
	ID, Model string
	// Pad, when positive, pads every JSON payload except ping with 1 to Pad
	// spaces before its closing brace, varying from event to event, as the
	// live API did in 2026 (wire-formats.md §4.6). It is for the simulator, to
	// prove that clients decode such payloads; the JSON means the same.
	Pad int
}

// Encoder writes sluice events as a Messages API event stream, for events
// from any provider. It implements [sluice.Encoder]. The flow is always the
// API's: message_start, then for each block content_block_start, deltas and
// content_block_stop, then message_delta and message_stop; every event has
// its "event:" line, since the SDKs drop events without one. One ping follows
// the first content_block_start, as the API sends it.
//
// What it does with events from elsewhere:
//
//   - EventStart is held until the next event so that an EventUsage right
//     after it lands in message_start; without an EventStart one is made up
//     from [EncoderOptions].
//   - Each output item becomes one block, numbered in the order blocks are
//     written. Only one block is open at a time: a new one closes the open
//     one. Content for an item that has no block yet opens one (text,
//     thinking or tool_use), so streams without item starts still come out
//     well-formed. After its block was closed, text and thinking open a new
//     block; tool arguments are dropped, since a second tool_use with the
//     same id would break the next request.
//   - Reasoning becomes a thinking block. A signature is written only when
//     the opaque data is Anthropic's own (OpaqueSignature) and a
//     redacted_thinking block only for OpaqueRedacted; other providers'
//     opaque data is dropped (it cannot be sent to Anthropic; the gateway
//     keeps it). A thinking block without a signature still has the
//     "signature":"" field in its start, which clients such as Claude Code
//     expect to find; a request that sends it back unsigned is not forwarded
//     to Anthropic as thinking ([BuildRequest] drops it). A reasoning item
//     that brings nothing but foreign opaque data writes no block at all.
//   - Refusal text is written as text. ItemOther items, passthrough events
//     and Extra fields of other protocols are dropped; those of this
//     protocol are written back as they came, so a relay is lossless.
//   - EventFinish and the usage reports of other protocols are held and
//     written as one message_delta at End, with the stop reason and the
//     cumulative usage (OpenAI sends its usage after its finish). A
//     message_delta of this protocol is written where it came.
//   - EventError is written as an error event and nothing follows it.
//
// Events of choices other than 0 are dropped. Encode only buffers; Flush
// writes. An Encoder is not safe for concurrent use.
type Encoder struct {
	w    *sse.Encoder
	opts EncoderOptions
	buf  bufpool.Scratch // the payload being written, borrowed until Flush
	blk  []byte          // the content block being started
	seq  int             // events written, to vary the padding

	startPending, started, ended bool
	id, model                    string
	startTmpl                    []byte // message_start of this protocol
	usage                        sluice.Usage

	items   []item
	open    int // wire index of the open block, or -1
	openIt  int // its item
	next    int // wire index of the next block
	pinged  bool
	toolUse bool // a tool_use block was written

	finish    sluice.FinishReason
	rawFinish string
	finished  bool // the final message_delta is written
}

// item is the encoder's state of one output item.
type item struct {
	seen        bool // EventItemStart arrived
	callID      string
	name        string
	dropped     bool   // it cannot be expressed; its events are dropped
	typ         string // the type of its current or last block
	block       int    // wire index of that block
	open, ended bool   // the block is open; a block of it was closed
}

// NewEncoder returns an Encoder writing to w, flushing w after each Flush if
// it can be flushed (see [sse.NewEncoder]).
func NewEncoder(w io.Writer, opts EncoderOptions) *Encoder {
	return &Encoder{w: sse.NewEncoder(w), opts: opts, open: -1}
}

// Flush writes everything encoded so far with one Write.
func (e *Encoder) Flush() error {
	e.buf.Release()
	return e.w.Flush()
}

// maxItems bounds the item index an event may name, so that a bad index
// cannot make the encoder allocate without limit.
const maxItems = 1 << 14

// Encode appends ev's wire events to the buffer. It returns an error only
// when the SSE encoder refuses a passthrough event's name; after an error
// event or End it drops everything.
func (e *Encoder) Encode(ev *sluice.Event) error {
	if e.ended || ev.Choice != 0 {
		return nil
	}
	if e.startPending && ev.Type != sluice.EventUsage && ev.Type != sluice.EventStart {
		e.writeStart()
	}
	switch ev.Type {
	case sluice.EventStart:
		if !e.started && !e.startPending {
			e.startPending = true
			e.id, e.model = ev.ID, ev.Model
			e.startTmpl = template(ev.Extra, "message_start")
		}
	case sluice.EventUsage:
		if ev.Usage == nil {
			return nil
		}
		e.usage = e.usage.Merge(*ev.Usage)
		if e.startPending {
			e.writeStart()
		} else if t := template(ev.Extra, "message_delta"); t != nil && e.started {
			e.writeMessageDelta(t, "", true)
		}
	case sluice.EventFinish:
		e.finish, e.rawFinish = ev.Finish, ev.RawFinish
		if t := template(ev.Extra, "message_delta"); t != nil && !e.finished {
			// This protocol's own message_delta is written where it came,
			// with its stop reason as it was, even one sluice does not know.
			reason := ev.RawFinish
			if reason == "" {
				reason = stopReasonFor(ev.Finish, "")
			}
			e.ensureStarted()
			e.closeOpen()
			e.writeMessageDelta(t, reason, false)
			e.finished = true
		}
	case sluice.EventError:
		// Before message_start the error is written alone, as the API does
		// when it fails that early.
		err := ev.Err
		if err == nil {
			err = &sluice.Error{Kind: sluice.KindServer, Message: "the stream failed"}
		}
		e.emit("error", appendErrorBody(e.buf.Bytes(), err))
		e.ended = true
	case sluice.EventPassthrough:
		return e.passthrough(ev)
	default:
		if ev.Item < 0 || ev.Item >= maxItems {
			return nil
		}
		e.ensureStarted()
		e.content(ev)
	}
	return nil
}

// End closes the open block and writes message_delta and message_stop.
func (e *Encoder) End() error {
	if e.ended {
		return nil
	}
	e.ensureStarted()
	e.closeOpen()
	if !e.finished {
		e.writeMessageDelta(nil, e.stopReason(), false)
	}
	e.emit("message_stop", append(e.buf.Bytes(), `{"type":"message_stop"}`...))
	e.ended = true
	return nil
}

func (e *Encoder) stopReason() string {
	if e.finish == "" && e.rawFinish == "" {
		if e.toolUse {
			return "tool_use"
		}
		return "end_turn"
	}
	return stopReasonFor(e.finish, e.rawFinish)
}

func (e *Encoder) itemFor(i int) *item {
	for len(e.items) <= i {
		e.items = append(e.items, item{block: -1})
	}
	return &e.items[i]
}

// content handles the events of one output item.
func (e *Encoder) content(ev *sluice.Event) {
	it := e.itemFor(ev.Item)
	switch ev.Type {
	case sluice.EventItemStart:
		e.itemStart(ev, it)
	case sluice.EventItemDone:
		if it.open {
			e.closeOpen()
		}
	case sluice.EventText, sluice.EventRefusal:
		if idx := e.ensure(ev.Item, it, blockText); idx >= 0 {
			e.delta(idx, `text_delta","text":`, ev.Text)
		}
	case sluice.EventReasoning:
		if idx := e.ensure(ev.Item, it, blockThinking); idx >= 0 {
			e.delta(idx, `thinking_delta","thinking":`, ev.Text)
		}
	case sluice.EventReasoningData:
		switch ev.Opaque {
		case sluice.OpaqueSignature:
			if idx := e.ensure(ev.Item, it, blockThinking); idx >= 0 {
				e.delta(idx, `signature_delta","signature":`, ev.Text)
			}
		case sluice.OpaqueRedacted:
			if it.dropped || (it.open && it.typ == blockRedactedThinking) {
				return // written whole in its block start
			}
			b := append(e.blk[:0], `{"type":"redacted_thinking","data":`...)
			b = jsonwire.AppendString(b, ev.Text)
			e.startBlock(ev.Item, it, blockRedactedThinking, append(b, '}'))
		}
	case sluice.EventToolCall:
		if it.dropped {
			return
		}
		if it.open && (it.typ == blockToolUse || it.typ == "") {
			e.delta(it.block, `input_json_delta","partial_json":`, ev.Text)
		} else if idx := e.ensure(ev.Item, it, blockToolUse); idx >= 0 {
			e.delta(idx, `input_json_delta","partial_json":`, ev.Text)
		}
	}
}

func (e *Encoder) itemStart(ev *sluice.Event, it *item) {
	if it.seen {
		return
	}
	it.seen, it.name = true, ev.Name
	it.callID = ev.CallID
	if it.callID == "" {
		it.callID = ev.ID
	}
	var cb []byte
	if t := template(ev.Extra, "content_block_start"); t != nil {
		cb, _ = jsonwire.LookupDecoded(t, "content_block")
	}
	switch ev.Kind {
	case sluice.ItemMessage:
		if cb == nil {
			cb = append(e.blk[:0], `{"type":"text","text":""}`...)
		}
		e.startBlock(ev.Item, it, blockText, cb)
	case sluice.ItemToolCall:
		if cb == nil {
			cb = e.toolUseBlock(it)
		}
		e.startBlock(ev.Item, it, blockToolUse, cb)
	case sluice.ItemReasoning:
		if cb == nil {
			// Thinking or redacted thinking: the first event tells, so the
			// block starts with it, and a reasoning item with nothing this
			// protocol can carry writes no block.
			return
		}
		typ := blockThinking
		if t, _ := jsonwire.LookupDecoded(cb, "type"); string(t) == `"`+blockRedactedThinking+`"` {
			typ = blockRedactedThinking
		}
		e.startBlock(ev.Item, it, typ, cb)
	case sluice.ItemOther:
		if cb == nil {
			it.dropped = true
			return
		}
		// Server tool blocks stream input_json_delta like tool_use; "" lets
		// EventToolCall write into them.
		e.startBlock(ev.Item, it, "", cb)
	default:
		it.dropped = true
	}
}

func (e *Encoder) toolUseBlock(it *item) []byte {
	b := append(e.blk[:0], `{"type":"tool_use","id":`...)
	b = jsonwire.AppendString(b, it.callID)
	b = append(b, `,"name":`...)
	b = jsonwire.AppendString(b, it.name)
	return append(b, `,"input":{}}`...)
}

// ensure returns the wire index of the item's open block of type typ,
// opening one if need be, or -1 when the event must be dropped.
func (e *Encoder) ensure(i int, it *item, typ string) int {
	if it.dropped {
		return -1
	}
	if it.open && it.typ == typ {
		return it.block
	}
	if typ == blockToolUse && it.ended {
		return -1
	}
	var cb []byte
	switch typ {
	case blockText:
		cb = append(e.blk[:0], `{"type":"text","text":""}`...)
	case blockThinking:
		cb = append(e.blk[:0], `{"type":"thinking","thinking":"","signature":""}`...)
	case blockToolUse:
		cb = e.toolUseBlock(it)
	}
	e.startBlock(i, it, typ, cb)
	return it.block
}

// startBlock closes the open block and writes content_block_start for the
// item's new block cb.
func (e *Encoder) startBlock(i int, it *item, typ string, cb []byte) {
	e.closeOpen()
	idx := e.next
	e.next++
	b := append(e.buf.Bytes(), `{"type":"content_block_start","index":`...)
	b = appendInt(b, int64(idx))
	b = append(b, `,"content_block":`...)
	b = append(b, cb...)
	e.emit("content_block_start", append(b, '}'))
	if cap(cb) > cap(e.blk) {
		e.blk = cb[:0]
	}
	it.typ, it.block, it.open = typ, idx, true
	e.open, e.openIt = idx, i
	if typ == blockToolUse {
		e.toolUse = true
	}
	if !e.pinged {
		e.pinged = true
		_ = e.w.Encode(sse.Event{Type: "ping", Data: pingData})
	}
}

func (e *Encoder) closeOpen() {
	if e.open < 0 {
		return
	}
	b := append(e.buf.Bytes(), `{"type":"content_block_stop","index":`...)
	b = appendInt(b, int64(e.open))
	e.emit("content_block_stop", append(b, '}'))
	it := &e.items[e.openIt]
	it.open, it.ended = false, true
	e.open = -1
}

// delta writes a content_block_delta; kind is the delta's type and its text
// field's name, as `text_delta","text":`.
func (e *Encoder) delta(idx int, kind, text string) {
	b := append(e.buf.Bytes(), `{"type":"content_block_delta","index":`...)
	b = appendInt(b, int64(idx))
	b = append(b, `,"delta":{"type":"`...)
	b = append(b, kind...)
	b = jsonwire.AppendString(b, text)
	e.emit("content_block_delta", append(b, "}}"...))
}

func (e *Encoder) passthrough(ev *sluice.Event) error {
	if ev.Extra == nil || ev.Extra.Protocol != Protocol || ev.Name == "" || !jsonwire.Valid(ev.Raw) {
		return nil
	}
	e.ensureStarted()
	data := []byte(ev.Raw)
	if ev.Name == "content_block_delta" {
		// The delta belongs to a block whose wire index may differ from the
		// one it came with.
		if ev.Item < 0 || ev.Item >= len(e.items) || !e.items[ev.Item].open {
			return nil
		}
		var err error
		idx := appendInt(nil, int64(e.items[ev.Item].block))
		if data, err = editObject(e.buf.Bytes(), data, []field{{"index", idx}}, false, nil); err != nil {
			return nil
		}
		e.buf.Keep(data)
	}
	if err := e.w.Encode(sse.Event{Type: ev.Name, Data: data}); err != nil {
		return err
	}
	e.seq++
	return nil
}

// emit writes one event with the payload b, padded if asked.
func (e *Encoder) emit(name string, b []byte) {
	if e.opts.Pad > 0 && len(b) > 0 && b[len(b)-1] == '}' {
		n := 1 + (e.seq*7)%e.opts.Pad
		b = b[:len(b)-1]
		for range n {
			b = append(b, ' ')
		}
		b = append(b, '}')
	}
	e.buf.Keep(b) // it may have grown
	// Names are constants here, which the SSE encoder always accepts.
	_ = e.w.Encode(sse.Event{Type: name, Data: b})
	e.seq++
}

func (e *Encoder) ensureStarted() {
	if !e.started {
		e.writeStart()
	}
}

// template returns x's fields when they are a payload of this protocol's
// wire event typ, to be written back with sluice's values filled in.
func template(x *sluice.Extra, typ string) []byte {
	if x == nil || x.Protocol != Protocol || !jsonwire.Valid(x.Fields) {
		return nil
	}
	if t, ok := jsonwire.LookupDecoded(x.Fields, "type"); !ok || string(t) != `"`+typ+`"` {
		return nil
	}
	return x.Fields
}

// usageFields returns the counts sluice knows as wire usage fields.
// Only keys in tmpl are returned, except those in always.
func (e *Encoder) usageFields(tmpl []byte, always ...string) []field {
	u := &e.usage
	all := [...]struct {
		key string
		c   sluice.Count
	}{
		{"input_tokens", u.Input},
		{"cache_creation_input_tokens", u.CacheWrite},
		{"cache_read_input_tokens", u.CacheRead},
		{"output_tokens", u.Output},
	}
	var set []field
	for _, f := range all {
		if !f.c.Known() {
			continue
		}
		_, in := jsonwire.LookupDecoded(tmpl, f.key)
		if !in && !contains(always, f.key) {
			continue
		}
		set = append(set, field{f.key, appendInt(nil, f.c.N)})
	}
	return set
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// appendUsage appends a usage object: input and output always (the SDKs
// require them), cache fields and thinking tokens when known.
func appendUsage(b []byte, u *sluice.Usage) []byte {
	b = append(b, `{"input_tokens":`...)
	b = appendInt(b, u.Input.N)
	if u.CacheWrite.Known() {
		b = append(b, `,"cache_creation_input_tokens":`...)
		b = appendInt(b, u.CacheWrite.N)
	}
	if u.CacheRead.Known() {
		b = append(b, `,"cache_read_input_tokens":`...)
		b = appendInt(b, u.CacheRead.N)
	}
	b = append(b, `,"output_tokens":`...)
	b = appendInt(b, u.Output.N)
	if u.Reasoning.Known() {
		b = append(b, `,"output_tokens_details":{"thinking_tokens":`...)
		b = appendInt(b, u.Reasoning.N)
		b = append(b, '}')
	}
	return append(b, '}')
}

// writeStart writes message_start: the template of this protocol with the
// id, model and usage sluice knows filled in, or a fresh message.
func (e *Encoder) writeStart() {
	e.startPending, e.started = false, true
	id, model := e.id, e.model
	if id == "" {
		id = e.opts.ID
	}
	if model == "" {
		model = e.opts.Model
	}
	if t := e.startTmpl; t != nil {
		if b, ok := e.fillStart(t, id, model); ok {
			e.emit("message_start", b)
			return
		}
	}
	if id == "" {
		id = newID()
	}
	b := append(e.buf.Bytes(), `{"type":"message_start","message":{"id":`...)
	b = jsonwire.AppendString(b, id)
	b = append(b, `,"type":"message","role":"assistant","content":[],"model":`...)
	b = jsonwire.AppendString(b, model)
	b = append(b, `,"stop_reason":null,"stop_sequence":null,"usage":`...)
	b = appendUsage(b, &e.usage)
	e.emit("message_start", append(b, "}}"...))
}

func (e *Encoder) fillStart(t []byte, id, model string) ([]byte, bool) {
	msg, ok := jsonwire.LookupDecoded(t, "message")
	if !ok {
		return nil, false
	}
	var set []field
	if id != "" {
		set = append(set, field{"id", jsonwire.AppendString(nil, id)})
	}
	if model != "" {
		set = append(set, field{"model", jsonwire.AppendString(nil, model)})
	}
	if usage, ok := jsonwire.LookupDecoded(msg, "usage"); ok {
		if u, err := editObject(nil, usage, e.usageFields(usage, "input_tokens", "output_tokens"), true, nil); err == nil {
			set = append(set, field{"usage", u})
		}
	} else if !e.usage.IsZero() {
		set = append(set, field{"usage", appendUsage(nil, &e.usage)})
	}
	m, err := editObject(nil, msg, set, true, nil)
	if err != nil {
		return nil, false
	}
	b, err := editObject(e.buf.Bytes(), t, []field{{"message", m}}, false, nil)
	return b, err == nil
}

// writeMessageDelta writes a message_delta with the stop reason (null when
// usageOnly) and the cumulative usage, from the template t when there is
// one.
func (e *Encoder) writeMessageDelta(t []byte, reason string, usageOnly bool) {
	stop := []byte("null")
	if !usageOnly {
		stop = jsonwire.AppendString(nil, reason)
	}
	if t != nil {
		if b, ok := e.fillDelta(t, stop, usageOnly); ok {
			e.emit("message_delta", b)
			return
		}
	}
	b := append(e.buf.Bytes(), `{"type":"message_delta","delta":{"stop_reason":`...)
	b = append(b, stop...)
	b = append(b, `,"stop_sequence":null},"usage":{`...)
	u := &e.usage
	for _, f := range [...]struct {
		key string
		c   sluice.Count
	}{{"input_tokens", u.Input}, {"cache_creation_input_tokens", u.CacheWrite}, {"cache_read_input_tokens", u.CacheRead}} {
		if f.c.Known() {
			b = jsonwire.AppendString(b, f.key)
			b = append(b, ':')
			b = appendInt(b, f.c.N)
			b = append(b, ',')
		}
	}
	b = append(b, `"output_tokens":`...)
	b = appendInt(b, u.Output.N)
	if u.Reasoning.Known() {
		b = append(b, `,"output_tokens_details":{"thinking_tokens":`...)
		b = appendInt(b, u.Reasoning.N)
		b = append(b, '}')
	}
	e.emit("message_delta", append(b, "}}"...))
}

func (e *Encoder) fillDelta(t, stop []byte, usageOnly bool) ([]byte, bool) {
	var set []field
	if d, ok := jsonwire.LookupDecoded(t, "delta"); ok && !usageOnly {
		nd, err := editObject(nil, d, []field{{"stop_reason", stop}}, true, nil)
		if err != nil {
			return nil, false
		}
		set = append(set, field{"delta", nd})
	}
	if u, ok := jsonwire.LookupDecoded(t, "usage"); ok {
		nu, err := editObject(nil, u, e.usageFields(u, "output_tokens"), true, nil)
		if err != nil {
			return nil, false
		}
		set = append(set, field{"usage", nu})
	}
	b, err := editObject(e.buf.Bytes(), t, set, false, nil)
	return b, err == nil
}

var pingData = []byte(`{"type": "ping"}`)

const idChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newID returns a message id shaped like the API's.
func newID() string {
	b := make([]byte, 0, 28)
	b = append(b, "msg_"...)
	for range 24 {
		b = append(b, idChars[rand.IntN(len(idChars))])
	}
	return string(b)
}
