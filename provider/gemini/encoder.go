package gemini

import (
	"errors"
	"io"
	"strconv"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/bufpool"
	"github.com/sluicehq/sluice/internal/jsonwire"
	"github.com/sluicehq/sluice/sse"
)

// EncoderOptions configure an [Encoder]. The zero value is ready to use.
type EncoderOptions struct {
	// Model is written as modelVersion until an EventStart names a model.
	Model string
	// ResponseID is written as responseId until an EventStart gives an id.
	ResponseID string
	// LineEnd ends every SSE line: "" means "\r\n", which Gemini sends;
	// "\n" is also accepted by every Gemini SDK.
	LineEnd string
}

// Encoder writes events as the SSE stream of Gemini's
// streamGenerateContent?alt=sse: one "data: {GenerateContentResponse}"
// event per chunk, lines ended by CRLF, no end sentinel. It implements
// [sluice.Encoder]. A chunk's members come in the order Gemini sends them:
// candidates[{content{parts, role:"model"}, finishReason, index}],
// usageMetadata, modelVersion, responseId.
//
// Events from a Gemini [Decoder] (Extra.Protocol "gemini") are written back
// chunk for chunk: a chunk is complete at its EventUsage, and the members
// the decoder kept in Extra.Fields are restored. Even when the caller
// flushes after every event, such a chunk is held until its EventUsage (the
// decoder emits a chunk's events together, so this adds no latency).
//
// Events from other protocols are batched per Flush: each text, refusal or
// reasoning delta becomes one part (reasoning as "thought": true), a tool
// call becomes one functionCall part once its item is done (Gemini sends
// function calls whole; arguments that are not a JSON object are written as
// a JSON string), and every chunk carries the usage so far, as Gemini's do.
// A finish is held until End, so the last chunk carries finishReason and the
// final usage together. Only Gemini thought signatures are written, on the
// part of the item they belong to; other opaque data, passthrough events and
// unknown items of other protocols have no place in the format and are
// dropped. finishReason maps stop and tool_calls to STOP, length and budget
// to MAX_TOKENS, content_filter to SAFETY and the rest to OTHER.
//
// End makes sure every candidate has a finishReason (STOP if none came),
// since Gemini clients and sluice's own Decoder take a stream without one as
// cut short, then flushes. An EventError is written as
// data: {"error":{"code","message","status"}}, which the Gemini SDKs raise,
// and ends the stream.
//
// Encode only appends to a buffer; Flush writes it with one Write call. An
// Encoder is not safe for concurrent use.
type Encoder struct {
	se   *sse.Encoder
	jw   jsonwire.Writer
	buf  bufpool.Scratch // the chunk being built, borrowed until Flush
	err  error
	done bool // End or an error was encoded

	model, id string
	items     map[int]*item
	cands     []pcand // the pending chunk, candidates in first-touch order
	own       bool    // a Gemini chunk is in progress
	usage     sluice.Usage
	hasUsage  bool
	dirty     bool   // usage changed since the last chunk written
	seen      []bool // by choice: a candidate was written or is pending
	finished  []bool // by choice
}

type item struct {
	kind             sluice.ItemKind
	choice           int
	own, raw         bool
	id, callID, name string
	args             []byte
	sig              string
	ov               []byte
}

type pcand struct {
	choice    int
	parts     []part
	finish    string
	hasFinish bool
	raw       []byte
}

type partKind uint8

const (
	partText partKind = iota
	partThought
	partCall
	partSig // a part carrying only a thought signature
	partRaw
)

type part struct {
	kind      partKind
	item      int
	text      []byte
	ov        []byte
	sig       string
	id, name  string
	args, raw []byte
}

// ErrEnded is returned by Encode after End or an EventError.
var ErrEnded = errors.New("gemini: the stream has already ended")

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer, opts EncoderOptions) *Encoder {
	se := sse.NewEncoder(w)
	se.LineEnd = opts.LineEnd
	if se.LineEnd == "" {
		se.LineEnd = "\r\n"
	}
	return &Encoder{se: se, model: opts.Model, id: opts.ResponseID, items: map[int]*item{}}
}

