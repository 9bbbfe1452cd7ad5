package ollama

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// EncoderOptions configure an [Encoder]. The zero value is ready to use.
type EncoderOptions struct {
	// Model is the model name written on every line until an EventStart
	// names one.
	Model string
	// Now returns the time written as created_at on lines that do not come
	// from an Ollama decoder; nil means time.Now. Tests set it to get fixed
	// output.
	Now func() time.Time
}

// Encoder writes events as the NDJSON stream of Ollama's POST /api/chat. It
// implements [sluice.Encoder]. Every line is one ChatResponse object with
// the members in the order of Ollama's Go struct: model, created_at,
// message{role, content, thinking, tool_calls}, done, then on the final line
// done_reason and the metrics. Setting the response's Content-Type to
// application/x-ndjson is the caller's job.
//
// Events from an Ollama [Decoder] (Extra.Protocol "ollama") are written back
// line for line: a line is complete when its last event, the one with
// non-nil Extra.Fields, arrives, and those fields (created_at, durations,
// unknown members) are restored. Events from other protocols are batched:
// text, reasoning and finished tool calls pending at Flush become one line,
// and reasoning after text, or text after a tool call, starts a new line.
// Tool-call arguments are collected until the item is done, because Ollama
// sends a tool call whole, its arguments as a JSON object (arguments that are
// not a JSON object are written as a JSON string). Reasoning opaque data,
// refusals' distinction from text, choices other than 0 and passthrough
// events of other protocols have no place in the format and are dropped;
// refusal text is written as content.
//
// End writes the final "done":true line with done_reason and the token
// counts; for streams from other protocols the durations are derived from
// the events' At times (prompt_eval_duration = first content, eval_duration
// = last − first content, total_duration = last event). An EventError is
// written as {"error":"…"} and ends the stream.
//
// Encode only appends to a buffer; Flush writes it with one Write call and
// flushes w when it can (an http.ResponseWriter through
// http.ResponseController). An Encoder is not safe for concurrent use.
type Encoder struct {
	w    io.Writer
	f    interface{ Flush() error }
	opts EncoderOptions
	out  []byte // complete lines not yet written
	jw   jsonwire.Writer
	err  error

	model   string
	nextTC  int // tool calls written, the next function.index
	calls   map[int]*toolCall
	ended   bool
	done    bool // the done line is written
	finish  sluice.FinishReason
	raw     string // own-protocol done_reason
	hasRaw  bool
	usage   sluice.Usage
	first   time.Duration // At of the first content event
	last    time.Duration // At of the last content event
	lastAny time.Duration

	// the pending line
	thinking, content []byte
	pcalls            []*toolCall
	own               bool // an Ollama line is in progress
	ownDone           bool // that line is the final one
}

type toolCall struct {
	id, callID, name string
	own              bool
	args             []byte
}

// ErrEnded is returned by Encode after End or an EventError.
var ErrEnded = errors.New("ollama: the stream has already ended")

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer, opts EncoderOptions) *Encoder {
	e := &Encoder{w: w, opts: opts, model: opts.Model, calls: map[int]*toolCall{}}
	switch f := w.(type) {
	case http.ResponseWriter:
		e.f = http.NewResponseController(f)
	case interface{ Flush() error }:
		e.f = f
	case interface{ Flush() }:
		e.f = flushFunc(f.Flush)
	}
	return e
}

type flushFunc func()

// Flush calls f; http.Flusher-style writers report no error.
func (f flushFunc) Flush() error { f(); return nil }

func (e *Encoder) now() time.Time {
	if e.opts.Now != nil {
		return e.opts.Now()
	}
	return time.Now()
}

