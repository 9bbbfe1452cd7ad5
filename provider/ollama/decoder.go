package ollama

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// Protocol is the name this package uses in [sluice.Extra.Protocol].
const Protocol = "ollama"

// Decoder reads the NDJSON stream of POST /api/chat and returns its events.
// It implements [sluice.Decoder].
//
// Each line becomes, in order: EventStart (first line only); reasoning for
// message.thinking; text for message.content; one tool-call item (start,
// arguments, done) per entry of message.tool_calls; and on the final
// "done":true line, EventItemDone for the open item, EventUsage
// (prompt_eval_count → Input, eval_count → Output) and EventFinish. Next
// returns io.EOF right after the final line; EOF before it is a
// *sluice.Error of KindTruncated, a line that is not JSON is KindProtocol,
// and an {"error":"…"} line is returned as a *sluice.Error of KindServer with
// Ollama's message verbatim.
//
// Every event carries Extra with Protocol "ollama". The last event decoded
// from a line carries in Extra.Fields the line's fields that events do not
// model (created_at, the durations, unknown fields): its non-nil Fields is
// what tells [Encoder] the line is complete, so an Ollama-to-Ollama relay
// writes back the same lines. A line that yields no other event (an empty
// message) is returned as EventPassthrough with Name "chunk" and the line in
// Raw.
//
// Raw of every event is the line it came from; it aliases the Decoder's
// buffer and is valid until the next call to Next.
type Decoder struct {
	lr    lineReader
	queue []sluice.Event
	qi    int
	err   error // sticky: returned once the queue is drained

	started  bool
	done     bool
	model    string
	modelRaw []byte // the first line's model, as JSON
	items    int    // next item index
	open     int    // open item's index, or -1
	kind     sluice.ItemKind
	calls    int // tool calls so far; also the next synthesised id
	mark     *sluice.Extra

	ov, msg, tcs, tc, fn, args []byte // scratch buffers
}

// NewDecoder returns a Decoder reading r. It reads nothing until Next.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{lr: lineReader{r: r}, open: -1, mark: &sluice.Extra{Protocol: Protocol}}
}

// Next returns the next event. See [Decoder] for the errors it returns.
func (d *Decoder) Next() (sluice.Event, error) {
	for {
		if d.qi < len(d.queue) {
			ev := d.queue[d.qi]
			d.queue[d.qi] = sluice.Event{}
			d.qi++
			return ev, nil
		}
		if d.err != nil {
			return sluice.Event{}, d.err
		}
		if d.done {
			d.err = io.EOF
			continue
		}
		d.queue, d.qi = d.queue[:0], 0
		line, partial, err := d.lr.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				d.err = truncated()
			} else {
				d.err = fmt.Errorf("ollama: read stream: %w", err)
			}
			continue
		}
		line = jsonwire.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if !jsonwire.Valid(line) {
			if partial {
				d.err = truncated()
			} else {
				d.err = protocolError("a line of the stream is not valid JSON", line, nil)
			}
			continue
		}
		if err := d.decodeLine(line); err != nil {
			d.queue = d.queue[:0]
			d.err = err
		}
	}
}

func truncated() error {
	return &sluice.Error{Kind: sluice.KindTruncated,
		Message: `the stream ended before the final "done":true line`,
		Hint:    "the Ollama server or a proxy closed the connection early; check the server log"}
}

func protocolError(what string, line []byte, cause error) error {
	const max = 200
	if len(line) > max {
		line = line[:max]
	}
	msg := fmt.Sprintf("%s: %q", what, line)
	if cause != nil {
		msg = fmt.Sprintf("%s (%v): %q", what, cause, line)
	}
	return &sluice.Error{Kind: sluice.KindProtocol, Message: msg, Err: cause}
}

// lineFields are the members of one line that the decoder models.
type lineFields struct {
	model, created, message, done, doneReason, promptEval, eval, errv []byte
	hasModel, hasCreated, hasMessage, hasDone                         bool
}

