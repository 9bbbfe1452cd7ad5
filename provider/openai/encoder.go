package openai

import (
	"crypto/rand"
	"errors"
	"io"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/bufpool"
	"github.com/sluicehq/sluice/internal/jsonwire"
	"github.com/sluicehq/sluice/sse"
)

// EncoderOptions are the per-response choices of an [Encoder]. The zero
// value streams like OpenAI without stream_options: no usage chunk, ids and
// times taken from the events.
type EncoderOptions struct {
	// IncludeUsage writes usage, as a client asks with
	// stream_options.include_usage: the usage chunk (choices:[]) before
	// [DONE], or wherever the upstream put it for events this package
	// decoded. Without it no usage reaches the wire, as OpenAI does.
	IncludeUsage bool
	// ID, Model and Created stamp every chunk. Empty or zero takes them from
	// the stream's EventStart (and, for events this package decoded, the
	// upstream's created); failing that, a random "chatcmpl-" id, "" and the
	// time of the first chunk.
	ID, Model string
	Created   int64
	// SystemFingerprint, when set, is written on every chunk built from
	// another protocol's events.
	SystemFingerprint string
	// ReasoningField is the delta field reasoning goes into:
	// "reasoning_content" (the default, which DeepSeek, older vLLM and most
	// clients read) or "reasoning" (vLLM, Ollama). Events this package
	// decoded keep the field they came in.
	ReasoningField string
	// LineEnd is the SSE line end, "\n" (the default) or "\r\n".
	LineEnd string
}

// errEnded is returned by an Encoder used after End or an EventError.
var errEnded = errors.New("openai: encoder used after the stream ended")

// Encoder writes events as a Chat Completions stream: data-only SSE events
// of chat.completion.chunk JSON, then data: [DONE]. It implements
// [sluice.Encoder] and takes events from any provider:
//
//   - every chunk has the same id, object, created and model; each choice's
//     first chunk carries the role, with content "" (text, reasoning) or
//     null (a tool call; with refusal "" for a refusal) and refusal null, as
//     OpenAI sends it;
//   - text, refusal and reasoning deltas each make a chunk; reasoning goes in
//     delta.reasoning_content (see EncoderOptions.ReasoningField), the field
//     the compatible servers and their clients use, since OpenAI's own
//     chat stream has none. Opaque reasoning data (signatures, encrypted
//     content) has no place in a chat chunk and is dropped;
//   - a tool call's start makes its first fragment (index, id, type, name,
//     arguments ""); argument deltas follow with index and arguments only.
//     A call without an id (Gemini's) gets a random "call_" id;
//   - EventFinish makes a delta:{} chunk with the finish_reason; usage
//     events are merged and written, with IncludeUsage, as the usage chunk
//     before [DONE];
//   - EventError is written as data: {"error":{"message","type","param",
//     "code"}} and ends the stream without [DONE]; no other chunk ever has
//     an error key (openai-go aborts on one, even a null);
//   - passthrough events of other protocols, item starts of other kinds and
//     item ends are dropped: the chat format has nowhere to put them.
//
// Events that this package's [Decoder] produced (Extra.Protocol "openai")
// are written back as the chunks they came from: the Extra says which events
// shared a chunk, where usage and finish_reason sat, and which fields to
// restore, so a relay of any OpenAI-compatible server is lossless. A
// passthrough event of this protocol is written as it came, restamped with
// ID, Model and Created when those options are set.
//
// Encode and End buffer; Flush writes. The decoder's events of one chunk
// are assembled whole, so a chunk whose events have not all arrived stays
// buffered across Flush. An Encoder is not safe for concurrent use.
type Encoder struct {
	w    *sse.Encoder
	opts EncoderOptions

	id, model string
	created   int64
	stamped   bool

	choices      []encChoice
	cur          chunk
	open         bool // the last event said more follow from its chunk
	usage        sluice.Usage
	usagePending bool
	done         bool
	err          error

	// buf is where a chunk's JSON is built before the SSE encoder copies
	// it, borrowed until Flush.
	buf   bufpool.Scratch
	px    extraInfo
	pxFor *sluice.Extra
}

// encChoice is what the encoder remembers about one choice.
type encChoice struct {
	index    int
	roleSent bool
	tools    []encTool
}

type encTool struct{ item, index int }

