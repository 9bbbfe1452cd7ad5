package sluice

import "strings"

// Item is one output item of a response, assembled from its events.
type Item struct {
	Index  int      `json:"index"`
	Choice int      `json:"choice,omitempty"`
	Kind   ItemKind `json:"kind"`
	ID     string   `json:"id,omitempty"`
	CallID string   `json:"call_id,omitempty"`
	Name   string   `json:"name,omitempty"`
	// Text is the message text, the raw reasoning, or the tool call's
	// arguments.
	Text string `json:"text,omitempty"`
	// Summary is the reasoning summary, when the provider sends one.
	Summary string `json:"summary,omitempty"`
	Refusal string `json:"refusal,omitempty"`
	// Opaque is the item's provider-issued reasoning data, in arrival order.
	Opaque []Opaque `json:"opaque,omitempty"`
	// Done is true once the provider closed the item.
	Done bool `json:"done"`
}

// ToolCall is a complete tool call.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Result is what a stream produced, valid at any point and complete once the
// stream has ended: everything received so far is kept even when an error or a
// cancel ended the stream, in which case Partial is true.
type Result struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
	// ID is the provider's response id.
	ID string `json:"id,omitempty"`
	// Items are the output items in arrival order.
	Items []Item `json:"items"`
	// Text is the message text of choice 0.
	Text string `json:"text"`
	// Reasoning is the reasoning text of choice 0 (raw thinking, or the
	// summary when that is all the provider sent).
	Reasoning string       `json:"reasoning,omitempty"`
	ToolCalls []ToolCall   `json:"tool_calls,omitempty"`
	Finish    FinishReason `json:"finish_reason"`
	RawFinish string       `json:"raw_finish_reason,omitempty"`
	Usage     Usage        `json:"usage"`
	Metrics   Metrics      `json:"metrics"`
	// Partial is true when an error or a cancel ended the stream.
	Partial bool   `json:"partial"`
	Err     *Error `json:"error,omitempty"`
}

// Message returns the assistant turn to send back with the next request:
// reasoning with its opaque data, text and tool calls of choice 0, in order.
// Sending it back unchanged is what keeps a provider's thinking signatures
// valid across a tool loop.
func (r *Result) Message() Message {
	m := Message{Role: RoleAssistant}
	for _, it := range r.Items {
		if it.Choice != 0 {
			continue
		}
		switch it.Kind {
		case ItemReasoning:
			text := it.Text
			if text == "" {
				text = it.Summary
			}
			m.Content = append(m.Content, Part{Type: PartReasoning, Text: text, Opaque: it.Opaque})
		case ItemMessage:
			if it.Text != "" || len(it.Opaque) > 0 {
				m.Content = append(m.Content, Part{Type: PartText, Text: it.Text, Opaque: it.Opaque})
			}
		case ItemToolCall:
			// Gemini signs function calls themselves; the signature must ride
			// back on the same part.
			m.Content = append(m.Content, Part{Type: PartToolCall, CallID: it.CallID, Name: it.Name, Arguments: it.Arguments(), Opaque: it.Opaque})
		}
	}
	return m
}

// Arguments returns a tool call item's arguments, "{}" when it streamed none.
func (it Item) Arguments() string {
	if strings.TrimSpace(it.Text) == "" {
		return "{}"
	}
	return it.Text
}

// itemAcc accumulates one item's deltas without re-copying strings per event.
type itemAcc struct {
	item                   Item
	text, summary, refusal strings.Builder
	// gotText is true once a text delta arrived: the item's text is then
	// part of Result.Text, whatever kind the item was opened with (a
	// signature may open a Gemini text item before its text).
	gotText bool
}

// accumulator builds a Result from events. Result.Text is not kept apart:
// it is made from the message items of choice 0 when asked for, so a
// response's text is held once while it streams.
type accumulator struct {
	res   Result
	items []*itemAcc
}

