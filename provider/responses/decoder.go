package responses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
	"github.com/sluicehq/sluice/sse"
)

// Decoder reads a Responses event stream and returns sluice events. It
// implements [sluice.Decoder]:
//
//   - response.created gives EventStart (ID, Model); response.queued and
//     response.in_progress are skipped;
//   - each output item is one sluice item, numbered in arrival order:
//     output_item.added gives EventItemStart (message → ItemMessage,
//     reasoning → ItemReasoning, function_call and custom_tool_call →
//     ItemToolCall, anything else → ItemOther with Name = its type and Raw
//     the event) and output_item.done gives EventItemDone, after a
//     reasoning item's encrypted_content as EventReasoningData
//     (OpaqueEncrypted);
//   - output_text, refusal, reasoning_summary_text, reasoning_text and
//     function_call_arguments deltas give EventText, EventRefusal,
//     EventReasoning (Summary for summaries; a new summary part after the
//     first is separated by a blank line) and EventToolCall. A custom tool
//     call's input is streamed as the arguments {"input": "…"} of the
//     one-string-parameter function it stands for. When an item's .done
//     event or output_item.done carries text that no delta did, it is
//     given as one delta then;
//   - response.completed gives EventUsage and EventFinish (tool_calls when
//     the response called a tool, else stop); response.incomplete gives
//     them with length (max_output_tokens) or content_filter; after either
//     Next returns io.EOF, and EOF before one of them is KindTruncated;
//   - response.failed and an error event (flat or nested) are returned as a
//     *sluice.Error whose Kind follows the code (rate_limit_exceeded,
//     context_length_exceeded, insufficient_quota, server_is_overloaded, …),
//     with RetryAfter read from "try again in N s" in the message;
//   - the other .done events and content_part events are skipped, since
//     the deltas already said what they say; unknown event types come out
//     as EventPassthrough (Name = the type, Raw = the payload, Extra of
//     Protocol "responses"), which this package's Encoder writes back.
//
// Usage is normalised: input_tokens count cached tokens, sluice's Input
// does not.
type Decoder struct {
	sse   *sse.Decoder
	queue []sluice.Event
	qi    int

	items  []decItem
	byOut  map[int]int // output_index → item
	called bool        // a tool call item was seen
	done   bool
	err    error
	extra  *sluice.Extra
}

// decItem is what the decoder remembers about one output item.
type decItem struct {
	kind    sluice.ItemKind
	typ     string // the wire item type
	custom  bool   // a custom tool call, streamed as {"input": "…"}
	deltas  bool   // a delta was given
	opened  bool   // a custom call's `{"input":"` was given
	summary int    // summary parts seen
	closed  bool
}

// NewDecoder returns a Decoder reading the event stream r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{sse: sse.NewDecoder(r), byOut: map[int]int{}, extra: &sluice.Extra{Protocol: Protocol}}
}

// Next returns the next event. After the stream's end it returns io.EOF, or
// the error that ended it, on every call.
func (d *Decoder) Next() (sluice.Event, error) {
	for {
		if d.qi < len(d.queue) {
			ev := d.queue[d.qi]
			d.qi++
			return ev, nil
		}
		d.queue, d.qi = d.queue[:0], 0
		if d.err != nil {
			return sluice.Event{}, d.err
		}
		if d.done {
			d.err = io.EOF
			return sluice.Event{}, d.err
		}
		if !d.sse.Next() {
			if err := d.sse.Err(); err != nil {
				d.err = &sluice.Error{Kind: sluice.KindConnection, Message: "reading the stream: " + err.Error(), Err: err}
			} else {
				d.err = &sluice.Error{Kind: sluice.KindTruncated,
					Message: "the stream ended before response.completed, response.incomplete or response.failed"}
			}
			return sluice.Event{}, d.err
		}
		ev := d.sse.Event()
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 || string(data) == "[DONE]" {
			continue
		}
		if err := d.frame(ev.Type, data); err != nil {
			d.queue = d.queue[:0]
			d.err = err
		}
	}
}

func (d *Decoder) push(ev sluice.Event) { d.queue = append(d.queue, ev) }