// extraInfo is an event's Extra, parsed.
type extraInfo struct {
	origin, first, more, usageInXGroq       bool
	chunk, choices, tool, usage, createdRaw []byte
	reasoningField                          string

	// What chunk.begin reads from chunk and choices, read once per Extra:
	// the decoder shares one Extra among a stream's alike chunks.
	scanned  bool
	topKeys  keySet
	residues []choiceResidue
}

// choiceResidue is one choice's residue in an Extra's choices.
type choiceResidue struct {
	index                 int
	choiceRes, deltaRes   []byte
	choiceKeys, deltaKeys keySet
	hasChoice, hasDelta   bool
}

// NewEncoder returns an Encoder writing to w. If w is an
// http.ResponseWriter, Flush also flushes it.
func NewEncoder(w io.Writer, opts EncoderOptions) *Encoder {
	e := &Encoder{w: sse.NewEncoder(w), opts: opts, id: opts.ID, model: opts.Model, created: opts.Created}
	e.w.LineEnd = opts.LineEnd
	if e.opts.ReasoningField == "" {
		e.opts.ReasoningField = "reasoning_content"
	}
	return e
}

// Encode buffers the chunk, if any, that ev makes. It returns an error after
// End or an EventError, or when an earlier write failed.
func (e *Encoder) Encode(ev *sluice.Event) error {
	if e.err != nil {
		return e.err
	}
	if e.done {
		return errEnded
	}
	px := e.extra(ev)
	switch ev.Type {
	case sluice.EventStart:
		e.closeChunk()
		if !e.stamped {
			if e.opts.ID == "" && ev.ID != "" {
				e.id = ev.ID
			}
			if e.opts.Model == "" && ev.Model != "" {
				e.model = ev.Model
			}
			if n, ok := intValue(px.createdRaw); ok && e.opts.Created == 0 {
				e.created = n
			}
		}
	case sluice.EventPassthrough:
		e.closeChunk()
		if px.origin {
			if ev.Name == "" || ev.Name == "message" {
				e.rawChunk(ev.Raw)
			} else {
				e.setErr(e.w.Encode(sse.Event{Type: ev.Name, Data: ev.Raw}))
			}
		}
	case sluice.EventError:
		e.closeChunk()
		err := ev.Err
		if err == nil {
			err = &sluice.Error{Kind: sluice.KindServer, Message: "the stream failed"}
		}
		b := append(e.buf.Bytes(), `{"error":`...)
		b = appendErrorObject(b, err)
		b = append(b, '}')
		e.buf.Keep(b)
		e.setErr(e.w.Encode(sse.Event{Data: b}))
		e.done = true
	case sluice.EventItemStart, sluice.EventItemDone, sluice.EventText, sluice.EventRefusal,
		sluice.EventReasoning, sluice.EventToolCall, sluice.EventFinish, sluice.EventUsage:
		e.add(ev, px)
	}
	return e.err
}

// End writes what is still assembled, the usage chunk when IncludeUsage and
// the stream's usage was not written yet, and data: [DONE]. Like Encode it
// only buffers. After an EventError it does nothing.
func (e *Encoder) End() error {
	if e.err != nil || e.done {
		return e.err
	}
	e.closeChunk()
	if e.usagePending && e.opts.IncludeUsage {
		c := &e.cur
		c.reset()
		c.active = true
		u := e.usage
		c.usage = &u
		e.writeChunk(c)
		c.reset()
		e.usagePending = false
	}
	e.setErr(e.w.Encode(sse.Event{Data: []byte("[DONE]")}))
	e.done = true
	return e.err
}

// Flush writes everything buffered with one Write and flushes the writer.
func (e *Encoder) Flush() error {
	if e.err != nil {
		return e.err
	}
	e.setErr(e.w.Flush())
	e.buf.Release()
	return e.err
}

// Comment buffers an SSE comment, the keep-alive every client ignores; send
// one on an idle stream so proxies do not time it out.
func (e *Encoder) Comment(text string) error {
	if e.err != nil {
		return e.err
	}
	e.setErr(e.w.Comment(text))
	return e.err
}

func (e *Encoder) setErr(err error) {
	if err != nil && e.err == nil {
		e.err = err
	}
}

