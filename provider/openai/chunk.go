package openai

import (
	"crypto/rand"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
	"github.com/sluicehq/sluice/sse"
)

// How the Encoder assembles and writes one chunk. A chunk collects the
// events that share it (one, for another protocol's events; those the
// decoder marked "more", for this protocol's) and is written in OpenAI's
// field order, with the residue this package's decoder kept merged back:
// where the residue holds a field, its value wins over the one the encoder
// would write.

// Members of the residue objects whose presence the encoder asks about,
// as bits of a keySet, so that one walk of a residue answers every question
// about it: a walk per question was a fifth of the relay's time.
const (
	keyID = 1 << iota
	keyObject
	keyCreated
	keyModel
	keyChoices
	keyUsage
	keyDelta
	keyFinishReason
	keyRole
)

// residueKeys names the bits, in order.
var residueKeys = [...]string{"id", "object", "created", "model", "choices", "usage", "delta", "finish_reason", "role"}

// keySet says which of residueKeys an object has.
type keySet uint16

// keysIn returns which of residueKeys obj has, compared as written (as
// jsonwire.Lookup does).
func keysIn(obj []byte) keySet {
	var ks keySet
	it, _ := jsonwire.ObjectMembers(obj)
	for k, _, ok := it.Next(); ok; k, _, ok = it.Next() {
		for i := range residueKeys {
			if string(k) == residueKeys[i] {
				ks |= 1 << i
				break
			}
		}
	}
	return ks
}

// chunk is a chunk being assembled.
type chunk struct {
	active       bool
	origin       bool   // built from this package's events
	top          []byte // residue of top-level fields
	topKeys      keySet
	choices      []choiceOut
	usage        *sluice.Usage
	usageRes     []byte
	usageInXGroq bool
}

type choiceOut struct {
	index                 int
	choiceRes, deltaRes   []byte
	choiceKeys, deltaKeys keySet

	content, reasoning, refusal          string
	hasContent, hasReasoning, hasRefusal bool
	reasoningField                       string

	tools     []toolOut
	finish    string
	hasFinish bool
}

type toolOut struct {
	item, index int
	first       bool
	id, name    string
	args        string
	hasArgs     bool
	res         []byte
}

// begin starts assembling a chunk for an event with the parsed Extra px.
func (c *chunk) begin(px *extraInfo) {
	c.reset()
	c.active, c.origin = true, px.origin
	if !px.first {
		return
	}
	if !px.scanned {
		px.scan()
	}
	c.top, c.topKeys = px.chunk, px.topKeys
	for i := range px.residues {
		r := &px.residues[i]
		co := c.choice(r.index)
		if r.hasChoice {
			co.choiceRes, co.choiceKeys = r.choiceRes, r.choiceKeys
		}
		if r.hasDelta {
			co.deltaRes, co.deltaKeys = r.deltaRes, r.deltaKeys
		}
	}
}

// scan reads the residues of the chunk and its choices, once per Extra.
func (px *extraInfo) scan() {
	px.scanned = true
	px.topKeys = keysIn(px.chunk)
	px.residues = px.residues[:0]
	it, _ := jsonwire.ArrayElements(px.choices)
	for el, ok := it.Next(); ok; el, ok = it.Next() {
		// The decoder writes each choice's residue as
		// {"index":…[,"choice":{…}][,"delta":{…}]}.
		var idx []byte
		var r choiceResidue
		m, _ := jsonwire.ObjectMembers(el)
		for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
			switch {
			case string(k) == "index" && idx == nil:
				idx = v
			case string(k) == "choice" && !r.hasChoice:
				r.choiceRes, r.hasChoice = v, true
			case string(k) == "delta" && !r.hasDelta:
				r.deltaRes, r.hasDelta = v, true
			}
		}
		n, ok := intValue(idx)
		if !ok {
			continue
		}
		r.index = int(n)
		if r.hasChoice {
			r.choiceKeys = keysIn(r.choiceRes)
		}
		if r.hasDelta {
			r.deltaKeys = keysIn(r.deltaRes)
		}
		px.residues = append(px.residues, r)
	}
}

func (c *chunk) reset() {
	c.active, c.origin, c.top, c.topKeys = false, false, nil, 0
	c.choices = c.choices[:0]
	c.usage, c.usageRes, c.usageInXGroq = nil, nil, false
}

// choice returns the chunk's entry for choice index, adding it.
func (c *chunk) choice(index int) *choiceOut {
	for i := range c.choices {
		if c.choices[i].index == index {
			return &c.choices[i]
		}
	}
	if len(c.choices) < cap(c.choices) {
		c.choices = c.choices[:len(c.choices)+1]
		co := &c.choices[len(c.choices)-1]
		*co = choiceOut{index: index, tools: co.tools[:0]}
		return co
	}
	c.choices = append(c.choices, choiceOut{index: index})
	return &c.choices[len(c.choices)-1]
}

