package openai

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
	"github.com/sluicehq/sluice/sse"
)

// Protocol is the name of this wire protocol. It marks the [sluice.Extra] of
// the events this package decodes, so that its [Encoder] (and only it) puts
// the fields Event does not model back on the wire.
const Protocol = "openai"

// chunkObject is the object field of every streamed chunk.
const chunkObject = "chat.completion.chunk"

// originExtra marks passthrough events, and events with nothing else to
// carry, as this protocol's. It is shared: treat every Extra as read-only.
var originExtra = &sluice.Extra{Protocol: Protocol}

// Decoder reads a Chat Completions event stream (OpenAI's, or any
// OpenAI-compatible server's) and returns sluice events. It implements
// [sluice.Decoder]:
//
//   - the first chunk with an id, a choice or usage gives EventStart (ID,
//     Model);
//   - each choice's output is a run of items numbered in arrival order
//     across the response: reasoning deltas (reasoning_content, or reasoning
//     as vLLM and Ollama send it) open an ItemReasoning, content and refusal
//     deltas an ItemMessage, and each tool call (told apart by
//     tool_calls[].index, or by a new id on a reused index) an ItemToolCall
//     with its id and name. One item is open per choice at a time: the next
//     kind closes the previous one with EventItemDone, and so does the
//     choice's finish_reason;
//   - choices[].index becomes Event.Choice, so n > 1 streams interleave;
//   - finish_reason gives EventFinish, normalised (stop, length, tool_calls,
//     content_filter, function_call → tool_calls, an unknown value such as
//     Together's eos → stop) with the wire value in RawFinish, wherever it
//     arrives: on its own chunk or on the last content chunk (vLLM);
//   - usage gives EventUsage wherever it arrives (a final chunk, the finish
//     chunk, every chunk; Groq's x_groq.usage), normalised: Input =
//     prompt_tokens − cached_tokens, CacheRead = cached_tokens, Output =
//     completion_tokens, Reasoning = reasoning_tokens;
//   - data: [DONE] ends the stream: Next returns io.EOF after it and only
//     after it. EOF without it is a *sluice.Error of KindTruncated;
//   - a chunk with a non-null top-level error, or an "event: error", is
//     returned as a *sluice.Error with the provider's message verbatim (an
//     integer code, as vLLM and llama.cpp send, is read as an HTTP status);
//     a chunk that is not JSON is a KindProtocol error;
//   - a named event of another type, and a chunk that yields no event (a
//     choice's first chunk, holding only its role; Azure's prompt filter
//     chunk), come out as EventPassthrough with Raw = the data.
//
// Keep-alive comments, "data:" without a space and CRLF line ends are the
// SSE layer's business and need nothing here. llama.cpp builds before
// September 2025 sent mid-stream errors as a non-standard "error:" SSE field;
// the SSE standard makes every parser ignore such a field, so that error is
// lost and the stream ends as the server ends it (with [DONE]).
//
// Everything a chunk holds that Event does not model (system_fingerprint,
// logprobs, stop_reason, x_groq, timings, content_filter_results, null and
// empty markers, where usage and finish_reason sat) rides along in an
// [sluice.Extra] of Protocol "openai", so this package's [Encoder] writes the
// same chunks back; doc.go describes its fields. Two meaningless fields are
// dropped: the random obfuscation padding and a null top-level error.
//
// Every event's Raw is the data of the chunk it came from (nil for the item
// ends that [DONE] implies) and is valid until the next call to Next.
// Decoding reuses its buffers: besides the strings it hands out (text
// deltas, ids, names) it allocates only for usage and for an Extra unlike
// the last few, so a stream's run of alike chunks shares one.
type Decoder struct {
	src *sse.Decoder

	// queue holds the events decoded from the current chunk, metas[i]
	// describing queue[i]; both live in ws, borrowed from workspaces while
	// a chunk is being decoded and handed out, and given back before the
	// decoder waits for the next one, with the scratch buffers below.
	ws    *workspace
	queue []sluice.Event
	metas []evMeta
	qi    int
	err   error // sticky; io.EOF after [DONE]
	done  bool  // [DONE] seen

	started    bool
	id, model  string
	created    int64
	hasCreated bool

	choices []choiceState
	items   int // the next item index

	// Scratch buffers, from ws while a chunk is decoded.
	top    []byte // the chunk's unmodelled top-level members, as an object
	chs    []byte // the chunk's choices residue, as an array
	tres   []byte // tool and usage residues, addressed by span
	fields []byte // Extra.Fields being built
	str    []byte // scratch for unescaping

	cache     [8]*sluice.Extra
	cacheNext int
}

