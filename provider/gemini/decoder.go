package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
	"github.com/sluicehq/sluice/sse"
)

// Protocol is the name this package uses in [sluice.Extra.Protocol].
const Protocol = "gemini"

// Decoder reads the SSE stream of POST
// /models/{model}:streamGenerateContent?alt=sse and returns its events. It
// implements [sluice.Decoder].
//
// Each SSE event holds one GenerateContentResponse. Its events come out in
// this order: EventStart (first chunk only: responseId and modelVersion);
// then for each candidate (Choice = its index) one group per part; then
// EventFinish for each candidate with a finishReason, after EventItemDone for
// its open item; EventFinish for a promptFeedback.blockReason; and last one
// EventUsage, which every chunk has, so it also marks the chunk's end.
//
// Parts map as follows. Consecutive text parts form a message item and
// consecutive "thought": true parts a reasoning item (EventReasoning with
// Summary set: Gemini streams thought summaries); a part of another kind
// closes the open item. A functionCall part, complete in one chunk, is a
// whole tool-call item: start (call id synthesised as call_<n> when Gemini
// sends no id), its args re-serialised compactly as one EventToolCall, done.
// A thoughtSignature becomes EventReasoningData of kind
// OpaqueThoughtSignature on the item of the part it rides on: the tool call,
// the text, or, for a part with only a signature and empty text, the open
// item (a new reasoning item if none is open). A part of any other kind
// (inlineData, executableCode, codeExecutionResult, a new kind) is an
// ItemOther item whose Raw is the part. A part with empty text and nothing
// else is EventPassthrough with Name "part" and the part in Raw, and a
// candidate that yields no event is one with Name "candidate".
//
// Usage is normalised as: Input = promptTokenCount − cachedContentTokenCount
// + toolUsePromptTokenCount, CacheRead = cachedContentTokenCount, Output =
// candidatesTokenCount + thoughtsTokenCount, Reasoning = thoughtsTokenCount.
// Gemini writes proto3 JSON, which omits zero counts, so in a chunk that
// has usageMetadata an absent count is a reported 0. A chunk without
// usageMetadata still ends with an EventUsage, whose Usage is zero.
//
// finishReason STOP is FinishStop, or FinishToolCalls when the candidate
// called a function; MAX_TOKENS is FinishLength; SAFETY, RECITATION,
// LANGUAGE, BLOCKLIST, PROHIBITED_CONTENT, SPII and the IMAGE_ variants are
// FinishContentFilter; everything else (MALFORMED_FUNCTION_CALL, OTHER, …)
// is FinishError. RawFinish keeps Gemini's value.
//
// Gemini has no end marker: Next returns io.EOF once the stream ends after
// every candidate it saw carried a finishReason (or the prompt was blocked),
// and a *sluice.Error of KindTruncated otherwise. A chunk that is not JSON
// is KindProtocol; an {"error":{…}} object (bare or in a one-element array)
// is returned as a *sluice.Error with Gemini's status as Code and its
// message verbatim.
//
// Every event carries Extra with Protocol "gemini". The chunk's EventUsage
// carries in Extra.Fields the chunk's members no event models
// (usageMetadata details, safetyRatings, a new field, …) and a part's first
// event carries the part's, so [Encoder] writes the same chunks back. Raw is
// the chunk (the part, for ItemOther and "part" passthrough events) and is
// valid until the next call to Next.
type Decoder struct {
	sd    *sse.Decoder
	queue []sluice.Event
	qi    int
	err   error

	started         bool
	model, id       []byte // first chunk's modelVersion and responseId, as JSON
	items           int
	calls           int
	cands           []candidate // by candidate index
	blocked         bool
	mark            *sluice.Extra
	ov, cov, c, cnt []byte // overlay scratch: chunk, candidates array, candidate, content
	uov, part, fc   []byte // usage, part, functionCall
	args            []byte
}

// candidate is the decoder's state for one candidate index.
type candidate struct {
	seen, finished, called bool
	open                   int // open item, or -1
	kind                   sluice.ItemKind
}