// Encode adds ev to the pending chunk, writing the chunk when ev completes
// it.
func (e *Encoder) Encode(ev *sluice.Event) error {
	if e.err != nil {
		return e.err
	}
	if e.done {
		return ErrEnded
	}
	own := ev.Extra != nil && ev.Extra.Protocol == Protocol
	var fields []byte
	if own && len(ev.Extra.Fields) > 0 && jsonwire.Valid(ev.Extra.Fields) {
		fields = ev.Extra.Fields
	}
	switch ev.Type {
	case sluice.EventStart:
		if ev.ID != "" {
			e.id = ev.ID
		}
		if ev.Model != "" {
			e.model = ev.Model
		}
	case sluice.EventItemStart:
		it := &item{kind: ev.Kind, choice: ev.Choice, own: own, id: ev.ID, callID: ev.CallID, name: ev.Name}
		e.items[ev.Item] = it
		switch ev.Kind {
		case sluice.ItemToolCall:
			it.ov = append([]byte(nil), fields...)
		case sluice.ItemOther:
			if own && jsonwire.IsObject(ev.Raw) && jsonwire.Valid(ev.Raw) {
				p := e.newPart(ev.Choice, partRaw, ev.Item)
				p.raw = append(p.raw[:0], jsonwire.TrimSpace(ev.Raw)...)
				it.raw = true
			}
		}
	case sluice.EventText, sluice.EventRefusal, sluice.EventReasoning:
		kind := partText
		if ev.Type == sluice.EventReasoning {
			kind = partThought
		}
		p := e.newPart(ev.Choice, kind, ev.Item)
		p.text = append(p.text, ev.Text...)
		p.ov = append(p.ov, fields...)
	case sluice.EventReasoningData:
		e.signature(ev, own, fields)
	case sluice.EventToolCall:
		it := e.items[ev.Item]
		if it == nil { // a delta without its item start
			it = &item{kind: sluice.ItemToolCall, choice: ev.Choice, own: own, callID: ev.CallID, name: ev.Name}
			e.items[ev.Item] = it
		}
		it.args = append(it.args, ev.Text...)
	case sluice.EventItemDone:
		if it := e.items[ev.Item]; it != nil {
			delete(e.items, ev.Item)
			if it.kind == sluice.ItemToolCall {
				e.addCall(ev.Item, it)
			}
		}
	case sluice.EventUsage:
		if own {
			e.writeChunk(fields, ev.Usage, false)
			e.own = false
			return nil
		}
		if ev.Usage != nil {
			e.usage = e.usage.Merge(*ev.Usage)
			e.hasUsage, e.dirty = true, true
		}
	case sluice.EventFinish:
		e.closeCalls(ev.Choice)
		c := e.cand(ev.Choice)
		c.hasFinish = true
		if own {
			c.finish = ev.RawFinish
		} else {
			c.finish = finishName(ev.Finish)
		}
		e.finished = grow(e.finished, ev.Choice)
		e.finished[ev.Choice] = true
	case sluice.EventError:
		if e.pending() {
			e.writeChunk(nil, e.runningUsage(), true)
		}
		b := appendRPC(e.buf.Bytes(), ev.Err, false)
		e.buf.Keep(b)
		e.encodeData(b)
		e.done = true
		return e.err
	case sluice.EventPassthrough:
		if !own || !jsonwire.IsObject(ev.Raw) || !jsonwire.Valid(ev.Raw) {
			return nil
		}
		switch ev.Name {
		case "part":
			p := e.newPart(ev.Choice, partRaw, ev.Item)
			p.raw = append(p.raw[:0], jsonwire.TrimSpace(ev.Raw)...)
		case "candidate":
			c := e.cand(ev.Choice)
			c.raw = append(c.raw[:0], jsonwire.TrimSpace(ev.Raw)...)
		}
	}
	if own {
		e.own = true
	}
	return e.err
}

func grow(s []bool, i int) []bool {
	for len(s) <= i {
		s = append(s, false)
	}
	return s
}

// cand returns the pending candidate for choice, adding it.
func (e *Encoder) cand(choice int) *pcand {
	for i := range e.cands {
		if e.cands[i].choice == choice {
			return &e.cands[i]
		}
	}
	e.seen = grow(e.seen, choice)
	e.seen[choice] = true
	if len(e.cands) < cap(e.cands) {
		e.cands = e.cands[:len(e.cands)+1]
		c := &e.cands[len(e.cands)-1]
		*c = pcand{choice: choice, parts: c.parts[:0], raw: c.raw[:0]}
		return c
	}
	e.cands = append(e.cands, pcand{choice: choice})
	return &e.cands[len(e.cands)-1]
}

// newPart appends a part to choice's pending candidate, reusing buffers.
func (e *Encoder) newPart(choice int, kind partKind, itemIndex int) *part {
	c := e.cand(choice)
	if len(c.parts) < cap(c.parts) {
		c.parts = c.parts[:len(c.parts)+1]
		p := &c.parts[len(c.parts)-1]
		*p = part{kind: kind, item: itemIndex, text: p.text[:0], ov: p.ov[:0], args: p.args[:0], raw: p.raw[:0]}
		return p
	}
	c.parts = append(c.parts, part{kind: kind, item: itemIndex})
	return &c.parts[len(c.parts)-1]
}

