package responses

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/bufpool"
	"github.com/sluicehq/sluice/internal/jsonwire"
	"github.com/sluicehq/sluice/sse"
)

// EncoderOptions are the per-response choices of an [Encoder]. The zero
// value writes a response with a random id, the upstream's model name and
// sealed opaque data.
type EncoderOptions struct {
	// ID is the response id. Empty takes the upstream's from EventStart
	// when Native is set, else a random "resp_" id.
	ID string
	// Model is the model name the response reports; empty takes
	// EventStart's.
	Model string
	// CreatedAt is the response's creation time in Unix seconds; zero means
	// the time of the first event.
	CreatedAt int64
	// Provider names the upstream provider in sealed opaque data, so it goes
	// back to that provider only (see [sluice.Seal]).
	Provider string
	// Native says the upstream speaks this protocol: OpenAI's encrypted
	// content is written as it came, item ids are kept, and passthrough
	// events of this protocol are written back.
	Native bool
	// CustomTools names the request's custom (freeform) tools: a call of
	// one is written as a custom_tool_call whose input is the "input"
	// argument of the function that stood for it.
	CustomTools []string
	// Echo is a JSON object of request fields the response object repeats
	// (instructions, tools, tool_choice, reasoning, store, …), merged into
	// every response object written. Nil repeats none.
	Echo json.RawMessage
}

// errEnded is returned by an Encoder used after its terminal event.
var errEnded = errors.New("responses: encoder used after the stream ended")

// Encoder writes events from any provider as a Responses event stream. It
// implements [sluice.Encoder]. Whatever the events, the stream it writes
// has the grammar clients check:
//
//   - response.created and response.in_progress first (sequence_number 0
//     and 1), with the response's id, status in_progress, output [] and
//     usage null;
//   - one output item at a time, in output_index order: output_item.added
//     (a message with content [], a reasoning item with summary [], a
//     function_call with arguments ""), for content its part's .added
//     event, the deltas, the .done events that repeat the whole text, and
//     output_item.done with the complete item. A message or reasoning item
//     with nothing in it is not written at all. Content for an item after
//     another has begun closes the open one first; text for a closed item
//     opens a new one, tool arguments for a closed call are dropped;
//   - all reasoning text, raw thinking included, is written as a reasoning
//     summary (one summary part per item), the form every client shows and
//     sends back. Opaque reasoning data becomes the item's
//     encrypted_content: OpenAI's own as it came when Native, anything else
//     sealed with [sluice.Seal] together with the reasoning text and the
//     Provider option. Data that rode on a tool call or a message (Gemini)
//     gets a reasoning item of its own after that item, sealed with the
//     call's id so that it goes back onto the call;
//   - at End, exactly one of response.completed, or response.incomplete
//     (incomplete_details.reason max_output_tokens for FinishLength and
//     FinishBudget, content_filter for FinishContentFilter), whose output
//     equals what the deltas said and whose usage always has
//     input_tokens_details.cached_tokens and
//     output_tokens_details.reasoning_tokens (input_tokens counting cached
//     tokens, as OpenAI does);
//   - an EventError closes the open item as incomplete and writes
//     response.failed with the partial output and an error whose code
//     clients act on (see [FailureCode]); nothing follows it.
//
// Every event's type equals its SSE event name, and sequence_number counts
// from 0 without gaps, passthrough events (restamped) included.
//
// Encode and End buffer; Flush writes. An Encoder is not safe for
// concurrent use.
type Encoder struct {
	w    *sse.Encoder
	opts EncoderOptions

	seq       int64
	started   bool
	id, model string
	created   int64

	items   map[int]*encItem // by sluice item index
	open    *encItem         // the output item being written
	out     [][]byte         // done items, in output_index order
	nextOut int

	usage     sluice.Usage
	finish    sluice.FinishReason
	hasFinish bool
	done      bool
	err       error
	final     []byte          // the last response object written
	buf       bufpool.Scratch // the event being built, borrowed until Flush
	echo      echo
}

// encItem is one output item as the encoder writes it.
type encItem struct {
	item     int
	kind     sluice.ItemKind
	out      int // output_index, -1 until output_item.added is written
	id       string
	callID   string
	name     string
	custom   bool
	text     strings.Builder // message text, reasoning summary or arguments
	refusal  strings.Builder
	part     string   // the content part open: "output_text", "refusal", "summary_text"
	parts    [][]byte // the message's finished content parts
	opaque   []sluice.Opaque
	closed   bool
	upstream string // the upstream's item id
}