// extra parses ev's Extra when it is this protocol's. The decoder shares
// Extra values between events, so the last parse is kept.
func (e *Encoder) extra(ev *sluice.Event) *extraInfo {
	x := ev.Extra
	if x == nil || x.Protocol != Protocol {
		e.px, e.pxFor = extraInfo{}, nil
		return &e.px
	}
	if x == e.pxFor {
		return &e.px
	}
	e.px, e.pxFor = extraInfo{origin: true, residues: e.px.residues[:0]}, x
	if len(x.Fields) == 0 || !jsonwire.ValidObject(x.Fields) {
		return &e.px
	}
	px := &e.px
	it, _ := jsonwire.ObjectMembers(x.Fields)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch string(k) {
		case "chunk":
			if _, ok := jsonwire.ObjectMembers(v); ok {
				px.chunk = v
			}
		case "choices":
			if _, ok := jsonwire.ArrayElements(v); ok {
				px.choices, px.first = v, true
			}
		case "tool":
			if _, ok := jsonwire.ObjectMembers(v); ok {
				px.tool = v
			}
		case "usage":
			if _, ok := jsonwire.ObjectMembers(v); ok {
				px.usage = v
			}
		case "usage_in":
			px.usageInXGroq = jsonwire.StringEquals(v, "x_groq")
		case "reasoning_field":
			switch {
			case jsonwire.StringEquals(v, "reasoning"):
				px.reasoningField = "reasoning"
			case jsonwire.StringEquals(v, "both"):
				px.reasoningField = "both"
			}
		case "more":
			px.more = string(v) == "true"
		case "created":
			px.createdRaw = v
		}
	}
	return px
}

// choiceState returns what the encoder remembers about choice index.
func (e *Encoder) choiceState(index int) *encChoice {
	for i := range e.choices {
		if e.choices[i].index == index {
			return &e.choices[i]
		}
	}
	e.choices = append(e.choices, encChoice{index: index})
	return &e.choices[len(e.choices)-1]
}

// toolIndex returns the wire index of the tool call that is output item
// item of choice, numbering new calls in order.
func (e *Encoder) toolIndex(choice, item int) (index int, known bool) {
	cs := e.choiceState(choice)
	for _, t := range cs.tools {
		if t.item == item {
			return t.index, true
		}
	}
	index = len(cs.tools)
	cs.tools = append(cs.tools, encTool{item: item, index: index})
	return index, false
}

// add puts a content event into the chunk being assembled.
func (e *Encoder) add(ev *sluice.Event, px *extraInfo) {
	if !(e.open && e.cur.active && !e.conflicts(ev, px)) {
		e.closeChunk()
		e.cur.begin(px)
	}
	e.open = px.origin && px.more
	c := &e.cur
	if !c.origin && needsRole(ev) && !e.choiceState(ev.Choice).roleSent {
		e.writeRole(ev)
	}
	switch ev.Type {
	case sluice.EventItemStart:
		if ev.Kind == sluice.ItemToolCall {
			index, _ := e.toolIndex(ev.Choice, ev.Item)
			id := ev.CallID
			if id == "" && !c.origin {
				id = "call_" + rand.Text()
			}
			co := c.choice(ev.Choice)
			co.tools = append(co.tools, toolOut{item: ev.Item, index: index, first: true, id: id, name: ev.Name, res: px.tool})
		}
	case sluice.EventText:
		co := c.choice(ev.Choice)
		co.content, co.hasContent = ev.Text, true
	case sluice.EventRefusal:
		co := c.choice(ev.Choice)
		co.refusal, co.hasRefusal = ev.Text, true
	case sluice.EventReasoning:
		co := c.choice(ev.Choice)
		co.reasoning, co.hasReasoning = ev.Text, true
		co.reasoningField = e.opts.ReasoningField
		if px.reasoningField != "" {
			co.reasoningField = px.reasoningField
		} else if c.origin {
			co.reasoningField = "reasoning_content"
		}
	case sluice.EventToolCall:
		co := c.choice(ev.Choice)
		if t := co.tool(ev.Item); t != nil {
			t.args, t.hasArgs = ev.Text, true
			if px.tool != nil {
				t.res = px.tool
			}
			break
		}
		index, known := e.toolIndex(ev.Choice, ev.Item)
		t := toolOut{item: ev.Item, index: index, args: ev.Text, hasArgs: true, res: px.tool}
		if !known {
			// Arguments of a call whose start never came: open it here.
			t.first, t.name = true, ev.Name
			if t.id = ev.CallID; t.id == "" && !c.origin {
				t.id = "call_" + rand.Text()
			}
		}
		co.tools = append(co.tools, t)
	case sluice.EventFinish:
		co := c.choice(ev.Choice)
		co.finish, co.hasFinish = finishFor(ev, c.origin), true
	case sluice.EventUsage:
		if ev.Usage == nil {
			break
		}
		e.usage = e.usage.Merge(*ev.Usage)
		if c.origin {
			c.usage, c.usageRes, c.usageInXGroq = ev.Usage, px.usage, px.usageInXGroq
			e.usagePending = false
		} else {
			e.usagePending = true
		}
	}
	if !e.open {
		e.closeChunk()
	}
}