func (co *choiceOut) tool(item int) *toolOut {
	for i := range co.tools {
		if co.tools[i].item == item {
			return &co.tools[i]
		}
	}
	return nil
}

func (co *choiceOut) hasOutput() bool {
	return co.hasContent || co.hasReasoning || co.hasRefusal || len(co.tools) > 0 || co.hasFinish
}

// stamp fixes the id and created time before the first chunk.
func (e *Encoder) stamp() {
	if e.stamped {
		return
	}
	e.stamped = true
	if e.id == "" {
		e.id = "chatcmpl-" + rand.Text()
	}
	if e.created == 0 {
		e.created = time.Now().Unix()
	}
}

// head appends {"id","object","created","model"[,"system_fingerprint"], the
// residue top's own values winning unless an option set them.
func (e *Encoder) head(b []byte, top []byte, keys keySet, origin bool) []byte {
	e.stamp()
	b = append(b, '{')
	if keys&keyID == 0 || e.opts.ID != "" {
		b = append(b, `"id":`...)
		b = jsonwire.AppendString(b, e.id)
	}
	if keys&keyObject == 0 {
		b = jsonwire.Comma(b)
		b = append(b, `"object":"chat.completion.chunk"`...)
	}
	if keys&keyCreated == 0 || e.opts.Created != 0 {
		b = jsonwire.Comma(b)
		b = append(b, `"created":`...)
		b = appendInt(b, e.created)
	}
	if keys&keyModel == 0 || e.opts.Model != "" {
		b = jsonwire.Comma(b)
		b = append(b, `"model":`...)
		b = jsonwire.AppendString(b, e.model)
	}
	if !origin && e.opts.SystemFingerprint != "" {
		b = jsonwire.Comma(b)
		b = append(b, `"system_fingerprint":`...)
		b = jsonwire.AppendString(b, e.opts.SystemFingerprint)
	}
	it, _ := jsonwire.ObjectMembers(top)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch string(k) {
		case "id":
			if e.opts.ID != "" {
				continue
			}
		case "created":
			if e.opts.Created != 0 {
				continue
			}
		case "model":
			if e.opts.Model != "" {
				continue
			}
		}
		b = jsonwire.AppendMember(b, k, v)
	}
	return jsonwire.Comma(b)
}

// writeChunk serialises c and buffers it as one SSE event.
func (e *Encoder) writeChunk(c *chunk) {
	b := e.head(e.buf.Bytes(), c.top, c.topKeys, c.origin)
	if c.topKeys&keyChoices == 0 {
		b = append(b, `"choices":[`...)
		for i := range c.choices {
			b = jsonwire.Comma(b)
			b = e.appendChoice(b, c, &c.choices[i])
		}
		b = append(b, ']')
	}
	if c.usage != nil && e.opts.IncludeUsage && !c.usageInXGroq {
		if c.topKeys&keyUsage == 0 {
			b = jsonwire.Comma(b)
			b = append(b, `"usage":`...)
			b = appendUsage(b, c.usage, c.usageRes)
		}
	}
	if b[len(b)-1] == ',' {
		b = b[:len(b)-1]
	}
	b = append(b, '}')
	e.buf.Keep(b)
	e.setErr(e.w.Encode(sse.Event{Data: b}))
	for i := range c.choices {
		if c.choices[i].deltaKeys&keyRole != 0 {
			e.choiceState(c.choices[i].index).roleSent = true
		}
	}
}

