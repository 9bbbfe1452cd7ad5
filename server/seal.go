package server

import (
	"context"
	"strings"

	"github.com/sluicehq/sluice"
)

// Opaque reasoning data (Anthropic signatures, OpenAI encrypted content,
// Gemini thought signatures) must reach the provider that issued it again
// on the next turn of a tool loop, or the provider rejects the turn. A
// client only sends back what its own API has a field for, so each
// frontend puts another provider's data, sealed with [sluice.Seal], where
// its client will echo it:
//
//	/v1/responses         a reasoning item's encrypted_content (the
//	                      responses Encoder does it itself)
//	/v1/messages          a thinking block's signature
//	/v1/chat/completions  the id of the turn's next tool call, after a
//	                      '.' (chat has no field for reasoning data, and
//	                      only a turn that calls a tool needs it back)
//
// and every frontend unseals what comes back before routing
// ([sluice.UnsealRequest], [unsealCallIDs]). Data of the frontend's own
// protocol from a provider of that protocol is left as it is.

// sealMode says where a frontend puts sealed data.
type sealMode uint8

const (
	sealSignature sealMode = iota + 1 // Anthropic thinking signatures
	sealCallID                        // chat tool call ids
)

// callSealSep separates a tool call id from the sealed data appended to it.
const callSealSep = "." + sluice.SealPrefix

// sealer rewrites one stream's opaque reasoning data for a frontend. It
// renumbers items when it adds one (a reasoning item for data that rode on
// a tool call), so the frontend's encoder sees a well-formed stream.
type sealer struct {
	provider string
	mode     sealMode
	// holdCalls makes the chat frontend hold each tool call until it is
	// done (see chat).
	holdCalls bool

	shift   int
	kinds   []sluice.ItemKind // by item; 0 for an item not started
	texts   map[int]*strings.Builder
	calls   map[int]string  // tool call item → call id
	pending []sluice.Sealed // chat: data waiting for the turn's next call
	held    []sluice.Event  // chat: the tool call being held until done
	out     []sluice.Event
}

// newSealer returns a sealer of one stream from provider. holdCalls is for
// sealCallID: true when the provider may put opaque data on a tool call
// itself ([signsCalls]), or when the whole response is at hand anyway.
func newSealer(provider string, mode sealMode, holdCalls bool) *sealer {
	return &sealer{provider: provider, mode: mode, holdCalls: holdCalls,
		texts: map[int]*strings.Builder{}, calls: map[int]string{}}
}

// apply returns the events to encode for ev, valid until the next call.
// They are built in s.out, whose array is reused from event to event.
func (s *sealer) apply(ev *sluice.Event) []sluice.Event {
	s.out = s.rewrite(ev)
	return s.out
}

// rewrite builds apply's events from s.out[:0]; it and its helpers return
// s.out extended, which apply keeps.
func (s *sealer) rewrite(ev *sluice.Event) []sluice.Event {
	s.out = s.out[:0]
	e := *ev
	if e.Type.IsContent() || e.Type == sluice.EventItemStart || e.Type == sluice.EventItemDone || e.Type == sluice.EventReasoningData {
		if e.Type == sluice.EventItemStart {
			s.setKind(e.Item, e.Kind)
			if e.Kind == sluice.ItemToolCall {
				s.calls[e.Item] = e.CallID
			}
		}
		if e.Type == sluice.EventReasoning {
			b := s.texts[e.Item]
			if b == nil {
				b = &strings.Builder{}
				s.texts[e.Item] = b
			}
			b.WriteString(e.Text)
		}
		if s.mode == sealCallID {
			return s.chat(e)
		}
		return s.signature(e)
	}
	if s.mode == sealCallID && len(s.held) > 0 && (e.Type == sluice.EventFinish || e.Type == sluice.EventError) {
		s.release()
	}
	return append(s.out, e)
}

// kindOf returns the kind item started with, 0 if it did not start. It is
// asked for every event, so kinds is a slice: item indices are assigned by
// the decoders in arrival order from 0, never read from the wire.
func (s *sealer) kindOf(item int) sluice.ItemKind {
	if item < 0 || item >= len(s.kinds) {
		return 0
	}
	return s.kinds[item]
}

func (s *sealer) setKind(item int, k sluice.ItemKind) {
	if item < 0 {
		return
	}
	for len(s.kinds) <= item {
		s.kinds = append(s.kinds, 0)
	}
	s.kinds[item] = k
}

func (s *sealer) text(item int) string {
	if b := s.texts[item]; b != nil {
		return b.String()
	}
	return ""
}

// sealed packs one datum of item with what it needs to come back.
func (s *sealer) sealed(e sluice.Event) sluice.Sealed {
	return sluice.Sealed{Opaque: []sluice.Opaque{{Provider: s.provider, Kind: e.Opaque, Data: e.Text}}}
}