// evMeta is what a queued event carries into its Extra besides the chunk.
type evMeta struct {
	chained        bool // decoded from a chunk (not Start, not passthrough)
	tool, usage    span
	usageInXGroq   bool
	reasoningField string
}

type span struct{ start, end int }

func (s span) empty() bool { return s.end <= s.start }

// choiceState is one choice's progress through its items.
type choiceState struct {
	index   int
	cur     int // the item receiving deltas, -1 for none
	curKind sluice.ItemKind
	curOpen bool
	tools   []toolState
}

// toolState maps a tool call onto its output item.
type toolState struct {
	wire   int64 // tool_calls[].index
	pos    int   // position among the choice's calls
	item   int
	callID string
}

// NewDecoder returns a Decoder reading the SSE body r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{src: sse.NewDecoder(r)}
}

// Next returns the next event. See [Decoder] for what it returns and when.
func (d *Decoder) Next() (sluice.Event, error) {
	for {
		if d.qi < len(d.queue) {
			ev := d.queue[d.qi]
			d.qi++
			return ev, nil
		}
		d.release()
		if d.err != nil {
			return sluice.Event{}, d.err
		}
		if !d.src.Next() {
			d.err = d.endError()
			continue
		}
		if err := d.event(d.src.Event()); err != nil {
			// What a bad chunk yielded before the fault showed is dropped
			// with it.
			d.release()
			d.err = err
		} else if d.done {
			d.err = io.EOF
		}
	}
}

// endError is the error for a stream whose bytes ran out before [DONE].
func (d *Decoder) endError() error {
	if err := d.src.Err(); err != nil {
		var se *sluice.Error
		if errors.As(err, &se) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return &sluice.Error{Kind: sluice.KindConnection, Message: "the connection broke mid-stream: " + err.Error(), Err: err}
	}
	msg := "the stream ended without data: [DONE]"
	if d.src.Truncated() {
		msg += ", inside an event"
	}
	return &sluice.Error{Kind: sluice.KindTruncated, Message: msg,
		Hint: "the server or a proxy closed the connection early; what arrived is kept in the Result"}
}

// text queues a delta of typ (text, refusal, reasoning, tool call
// arguments) whose text is the JSON string raw.
func (d *Decoder) text(typ sluice.EventType, item int, cs *choiceState, raw, data []byte, m evMeta) {
	t := stringValue(raw, &d.str)
	ev := d.add(m)
	ev.Type, ev.Item, ev.Choice, ev.Text, ev.Raw = typ, item, cs.index, t, data
}

// event handles one SSE event.
func (d *Decoder) event(ev sse.Event) error {
	data := ev.Data
	switch ev.Type {
	case "", "message":
	case "error":
		return streamError(data)
	default:
		e := d.add(evMeta{})
		e.Type, e.Name, e.Raw, e.Extra = sluice.EventPassthrough, ev.Type, data, originExtra
		return nil
	}
	t := bytes.TrimSpace(data)
	switch {
	case len(t) == 0:
		// An empty data line carries nothing; openai-go would fail on it, we
		// take it as a keep-alive.
		return nil
	case string(t) == "[DONE]":
		for i := range d.choices {
			d.closeCur(&d.choices[i], nil)
		}
		d.done = true
		return nil
	}
	return d.chunk(data)
}