// frame decodes one SSE event into queued sluice events.
func (d *Decoder) frame(name string, data []byte) error {
	// One pass for the events sluice knows; an unknown event whose fields
	// do not fit wireEvent is read again for its type alone.
	var w wireEvent
	werr := json.Unmarshal(data, &w)
	typ := w.Type
	if werr != nil {
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			return protocolError("an event that is not a JSON object", data)
		}
		typ = head.Type
	}
	if typ == "" {
		typ = name
	}
	if !known(typ) {
		d.push(sluice.Event{Type: sluice.EventPassthrough, Name: typ, Raw: data, Extra: d.extra})
		return nil
	}
	if werr != nil {
		return protocolError(fmt.Sprintf("a %s event that does not parse (%v)", typ, werr), data)
	}
	switch typ {
	case "response.created":
		if w.Response == nil {
			return protocolError("response.created without a response", data)
		}
		d.push(sluice.Event{Type: sluice.EventStart, ID: w.Response.ID, Model: w.Response.Model, Raw: data})
	case "response.output_item.added":
		if w.Item == nil || w.OutputIndex == nil {
			return protocolError("output_item.added without an item or output_index", data)
		}
		if err := checkCall(w.Item, data); err != nil {
			return err
		}
		d.added(*w.OutputIndex, w.Item, data)
	case "response.output_item.done":
		if w.Item == nil || w.OutputIndex == nil {
			return protocolError("output_item.done without an item or output_index", data)
		}
		if err := checkCall(w.Item, data); err != nil {
			return err
		}
		if i, ok := d.byOut[*w.OutputIndex]; ok && d.items[i].typ != w.Item.Type {
			return protocolError(fmt.Sprintf("output_item.done of a %s for an output_index opened as %s", w.Item.Type, d.items[i].typ), data)
		}
		d.itemDone(*w.OutputIndex, w.Item, data)
	case "response.output_text.delta", "response.refusal.delta", "response.reasoning_summary_text.delta",
		"response.reasoning_text.delta", "response.function_call_arguments.delta", "response.custom_tool_call_input.delta":
		i, err := d.item(w.OutputIndex, data)
		if err != nil {
			return err
		}
		d.delta(i, typ, w.Delta, data)
	case "response.reasoning_summary_part.added":
		i, err := d.item(w.OutputIndex, data)
		if err != nil {
			return err
		}
		if it := &d.items[i]; it.summary > 0 && it.deltas {
			d.push(sluice.Event{Type: sluice.EventReasoning, Item: i, Summary: true, Text: "\n\n", Raw: data})
		}
		d.items[i].summary++
	case "response.output_text.done", "response.refusal.done", "response.function_call_arguments.done",
		"response.custom_tool_call_input.done", "response.reasoning_summary_text.done", "response.reasoning_text.done":
		// The whole text again; only needed when no delta came.
		i, err := d.item(w.OutputIndex, data)
		if err != nil {
			return err
		}
		if !d.items[i].deltas {
			text := w.Text
			switch typ {
			case "response.function_call_arguments.done":
				text = w.Arguments
			case "response.custom_tool_call_input.done":
				text = w.Input
			}
			if text != "" {
				d.delta(i, strings.Replace(typ, ".done", ".delta", 1), text, data)
			}
		}
	case "response.completed", "response.incomplete":
		if w.Response == nil {
			return protocolError(typ+" without a response", data)
		}
		d.closeAll(data)
		if u := w.Response.Usage; u != nil {
			us := u.usage()
			d.push(sluice.Event{Type: sluice.EventUsage, Usage: &us, Raw: data})
		}
		fin := sluice.Event{Type: sluice.EventFinish, Finish: sluice.FinishStop, RawFinish: w.Response.Status, Raw: data}
		if d.called {
			fin.Finish = sluice.FinishToolCalls
		}
		if typ == "response.incomplete" {
			fin.Finish, fin.RawFinish = sluice.FinishLength, "max_output_tokens"
			if det := w.Response.IncompleteDetails; det != nil && det.Reason != "" {
				fin.RawFinish = det.Reason
				if det.Reason == "content_filter" {
					fin.Finish = sluice.FinishContentFilter
				}
			}
		}
		d.push(fin)
		d.done = true
	case "response.failed":
		if w.Response != nil && w.Response.Error != nil {
			return streamError(w.Response.Error)
		}
		return &sluice.Error{Kind: sluice.KindServer, Message: "the response failed without an error object"}
	case "error":
		if w.Error != nil {
			return streamError(w.Error)
		}
		return streamError(&wireError{Code: w.Code, Message: w.Message})
	}
	return nil
}

// checkCall refuses a tool call item without a name: no client could run
// it.
func checkCall(it *wireItem, data []byte) error {
	if (it.Type == "function_call" || it.Type == "custom_tool_call") && it.Name == "" {
		return protocolError("a "+it.Type+" item without a name", data)
	}
	return nil
}