// NewEncoder returns an Encoder writing to w. If w is an
// http.ResponseWriter, Flush also flushes it.
func NewEncoder(w io.Writer, opts EncoderOptions) *Encoder {
	return &Encoder{w: sse.NewEncoder(w), opts: opts, id: opts.ID, model: opts.Model, created: opts.CreatedAt,
		items: map[int]*encItem{}, echo: newEcho(opts.Echo)}
}

// Encode buffers the events ev makes. It returns an error after the
// terminal event, or when an earlier write failed.
func (e *Encoder) Encode(ev *sluice.Event) error {
	if e.err != nil {
		return e.err
	}
	if e.done {
		return errEnded
	}
	if ev.Choice != 0 {
		return nil // the Responses API has one output list
	}
	switch ev.Type {
	case sluice.EventStart:
		if e.opts.ID == "" && e.opts.Native && ev.ID != "" && !e.started {
			e.id = ev.ID
		}
		if e.opts.Model == "" && ev.Model != "" && !e.started {
			e.model = ev.Model
		}
		e.begin()
	case sluice.EventItemStart:
		e.begin()
		e.itemStart(ev)
	case sluice.EventItemDone:
		if it := e.items[ev.Item]; it != nil {
			e.closeItem(it, "completed")
		}
	case sluice.EventText, sluice.EventRefusal:
		e.begin()
		if ev.Text == "" {
			break
		}
		it := e.content(ev.Item, sluice.ItemMessage)
		part := "output_text"
		if ev.Type == sluice.EventRefusal {
			part = "refusal"
		}
		e.openPart(it, part)
		if part == "refusal" {
			it.refusal.WriteString(ev.Text)
			e.event("response.refusal.delta", it, func(b []byte) []byte {
				b = appendContentIndex(b, len(it.parts))
				b = append(b, `,"delta":`...)
				return jsonwire.AppendString(b, ev.Text)
			})
			break
		}
		it.text.WriteString(ev.Text)
		e.event("response.output_text.delta", it, func(b []byte) []byte {
			b = appendContentIndex(b, len(it.parts))
			b = append(b, `,"delta":`...)
			b = jsonwire.AppendString(b, ev.Text)
			return append(b, `,"logprobs":[]`...)
		})
	case sluice.EventReasoning:
		e.begin()
		if ev.Text == "" {
			break
		}
		it := e.content(ev.Item, sluice.ItemReasoning)
		e.openPart(it, "summary_text")
		it.text.WriteString(ev.Text)
		e.event("response.reasoning_summary_text.delta", it, func(b []byte) []byte {
			b = append(b, `,"summary_index":0,"delta":`...)
			return jsonwire.AppendString(b, ev.Text)
		})
	case sluice.EventReasoningData:
		e.begin()
		e.opaque(ev)
	case sluice.EventToolCall:
		e.begin()
		e.arguments(ev)
	case sluice.EventUsage:
		if ev.Usage != nil {
			e.usage = e.usage.Merge(*ev.Usage)
		}
	case sluice.EventFinish:
		e.finish, e.hasFinish = ev.Finish, true
	case sluice.EventError:
		e.begin()
		err := ev.Err
		if err == nil {
			err = &sluice.Error{Kind: sluice.KindServer, Message: "the stream failed"}
		}
		e.fail(err)
	case sluice.EventPassthrough:
		if e.opts.Native && ev.Extra != nil && ev.Extra.Protocol == Protocol && len(ev.Raw) > 0 {
			e.begin()
			e.passthrough(ev)
		}
	}
	return e.err
}

// End closes the open item and writes response.completed, or
// response.incomplete when the finish reason says the output was cut. Like
// Encode it only buffers. After the terminal event it does nothing.
func (e *Encoder) End() error {
	if e.err != nil || e.done {
		return e.err
	}
	e.begin()
	if e.open != nil {
		e.closeItem(e.open, "completed")
	}
	status, typ, reason := "completed", "response.completed", ""
	switch e.finish {
	case sluice.FinishLength, sluice.FinishBudget:
		status, typ, reason = "incomplete", "response.incomplete", "max_output_tokens"
	case sluice.FinishContentFilter:
		status, typ, reason = "incomplete", "response.incomplete", "content_filter"
	}
	e.lifecycle(typ, status, nil, reason)
	e.done = true
	return e.err
}