// NewDecoder returns a Decoder reading r. It reads nothing until Next.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{sd: sse.NewDecoder(r), mark: &sluice.Extra{Protocol: Protocol}}
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
		d.queue, d.qi = d.queue[:0], 0
		if !d.sd.Next() {
			switch err := d.sd.Err(); {
			case err != nil:
				d.err = fmt.Errorf("gemini: read stream: %w", err)
			case d.sd.Truncated() || !d.finished():
				d.err = &sluice.Error{Kind: sluice.KindTruncated,
					Message: "the stream ended before every candidate had a finishReason",
					Hint:    "Gemini or a proxy closed the connection early"}
			default:
				d.err = io.EOF
			}
			continue
		}
		data := jsonwire.TrimSpace(d.sd.Event().Data)
		if len(data) == 0 {
			continue // an empty event carries nothing to decode
		}
		if !jsonwire.Valid(data) {
			d.err = protocolError("an event's data is not valid JSON", data, nil)
			continue
		}
		var err error
		if data[0] == '[' {
			// The non-SSE framing, or an error wrapped in an array.
			e, _ := jsonwire.ArrayElements(data)
			for chunk, ok := e.Next(); ok && err == nil; chunk, ok = e.Next() {
				err = d.decodeChunk(chunk, data)
			}
		} else {
			err = d.decodeChunk(data, data)
		}
		if err != nil {
			d.queue = d.queue[:0]
			d.err = err
		}
	}
}

// finished reports whether the stream may end here: some chunk arrived and
// every candidate seen has finished, or the prompt was blocked.
func (d *Decoder) finished() bool {
	if d.blocked {
		return true
	}
	any := false
	for _, c := range d.cands {
		if c.seen {
			any = true
			if !c.finished {
				return false
			}
		}
	}
	return any
}

func protocolError(what string, data []byte, cause error) error {
	const max = 200
	if len(data) > max {
		data = data[:max]
	}
	msg := fmt.Sprintf("%s: %q", what, data)
	if cause != nil {
		msg = fmt.Sprintf("%s (%v): %q", what, cause, data)
	}
	return &sluice.Error{Kind: sluice.KindProtocol, Message: msg, Err: cause}
}

func (d *Decoder) push(ev sluice.Event, raw []byte) {
	ev.Raw = raw
	if ev.Extra == nil {
		ev.Extra = d.mark
	}
	d.queue = append(d.queue, ev)
}

func (d *Decoder) cand(i int) *candidate {
	for len(d.cands) <= i {
		d.cands = append(d.cands, candidate{open: -1})
	}
	c := &d.cands[i]
	c.seen = true
	return c
}

// openItem makes kind the open item of choice, closing another one first.
func (d *Decoder) openItem(choice int, kind sluice.ItemKind, raw []byte) int {
	c := d.cand(choice)
	if c.open >= 0 && c.kind == kind {
		return c.open
	}
	d.closeItem(choice, raw)
	c.open, c.kind = d.items, kind
	d.items++
	d.push(sluice.Event{Type: sluice.EventItemStart, Item: c.open, Choice: choice, Kind: kind}, raw)
	return c.open
}

func (d *Decoder) closeItem(choice int, raw []byte) {
	c := d.cand(choice)
	if c.open < 0 {
		return
	}
	d.push(sluice.Event{Type: sluice.EventItemDone, Item: c.open, Choice: choice, Kind: c.kind}, raw)
	c.open = -1
}

// extra returns an Extra holding the overlay members b, or the shared mark.
func (d *Decoder) extra(b []byte) *sluice.Extra {
	if len(b) == 0 {
		return d.mark
	}
	return &sluice.Extra{Protocol: Protocol, Fields: jsonwire.WrapObject(b)}
}

var (
	keyNull        = []byte("null")
	keyCandidates  = []byte("candidates")
	keyContent     = []byte("content")
	keyIndex       = []byte("index")
	keyModel       = []byte("modelVersion")
	keyResponseID  = []byte("responseId")
	keyTotal       = []byte("totalTokenCount")
	keyArgs        = []byte("args")
	keyFunction    = []byte("functionCall")
	keyRole        = []byte("role")
	keyParts       = []byte("parts")
	keyUsage       = []byte("usageMetadata")
	keyPromptBlock = []byte("promptFeedback")
)