func (d *Decoder) decodeLine(line []byte) error {
	if !jsonwire.IsObject(line) {
		return protocolError("a line of the stream is not a JSON object", line, nil)
	}
	var f lineFields
	d.ov = d.ov[:0]
	m, _ := jsonwire.ObjectMembers(line)
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		switch string(k) {
		case "model":
			f.model, f.hasModel = v, true
		case "created_at":
			f.created, f.hasCreated = v, true
		case "message":
			f.message, f.hasMessage = v, true
		case "done":
			f.done, f.hasDone = v, true
		case "done_reason":
			f.doneReason = v
		case "prompt_eval_count":
			f.promptEval = v
		case "eval_count":
			f.eval = v
		case "error":
			f.errv = v
		default:
			d.ov = jsonwire.AppendMember(d.ov, k, v)
		}
	}
	if f.errv != nil {
		if err := streamError(f.errv); err != nil {
			return err
		}
		// An empty or null error is no error; keep it for the round trip.
		d.ov = jsonwire.AppendMember(d.ov, []byte("error"), f.errv)
	}

	if !d.started {
		d.started = true
		if f.hasModel {
			s, err := jsonwire.UnmarshalString(f.model)
			if err != nil {
				return protocolError("model is not a string", line, err)
			}
			d.model, d.modelRaw = s, append([]byte(nil), f.model...)
		}
		d.push(sluice.Event{Type: sluice.EventStart, Model: d.model}, line)
	}
	switch {
	case !f.hasModel:
		d.ov = jsonwire.AppendMember(d.ov, []byte("model"), []byte("null"))
	case !bytes.Equal(f.model, d.modelRaw):
		// Another model name (or spelling of it) than the first line's.
		d.ov = jsonwire.AppendMember(d.ov, []byte("model"), f.model)
	}
	if f.hasCreated {
		d.ov = jsonwire.AppendMember(d.ov, []byte("created_at"), f.created)
	} else {
		d.ov = jsonwire.AppendMember(d.ov, []byte("created_at"), []byte("null"))
	}

	done := false
	if f.hasDone {
		switch string(f.done) {
		case "true":
			done = true
		case "false":
		default:
			return protocolError(`"done" is not a boolean`, line, nil)
		}
	} else {
		d.ov = jsonwire.AppendMember(d.ov, []byte("done"), []byte("null"))
	}

	before := len(d.queue)
	if !f.hasMessage || jsonwire.IsNull(f.message) {
		d.ov = jsonwire.AppendMember(d.ov, []byte("message"), []byte("null"))
	} else if err := d.decodeMessage(f.message, line); err != nil {
		return err
	}

	if done {
		if err := d.decodeDone(&f, line); err != nil {
			return err
		}
	} else if f.doneReason != nil {
		d.ov = jsonwire.AppendMember(d.ov, []byte("done_reason"), f.doneReason)
	}
	if !done {
		// Counts on a line that is not final are not usage: keep them.
		if f.promptEval != nil {
			d.ov = jsonwire.AppendMember(d.ov, []byte("prompt_eval_count"), f.promptEval)
		}
		if f.eval != nil {
			d.ov = jsonwire.AppendMember(d.ov, []byte("eval_count"), f.eval)
		}
	}

	if len(d.queue) == before {
		// Nothing modelled: keep the line whole.
		d.push(sluice.Event{Type: sluice.EventPassthrough, Name: "chunk"}, line)
		d.queue[len(d.queue)-1].Extra = &sluice.Extra{Protocol: Protocol, Fields: json.RawMessage("{}")}
		return nil
	}
	last := &d.queue[len(d.queue)-1]
	fields := jsonwire.WrapObject(d.ov)
	if fields == nil {
		fields = json.RawMessage("{}")
	}
	last.Extra = &sluice.Extra{Protocol: Protocol, Fields: fields}
	return nil
}

// push queues ev with the shared mark and the line as Raw.
func (d *Decoder) push(ev sluice.Event, line []byte) {
	ev.Raw = line
	ev.Extra = d.mark
	d.queue = append(d.queue, ev)
}

// openItem makes kind the open item, closing another one first.
func (d *Decoder) openItem(kind sluice.ItemKind, line []byte) {
	if d.open >= 0 && d.kind == kind {
		return
	}
	d.closeItem(line)
	d.open, d.kind = d.items, kind
	d.items++
	d.push(sluice.Event{Type: sluice.EventItemStart, Item: d.open, Kind: kind}, line)
}

func (d *Decoder) closeItem(line []byte) {
	if d.open < 0 {
		return
	}
	d.push(sluice.Event{Type: sluice.EventItemDone, Item: d.open, Kind: d.kind}, line)
	d.open = -1
}