// signature places a thought signature on the part it belongs to.
func (e *Encoder) signature(ev *sluice.Event, own bool, fields []byte) {
	if ev.Opaque != sluice.OpaqueThoughtSignature || ev.Text == "" {
		return
	}
	it := e.items[ev.Item]
	switch {
	case it != nil && it.raw:
		return // the raw part has it
	case it != nil && it.kind == sluice.ItemToolCall:
		it.sig = ev.Text
		return
	case own && fields != nil:
		// It came on a part of its own; fields is that part without it.
		p := e.newPart(ev.Choice, partSig, ev.Item)
		p.ov = append(p.ov, fields...)
		p.sig = ev.Text
		return
	}
	c := e.cand(ev.Choice)
	if n := len(c.parts); n > 0 {
		if p := &c.parts[n-1]; p.item == ev.Item && p.sig == "" && (p.kind == partText || p.kind == partThought) {
			p.sig = ev.Text
			return
		}
	}
	p := e.newPart(ev.Choice, partSig, ev.Item)
	p.ov = append(p.ov, `{"text":""}`...)
	p.sig = ev.Text
}

// addCall adds a finished tool call as a functionCall part.
func (e *Encoder) addCall(index int, it *item) {
	p := e.newPart(it.choice, partCall, index)
	p.name, p.sig = it.name, it.sig
	p.id = it.callID
	if it.own {
		p.id = it.id // empty when the decoder synthesised the call id
	}
	p.args = append(p.args, it.args...)
	p.ov = append(p.ov, it.ov...)
}

// closeCalls adds the tool calls of choice (all choices if choice < 0) that
// were never closed, in item order.
func (e *Encoder) closeCalls(choice int) {
	for len(e.items) > 0 {
		best := -1
		for i, it := range e.items {
			if it.kind == sluice.ItemToolCall && (choice < 0 || it.choice == choice) && (best < 0 || i < best) {
				best = i
			}
		}
		if best < 0 {
			return
		}
		it := e.items[best]
		delete(e.items, best)
		e.addCall(best, it)
	}
}

func (e *Encoder) pending() bool {
	for i := range e.cands {
		if len(e.cands[i].parts) > 0 || len(e.cands[i].raw) > 0 {
			return true
		}
	}
	return false
}

func (e *Encoder) runningUsage() *sluice.Usage {
	if !e.hasUsage {
		return nil
	}
	return &e.usage
}

// writeChunk writes the pending chunk with usage u, restoring ov. With
// hold set (a Flush of other protocols' events) only candidates with parts
// are written, without their finishReason, which stays pending for End so
// that the last chunk carries it with the final usage.
func (e *Encoder) writeChunk(ov []byte, u *sluice.Usage, hold bool) {
	b := e.appendChunk(e.buf.Bytes(), ov, u, hold)
	e.buf.Keep(b)
	e.encodeData(b)
	kept := e.cands[:0]
	if hold {
		for i := range e.cands {
			if c := e.cands[i]; c.hasFinish {
				c.parts, c.raw = c.parts[:0], c.raw[:0]
				kept = append(kept, c)
			}
		}
	}
	e.cands = kept
	e.dirty = false
}

// appendChunk appends the pending chunk's JSON to b.
func (e *Encoder) appendChunk(b, ov []byte, u *sluice.Usage, hold bool) []byte {
	w := &e.jw
	w.Buf = b
	w.Open(ov)
	if len(e.cands) > 0 {
		if cov, ok := w.SubArray("candidates"); ok {
			w.OpenArray()
			n := 0
			for i := range e.cands {
				c := &e.cands[i]
				if hold && len(c.parts) == 0 && len(c.raw) == 0 {
					continue
				}
				w.Elem()
				e.writeCandidate(c, jsonwire.Index(cov, n), hold)
				n++
			}
			w.CloseArray()
		}
	} else {
		w.Opt("candidates")
	}
	w.Opt("promptFeedback")
	if u != nil && !u.IsZero() {
		if uov, ok := w.Sub("usageMetadata"); ok {
			e.writeUsage(u, uov)
		}
	} else {
		w.Opt("usageMetadata")
	}
	if e.model != "" {
		w.StrField("modelVersion", e.model)
	} else {
		w.Opt("modelVersion")
	}
	if e.id != "" {
		w.StrField("responseId", e.id)
	} else {
		w.Opt("responseId")
	}
	w.Close()
	b = w.Buf
	w.Buf = nil
	return b
}

func (e *Encoder) encodeData(data []byte) {
	if err := e.se.Encode(sse.Event{Data: data}); err != nil && e.err == nil {
		e.err = err
	}
}