// decodeChunk queues the events of one GenerateContentResponse; raw is the
// event's whole data, used as the events' Raw.
func (d *Decoder) decodeChunk(chunk, raw []byte) error {
	if !jsonwire.IsObject(chunk) {
		return protocolError("an event's data is not a JSON object", chunk, nil)
	}
	var cands, feedback, usage, model, id []byte
	hasCands, hasUsage, hasModel, hasID := false, false, false, false
	d.ov = d.ov[:0]
	m, _ := jsonwire.ObjectMembers(chunk)
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		switch string(k) {
		case "candidates":
			cands, hasCands = v, true
		case "promptFeedback":
			feedback = v
			d.ov = jsonwire.AppendMember(d.ov, k, v)
		case "usageMetadata":
			usage, hasUsage = v, true
		case "modelVersion":
			model, hasModel = v, true
		case "responseId":
			id, hasID = v, true
		case "error":
			if !jsonwire.IsNull(v) {
				return rpcError(v, 0)
			}
			d.ov = jsonwire.AppendMember(d.ov, k, v)
		default:
			d.ov = jsonwire.AppendMember(d.ov, k, v)
		}
	}
	if !d.started {
		d.started = true
		ev := sluice.Event{Type: sluice.EventStart}
		if hasID {
			s, err := jsonwire.UnmarshalString(id)
			if err != nil {
				return protocolError("responseId is not a string", chunk, err)
			}
			ev.ID, d.id = s, bytes.Clone(id)
		}
		if hasModel {
			s, err := jsonwire.UnmarshalString(model)
			if err != nil {
				return protocolError("modelVersion is not a string", chunk, err)
			}
			ev.Model, d.model = s, bytes.Clone(model)
		}
		d.push(ev, raw)
	}
	d.keepIfDifferent(keyModel, model, hasModel, d.model)
	d.keepIfDifferent(keyResponseID, id, hasID, d.id)

	d.cov = d.cov[:0]
	keptCands := false
	if hasCands && !jsonwire.IsNull(cands) {
		if v := jsonwire.TrimSpace(cands); len(v) == 0 || v[0] != '[' {
			return protocolError("candidates is not an array", chunk, nil)
		}
		e, _ := jsonwire.ArrayElements(cands)
		n := 0
		for cand, ok := e.Next(); ok; cand, ok = e.Next() {
			d.c = d.c[:0]
			if err := d.decodeCandidate(n, cand, raw); err != nil {
				return err
			}
			if len(d.c) > 0 {
				keptCands = true
			}
			if n > 0 {
				d.cov = append(d.cov, ',')
			}
			d.cov = append(d.cov, '{')
			d.cov = append(d.cov, d.c...)
			d.cov = append(d.cov, '}')
			n++
		}
		if n == 0 {
			d.ov = jsonwire.AppendMember(d.ov, keyCandidates, cands) // an empty array
		}
	} else if hasCands {
		d.ov = jsonwire.AppendMember(d.ov, keyCandidates, cands)
	}
	if keptCands {
		v := make([]byte, 0, len(d.cov)+2)
		v = append(append(append(v, '['), d.cov...), ']')
		d.ov = jsonwire.AppendMember(d.ov, keyCandidates, v)
	}

	if feedback != nil && jsonwire.IsObject(feedback) {
		if br, ok := jsonwire.Lookup(feedback, "blockReason"); ok && !jsonwire.IsNull(br) {
			reason, err := jsonwire.UnmarshalString(br)
			if err != nil {
				return protocolError("promptFeedback.blockReason is not a string", chunk, err)
			}
			if reason != "" {
				d.blocked = true
				d.cand(0)
				d.push(sluice.Event{Type: sluice.EventFinish, Finish: sluice.FinishContentFilter, RawFinish: reason}, raw)
				if !hasCands {
					// The Finish would make the encoder write a candidate.
					d.ov = jsonwire.AppendMember(d.ov, keyCandidates, keyNull)
				}
			}
		}
	}

	u := &sluice.Usage{}
	if hasUsage && !jsonwire.IsNull(usage) {
		if err := d.decodeUsage(usage, u, chunk); err != nil {
			return err
		}
	} else if hasUsage {
		d.ov = jsonwire.AppendMember(d.ov, keyUsage, usage)
	}
	d.push(sluice.Event{Type: sluice.EventUsage, Usage: u, Extra: &sluice.Extra{Protocol: Protocol, Fields: jsonwire.WrapObject(d.ov)}}, raw)
	return nil
}