// Encode appends ev's share of the stream to the buffer.
func (e *Encoder) Encode(ev *sluice.Event) error {
	if e.err != nil {
		return e.err
	}
	if e.ended {
		return ErrEnded
	}
	if ev.Choice != 0 {
		return nil
	}
	own := ev.Extra != nil && ev.Extra.Protocol == Protocol
	if ev.At > e.lastAny {
		e.lastAny = ev.At
	}
	if ev.Type.IsContent() && ev.At > 0 {
		if e.first == 0 {
			e.first = ev.At
		}
		e.last = ev.At
	}
	switch ev.Type {
	case sluice.EventStart:
		if ev.Model != "" {
			e.model = ev.Model
		}
	case sluice.EventItemStart:
		if ev.Kind == sluice.ItemToolCall {
			e.calls[ev.Item] = &toolCall{id: ev.ID, callID: ev.CallID, name: ev.Name, own: own}
		}
	case sluice.EventText, sluice.EventRefusal:
		if !own && len(e.pcalls) > 0 {
			e.writeLine(nil, false)
		}
		e.content = append(e.content, ev.Text...)
	case sluice.EventReasoning:
		if !own && (len(e.content) > 0 || len(e.pcalls) > 0) {
			e.writeLine(nil, false)
		}
		e.thinking = append(e.thinking, ev.Text...)
	case sluice.EventToolCall:
		c := e.calls[ev.Item]
		if c == nil {
			// A delta without its item start: synthesise one.
			c = &toolCall{callID: ev.CallID, name: ev.Name, own: own}
			e.calls[ev.Item] = c
		}
		c.args = append(c.args, ev.Text...)
	case sluice.EventItemDone:
		if c := e.calls[ev.Item]; c != nil {
			delete(e.calls, ev.Item)
			if !own && (len(e.content) > 0 || len(e.thinking) > 0) && len(e.pcalls) == 0 {
				// Ollama puts tool calls on a line of their own.
				e.writeLine(nil, false)
			}
			e.pcalls = append(e.pcalls, c)
		}
	case sluice.EventUsage:
		if ev.Usage != nil {
			e.usage = e.usage.Merge(*ev.Usage)
		}
	case sluice.EventFinish:
		e.finish = ev.Finish
		if own {
			e.raw, e.hasRaw = ev.RawFinish, true
			e.ownDone = true
		}
	case sluice.EventError:
		e.encodeError(ev.Err)
		return nil
	case sluice.EventPassthrough:
		if own && jsonwire.IsObject(ev.Raw) && jsonwire.Valid(ev.Raw) {
			e.flushPending()
			e.out = append(e.out, jsonwire.TrimSpace(ev.Raw)...)
			e.out = append(e.out, '\n')
			e.own = false
		}
		return nil
	}
	if own {
		e.own = true
		if ev.Extra.Fields != nil {
			e.writeLine(ev.Extra.Fields, e.ownDone)
			e.own, e.ownDone = false, false
		}
	}
	return nil
}

func (e *Encoder) pending() bool {
	return len(e.content) > 0 || len(e.thinking) > 0 || len(e.pcalls) > 0
}

// flushPending writes the pending content as a line, if there is any.
func (e *Encoder) flushPending() {
	if e.pending() {
		e.writeLine(nil, false)
	}
}

// writeLine writes one ChatResponse line from the pending content, with ov
// (an Ollama line's unmodelled fields) restored.
func (e *Encoder) writeLine(ov []byte, done bool) {
	if ov != nil && !jsonwire.Valid(ov) {
		ov = nil
	}
	w := &e.jw
	w.Buf = e.out
	w.Open(ov)
	w.StrField("model", e.model)
	w.Opt("remote_model")
	w.Opt("remote_host")
	if w.Key("created_at") {
		w.Buf = append(w.Buf, '"')
		w.Buf = e.now().AppendFormat(w.Buf, time.RFC3339Nano)
		w.Buf = append(w.Buf, '"')
	}
	if mov, ok := w.Sub("message"); ok {
		w.Open(mov)
		w.StrField("role", "assistant")
		if w.Key("content") {
			w.Buf = jsonwire.AppendHTMLString(w.Buf, string(e.content))
		}
		if len(e.thinking) > 0 {
			if w.Key("thinking") {
				w.Buf = jsonwire.AppendHTMLString(w.Buf, string(e.thinking))
			}
		} else {
			w.Opt("thinking")
		}
		w.Opt("images")
		if len(e.pcalls) > 0 {
			if tov, ok := w.SubArray("tool_calls"); ok {
				e.writeToolCalls(tov)
			}
		} else {
			w.Opt("tool_calls")
		}
		w.Close()
	}
	if w.Key("done") {
		w.Bool(done)
	}
	if done {
		e.done = true
		reason := e.doneReason()
		if reason != "" {
			w.StrField("done_reason", reason)
		} else {
			w.Opt("done_reason")
		}
		w.Opt("logprobs")
		e.metric("total_duration", e.lastAny)
		w.Opt("load_duration")
		e.count("prompt_eval_count", e.usage.Input.N+e.usage.CacheRead.N+e.usage.CacheWrite.N)
		e.metric("prompt_eval_duration", e.first)
		e.count("eval_count", e.usage.Output.N)
		e.metric("eval_duration", e.last-e.first)
	}
	w.Close()
	e.out = append(w.Buf, '\n')
	w.Buf = nil
	e.content, e.thinking = e.content[:0], e.thinking[:0]
	clear(e.pcalls)
	e.pcalls = e.pcalls[:0]
}