// chunk turns one chat.completion.chunk into events.
func (d *Decoder) chunk(data []byte) error {
	if !jsonwire.Valid(data) {
		return protocolError("a chunk is not valid JSON", data)
	}
	d.borrow()
	it, ok := jsonwire.ObjectMembers(data)
	if !ok {
		return protocolError("a chunk is not a JSON object", data)
	}
	var id, object, created, model, choices, usage, xgroq []byte
	d.top = append(d.top[:0], '{')
	var seen uint32
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		if repeats(&seen, k, chunkKeys[:]) {
			return protocolError("a chunk repeats the key "+string(k), data)
		}
		switch string(k) {
		case "id":
			id = v
		case "object":
			object = v
		case "created":
			created = v
		case "model":
			model = v
		case "choices":
			choices = v
		case "usage":
			usage = v
		case "error":
			if !jsonwire.IsNull(v) {
				return streamError(data)
			}
		case "obfuscation":
		default:
			if string(k) == "x_groq" {
				xgroq = v
			}
			d.top = jsonwire.AppendMember(d.top, k, v)
		}
	}
	chs, isArray := jsonwire.ArrayElements(choices)
	hasUsage := usage != nil && !jsonwire.IsNull(usage)
	if !d.started && (nonEmptyString(id) || (isArray && !emptyArray(choices)) || hasUsage) {
		d.start(data, id, model, created)
	}
	first := len(d.queue)

	// The residue of the fields EventStart models, where a chunk differs.
	if id != nil && (!d.started || !jsonwire.StringEquals(id, d.id)) {
		d.top = jsonwire.AppendMember(d.top, []byte("id"), id)
	}
	if object != nil && !jsonwire.StringEquals(object, chunkObject) {
		d.top = jsonwire.AppendMember(d.top, []byte("object"), object)
	}
	if created != nil {
		if n, ok := intValue(created); !ok || !d.hasCreated || n != d.created {
			d.top = jsonwire.AppendMember(d.top, []byte("created"), created)
		}
	}
	if model != nil && (!d.started || !jsonwire.StringEquals(model, d.model)) {
		d.top = jsonwire.AppendMember(d.top, []byte("model"), model)
	}
	if choices != nil && !isArray {
		d.top = jsonwire.AppendMember(d.top, []byte("choices"), choices)
	}
	if usage != nil && !hasUsage {
		d.top = jsonwire.AppendMember(d.top, []byte("usage"), usage)
	}
	d.top = append(d.top, '}')

	d.chs = append(d.chs[:0], '[')
	d.tres = d.tres[:0]
	if isArray {
		for el, ok := chs.Next(); ok; el, ok = chs.Next() {
			if err := d.choice(data, el); err != nil {
				return err
			}
		}
	}
	d.chs = append(d.chs, ']')

	switch {
	case hasUsage:
		if _, ok := jsonwire.ObjectMembers(usage); !ok {
			return protocolError("usage is not an object", data)
		}
		d.usage(data, usage, false)
	case xgroq != nil:
		if u, ok := jsonwire.Lookup(xgroq, "usage"); ok && !jsonwire.IsNull(u) {
			if _, ok := jsonwire.ObjectMembers(u); ok {
				d.usage(data, u, true)
			}
		}
	}

	if first == len(d.queue) {
		// Nothing modelled: keep the chunk whole.
		e := d.add(evMeta{})
		e.Type, e.Raw, e.Extra = sluice.EventPassthrough, data, originExtra
		return nil
	}
	d.chain(first)
	return nil
}

// start emits EventStart from the first chunk that identifies the response.
func (d *Decoder) start(data, id, model, created []byte) {
	d.started = true
	d.id = stringValue(id, &d.str)
	d.model = stringValue(model, &d.str)
	ev := d.add(evMeta{})
	ev.Type, ev.ID, ev.Model, ev.Raw = sluice.EventStart, d.id, d.model, data
	if n, ok := intValue(created); created != nil && ok {
		d.created, d.hasCreated = n, true
		f := append([]byte(`{"created":`), created...)
		ev.Extra = &sluice.Extra{Protocol: Protocol, Fields: append(f, '}')}
	}
}

// chain gives the events decoded from one chunk, queue[first:], their Extra:
// the first carries the chunk's residue, every one but the last says more
// follow from the same chunk.
func (d *Decoder) chain(first int) {
	last := len(d.queue) - 1
	for i := first; i <= last; i++ {
		m := &d.metas[i]
		f := append(d.fields[:0], '{')
		if i == first {
			if len(d.top) > 2 {
				f = jsonwire.AppendMember(f, []byte("chunk"), d.top)
			}
			f = jsonwire.AppendMember(f, []byte("choices"), d.chs)
		}
		if !m.tool.empty() {
			f = jsonwire.AppendMember(f, []byte("tool"), d.tres[m.tool.start:m.tool.end])
		}
		if !m.usage.empty() {
			f = jsonwire.AppendMember(f, []byte("usage"), d.tres[m.usage.start:m.usage.end])
		}
		if m.usageInXGroq {
			f = jsonwire.AppendMember(f, []byte("usage_in"), []byte(`"x_groq"`))
		}
		if m.reasoningField != "" {
			f = jsonwire.Comma(f)
			f = jsonwire.AppendKey(f, "reasoning_field")
			f = jsonwire.AppendString(f, m.reasoningField)
		}
		if i != last {
			f = jsonwire.AppendMember(f, []byte("more"), []byte("true"))
		}
		f = append(f, '}')
		d.fields = f
		d.queue[i].Extra = d.intern(f)
	}
}

