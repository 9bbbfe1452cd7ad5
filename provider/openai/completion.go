package openai

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"slices"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// CompletionFromResult returns the chat.completion JSON object a
// non-streaming request ("stream": false) answers with, built from a
// finished stream's Result: one choice per choice index among its items,
// each with message.content (null when there is no text), refusal (null when
// none), reasoning_content (when there was reasoning, raw or summary; as the
// compatible servers send it), tool_calls, and the finish_reason; then
// usage, with prompt_tokens counting cached tokens and the *_details objects
// when the counts are known (a count the provider did not report is written
// as its estimate, or 0, since clients expect numbers). id empty picks a
// random "chatcmpl-" id. The JSON is indented by two spaces, as OpenAI sends
// it.
func CompletionFromResult(res *sluice.Result, id string, created int64) ([]byte, error) {
	if res == nil {
		return nil, badRequest("no result to write", "pass the Result of a finished stream")
	}
	if id == "" {
		id = "chatcmpl-" + rand.Text()
	}
	type choiceAcc struct {
		index                       int
		text, reasoning, summary    strings.Builder
		refusal                     strings.Builder
		calls                       []sluice.Item
		hasText, hasRefusal, hasAny bool
	}
	var choices []*choiceAcc
	get := func(index int) *choiceAcc {
		for _, c := range choices {
			if c.index == index {
				return c
			}
		}
		c := &choiceAcc{index: index}
		choices = append(choices, c)
		return c
	}
	for _, it := range res.Items {
		c := get(it.Choice)
		switch it.Kind {
		case sluice.ItemMessage:
			c.text.WriteString(it.Text)
			c.refusal.WriteString(it.Refusal)
			c.hasText = c.hasText || it.Text != ""
			c.hasRefusal = c.hasRefusal || it.Refusal != ""
		case sluice.ItemReasoning:
			c.reasoning.WriteString(it.Text)
			c.summary.WriteString(it.Summary)
		case sluice.ItemToolCall:
			c.calls = append(c.calls, it)
		}
	}
	if len(choices) == 0 {
		get(0)
	}
	slices.SortStableFunc(choices, func(a, b *choiceAcc) int { return a.index - b.index })
	finish := finishFor(&sluice.Event{Finish: res.Finish, RawFinish: res.RawFinish}, false)

	b := []byte(`{"id":`)
	b = jsonwire.AppendString(b, id)
	b = append(b, `,"object":"chat.completion","created":`...)
	b = appendInt(b, created)
	b = append(b, `,"model":`...)
	b = jsonwire.AppendString(b, res.Model)
	b = append(b, `,"choices":[`...)
	for i, c := range choices {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"index":`...)
		b = appendInt(b, int64(c.index))
		b = append(b, `,"message":{"role":"assistant","content":`...)
		switch {
		case c.hasText:
			b = jsonwire.AppendString(b, c.text.String())
		case len(c.calls) > 0 || c.hasRefusal:
			b = append(b, "null"...)
		default:
			b = append(b, `""`...)
		}
		b = append(b, `,"refusal":`...)
		if c.hasRefusal {
			b = jsonwire.AppendString(b, c.refusal.String())
		} else {
			b = append(b, "null"...)
		}
		reasoning := c.reasoning.String()
		if reasoning == "" {
			reasoning = c.summary.String()
		}
		if reasoning != "" {
			b = append(b, `,"reasoning_content":`...)
			b = jsonwire.AppendString(b, reasoning)
		}
		if len(c.calls) > 0 {
			b = append(b, `,"tool_calls":[`...)
			for j, it := range c.calls {
				if j > 0 {
					b = append(b, ',')
				}
				callID := it.CallID
				if callID == "" {
					callID = it.ID
				}
				b = append(b, `{"id":`...)
				b = jsonwire.AppendString(b, callID)
				b = append(b, `,"type":"function","function":{"name":`...)
				b = jsonwire.AppendString(b, it.Name)
				b = append(b, `,"arguments":`...)
				b = jsonwire.AppendString(b, it.Arguments())
				b = append(b, "}}"...)
			}
			b = append(b, ']')
		}
		b = append(b, `},"logprobs":null,"finish_reason":`...)
		b = jsonwire.AppendString(b, finish)
		b = append(b, '}')
	}
	b = append(b, `],"usage":`...)
	b = appendUsage(b, &res.Usage, nil)
	b = append(b, '}')
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// ParseCompletion reads a chat.completion object, the reply to a request
// with "stream": false (or from a server that ignored "stream": true), into
// the events the same reply would have streamed: EventStart, then for each
// choice its reasoning, message and tool-call items (each opened, filled in
// one delta and closed) and its EventFinish, then EventUsage. A body whose
// top level holds an error is returned as that *sluice.Error.
func ParseCompletion(body []byte) ([]sluice.Event, error) {
	if !jsonwire.ValidObject(body) {
		return nil, protocolError("a completion is not a JSON object", body)
	}
	if v, ok := jsonwire.Lookup(body, "error"); ok && !jsonwire.IsNull(v) {
		return nil, streamError(body)
	}
	var scratch []byte
	str := func(obj []byte, key string) string {
		v, _ := jsonwire.Lookup(obj, key)
		return stringValue(v, &scratch)
	}
	start := sluice.Event{Type: sluice.EventStart, ID: str(body, "id"), Model: str(body, "model")}
	if c, ok := jsonwire.Lookup(body, "created"); ok {
		if _, ok := intValue(c); ok {
			start.Extra = &sluice.Extra{Protocol: Protocol, Fields: append(append([]byte(`{"created":`), c...), '}')}
		}
	}
	evs := []sluice.Event{start}
	item := 0
	open := func(choice int, kind sluice.ItemKind, ev sluice.Event) {
		evs = append(evs, sluice.Event{Type: sluice.EventItemStart, Item: item, Choice: choice, Kind: kind, ID: ev.ID, CallID: ev.CallID, Name: ev.Name})
		if ev.Type != 0 {
			ev.Item, ev.Choice = item, choice
			evs = append(evs, ev)
		}
	}
	done := func(choice int, kind sluice.ItemKind) {
		evs = append(evs, sluice.Event{Type: sluice.EventItemDone, Item: item, Choice: choice, Kind: kind})
		item++
	}
	chs, _ := jsonwire.Lookup(body, "choices")
	it, ok := jsonwire.ArrayElements(chs)
	if !ok && chs != nil && !jsonwire.IsNull(chs) {
		return nil, protocolError("choices is not an array", body)
	}
	for el, ok := it.Next(); ok; el, ok = it.Next() {
		idx, _ := jsonwire.Lookup(el, "index")
		n, _ := intValue(idx)
		choice := int(n)
		msg, _ := jsonwire.Lookup(el, "message")
		reasoning := str(msg, "reasoning_content")
		if reasoning == "" {
			reasoning = str(msg, "reasoning")
		}
		if reasoning != "" {
			open(choice, sluice.ItemReasoning, sluice.Event{Type: sluice.EventReasoning, Text: reasoning})
			done(choice, sluice.ItemReasoning)
		}
		content, refusal := str(msg, "content"), str(msg, "refusal")
		if content != "" || refusal != "" {
			open(choice, sluice.ItemMessage, sluice.Event{})
			if content != "" {
				evs = append(evs, sluice.Event{Type: sluice.EventText, Item: item, Choice: choice, Text: content})
			}
			if refusal != "" {
				evs = append(evs, sluice.Event{Type: sluice.EventRefusal, Item: item, Choice: choice, Text: refusal})
			}
			done(choice, sluice.ItemMessage)
		}
		calls, _ := jsonwire.Lookup(msg, "tool_calls")
		ct, _ := jsonwire.ArrayElements(calls)
		for call, ok := ct.Next(); ok; call, ok = ct.Next() {
			fn, _ := jsonwire.Lookup(call, "function")
			id := str(call, "id")
			open(choice, sluice.ItemToolCall, sluice.Event{ID: id, CallID: id, Name: str(fn, "name")})
			if args := str(fn, "arguments"); args != "" {
				evs = append(evs, sluice.Event{Type: sluice.EventToolCall, Item: item, Choice: choice, Text: args})
			}
			done(choice, sluice.ItemToolCall)
		}
		if raw := str(el, "finish_reason"); raw != "" {
			evs = append(evs, sluice.Event{Type: sluice.EventFinish, Choice: choice, Finish: normalizeFinish(raw), RawFinish: raw})
		}
	}
	if u, ok := jsonwire.Lookup(body, "usage"); ok {
		if _, isObj := jsonwire.ObjectMembers(u); isObj {
			usage := readUsage(u).usage()
			evs = append(evs, sluice.Event{Type: sluice.EventUsage, Usage: &usage})
		}
	}
	return evs, nil
}