// known reports whether the decoder models events of type typ (including
// the ones it skips on purpose).
func known(typ string) bool {
	switch typ {
	case "response.created", "response.queued", "response.in_progress",
		"response.output_item.added", "response.output_item.done",
		"response.content_part.added", "response.content_part.done",
		"response.output_text.delta", "response.output_text.done",
		"response.refusal.delta", "response.refusal.done",
		"response.reasoning_summary_part.added", "response.reasoning_summary_part.done",
		"response.reasoning_summary_text.delta", "response.reasoning_summary_text.done",
		"response.reasoning_text.delta", "response.reasoning_text.done",
		"response.function_call_arguments.delta", "response.function_call_arguments.done",
		"response.custom_tool_call_input.delta", "response.custom_tool_call_input.done",
		"response.completed", "response.incomplete", "response.failed", "error":
		return true
	}
	return false
}

// item returns the sluice item of an output index.
func (d *Decoder) item(out *int, data []byte) (int, error) {
	if out == nil {
		return 0, protocolError("an event without output_index", data)
	}
	i, ok := d.byOut[*out]
	if !ok {
		return 0, protocolError(fmt.Sprintf("an event for output_index %d, which no output_item.added opened", *out), data)
	}
	return i, nil
}

func (d *Decoder) added(out int, it *wireItem, data []byte) {
	if old, ok := d.byOut[out]; ok && !d.items[old].closed {
		// The same index again: keep the open item.
		return
	}
	i := len(d.items)
	d.byOut[out] = i
	di := decItem{typ: it.Type}
	ev := sluice.Event{Type: sluice.EventItemStart, Item: i, ID: it.ID, Raw: data}
	switch it.Type {
	case "message":
		di.kind = sluice.ItemMessage
	case "reasoning":
		di.kind = sluice.ItemReasoning
	case "function_call", "custom_tool_call":
		di.kind, di.custom = sluice.ItemToolCall, it.Type == "custom_tool_call"
		ev.CallID, ev.Name = it.CallID, it.Name
		d.called = true
	default:
		di.kind = sluice.ItemOther
		ev.Name = it.Type
		ev.Extra = d.extra
	}
	ev.Kind = di.kind
	d.items = append(d.items, di)
	d.push(ev)
}

// delta gives one delta of item i; typ names its .delta event.
func (d *Decoder) delta(i int, typ, text string, data []byte) {
	it := &d.items[i]
	it.deltas = true
	ev := sluice.Event{Item: i, Text: text, Raw: data}
	switch typ {
	case "response.output_text.delta":
		ev.Type = sluice.EventText
	case "response.refusal.delta":
		ev.Type = sluice.EventRefusal
	case "response.reasoning_summary_text.delta":
		ev.Type, ev.Summary = sluice.EventReasoning, true
	case "response.reasoning_text.delta":
		ev.Type = sluice.EventReasoning
	case "response.function_call_arguments.delta":
		ev.Type = sluice.EventToolCall
	case "response.custom_tool_call_input.delta":
		ev.Type = sluice.EventToolCall
		b := []byte(nil)
		if !it.opened {
			b = append(b, `{"input":"`...)
			it.opened = true
		}
		ev.Text = string(jsonwire.AppendEscaped(b, text))
	default:
		return
	}
	d.push(ev)
}

func (d *Decoder) itemDone(out int, w *wireItem, data []byte) {
	i, ok := d.byOut[out]
	if !ok {
		d.added(out, w, data)
		i = d.byOut[out]
	}
	it := &d.items[i]
	if it.closed {
		return
	}
	if !it.deltas {
		// Everything came in the done item.
		switch w.Type {
		case "message":
			for _, p := range w.Content {
				switch p.Type {
				case "output_text":
					if p.Text != "" {
						d.delta(i, "response.output_text.delta", p.Text, data)
					}
				case "refusal":
					if p.Refusal != "" {
						d.delta(i, "response.refusal.delta", p.Refusal, data)
					}
				}
			}
		case "reasoning":
			for j, p := range w.Summary {
				text := p.Text
				if j > 0 {
					text = "\n\n" + text
				}
				if text != "" {
					d.delta(i, "response.reasoning_summary_text.delta", text, data)
				}
			}
			for _, p := range w.Content {
				if p.Text != "" {
					d.delta(i, "response.reasoning_text.delta", p.Text, data)
				}
			}
		case "function_call":
			if w.Arguments != "" {
				d.delta(i, "response.function_call_arguments.delta", w.Arguments, data)
			}
		case "custom_tool_call":
			d.delta(i, "response.custom_tool_call_input.delta", w.Input, data)
		}
	}
	if w.Type == "reasoning" && w.EncryptedContent != nil && *w.EncryptedContent != "" {
		d.push(sluice.Event{Type: sluice.EventReasoningData, Item: i, Opaque: sluice.OpaqueEncrypted, Text: *w.EncryptedContent, Raw: data})
	}
	d.close(i, data)
}