// keepIfDifferent keeps a chunk's modelVersion or responseId in the overlay
// when it is missing or differs from the first chunk's, which the encoder
// writes on every chunk.
func (d *Decoder) keepIfDifferent(key, v []byte, has bool, first []byte) {
	switch {
	case !has && first != nil:
		d.ov = jsonwire.AppendMember(d.ov, key, keyNull)
	case has && !bytes.Equal(v, first):
		d.ov = jsonwire.AppendMember(d.ov, key, v)
	}
}

func (d *Decoder) decodeCandidate(n int, cand, raw []byte) error {
	if !jsonwire.IsObject(cand) {
		return protocolError("a candidate is not an object", cand, nil)
	}
	var content, finish []byte
	hasContent, hasIndex := false, false
	choice := 0
	m, _ := jsonwire.ObjectMembers(cand)
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		switch string(k) {
		case "content":
			content, hasContent = v, true
		case "finishReason":
			finish = v
		case "index":
			i, err := strconv.Atoi(string(v))
			if err != nil || i < 0 || i > 1<<10 {
				return protocolError("a candidate's index is not a small integer", cand, err)
			}
			choice, hasIndex = i, true
		default:
			d.c = jsonwire.AppendMember(d.c, k, v)
		}
	}
	if !hasIndex {
		d.c = jsonwire.AppendMember(d.c, keyIndex, keyNull)
	}
	c := d.cand(choice)
	before := len(d.queue)
	if !hasContent || jsonwire.IsNull(content) {
		d.c = jsonwire.AppendMember(d.c, keyContent, keyNull)
	} else if err := d.decodeContent(choice, content, raw); err != nil {
		return err
	}
	if finish != nil && !jsonwire.IsNull(finish) {
		reason, err := jsonwire.UnmarshalString(finish)
		if err != nil {
			return protocolError("finishReason is not a string", cand, err)
		}
		d.closeItem(choice, raw)
		c = d.cand(choice)
		c.finished = true
		d.push(sluice.Event{Type: sluice.EventFinish, Choice: choice, Finish: finishReason(reason, c.called), RawFinish: reason}, raw)
	} else if finish != nil {
		d.c = jsonwire.AppendMember(d.c, []byte("finishReason"), finish)
	}
	if len(d.queue) == before {
		d.push(sluice.Event{Type: sluice.EventPassthrough, Name: "candidate", Choice: choice}, cand)
	}
	return nil
}

func (d *Decoder) decodeContent(choice int, content, raw []byte) error {
	if !jsonwire.IsObject(content) {
		return protocolError("a candidate's content is not an object", content, nil)
	}
	d.cnt = d.cnt[:0]
	var parts []byte
	hasRole := false
	m, _ := jsonwire.ObjectMembers(content)
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		switch string(k) {
		case "parts":
			parts = v
		case "role":
			hasRole = true
			if string(v) != `"model"` {
				d.cnt = jsonwire.AppendMember(d.cnt, k, v)
			}
		default:
			d.cnt = jsonwire.AppendMember(d.cnt, k, v)
		}
	}
	if !hasRole {
		d.cnt = jsonwire.AppendMember(d.cnt, keyRole, keyNull)
	}
	if parts != nil && !jsonwire.IsNull(parts) {
		if v := jsonwire.TrimSpace(parts); len(v) == 0 || v[0] != '[' {
			return protocolError("content.parts is not an array", content, nil)
		}
		n := 0
		e, _ := jsonwire.ArrayElements(parts)
		for part, ok := e.Next(); ok; part, ok = e.Next() {
			if err := d.decodePart(choice, part, raw); err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			d.cnt = jsonwire.AppendMember(d.cnt, keyParts, parts) // an empty array
		}
	} else if parts != nil {
		d.cnt = jsonwire.AppendMember(d.cnt, keyParts, parts)
	}
	if len(d.cnt) > 0 {
		d.c = jsonwire.AppendMember(d.c, keyContent, jsonwire.WrapObject(d.cnt))
	}
	return nil
}