// Flush writes everything buffered with one Write and flushes the writer.
func (e *Encoder) Flush() error {
	if e.err != nil {
		return e.err
	}
	e.buf.Release()
	e.setErr(e.w.Flush())
	return e.err
}

// Comment buffers an SSE comment, a keep-alive. Codex's idle timer ignores
// comments, so they keep proxies, not clients, from timing out.
func (e *Encoder) Comment(text string) error {
	if e.err != nil {
		return e.err
	}
	e.setErr(e.w.Comment(text))
	return e.err
}

// Response returns the last response object written (the terminal event's,
// once the stream has ended), for a non-streaming reply. It is nil before
// the first event.
func (e *Encoder) Response() []byte { return e.final }

// ID returns the response id, known once the first event was encoded.
func (e *Encoder) ID() string { return e.id }

func (e *Encoder) setErr(err error) {
	if err != nil && e.err == nil {
		e.err = err
	}
}

// begin writes response.created and response.in_progress once.
func (e *Encoder) begin() {
	if e.started {
		return
	}
	e.started = true
	if e.id == "" {
		e.id = "resp_" + strings.ToLower(rand.Text())
	}
	if e.created == 0 {
		e.created = time.Now().Unix()
	}
	e.lifecycle("response.created", "in_progress", nil, "")
	e.lifecycle("response.in_progress", "in_progress", nil, "")
}

// itemStart registers an output item. A tool call is written at once; a
// message or reasoning item waits for its first content, so that empty
// ones are never written.
func (e *Encoder) itemStart(ev *sluice.Event) {
	if old := e.items[ev.Item]; old != nil && !old.closed {
		return
	}
	switch ev.Kind {
	case sluice.ItemMessage, sluice.ItemReasoning, sluice.ItemToolCall:
	default:
		return
	}
	it := &encItem{item: ev.Item, kind: ev.Kind, out: -1, callID: ev.CallID, name: ev.Name, upstream: ev.ID}
	e.items[ev.Item] = it
	if ev.Kind == sluice.ItemToolCall {
		it.custom = slices.Contains(e.opts.CustomTools, ev.Name)
		if it.callID == "" {
			it.callID = "call_" + rand.Text()
		}
		if !it.custom {
			e.add(it)
		}
	}
}

// content returns the item that content of item index and kind goes to,
// opening a new one when there is none or it was closed, and making it the
// open item.
func (e *Encoder) content(index int, kind sluice.ItemKind) *encItem {
	it := e.items[index]
	if it == nil || it.closed || it.kind != kind {
		it = &encItem{item: index, kind: kind, out: -1}
		e.items[index] = it
	}
	if it.out < 0 {
		e.add(it)
	}
	return it
}

// add writes output_item.added for it, closing the open item first.
func (e *Encoder) add(it *encItem) {
	if e.open != nil && e.open != it {
		e.closeItem(e.open, "completed")
	}
	it.out = e.nextOut
	e.nextOut++
	e.open = it
	switch it.kind {
	case sluice.ItemMessage:
		it.id = e.itemID(it, "msg_")
	case sluice.ItemReasoning:
		it.id = e.itemID(it, "rs_")
	default:
		if it.custom {
			it.id = e.itemID(it, "ctc_")
		} else {
			it.id = e.itemID(it, "fc_")
		}
	}
	e.event("response.output_item.added", nil, func(b []byte) []byte {
		b = append(b, `,"output_index":`...)
		b = appendInt(b, int64(it.out))
		b = append(b, `,"item":`...)
		return e.appendItem(b, it, "in_progress", true)
	})
}

func (e *Encoder) itemID(it *encItem, prefix string) string {
	if e.opts.Native && it.upstream != "" {
		return it.upstream
	}
	return prefix + strings.ToLower(rand.Text())
}

// openPart opens content part kind on it, closing another part first.
func (e *Encoder) openPart(it *encItem, kind string) {
	if it.part == kind {
		return
	}
	e.closePart(it)
	it.part = kind
	if kind == "summary_text" {
		e.event("response.reasoning_summary_part.added", it, func(b []byte) []byte {
			return append(b, `,"summary_index":0,"part":{"type":"summary_text","text":""}`...)
		})
		return
	}
	e.event("response.content_part.added", it, func(b []byte) []byte {
		b = appendContentIndex(b, len(it.parts))
		b = append(b, `,"part":`...)
		return appendPart(b, kind, "")
	})
}