// intern returns an Extra holding fields, reusing one of the last few when
// it is the same: most chunks of a stream carry the same residue.
func (d *Decoder) intern(fields []byte) *sluice.Extra {
	if len(fields) == 2 {
		return originExtra
	}
	for _, x := range d.cache {
		if x != nil && bytes.Equal(x.Fields, fields) {
			return x
		}
	}
	x := &sluice.Extra{Protocol: Protocol, Fields: bytes.Clone(fields)}
	d.cache[d.cacheNext] = x
	d.cacheNext = (d.cacheNext + 1) % len(d.cache)
	return x
}

// choiceFor returns the state of choice index, adding it on first sight.
func (d *Decoder) choiceFor(index int) *choiceState {
	for i := range d.choices {
		if d.choices[i].index == index {
			return &d.choices[i]
		}
	}
	d.choices = append(d.choices, choiceState{index: index, cur: -1})
	return &d.choices[len(d.choices)-1]
}

// closeCur closes the choice's open item.
func (d *Decoder) closeCur(cs *choiceState, data []byte) {
	if cs.curOpen {
		ev := d.add(evMeta{chained: true})
		ev.Type, ev.Item, ev.Choice, ev.Kind, ev.Raw = sluice.EventItemDone, cs.cur, cs.index, cs.curKind, data
		cs.curOpen = false
	}
}

// itemFor returns the open item of kind for the choice, closing another one
// and starting a new one if needed.
func (d *Decoder) itemFor(cs *choiceState, kind sluice.ItemKind, raw []byte) int {
	if cs.curOpen && cs.curKind == kind {
		return cs.cur
	}
	d.closeCur(cs, raw)
	item := d.items
	d.items++
	ev := d.add(evMeta{chained: true})
	ev.Type, ev.Item, ev.Choice, ev.Kind, ev.Raw = sluice.EventItemStart, item, cs.index, kind, raw
	cs.cur, cs.curKind, cs.curOpen = item, kind, true
	return item
}