// signature handles a stream for the Anthropic frontend.
func (s *sealer) signature(e sluice.Event) []sluice.Event {
	orig := e.Item
	e.Item += s.shift
	if e.Type != sluice.EventReasoningData {
		return append(s.out, e)
	}
	sd := s.sealed(e)
	if kind := s.kindOf(orig); kind != 0 && kind != sluice.ItemReasoning && kind != sluice.ItemOther {
		// Data on a call or a message: a thinking block of its own after it.
		if kind == sluice.ItemToolCall {
			sd.CallID = s.callIDOf(orig)
		}
		s.shift++
		n := orig + s.shift
		return append(s.out,
			sluice.Event{Type: sluice.EventItemStart, Item: n, Kind: sluice.ItemReasoning},
			sluice.Event{Type: sluice.EventReasoningData, Item: n, Opaque: sluice.OpaqueSignature, Text: sluice.Seal(sd)},
			sluice.Event{Type: sluice.EventItemDone, Item: n, Kind: sluice.ItemReasoning})
	}
	sd.Text = s.text(orig)
	e.Opaque, e.Text = sluice.OpaqueSignature, sluice.Seal(sd)
	return append(s.out, e)
}

// callIDOf returns the call id of a tool call item.
func (s *sealer) callIDOf(item int) string { return s.calls[item] }

// chat handles a stream for the chat frontend, whose one field a client
// echoes is a tool call's id. Data that came before a call (an Anthropic
// thinking signature, an OpenAI reasoning item's encrypted content) is
// sealed into the id of the turn's next call as that call starts, and the
// call's argument fragments stream on as they arrive. Data that rides on a
// call itself (a Gemini thought signature) comes after the call's id has
// gone out, so with holdCalls every call is held until it is done and
// written whole, the data in its id; Gemini sends a call whole in one
// chunk, so the hold delays nothing there. Should data arrive on a call
// that was already streamed, it goes into the next call's id, naming its
// own call, and unsealCallIDs puts it back on that call; with no call
// after it, it is lost, as chat has nowhere else to put it.
func (s *sealer) chat(e sluice.Event) []sluice.Event {
	isCall := s.kindOf(e.Item) == sluice.ItemToolCall
	if len(s.held) > 0 && (!isCall || e.Item != s.held[0].Item) {
		s.release()
	}
	switch {
	case e.Type == sluice.EventReasoningData:
		sd := s.sealed(e)
		if isCall {
			sd.CallID = s.calls[e.Item]
		} else {
			sd.Text = s.text(e.Item)
		}
		s.pending = append(s.pending, sd)
		return s.out
	case isCall && s.holdCalls:
		s.held = append(s.held, e)
		if e.Type == sluice.EventItemDone {
			s.release()
		}
		return s.out
	case isCall && e.Type == sluice.EventItemStart:
		e.CallID += s.takePending()
	}
	return append(s.out, e)
}

// takePending returns the pending data sealed as a call id suffix, and
// clears it.
func (s *sealer) takePending() string {
	if len(s.pending) == 0 {
		return ""
	}
	var b strings.Builder
	for _, sd := range s.pending {
		b.WriteByte('.')
		b.WriteString(sluice.Seal(sd))
	}
	s.pending = s.pending[:0]
	return b.String()
}

// release writes the held tool call, its id carrying the pending data.
func (s *sealer) release() {
	if len(s.held) == 0 {
		return
	}
	if suffix := s.takePending(); suffix != "" {
		for i := range s.held {
			if s.held[i].Type == sluice.EventItemStart {
				s.held[i].CallID += suffix
			}
		}
	}
	s.out = append(s.out, s.held...)
	s.held = s.held[:0]
}

// unsealCallIDs undoes what the chat frontend did to tool call ids: each
// call gets its own id back, the data sealed in it goes back on the call it
// rode on (Gemini; found by its id in the same message, else the call that
// carried it) or as reasoning before the call that carried it, and tool
// results quote the own id. It reports whether it changed anything.
func unsealCallIDs(req *sluice.Request) bool {
	changed := false
	// onCall is data that rode on a call: its call's id, and the id of the
	// call that carried it.
	type onCall struct {
		sd      sluice.Sealed
		carrier string
	}
	var bound []onCall
	for mi := range req.Messages {
		m := &req.Messages[mi]
		if !hasSealedCall(m.Content) {
			// Most messages carry no sealed id: they are kept as they
			// are rather than copied part by part.
			continue
		}
		var parts []sluice.Part
		bound = bound[:0]
		for _, p := range m.Content {
			id, rest, ok := strings.Cut(p.CallID, callSealSep)
			if !ok || (p.Type != sluice.PartToolCall && p.Type != sluice.PartToolResult) {
				parts = append(parts, p)
				continue
			}
			changed = true
			p.CallID = id
			if p.Type == sluice.PartToolResult {
				parts = append(parts, p)
				continue
			}
			for _, seg := range strings.Split(sluice.SealPrefix+rest, "."+sluice.SealPrefix) {
				if !strings.HasPrefix(seg, sluice.SealPrefix) {
					seg = sluice.SealPrefix + seg
				}
				sd, ok := sluice.Unseal(seg)
				if !ok {
					continue
				}
				if sd.CallID != "" {
					bound = append(bound, onCall{sd: sd, carrier: id})
					continue
				}
				parts = append(parts, sluice.Part{Type: sluice.PartReasoning, Text: sd.Text, Opaque: sd.Opaque})
			}
			parts = append(parts, p)
		}
		for _, b := range bound {
			i := callIndex(parts, b.sd.CallID)
			if i < 0 {
				i = callIndex(parts, b.carrier)
			}
			if i >= 0 {
				parts[i].Opaque = append(parts[i].Opaque, b.sd.Opaque...)
			}
		}
		m.Content = parts
	}
	return changed
}