// closePart writes the .done events of its open content part.
func (e *Encoder) closePart(it *encItem) {
	switch it.part {
	case "":
		return
	case "summary_text":
		text := it.text.String()
		e.event("response.reasoning_summary_text.done", it, func(b []byte) []byte {
			b = append(b, `,"summary_index":0,"text":`...)
			return jsonwire.AppendString(b, text)
		})
		e.event("response.reasoning_summary_part.done", it, func(b []byte) []byte {
			b = append(b, `,"summary_index":0,"part":{"type":"summary_text","text":`...)
			b = jsonwire.AppendString(b, text)
			return append(b, '}')
		})
	case "output_text", "refusal":
		text, typ, field := it.text.String(), "response.output_text.done", "text"
		if it.part == "refusal" {
			text, typ, field = it.refusal.String(), "response.refusal.done", "refusal"
		}
		idx := len(it.parts)
		e.event(typ, it, func(b []byte) []byte {
			b = appendContentIndex(b, idx)
			b = append(b, `,"`...)
			b = append(b, field...)
			b = append(b, `":`...)
			b = jsonwire.AppendString(b, text)
			if field == "text" {
				b = append(b, `,"logprobs":[]`...)
			}
			return b
		})
		part := appendPart(nil, it.part, text)
		e.event("response.content_part.done", it, func(b []byte) []byte {
			b = appendContentIndex(b, idx)
			b = append(b, `,"part":`...)
			return append(b, part...)
		})
		it.parts = append(it.parts, part)
		it.text.Reset()
		it.refusal.Reset()
	}
	it.part = ""
}

// arguments writes a fragment of a tool call's arguments.
func (e *Encoder) arguments(ev *sluice.Event) {
	it := e.items[ev.Item]
	if it == nil {
		// Arguments of a call whose start never came.
		e.itemStart(&sluice.Event{Item: ev.Item, Kind: sluice.ItemToolCall, CallID: ev.CallID, Name: ev.Name})
		it = e.items[ev.Item]
	}
	if it.closed || it.kind != sluice.ItemToolCall || ev.Text == "" {
		return
	}
	it.text.WriteString(ev.Text)
	if it.custom {
		return // written whole when the call is done
	}
	if e.open != it {
		// Another item began since: the Responses stream cannot go back.
		return
	}
	e.event("response.function_call_arguments.delta", it, func(b []byte) []byte {
		b = append(b, `,"delta":`...)
		return jsonwire.AppendString(b, ev.Text)
	})
}

// opaque keeps opaque reasoning data with its item.
func (e *Encoder) opaque(ev *sluice.Event) {
	if ev.Text == "" {
		return
	}
	o := sluice.Opaque{Provider: e.opts.Provider, Kind: ev.Opaque, Data: ev.Text}
	it := e.items[ev.Item]
	if it == nil || (it.closed && it.kind == sluice.ItemReasoning) {
		it = &encItem{item: ev.Item, kind: sluice.ItemReasoning, out: -1}
		e.items[ev.Item] = it
	}
	if it.closed {
		// Data for an item already written: a reasoning item of its own.
		r := &encItem{item: -1, kind: sluice.ItemReasoning, out: -1, opaque: []sluice.Opaque{o}, callID: it.callID}
		if it.kind != sluice.ItemToolCall {
			r.callID = ""
		}
		e.add(r)
		e.closeItem(r, "completed")
		return
	}
	it.opaque = append(it.opaque, o)
}

// closeItem writes the end of it: its open part's .done events and
// output_item.done with the complete item. An item never added is added
// first if it has anything to say.
func (e *Encoder) closeItem(it *encItem, status string) {
	if it.closed {
		return
	}
	it.closed = true
	if it.out < 0 {
		empty := it.text.Len() == 0 && it.refusal.Len() == 0 && len(it.opaque) == 0
		if it.kind != sluice.ItemToolCall && empty {
			return
		}
		it.closed = false
		e.add(it)
		it.closed = true
	}
	if it.kind == sluice.ItemToolCall {
		e.closeCall(it, status)
	} else {
		e.closePart(it)
		e.done1(it, status)
	}
	if e.open == it {
		e.open = nil
	}
	if it.kind != sluice.ItemReasoning && len(it.opaque) > 0 {
		// Data that rode on a call or a message: its own reasoning item,
		// which brings it back onto the call.
		r := &encItem{item: -1, kind: sluice.ItemReasoning, out: -1, opaque: it.opaque}
		if it.kind == sluice.ItemToolCall {
			r.callID = it.callID
		}
		it.opaque = nil
		e.add(r)
		e.closeItem(r, "completed")
	}
}