func (e *Encoder) writeCandidate(c *pcand, cov []byte, hold bool) {
	w := &e.jw
	if len(c.raw) > 0 {
		w.Raw(c.raw)
		return
	}
	w.Open(cov)
	if cnt, ok := w.Sub("content"); ok {
		w.Open(cnt)
		if len(c.parts) > 0 {
			if _, ok := w.SubArray("parts"); ok {
				w.OpenArray()
				for i := range c.parts {
					w.Elem()
					e.writePart(&c.parts[i])
				}
				w.CloseArray()
			}
		} else {
			w.Opt("parts")
		}
		w.StrField("role", "model")
		w.Close()
	}
	if c.hasFinish && !hold {
		w.StrField("finishReason", c.finish)
	} else {
		w.Opt("finishReason")
	}
	if w.Key("index") {
		w.Int(int64(c.choice))
	}
	w.Close()
}

func (e *Encoder) writePart(p *part) {
	w := &e.jw
	switch p.kind {
	case partRaw:
		w.Raw(p.raw)
		return
	case partText, partThought:
		w.Open(p.ov)
		if w.Key("text") {
			w.Buf = jsonwire.AppendHTMLString(w.Buf, string(p.text))
		}
		if p.kind == partThought {
			if w.Key("thought") {
				w.Bool(true)
			}
		} else {
			w.Opt("thought")
		}
	case partCall:
		w.Open(p.ov)
		if fov, ok := w.Sub("functionCall"); ok {
			w.Open(fov)
			w.StrField("name", p.name)
			if w.Key("args") {
				args := jsonwire.TrimSpace(p.args)
				switch {
				case len(args) == 0:
					w.Raw([]byte("{}"))
				case jsonwire.IsObject(args) && jsonwire.Valid(args):
					w.Raw(args)
				default:
					w.Str(string(p.args))
				}
			}
			if p.id != "" {
				w.StrField("id", p.id)
			} else {
				w.Opt("id")
			}
			w.Close()
		}
	case partSig:
		w.Open(p.ov)
		w.Opt("text")
		w.Opt("thought")
	}
	if p.sig != "" {
		w.StrField("thoughtSignature", p.sig)
	} else {
		w.Opt("thoughtSignature")
	}
	w.Close()
}

// writeUsage writes usageMetadata from u: the inverse of the decoder's
// normalisation, zero counts omitted as proto3 JSON does.
func (e *Encoder) writeUsage(u *sluice.Usage, uov []byte) {
	w := &e.jw
	w.Open(uov)
	var tool int64
	if v, ok := jsonwire.Lookup(uov, "toolUsePromptTokenCount"); ok {
		tool, _ = strconv.ParseInt(string(v), 10, 64)
	}
	prompt := u.InputTotal() - tool
	thoughts := u.Reasoning.N
	cands := u.Output.N - thoughts
	count := func(k string, n int64) {
		if n > 0 {
			if w.Key(k) {
				w.Int(n)
			}
			return
		}
		w.Opt(k)
	}
	count("promptTokenCount", prompt)
	count("candidatesTokenCount", cands)
	count("totalTokenCount", prompt+cands+thoughts+tool)
	count("cachedContentTokenCount", u.CacheRead.N)
	w.Opt("promptTokensDetails")
	w.Opt("cacheTokensDetails")
	w.Opt("candidatesTokensDetails")
	w.Opt("toolUsePromptTokenCount")
	w.Opt("toolUsePromptTokensDetails")
	count("thoughtsTokenCount", thoughts)
	w.Close()
}

// finishName is Gemini's finishReason for a normalised finish.
func finishName(f sluice.FinishReason) string {
	switch f {
	case sluice.FinishStop, sluice.FinishToolCalls, "":
		return "STOP"
	case sluice.FinishLength, sluice.FinishBudget:
		return "MAX_TOKENS"
	case sluice.FinishContentFilter:
		return "SAFETY"
	}
	return "OTHER"
}

// End writes what is pending, with a finishReason for every candidate that
// has none, then flushes.
func (e *Encoder) End() error {
	if e.err != nil {
		return e.err
	}
	if !e.done {
		e.closeCalls(-1)
		if len(e.seen) == 0 {
			e.cand(0)
		}
		for choice, seen := range e.seen {
			if seen && (choice >= len(e.finished) || !e.finished[choice]) {
				c := e.cand(choice)
				c.hasFinish, c.finish = true, "STOP"
				e.finished = grow(e.finished, choice)
				e.finished[choice] = true
			}
		}
		if len(e.cands) > 0 || e.dirty {
			e.writeChunk(nil, e.runningUsage(), false)
		}
		e.done = true
	}
	return e.Flush()
}

// Flush writes what is buffered with one Write call and flushes the writer.
// Pending content of other protocols is written as a chunk first; a Gemini
// chunk in progress waits for its EventUsage.
func (e *Encoder) Flush() error {
	if e.err != nil {
		return e.err
	}
	if !e.own && !e.done && e.pending() {
		e.writeChunk(nil, e.runningUsage(), true)
	}
	e.buf.Release()
	if err := e.se.Flush(); err != nil {
		e.err = err
	}
	return e.err
}