func (d *Decoder) decodePart(choice int, part, raw []byte) error {
	if !jsonwire.IsObject(part) {
		return protocolError("a part is not an object", part, nil)
	}
	var text, thought, sigRaw, call []byte
	hasText := false
	other := false // a data member this decoder does not model
	d.part = d.part[:0]
	m, _ := jsonwire.ObjectMembers(part)
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		switch string(k) {
		case "text":
			text, hasText = v, true
		case "thought":
			thought = v
		case "thoughtSignature":
			sigRaw = v
		case "functionCall":
			call = v
		case "inlineData", "fileData", "functionResponse", "executableCode", "codeExecutionResult", "toolCall", "toolResponse":
			other = true
			d.part = jsonwire.AppendMember(d.part, k, v)
		default:
			d.part = jsonwire.AppendMember(d.part, k, v)
		}
	}
	sig := ""
	if sigRaw != nil && !jsonwire.IsNull(sigRaw) {
		s, err := jsonwire.UnmarshalString(sigRaw)
		if err != nil {
			return protocolError("thoughtSignature is not a string", part, err)
		}
		sig = s
	}
	isThought := string(thought) == "true"
	switch {
	case call != nil && !jsonwire.IsNull(call) && !other && !hasText:
		return d.decodeCall(choice, call, sig, part, raw)
	case hasText && !other && call == nil:
		s, err := jsonwire.UnmarshalString(text)
		if err != nil {
			return protocolError("a part's text is not a string", part, err)
		}
		if thought != nil && !isThought {
			d.part = jsonwire.AppendMember(d.part, []byte("thought"), thought)
		}
		if s == "" {
			if sig == "" {
				d.push(sluice.Event{Type: sluice.EventPassthrough, Name: "part", Choice: choice}, part)
				return nil
			}
			// A signature on a part of its own: the event keeps the part
			// without its signature.
			item := d.cand(choice).open
			if item < 0 {
				item = d.openItem(choice, sluice.ItemReasoning, raw)
			}
			d.part = jsonwire.AppendMember(d.part, []byte("text"), text)
			if isThought {
				d.part = jsonwire.AppendMember(d.part, []byte("thought"), thought)
			}
			d.push(sluice.Event{Type: sluice.EventReasoningData, Item: item, Choice: choice, Opaque: sluice.OpaqueThoughtSignature, Text: sig, Extra: d.extra(d.part)}, raw)
			return nil
		}
		kind, typ := sluice.ItemMessage, sluice.EventText
		if isThought {
			kind, typ = sluice.ItemReasoning, sluice.EventReasoning
		}
		item := d.openItem(choice, kind, raw)
		d.push(sluice.Event{Type: typ, Item: item, Choice: choice, Text: s, Summary: isThought, Extra: d.extra(d.part)}, raw)
		if sig != "" {
			d.push(sluice.Event{Type: sluice.EventReasoningData, Item: item, Choice: choice, Opaque: sluice.OpaqueThoughtSignature, Text: sig}, raw)
		}
		return nil
	}
	// A kind of part sluice does not model: an item of its own, kept raw.
	d.closeItem(choice, raw)
	item := d.items
	d.items++
	d.push(sluice.Event{Type: sluice.EventItemStart, Item: item, Choice: choice, Kind: sluice.ItemOther}, part)
	if sig != "" {
		d.push(sluice.Event{Type: sluice.EventReasoningData, Item: item, Choice: choice, Opaque: sluice.OpaqueThoughtSignature, Text: sig}, part)
	}
	d.push(sluice.Event{Type: sluice.EventItemDone, Item: item, Choice: choice, Kind: sluice.ItemOther}, part)
	return nil
}