// closeCall writes the end of a function or custom tool call.
func (e *Encoder) closeCall(it *encItem, status string) {
	args := it.text.String()
	if it.custom {
		input := args
		var in struct {
			Input *string `json:"input"`
		}
		if json.Unmarshal([]byte(args), &in) == nil && in.Input != nil {
			input = *in.Input
		}
		it.text.Reset()
		it.text.WriteString(input)
		e.event("response.custom_tool_call_input.delta", it, func(b []byte) []byte {
			b = append(b, `,"delta":`...)
			return jsonwire.AppendString(b, input)
		})
		e.event("response.custom_tool_call_input.done", it, func(b []byte) []byte {
			b = append(b, `,"input":`...)
			return jsonwire.AppendString(b, input)
		})
		e.done1(it, status)
		return
	}
	if strings.TrimSpace(args) == "" {
		// A call without arguments: say "{}" as a delta too, so that the
		// deltas and the done item agree.
		args = "{}"
		it.text.WriteString(args)
		e.event("response.function_call_arguments.delta", it, func(b []byte) []byte {
			return append(b, `,"delta":"{}"`...)
		})
	}
	e.event("response.function_call_arguments.done", it, func(b []byte) []byte {
		b = append(b, `,"arguments":`...)
		return jsonwire.AppendString(b, args)
	})
	e.done1(it, status)
}

// done1 writes output_item.done for it and keeps the item for the final
// output.
func (e *Encoder) done1(it *encItem, status string) {
	item := e.appendItem(nil, it, status, false)
	e.out = append(e.out, item)
	e.event("response.output_item.done", nil, func(b []byte) []byte {
		b = append(b, `,"output_index":`...)
		b = appendInt(b, int64(it.out))
		b = append(b, `,"item":`...)
		return append(b, item...)
	})
}

// fail closes the open item as incomplete and writes response.failed.
func (e *Encoder) fail(err *sluice.Error) {
	if e.open != nil {
		e.closeItem(e.open, "incomplete")
	}
	e.lifecycle("response.failed", "failed", err, "")
	e.done = true
}

// passthrough writes an event of this protocol that the decoder did not
// know, with this stream's sequence number.
func (e *Encoder) passthrough(ev *sluice.Event) {
	var m map[string]json.RawMessage
	if json.Unmarshal(ev.Raw, &m) != nil || ev.Name == "" {
		return
	}
	m["sequence_number"] = json.RawMessage(appendInt(nil, e.seq))
	m["type"] = json.RawMessage(jsonwire.AppendString(nil, ev.Name))
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	e.seq++
	e.setErr(e.w.Encode(sse.Event{Type: ev.Name, Data: b}))
}

// event buffers one event of type typ: {"type","sequence_number", the
// item_id and output_index of it when it is not nil, then what body
// appends}.
func (e *Encoder) event(typ string, it *encItem, body func([]byte) []byte) {
	b := append(e.buf.Bytes(), `{"type":`...)
	b = jsonwire.AppendString(b, typ)
	b = append(b, `,"sequence_number":`...)
	b = appendInt(b, e.seq)
	if it != nil {
		b = append(b, `,"item_id":`...)
		b = jsonwire.AppendString(b, it.id)
		b = append(b, `,"output_index":`...)
		b = appendInt(b, int64(it.out))
	}
	b = body(b)
	b = append(b, '}')
	e.buf.Keep(b)
	e.seq++
	e.setErr(e.w.Encode(sse.Event{Type: typ, Data: b}))
}

// lifecycle writes a response-level event with the response object.
func (e *Encoder) lifecycle(typ, status string, err *sluice.Error, incomplete string) {
	final := status != "in_progress"
	resp := e.appendResponse(nil, status, final, err, incomplete)
	e.final = resp
	e.event(typ, nil, func(b []byte) []byte {
		b = append(b, `,"response":`...)
		return append(b, resp...)
	})
}

func appendContentIndex(b []byte, i int) []byte {
	b = append(b, `,"content_index":`...)
	return appendInt(b, int64(i))
}

// appendPart appends a message content part.
func appendPart(b []byte, kind, text string) []byte {
	if kind == "refusal" {
		b = append(b, `{"type":"refusal","refusal":`...)
		b = jsonwire.AppendString(b, text)
		return append(b, '}')
	}
	b = append(b, `{"type":"output_text","annotations":[],"logprobs":[],"text":`...)
	b = jsonwire.AppendString(b, text)
	return append(b, '}')
}