// hasSealedCall reports whether a tool call or result in parts has an id the
// chat frontend sealed data in.
func hasSealedCall(parts []sluice.Part) bool {
	for _, p := range parts {
		if (p.Type == sluice.PartToolCall || p.Type == sluice.PartToolResult) && strings.Contains(p.CallID, callSealSep) {
			return true
		}
	}
	return false
}

// callIndex returns the index of the tool call with id in parts, or -1.
func callIndex(parts []sluice.Part, id string) int {
	for i, p := range parts {
		if p.Type == sluice.PartToolCall && p.CallID == id {
			return i
		}
	}
	return -1
}

// sealingFrontend seals a stream's opaque data on its way to a frontend.
type sealingFrontend struct {
	frontend
	s *sealer
}

func (f *sealingFrontend) Encode(ev *sluice.Event, seq uint64) error {
	// By index: a range variable's address would move every event to the
	// heap.
	out := f.s.apply(ev)
	for i := range out {
		if err := f.frontend.Encode(&out[i], seq); err != nil {
			return err
		}
	}
	return nil
}

func (f *sealingFrontend) Finish(res *sluice.Result, seq uint64) error {
	out := f.s.flush()
	for i := range out {
		if err := f.frontend.Encode(&out[i], seq); err != nil {
			return err
		}
	}
	return f.frontend.Finish(res, seq)
}

// flush returns what is still held at the end of a stream.
func (s *sealer) flush() []sluice.Event {
	s.out = s.out[:0]
	s.release()
	return s.out
}

// sealResult returns res with its opaque data sealed as the frontend's
// stream would have sealed it, for a non-streaming reply built from a
// Result. A result without opaque data is returned as it is.
func sealResult(res *sluice.Result, provider string, mode sealMode) sluice.Result {
	has := false
	for _, it := range res.Items {
		has = has || len(it.Opaque) > 0
	}
	if !has {
		return *res
	}
	// The whole response is at hand: holding calls costs nothing.
	s := newSealer(provider, mode, true)
	var evs []sluice.Event
	add := func(ev sluice.Event) {
		for _, e := range s.apply(&ev) {
			evs = append(evs, e)
		}
	}
	for _, it := range res.Items {
		add(sluice.Event{Type: sluice.EventItemStart, Item: it.Index, Choice: it.Choice, Kind: it.Kind, ID: it.ID, CallID: it.CallID, Name: it.Name})
		switch it.Kind {
		case sluice.ItemMessage:
			add(sluice.Event{Type: sluice.EventText, Item: it.Index, Choice: it.Choice, Text: it.Text})
			if it.Refusal != "" {
				add(sluice.Event{Type: sluice.EventRefusal, Item: it.Index, Choice: it.Choice, Text: it.Refusal})
			}
		case sluice.ItemReasoning:
			if it.Text != "" {
				add(sluice.Event{Type: sluice.EventReasoning, Item: it.Index, Choice: it.Choice, Text: it.Text})
			}
			if it.Summary != "" {
				add(sluice.Event{Type: sluice.EventReasoning, Item: it.Index, Choice: it.Choice, Text: it.Summary, Summary: true})
			}
		case sluice.ItemToolCall:
			add(sluice.Event{Type: sluice.EventToolCall, Item: it.Index, Choice: it.Choice, Text: it.Text})
		}
		for _, o := range it.Opaque {
			add(sluice.Event{Type: sluice.EventReasoningData, Item: it.Index, Choice: it.Choice, Opaque: o.Kind, Text: o.Data})
		}
		add(sluice.Event{Type: sluice.EventItemDone, Item: it.Index, Choice: it.Choice, Kind: it.Kind})
	}
	evs = append(evs, s.flush()...)
	st := sluice.NewStream(context.Background(), sluice.StreamConfig{Provider: res.Provider, Model: res.Model, Decoder: sluice.EventsDecoder(evs)})
	for range st.Events() {
	}
	out := st.Result()
	out.ID, out.Usage, out.Finish, out.RawFinish, out.Metrics = res.ID, res.Usage, res.Finish, res.RawFinish, res.Metrics
	out.Partial, out.Err = res.Partial, res.Err
	return out
}