// decodeCall queues a functionCall part as one whole tool-call item.
func (d *Decoder) decodeCall(choice int, call []byte, sig string, part, raw []byte) error {
	if !jsonwire.IsObject(call) {
		return protocolError("functionCall is not an object", part, nil)
	}
	d.fc = d.fc[:0]
	var name, id string
	var args []byte
	hasArgs := false
	m, _ := jsonwire.ObjectMembers(call)
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		var err error
		switch string(k) {
		case "name":
			name, err = jsonwire.UnmarshalString(v)
		case "id":
			id, err = jsonwire.UnmarshalString(v)
		case "args":
			hasArgs = true
			if jsonwire.IsObject(v) {
				d.args = d.args[:0]
				buf := bytes.NewBuffer(d.args)
				err = json.Compact(buf, v)
				d.args = buf.Bytes()
				args = d.args
			} else {
				d.fc = jsonwire.AppendMember(d.fc, k, v)
			}
		default:
			d.fc = jsonwire.AppendMember(d.fc, k, v)
		}
		if err != nil {
			return protocolError("functionCall."+string(k)+" does not parse", part, err)
		}
	}
	if !hasArgs {
		d.fc = jsonwire.AppendMember(d.fc, keyArgs, keyNull)
	}
	if len(d.fc) > 0 {
		d.part = jsonwire.AppendMember(d.part, keyFunction, jsonwire.WrapObject(d.fc))
	}
	c := d.cand(choice)
	d.closeItem(choice, raw)
	c.called = true
	callID := id
	if callID == "" {
		callID = "call_" + strconv.Itoa(d.calls)
	}
	d.calls++
	item := d.items
	d.items++
	d.push(sluice.Event{Type: sluice.EventItemStart, Item: item, Choice: choice, Kind: sluice.ItemToolCall, ID: id, CallID: callID, Name: name, Extra: d.extra(d.part)}, raw)
	if len(args) > 0 {
		d.push(sluice.Event{Type: sluice.EventToolCall, Item: item, Choice: choice, Text: string(args)}, raw)
	}
	if sig != "" {
		d.push(sluice.Event{Type: sluice.EventReasoningData, Item: item, Choice: choice, Opaque: sluice.OpaqueThoughtSignature, Text: sig}, raw)
	}
	d.push(sluice.Event{Type: sluice.EventItemDone, Item: item, Choice: choice, Kind: sluice.ItemToolCall}, raw)
	return nil
}

// decodeUsage normalises usageMetadata into u and keeps what the encoder
// cannot recompute in the chunk overlay.
func (d *Decoder) decodeUsage(usage []byte, u *sluice.Usage, chunk []byte) error {
	if !jsonwire.IsObject(usage) {
		return protocolError("usageMetadata is not an object", chunk, nil)
	}
	d.uov = d.uov[:0]
	var prompt, cached, cands, thoughts, tool, total int64
	var totalRaw []byte
	m, _ := jsonwire.ObjectMembers(usage)
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		var dst *int64
		switch string(k) {
		case "promptTokenCount":
			dst = &prompt
		case "cachedContentTokenCount":
			dst = &cached
		case "candidatesTokenCount":
			dst = &cands
		case "thoughtsTokenCount":
			dst = &thoughts
		case "toolUsePromptTokenCount":
			dst = &tool
			d.uov = jsonwire.AppendMember(d.uov, k, v) // the encoder needs it to split Input
		case "totalTokenCount":
			dst, totalRaw = &total, v
		default:
			d.uov = jsonwire.AppendMember(d.uov, k, v)
			continue
		}
		if jsonwire.IsNull(v) {
			d.uov = jsonwire.AppendMember(d.uov, k, v)
			continue
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || n < 0 {
			return protocolError("usageMetadata."+string(k)+" is not a count", chunk, err)
		}
		*dst = n
		if n == 0 && dst != &total && dst != &tool {
			// proto3 omits zeros; this one was sent
			d.uov = jsonwire.AppendMember(d.uov, k, v)
		}
	}
	// The encoder writes totalTokenCount as the sum when that is not zero.
	sum := prompt + cands + thoughts + tool
	switch {
	case totalRaw == nil:
		if sum > 0 {
			d.uov = jsonwire.AppendMember(d.uov, keyTotal, keyNull)
		}
	case jsonwire.IsNull(totalRaw): // kept above
	case total != sum || total == 0:
		d.uov = jsonwire.AppendMember(d.uov, keyTotal, totalRaw)
	}
	u.Input = sluice.ReportedCount(prompt - cached + tool)
	u.CacheRead = sluice.ReportedCount(cached)
	u.Output = sluice.ReportedCount(cands + thoughts)
	u.Reasoning = sluice.ReportedCount(thoughts)
	if len(d.uov) > 0 {
		d.ov = jsonwire.AppendMember(d.ov, keyUsage, jsonwire.WrapObject(d.uov))
	}
	return nil
}

// finishReason normalises a Gemini finishReason.
func finishReason(raw string, called bool) sluice.FinishReason {
	switch raw {
	case "STOP":
		if called {
			return sluice.FinishToolCalls
		}
		return sluice.FinishStop
	case "MAX_TOKENS":
		return sluice.FinishLength
	case "SAFETY", "RECITATION", "LANGUAGE", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return sluice.FinishContentFilter
	}
	return sluice.FinishError
}