func (a *accumulator) itemFor(ev *Event, kind ItemKind) *itemAcc {
	for len(a.items) <= ev.Item {
		a.items = append(a.items, nil)
	}
	it := a.items[ev.Item]
	if it == nil {
		it = &itemAcc{item: Item{Index: ev.Item, Choice: ev.Choice, Kind: kind}}
		a.items[ev.Item] = it
	}
	return it
}

func (a *accumulator) add(provider string, ev *Event) {
	switch ev.Type {
	case EventStart:
		if ev.ID != "" {
			a.res.ID = ev.ID
		}
		if ev.Model != "" {
			a.res.Model = ev.Model
		}
	case EventItemStart:
		it := a.itemFor(ev, ev.Kind)
		it.item.Kind = ev.Kind
		it.item.ID, it.item.CallID, it.item.Name = ev.ID, ev.CallID, ev.Name
	case EventItemDone:
		a.itemFor(ev, ev.Kind).item.Done = true
	case EventText:
		it := a.itemFor(ev, ItemMessage)
		it.gotText = true
		appendText(&it.text, ev.Text)
	case EventRefusal:
		a.itemFor(ev, ItemMessage).refusal.WriteString(ev.Text)
	case EventReasoning:
		it := a.itemFor(ev, ItemReasoning)
		if ev.Summary {
			it.summary.WriteString(ev.Text)
		} else {
			it.text.WriteString(ev.Text)
		}
	case EventToolCall:
		a.itemFor(ev, ItemToolCall).text.WriteString(ev.Text)
	case EventReasoningData:
		// Opaque data belongs to the item it arrived on: a reasoning item for
		// Anthropic and OpenAI, possibly a text or tool-call item for Gemini.
		it := a.itemFor(ev, ItemReasoning)
		it.item.Opaque = append(it.item.Opaque, Opaque{Provider: provider, Kind: ev.Opaque, Data: ev.Text})
	case EventUsage:
		if ev.Usage != nil {
			a.res.Usage = a.res.Usage.Merge(*ev.Usage)
		}
	case EventFinish:
		if ev.Choice == 0 || a.res.Finish == "" {
			a.res.Finish, a.res.RawFinish = ev.Finish, ev.RawFinish
		}
	}
}

// firstTextSize is the room a text builder starts with, so that a
// response's first deltas do not regrow it at every few bytes.
const firstTextSize = 256

// appendText appends s to b, starting it at firstTextSize.
func appendText(b *strings.Builder, s string) {
	if b.Cap() == 0 {
		b.Grow(max(firstTextSize, len(s)))
	}
	b.WriteString(s)
}

// result materialises the accumulated Result.
func (a *accumulator) result() Result {
	r := a.res
	r.Items = make([]Item, 0, len(a.items))
	r.ToolCalls = nil
	var text, reasoning, summary strings.Builder
	texts := 0
	for _, acc := range a.items {
		if acc == nil {
			continue
		}
		it := acc.item
		it.Text, it.Summary, it.Refusal = acc.text.String(), acc.summary.String(), acc.refusal.String()
		r.Items = append(r.Items, it)
		if it.Choice != 0 {
			continue
		}
		if acc.gotText {
			// One message item is the usual case: its text is the
			// Result's, shared rather than copied.
			if texts++; texts == 1 {
				r.Text = it.Text
			} else {
				if texts == 2 {
					text.WriteString(r.Text)
				}
				text.WriteString(it.Text)
			}
		}
		switch it.Kind {
		case ItemReasoning:
			reasoning.WriteString(it.Text)
			summary.WriteString(it.Summary)
		case ItemToolCall:
			r.ToolCalls = append(r.ToolCalls, ToolCall{ID: it.CallID, Name: it.Name, Arguments: it.Arguments()})
		}
	}
	if texts > 1 {
		r.Text = text.String()
	}
	r.Reasoning = reasoning.String()
	if r.Reasoning == "" {
		r.Reasoning = summary.String()
	}
	return r
}