func (d *Decoder) decodeMessage(msg, line []byte) error {
	if !jsonwire.IsObject(msg) {
		return protocolError(`"message" is not an object`, line, nil)
	}
	d.msg = d.msg[:0]
	var content, thinking, calls []byte
	hasContent := false
	m, _ := jsonwire.ObjectMembers(msg)
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		switch string(k) {
		case "role":
			if string(v) != `"assistant"` {
				d.msg = jsonwire.AppendMember(d.msg, k, v)
			}
		case "content":
			content, hasContent = v, true
		case "thinking":
			thinking = v
		case "tool_calls":
			calls = v
		default:
			d.msg = jsonwire.AppendMember(d.msg, k, v)
		}
	}
	if !hasContent {
		d.msg = jsonwire.AppendMember(d.msg, []byte("content"), []byte("null"))
	}
	if thinking != nil && !jsonwire.IsNull(thinking) {
		s, err := jsonwire.UnmarshalString(thinking)
		if err != nil {
			return protocolError("message.thinking is not a string", line, err)
		}
		if s == "" {
			d.msg = jsonwire.AppendMember(d.msg, []byte("thinking"), thinking)
		} else {
			d.openItem(sluice.ItemReasoning, line)
			d.push(sluice.Event{Type: sluice.EventReasoning, Item: d.open, Text: s}, line)
		}
	} else if thinking != nil {
		d.msg = jsonwire.AppendMember(d.msg, []byte("thinking"), thinking)
	}
	if hasContent && !jsonwire.IsNull(content) {
		s, err := jsonwire.UnmarshalString(content)
		if err != nil {
			return protocolError("message.content is not a string", line, err)
		}
		if s != "" {
			d.openItem(sluice.ItemMessage, line)
			d.push(sluice.Event{Type: sluice.EventText, Item: d.open, Text: s}, line)
		}
	} else if hasContent {
		d.msg = jsonwire.AppendMember(d.msg, []byte("content"), content)
	}
	if calls != nil {
		if err := d.decodeToolCalls(calls, line); err != nil {
			return err
		}
	}
	if len(d.msg) > 0 {
		d.ov = jsonwire.AppendMember(d.ov, []byte("message"), jsonwire.WrapObject(d.msg))
	}
	return nil
}

// decodeToolCalls turns message.tool_calls, which Ollama sends whole in one
// line with arguments as a JSON object, into one complete tool-call item each.
// Ids are synthesised as call_<n> (n counting the stream's tool calls from 0)
// when Ollama sends none; Event.ID stays empty then, so an encoder knows the
// id was not on the wire.
func (d *Decoder) decodeToolCalls(calls, line []byte) error {
	if jsonwire.IsNull(calls) {
		d.msg = jsonwire.AppendMember(d.msg, []byte("tool_calls"), calls)
		return nil
	}
	if v := jsonwire.TrimSpace(calls); len(v) == 0 || v[0] != '[' {
		return protocolError("message.tool_calls is not an array", line, nil)
	}
	d.closeItem(line)
	d.tcs = d.tcs[:0]
	kept := false
	e, _ := jsonwire.ArrayElements(calls)
	for call, ok := e.Next(); ok; call, ok = e.Next() {
		if !jsonwire.IsObject(call) {
			return protocolError("a tool call is not an object", line, nil)
		}
		d.tc = d.tc[:0]
		var id, name string
		var args []byte
		hasFunction := false
		m, _ := jsonwire.ObjectMembers(call)
		for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
			switch string(k) {
			case "id":
				s, err := jsonwire.UnmarshalString(v)
				if err != nil {
					return protocolError("a tool call id is not a string", line, err)
				}
				id = s
			case "function":
				if !jsonwire.IsObject(v) {
					return protocolError("a tool call's function is not an object", line, nil)
				}
				hasFunction = true
				var err error
				name, args, err = d.decodeFunction(v, line)
				if err != nil {
					return err
				}
			default:
				d.tc = jsonwire.AppendMember(d.tc, k, v)
			}
		}
		if !hasFunction {
			d.tc = jsonwire.AppendMember(d.tc, []byte("function"), []byte("null"))
		}
		callID := id
		if callID == "" {
			callID = "call_" + strconv.Itoa(d.calls)
		}
		d.calls++
		item := d.items
		d.items++
		d.push(sluice.Event{Type: sluice.EventItemStart, Item: item, Kind: sluice.ItemToolCall, ID: id, CallID: callID, Name: name}, line)
		if len(args) > 0 {
			d.push(sluice.Event{Type: sluice.EventToolCall, Item: item, Text: string(args)}, line)
		}
		d.push(sluice.Event{Type: sluice.EventItemDone, Item: item, Kind: sluice.ItemToolCall}, line)
		if len(d.tc) > 0 {
			kept = true
		}
		if len(d.tcs) > 0 {
			d.tcs = append(d.tcs, ',')
		}
		d.tcs = append(d.tcs, '{')
		d.tcs = append(d.tcs, d.tc...)
		d.tcs = append(d.tcs, '}')
	}
	if kept {
		v := make([]byte, 0, len(d.tcs)+2)
		v = append(append(append(v, '['), d.tcs...), ']')
		d.msg = jsonwire.AppendMember(d.msg, []byte("tool_calls"), v)
	}
	return nil
}