// choice decodes one element of choices.
func (d *Decoder) choice(data, el []byte) error {
	it, ok := jsonwire.ObjectMembers(el)
	if !ok {
		return protocolError("a choice is not a JSON object", data)
	}
	var index int64
	var delta, finish []byte
	var seen uint32
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		if repeats(&seen, k, choiceKeys[:]) {
			return protocolError("a choice repeats the key "+string(k), data)
		}
		switch string(k) {
		case "index":
			n, ok := intValue(v)
			if !ok || n < 0 || n > 1<<20 {
				return protocolError("a choice index is not a small number", data)
			}
			index = n
		case "delta":
			delta = v
		case "finish_reason":
			if nonEmptyString(v) {
				finish = v
			}
		}
	}
	cs := d.choiceFor(int(index))

	d.chs = jsonwire.Comma(d.chs)
	d.chs = append(d.chs, `{"index":`...)
	d.chs = append(d.chs, d.strconvInt(index)...)
	mark := len(d.chs)
	d.chs = append(d.chs, `,"choice":{`...)
	it, _ = jsonwire.ObjectMembers(el)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch string(k) {
		case "index":
			continue
		case "delta":
			if _, isObj := jsonwire.ObjectMembers(v); isObj {
				continue
			}
		case "finish_reason":
			if finish != nil {
				continue
			}
		}
		d.chs = jsonwire.AppendMember(d.chs, k, v)
	}
	d.chs = closeOrDrop(d.chs, mark)

	var content, refusal, rc, rs, tools []byte
	if dm, isObj := jsonwire.ObjectMembers(delta); isObj {
		mark = len(d.chs)
		d.chs = append(d.chs, `,"delta":{`...)
		var seen uint32
		for k, v, ok := dm.Next(); ok; k, v, ok = dm.Next() {
			if repeats(&seen, k, deltaKeys[:]) {
				return protocolError("a delta repeats the key "+string(k), data)
			}
			switch string(k) {
			case "content":
				if nonEmptyString(v) {
					content = v
					continue
				}
			case "refusal":
				if nonEmptyString(v) {
					refusal = v
					continue
				}
			case "reasoning_content":
				if nonEmptyString(v) {
					rc = v
					continue
				}
			case "reasoning":
				if nonEmptyString(v) {
					rs = v
					continue
				}
			case "tool_calls":
				if _, isArr := jsonwire.ArrayElements(v); isArr {
					tools = v
					continue
				}
			}
			d.chs = jsonwire.AppendMember(d.chs, k, v)
		}
		// Both reasoning fields: the same text twice is one delta; two
		// different texts keep reasoning verbatim.
		field := ""
		switch {
		case rc != nil && rs != nil && bytes.Equal(rc, rs):
			field = "both"
		case rc != nil && rs != nil:
			d.chs = jsonwire.AppendMember(d.chs, []byte("reasoning"), rs)
		case rs != nil:
			rc, field = rs, "reasoning"
		}
		d.chs = closeOrDrop(d.chs, mark)
		if rc != nil {
			item := d.itemFor(cs, sluice.ItemReasoning, data)
			d.text(sluice.EventReasoning, item, cs, rc, data, evMeta{chained: true, reasoningField: field})
		}
	}
	d.chs = append(d.chs, '}')

	if content != nil {
		item := d.itemFor(cs, sluice.ItemMessage, data)
		d.text(sluice.EventText, item, cs, content, data, evMeta{chained: true})
	}
	if refusal != nil {
		item := d.itemFor(cs, sluice.ItemMessage, data)
		d.text(sluice.EventRefusal, item, cs, refusal, data, evMeta{chained: true})
	}
	if tools != nil {
		ts, _ := jsonwire.ArrayElements(tools)
		for frag, ok := ts.Next(); ok; frag, ok = ts.Next() {
			if err := d.toolCall(data, cs, frag); err != nil {
				return err
			}
		}
	}
	if finish != nil {
		d.closeCur(cs, data)
		raw := stringValue(finish, &d.str)
		ev := d.add(evMeta{chained: true})
		ev.Type, ev.Choice, ev.Finish, ev.RawFinish, ev.Raw = sluice.EventFinish, cs.index, normalizeFinish(raw), raw, data
		cs.cur = -1
	}
	return nil
}

// toolCall decodes one tool_calls fragment. The first fragment of a call
// carries its id and name and opens its item; later ones carry arguments.
func (d *Decoder) toolCall(data []byte, cs *choiceState, frag []byte) error {
	it, ok := jsonwire.ObjectMembers(frag)
	if !ok {
		return protocolError("a tool call is not a JSON object", data)
	}
	var index, id, fn, name, args []byte
	var seen uint32
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		if repeats(&seen, k, toolKeys[:]) {
			return protocolError("a tool call repeats the key "+string(k), data)
		}
		switch string(k) {
		case "index":
			index = v
		case "id":
			id = v
		case "function":
			fn = v
		}
	}
	if fm, isObj := jsonwire.ObjectMembers(fn); isObj {
		seen = 0
		for k, v, ok := fm.Next(); ok; k, v, ok = fm.Next() {
			if repeats(&seen, k, functionKeys[:]) {
				return protocolError("a tool call repeats the key "+string(k), data)
			}
			switch string(k) {
			case "name":
				name = v
			case "arguments":
				args = v
			}
		}
	}
	wire, hasIndex := intValue(index)
	var ts *toolState
	switch {
	case hasIndex:
		for i := len(cs.tools) - 1; i >= 0; i-- {
			if cs.tools[i].wire == wire {
				ts = &cs.tools[i]
				break
			}
		}
	case len(cs.tools) > 0:
		ts = &cs.tools[len(cs.tools)-1]
	}
	// Some servers number every call 0; a new id means a new call.
	if ts != nil && nonEmptyString(id) && ts.callID != "" && !jsonwire.StringEquals(id, ts.callID) {
		ts = nil
	}

	start := len(d.tres)
	d.tres = append(d.tres, '{')
	first := ts == nil
	var item int
	if first {
		pos := len(cs.tools)
		if !hasIndex {
			wire = int64(pos)
		}
		callID := stringValue(id, &d.str)
		d.closeCur(cs, data)
		item = d.items
		d.items++
		nm := stringValue(name, &d.str)
		ev := d.add(evMeta{chained: true})
		ev.Type, ev.Item, ev.Choice, ev.Kind, ev.Raw = sluice.EventItemStart, item, cs.index, sluice.ItemToolCall, data
		ev.ID, ev.CallID, ev.Name = callID, callID, nm
		cs.cur, cs.curKind, cs.curOpen = item, sluice.ItemToolCall, true
		cs.tools = append(cs.tools, toolState{wire: wire, pos: pos, item: item, callID: callID})
		ts = &cs.tools[pos]
	} else {
		item = ts.item
	}

	// The residue: what the encoder would not write by itself.
	it, _ = jsonwire.ObjectMembers(frag)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch string(k) {
		case "index":
			if hasIndex && wire == int64(ts.pos) {
				continue
			}
		case "id", "type":
			if first && (string(k) == "id" || jsonwire.StringEquals(v, "function")) && jsonwire.IsString(v) {
				continue
			}
		case "function":
			if _, isObj := jsonwire.ObjectMembers(v); isObj {
				mark := len(d.tres)
				// "function" may be the first member kept: no comma then.
				d.tres = append(jsonwire.Comma(d.tres), `"function":{`...)
				fm, _ := jsonwire.ObjectMembers(v)
				for fk, fv, ok := fm.Next(); ok; fk, fv, ok = fm.Next() {
					switch string(fk) {
					case "name":
						if first && jsonwire.IsString(fv) {
							continue
						}
					case "arguments":
						if nonEmptyString(fv) || (first && string(fv) == `""`) {
							continue
						}
					}
					d.tres = jsonwire.AppendMember(d.tres, fk, fv)
				}
				d.tres = closeOrDrop(d.tres, mark)
				continue
			}
		}
		d.tres = jsonwire.AppendMember(d.tres, k, v)
	}
	d.tres = append(d.tres, '}')
	res := span{start, len(d.tres)}
	if len(d.tres)-start == 2 {
		d.tres = d.tres[:start]
		res = span{}
	}

	if nonEmptyString(args) || (!first && !res.empty()) {
		// A later fragment with no arguments but other fields gets an empty
		// delta to carry them.
		d.text(sluice.EventToolCall, item, cs, args, data, evMeta{chained: true, tool: res})
	} else if !res.empty() {
		d.metas[len(d.metas)-1].tool = res
	}
	return nil
}