// close ends item i: a custom call's arguments get their closing quote.
func (d *Decoder) close(i int, data []byte) {
	it := &d.items[i]
	if it.closed {
		return
	}
	if it.custom {
		if !it.opened {
			d.push(sluice.Event{Type: sluice.EventToolCall, Item: i, Text: `{"input":"`, Raw: data})
		}
		d.push(sluice.Event{Type: sluice.EventToolCall, Item: i, Text: `"}`, Raw: data})
	}
	it.closed = true
	d.push(sluice.Event{Type: sluice.EventItemDone, Item: i, Kind: it.kind, Raw: data})
}

// closeAll closes the items still open when the response ends.
func (d *Decoder) closeAll(data []byte) {
	for i := range d.items {
		d.close(i, data)
	}
}

// usage normalises a usage object.
func (u *wireUsage) usage() sluice.Usage {
	var out sluice.Usage
	var cached int64
	if u.InputTokensDetails != nil && u.InputTokensDetails.CachedTokens != nil {
		cached = *u.InputTokensDetails.CachedTokens
		out.CacheRead = sluice.ReportedCount(cached)
	}
	if u.InputTokens != nil {
		out.Input = sluice.ReportedCount(max(*u.InputTokens-cached, 0))
	}
	if u.OutputTokens != nil {
		out.Output = sluice.ReportedCount(*u.OutputTokens)
	}
	if u.OutputTokensDetails != nil && u.OutputTokensDetails.ReasoningTokens != nil {
		out.Reasoning = sluice.ReportedCount(*u.OutputTokensDetails.ReasoningTokens)
	}
	return out
}

// tryAgain finds the wait OpenAI puts in a rate limit message: "Please try
// again in 1.5s" or "in 20ms".
var tryAgain = regexp.MustCompile(`(?i)try again in (\d+(?:\.\d+)?)\s*(ms|s|seconds?)\b`)

// retryAfterIn reads the wait from a message, 0 when it names none.
func retryAfterIn(msg string) time.Duration {
	m := tryAgain.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || v <= 0 || v > 1e6 {
		return 0
	}
	if strings.EqualFold(m[2], "ms") {
		return time.Duration(v * float64(time.Millisecond))
	}
	return time.Duration(v * float64(time.Second))
}

// streamError turns an error object inside the stream into a *sluice.Error.
func streamError(we *wireError) error {
	code := codeString(we.Code)
	e := &sluice.Error{Kind: kindForCode(code, we.Type), Code: code, Message: we.Message,
		RetryAfter: retryAfterIn(we.Message)}
	if e.Code == "" {
		e.Code = we.Type
	}
	if e.Message == "" {
		e.Message = "the response failed"
	}
	return e
}

// kindForCode classifies an in-stream error by its code and type.
func kindForCode(code, typ string) sluice.Kind {
	switch code {
	case "rate_limit_exceeded":
		return sluice.KindRateLimit
	case "insufficient_quota", "billing_hard_limit_reached":
		return sluice.KindPermission
	case "context_length_exceeded", "invalid_prompt", "invalid_request_error", "invalid_value":
		return sluice.KindBadRequest
	case "server_is_overloaded", "slow_down":
		return sluice.KindOverloaded
	case "content_filter", "content_policy_violation":
		return sluice.KindContentFilter
	case "invalid_api_key":
		return sluice.KindAuth
	case "model_not_found":
		return sluice.KindNotFound
	case "timeout":
		return sluice.KindTimeout
	}
	switch typ {
	case "insufficient_quota":
		return sluice.KindPermission
	case "invalid_request_error":
		return sluice.KindBadRequest
	case "rate_limit_error", "tokens", "requests":
		return sluice.KindRateLimit
	}
	return sluice.KindServer
}

// protocolError reports an event that does not parse, quoting its start.
func protocolError(what string, data []byte) error {
	q := data
	if len(q) > 200 {
		q = q[:200]
		for len(q) > 0 && !utf8.Valid(q) {
			q = q[:len(q)-1]
		}
	}
	msg := what + ": " + strconv.Quote(string(q))
	if len(q) < len(data) {
		msg += "…"
	}
	return &sluice.Error{Kind: sluice.KindProtocol, Message: msg,
		Hint: "the server does not speak OpenAI's Responses stream; check the base URL and the endpoint's api"}
}