// conflicts reports whether ev cannot join the chunk being assembled.
func (e *Encoder) conflicts(ev *sluice.Event, px *extraInfo) bool {
	c := &e.cur
	if px.first || px.origin != c.origin {
		return true
	}
	var co *choiceOut
	for i := range c.choices {
		if c.choices[i].index == ev.Choice {
			co = &c.choices[i]
		}
	}
	switch ev.Type {
	case sluice.EventUsage:
		return c.usage != nil
	case sluice.EventItemStart:
		return co != nil && ev.Kind == sluice.ItemToolCall && co.tool(ev.Item) != nil
	}
	if co == nil {
		return false
	}
	switch ev.Type {
	case sluice.EventText:
		return co.hasContent
	case sluice.EventRefusal:
		return co.hasRefusal
	case sluice.EventReasoning:
		return co.hasReasoning
	case sluice.EventToolCall:
		t := co.tool(ev.Item)
		return t != nil && t.hasArgs
	case sluice.EventFinish:
		return co.hasFinish
	}
	return false
}

// needsRole reports whether ev opens its choice's output on the wire.
func needsRole(ev *sluice.Event) bool {
	switch ev.Type {
	case sluice.EventItemStart:
		return ev.Kind != sluice.ItemOther
	case sluice.EventText, sluice.EventRefusal, sluice.EventReasoning, sluice.EventToolCall, sluice.EventFinish:
		return true
	}
	return false
}

// writeRole writes the first chunk of a choice: the role and the empty
// content OpenAI sends before the first delta.
func (e *Encoder) writeRole(ev *sluice.Event) {
	shape := `"content":"","refusal":null`
	switch {
	case ev.Type == sluice.EventToolCall || (ev.Type == sluice.EventItemStart && ev.Kind == sluice.ItemToolCall):
		shape = `"content":null`
	case ev.Type == sluice.EventRefusal:
		shape = `"content":null,"refusal":""`
	}
	e.choiceState(ev.Choice).roleSent = true
	b := e.head(e.buf.Bytes(), nil, 0, false)
	b = append(b, `"choices":[{"index":`...)
	b = appendInt(b, int64(ev.Choice))
	b = append(b, `,"delta":{"role":"assistant",`...)
	b = append(b, shape...)
	b = append(b, `},"logprobs":null,"finish_reason":null}]}`...)
	e.buf.Keep(b)
	e.setErr(e.w.Encode(sse.Event{Data: b}))
}

// finishFor is the finish_reason to write: the wire value when it is
// OpenAI's or came from this protocol, else the normalised reason in
// OpenAI's words.
func finishFor(ev *sluice.Event, origin bool) string {
	switch ev.RawFinish {
	case "stop", "length", "tool_calls", "content_filter", "function_call":
		return ev.RawFinish
	case "":
	default:
		if origin {
			return ev.RawFinish
		}
	}
	switch ev.Finish {
	case sluice.FinishLength, sluice.FinishBudget:
		return "length"
	case sluice.FinishToolCalls:
		return "tool_calls"
	case sluice.FinishContentFilter:
		return "content_filter"
	}
	return "stop"
}

// closeChunk writes the chunk being assembled, if it has anything to say.
func (e *Encoder) closeChunk() {
	e.open = false
	c := &e.cur
	if !c.active {
		return
	}
	write := false
	if c.origin {
		write = !(c.usage != nil && !e.opts.IncludeUsage && len(c.choices) == 0)
	} else {
		for i := range c.choices {
			write = write || c.choices[i].hasOutput()
		}
	}
	if write {
		e.writeChunk(c)
	}
	c.reset()
}