// doneReason is Ollama's done_reason for the stream's finish.
func (e *Encoder) doneReason() string {
	if e.hasRaw {
		return e.raw
	}
	switch e.finish {
	case sluice.FinishLength, sluice.FinishBudget:
		return "length"
	}
	return "stop"
}

// count writes a token count, omitted when zero as Ollama does.
func (e *Encoder) count(k string, n int64) {
	w := &e.jw
	if n > 0 {
		if w.Key(k) {
			w.Int(n)
		}
		return
	}
	w.Opt(k)
}

// metric writes a duration in nanoseconds. Lines of Ollama's own stream
// carry theirs in the overlay; for other streams it is derived from At.
func (e *Encoder) metric(k string, d time.Duration) {
	w := &e.jw
	if e.hasRaw || d <= 0 {
		w.Opt(k)
		return
	}
	if w.Key(k) {
		w.Int(int64(d))
	}
}

func (e *Encoder) writeToolCalls(ov []byte) {
	w := &e.jw
	w.OpenArray()
	for i, c := range e.pcalls {
		w.Elem()
		w.Open(jsonwire.Index(ov, i))
		id := c.callID
		if c.own {
			id = c.id // empty when the decoder synthesised the call id
		}
		if id != "" {
			w.StrField("id", id)
		} else {
			w.Opt("id")
		}
		if fov, ok := w.Sub("function"); ok {
			w.Open(fov)
			if w.Key("index") {
				w.Int(int64(e.nextTC))
			}
			w.StrField("name", c.name)
			if w.Key("arguments") {
				args := jsonwire.TrimSpace(c.args)
				switch {
				case len(args) == 0:
					w.Raw([]byte("{}"))
				case jsonwire.IsObject(args) && jsonwire.Valid(args):
					w.Raw(args)
				default:
					w.Str(string(c.args))
				}
			}
			w.Close()
		}
		e.nextTC++
		w.Close()
	}
	w.CloseArray()
}

func (e *Encoder) encodeError(se *sluice.Error) {
	e.flushPending()
	msg := "unknown error"
	if se != nil {
		msg = se.Message
		if msg == "" {
			msg = se.Error()
		}
	}
	e.out = append(e.out, `{"error":`...)
	e.out = jsonwire.AppendHTMLString(e.out, msg)
	e.out = append(e.out, "}\n"...)
	e.ended = true
}

// End writes what is pending and the final "done":true line, unless the
// stream's own final line was already written, then flushes.
func (e *Encoder) End() error {
	if e.err != nil {
		return e.err
	}
	if e.ended {
		return e.Flush()
	}
	for _, c := range e.openCalls() {
		e.pcalls = append(e.pcalls, c)
	}
	e.flushPending()
	if !e.done {
		e.writeLine(nil, true)
	}
	e.ended = true
	return e.Flush()
}

// openCalls returns the tool calls never closed, in item order.
func (e *Encoder) openCalls() []*toolCall {
	if len(e.calls) == 0 {
		return nil
	}
	items := make([]int, 0, len(e.calls))
	for i := range e.calls {
		items = append(items, i)
	}
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j] < items[j-1]; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
	out := make([]*toolCall, len(items))
	for i, it := range items {
		out[i] = e.calls[it]
		delete(e.calls, it)
	}
	return out
}

// Flush writes the complete lines, and the pending content of a stream from
// another protocol as a line of its own, with one Write call, then flushes
// the writer.
func (e *Encoder) Flush() error {
	if e.err != nil {
		return e.err
	}
	if !e.own && !e.ended {
		e.flushPending()
	}
	if len(e.out) > 0 {
		n, err := e.w.Write(e.out)
		if err == nil && n < len(e.out) {
			err = io.ErrShortWrite
		}
		if err != nil {
			e.err = err
			return err
		}
		if cap(e.out) > maxRetainedLine {
			e.out = nil
		} else {
			e.out = e.out[:0]
		}
	}
	if e.f != nil {
		if err := e.f.Flush(); err != nil {
			e.err = err
			return err
		}
	}
	return nil
}