func (e *Encoder) appendChoice(b []byte, c *chunk, co *choiceOut) []byte {
	b = append(b, `{"index":`...)
	b = appendInt(b, int64(co.index))
	it, _ := jsonwire.ObjectMembers(co.choiceRes)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		b = jsonwire.AppendMember(b, k, v)
	}
	if co.choiceKeys&keyDelta == 0 {
		b = append(b, `,"delta":{`...)
		it, _ := jsonwire.ObjectMembers(co.deltaRes)
		for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
			b = jsonwire.AppendMember(b, k, v)
		}
		if co.hasContent {
			b = jsonwire.Comma(b)
			b = jsonwire.AppendKey(b, "content")
			b = jsonwire.AppendString(b, co.content)
		}
		if co.hasReasoning {
			if co.reasoningField == "both" {
				b = jsonwire.Comma(b)
				b = jsonwire.AppendKey(b, "reasoning_content")
				b = jsonwire.AppendString(b, co.reasoning)
				b = jsonwire.Comma(b)
				b = jsonwire.AppendKey(b, "reasoning")
			} else {
				b = jsonwire.Comma(b)
				b = jsonwire.AppendKey(b, co.reasoningField)
			}
			b = jsonwire.AppendString(b, co.reasoning)
		}
		if co.hasRefusal {
			b = jsonwire.Comma(b)
			b = jsonwire.AppendKey(b, "refusal")
			b = jsonwire.AppendString(b, co.refusal)
		}
		if len(co.tools) > 0 {
			b = jsonwire.Comma(b)
			b = append(b, `"tool_calls":[`...)
			for i := range co.tools {
				b = jsonwire.Comma(b)
				b = appendTool(b, &co.tools[i], c.origin)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	if !c.origin {
		b = append(b, `,"logprobs":null,"finish_reason":`...)
		if co.hasFinish {
			return append(jsonwire.AppendString(b, co.finish), '}')
		}
		return append(b, "null}"...)
	}
	if co.hasFinish {
		if co.choiceKeys&keyFinishReason == 0 {
			b = append(b, `,"finish_reason":`...)
			b = jsonwire.AppendString(b, co.finish)
		}
	}
	return append(b, '}')
}

func appendTool(b []byte, t *toolOut, origin bool) []byte {
	b = append(b, '{')
	if _, ok := jsonwire.Lookup(t.res, "index"); !ok {
		b = append(b, `"index":`...)
		b = appendInt(b, int64(t.index))
	}
	if t.first {
		if t.id != "" {
			b = jsonwire.Comma(b)
			b = append(b, `"id":`...)
			b = jsonwire.AppendString(b, t.id)
		}
		if _, ok := jsonwire.Lookup(t.res, "type"); !ok {
			b = jsonwire.Comma(b)
			b = append(b, `"type":"function"`...)
		}
	}
	fnRes, hasFnRes := jsonwire.Lookup(t.res, "function")
	if _, isObj := jsonwire.ObjectMembers(fnRes); hasFnRes && !isObj {
		// A function member that is not an object is written as it came.
	} else {
		b = jsonwire.Comma(b)
		b = append(b, `"function":{`...)
		if t.first && (t.name != "" || !origin) {
			b = append(b, `"name":`...)
			b = jsonwire.AppendString(b, t.name)
		}
		if _, ok := jsonwire.Lookup(fnRes, "arguments"); !ok && (t.first || t.hasArgs) {
			b = jsonwire.Comma(b)
			b = append(b, `"arguments":`...)
			b = jsonwire.AppendString(b, t.args)
		}
		it, _ := jsonwire.ObjectMembers(fnRes)
		for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
			b = jsonwire.AppendMember(b, k, v)
		}
		b = append(b, '}')
	}
	it, _ := jsonwire.ObjectMembers(t.res)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		if string(k) == "function" && hasFnRes {
			if _, isObj := jsonwire.ObjectMembers(v); isObj {
				continue
			}
		}
		b = jsonwire.AppendMember(b, k, v)
	}
	return append(b, '}')
}

// rawChunk writes a chunk this package's decoder passed through whole,
// restamped with the options' id, model and created.
func (e *Encoder) rawChunk(raw []byte) {
	if !jsonwire.ValidObject(raw) {
		e.setErr(e.w.Encode(sse.Event{Data: raw}))
		return
	}
	if chs, ok := jsonwire.Lookup(raw, "choices"); ok {
		it, _ := jsonwire.ArrayElements(chs)
		for el, ok := it.Next(); ok; el, ok = it.Next() {
			idx, _ := jsonwire.Lookup(el, "index")
			delta, _ := jsonwire.Lookup(el, "delta")
			n, okN := intValue(idx)
			if _, hasRole := jsonwire.Lookup(delta, "role"); okN && hasRole {
				e.choiceState(int(n)).roleSent = true
			}
		}
	}
	if e.opts.ID == "" && e.opts.Model == "" && e.opts.Created == 0 {
		e.setErr(e.w.Encode(sse.Event{Data: raw}))
		return
	}
	e.stamp()
	b := append(e.buf.Bytes(), '{')
	it, _ := jsonwire.ObjectMembers(raw)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch {
		case string(k) == "id" && e.opts.ID != "":
			b = jsonwire.Comma(b)
			b = jsonwire.AppendKey(b, "id")
			b = jsonwire.AppendString(b, e.opts.ID)
		case string(k) == "model" && e.opts.Model != "":
			b = jsonwire.Comma(b)
			b = jsonwire.AppendKey(b, "model")
			b = jsonwire.AppendString(b, e.opts.Model)
		case string(k) == "created" && e.opts.Created != 0:
			b = jsonwire.Comma(b)
			b = jsonwire.AppendKey(b, "created")
			b = appendInt(b, e.opts.Created)
		default:
			b = jsonwire.AppendMember(b, k, v)
		}
	}
	b = append(b, '}')
	e.buf.Keep(b)
	e.setErr(e.w.Encode(sse.Event{Data: b}))
}