// strconvInt formats n into the scratch buffer.
func (d *Decoder) strconvInt(n int64) []byte {
	d.str = appendInt(d.str[:0], n)
	return d.str
}

func appendInt(b []byte, n int64) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// closeOrDrop ends an object opened at mark with ,"key":{ — or removes it
// when nothing was written into it.
func closeOrDrop(b []byte, mark int) []byte {
	if b[len(b)-1] == '{' {
		return b[:mark]
	}
	return append(b, '}')
}

// The keys the decoder models, at each level of a chunk. A chunk that
// repeats one of them is malformed: which value counts would be a guess.
var (
	chunkKeys    = [...]string{"id", "object", "created", "model", "choices", "usage", "error"}
	choiceKeys   = [...]string{"index", "delta", "finish_reason"}
	deltaKeys    = [...]string{"content", "refusal", "reasoning_content", "reasoning", "tool_calls"}
	toolKeys     = [...]string{"index", "id", "type", "function"}
	functionKeys = [...]string{"name", "arguments"}
)

// repeats reports whether key is one of names and already in seen, and
// adds it.
func repeats(seen *uint32, key []byte, names []string) bool {
	for i, n := range names {
		if string(key) == n {
			bit := uint32(1) << i
			if *seen&bit != 0 {
				return true
			}
			*seen |= bit
			return false
		}
	}
	return false
}

func nonEmptyString(v []byte) bool { return jsonwire.IsString(v) && len(v) > 2 }

func emptyArray(v []byte) bool {
	it, ok := jsonwire.ArrayElements(v)
	if !ok {
		return true
	}
	_, ok = it.Next()
	return !ok
}

// normalizeFinish maps a wire finish_reason onto sluice's. Values no
// OpenAI-compatible server documents end the choice normally; the Event keeps
// the wire value in RawFinish.
func normalizeFinish(raw string) sluice.FinishReason {
	switch raw {
	case "length", "max_tokens", "model_length":
		return sluice.FinishLength
	case "tool_calls", "function_call", "tool_use":
		return sluice.FinishToolCalls
	case "content_filter", "safety", "refusal":
		return sluice.FinishContentFilter
	case "error":
		return sluice.FinishError
	}
	return sluice.FinishStop
}