// decodeFunction reads a tool call's function object. It returns the
// arguments compacted; what the encoder would not write back the same way
// (a missing or unexpected index, arguments that are not an object) is
// kept in the tool call's overlay.
func (d *Decoder) decodeFunction(fn, line []byte) (name string, args []byte, err error) {
	d.fn = d.fn[:0]
	hasIndex := false
	m, _ := jsonwire.ObjectMembers(fn)
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		switch string(k) {
		case "name":
			if name, err = jsonwire.UnmarshalString(v); err != nil {
				return "", nil, protocolError("a tool call's name is not a string", line, err)
			}
		case "index":
			hasIndex = true
			if n, err := strconv.Atoi(string(v)); err != nil || n != d.calls {
				d.fn = jsonwire.AppendMember(d.fn, k, v)
			}
		case "arguments":
			switch {
			case jsonwire.IsObject(v):
				d.args = d.args[:0]
				buf := bytes.NewBuffer(d.args)
				if err := json.Compact(buf, v); err != nil {
					return "", nil, protocolError("a tool call's arguments do not parse", line, err)
				}
				d.args = buf.Bytes()
				args = d.args
			case len(v) > 0 && v[0] == '"':
				s, err := jsonwire.UnmarshalString(v)
				if err != nil {
					return "", nil, protocolError("a tool call's arguments do not parse", line, err)
				}
				args = []byte(s)
				d.fn = jsonwire.AppendMember(d.fn, k, v)
			default:
				d.fn = jsonwire.AppendMember(d.fn, k, v)
			}
		default:
			d.fn = jsonwire.AppendMember(d.fn, k, v)
		}
	}
	if !hasIndex {
		d.fn = jsonwire.AppendMember(d.fn, []byte("index"), []byte("null"))
	}
	if args == nil {
		if _, ok := jsonwire.Lookup(fn, "arguments"); !ok {
			d.fn = jsonwire.AppendMember(d.fn, []byte("arguments"), []byte("null"))
		}
	}
	if len(d.fn) > 0 {
		d.tc = jsonwire.AppendMember(d.tc, []byte("function"), jsonwire.WrapObject(d.fn))
	}
	return name, args, nil
}

// decodeDone handles the final line: it closes the open item and reports
// usage and the finish reason.
func (d *Decoder) decodeDone(f *lineFields, line []byte) error {
	d.done = true
	d.closeItem(line)
	raw := ""
	if f.doneReason != nil && !jsonwire.IsNull(f.doneReason) {
		s, err := jsonwire.UnmarshalString(f.doneReason)
		if err != nil {
			return protocolError("done_reason is not a string", line, err)
		}
		raw = s
		if raw == "" {
			d.ov = jsonwire.AppendMember(d.ov, []byte("done_reason"), f.doneReason)
		}
	} else if f.doneReason != nil {
		d.ov = jsonwire.AppendMember(d.ov, []byte("done_reason"), f.doneReason)
	}
	u := &sluice.Usage{}
	for _, c := range []struct {
		name string
		raw  []byte
		dst  *sluice.Count
	}{{"prompt_eval_count", f.promptEval, &u.Input}, {"eval_count", f.eval, &u.Output}} {
		n := int64(0)
		if c.raw != nil && !jsonwire.IsNull(c.raw) {
			v, err := strconv.ParseInt(string(c.raw), 10, 64)
			if err != nil {
				return protocolError(c.name+" is not an integer", line, err)
			}
			n = v
		}
		// Ollama omits zero counts (omitempty); a 0 on the wire is kept.
		if c.raw != nil && (n == 0 || jsonwire.IsNull(c.raw)) {
			d.ov = jsonwire.AppendMember(d.ov, []byte(c.name), c.raw)
		}
		*c.dst = sluice.ReportedCount(n)
	}
	d.push(sluice.Event{Type: sluice.EventUsage, Usage: u}, line)
	d.push(sluice.Event{Type: sluice.EventFinish, Finish: finishReason(raw, d.calls > 0), RawFinish: raw}, line)
	return nil
}

// finishReason normalises done_reason. Ollama says "stop" after tool calls
// too; the calls make it tool_calls, as Ollama's own OpenAI layer does.
func finishReason(raw string, toolCalls bool) sluice.FinishReason {
	switch raw {
	case "length":
		return sluice.FinishLength
	case "stop", "":
		if toolCalls {
			return sluice.FinishToolCalls
		}
	}
	return sluice.FinishStop
}

// streamError builds the error of an {"error":…} line, or returns nil when
// the value is null or an empty string (Ollama's own client treats only a
// non-empty error as one).
func streamError(v []byte) error {
	if jsonwire.IsNull(v) {
		return nil
	}
	msg, err := jsonwire.UnmarshalString(v)
	if err != nil {
		if s, ok := jsonwire.Lookup(v, "message"); ok {
			msg, _ = jsonwire.UnmarshalString(s)
		}
		if msg == "" {
			msg = string(v)
		}
	}
	if msg == "" {
		return nil
	}
	return &sluice.Error{Kind: sluice.KindServer, Message: msg}
}
