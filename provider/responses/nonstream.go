package responses

import (
	"encoding/json"
	"io"

	"github.com/sluicehq/sluice"
)

// ParseResponse reads a whole (non-streaming) response object into the
// events a stream of it would have given: each output item with its whole
// content as one delta, then usage and finish, as [Decoder] gives them. A
// failed response is returned as its *sluice.Error.
func ParseResponse(data []byte) ([]sluice.Event, error) {
	var r wireResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, protocolError("a reply that is not a response object", data)
	}
	if r.Status == "failed" && r.Error != nil {
		return nil, streamError(r.Error)
	}
	d := NewDecoder(nil)
	d.push(sluice.Event{Type: sluice.EventStart, ID: r.ID, Model: r.Model})
	for i := range r.Output {
		it := r.Output[i]
		d.itemDone(i, &it, nil)
	}
	typ := "response.completed"
	if r.Status == "incomplete" {
		typ = "response.incomplete"
	}
	ev, _ := json.Marshal(struct {
		Type     string        `json:"type"`
		Response *wireResponse `json:"response"`
	}{typ, &wireResponse{ID: r.ID, Status: r.Status, IncompleteDetails: r.IncompleteDetails, Usage: r.Usage}})
	if err := d.frame(typ, ev); err != nil {
		return nil, err
	}
	out := make([]sluice.Event, len(d.queue))
	copy(out, d.queue)
	for i := range out {
		out[i].Raw = nil
	}
	return out, nil
}

// ResponseFromResult returns the response object of a finished stream, as
// the non-streaming Responses API answers: the same object the Encoder's
// terminal event would carry for the same events (response.completed,
// or incomplete when the output was cut), built by replaying res through an
// Encoder with opts.
func ResponseFromResult(res *sluice.Result, opts EncoderOptions) ([]byte, error) {
	e := NewEncoder(io.Discard, opts)
	for _, ev := range resultEvents(res) {
		if err := e.Encode(&ev); err != nil {
			return nil, err
		}
	}
	if err := e.End(); err != nil {
		return nil, err
	}
	return e.Response(), nil
}

// resultEvents replays a Result's items as events.
func resultEvents(res *sluice.Result) []sluice.Event {
	evs := []sluice.Event{{Type: sluice.EventStart, ID: res.ID, Model: res.Model}}
	for _, it := range res.Items {
		if it.Choice != 0 {
			continue
		}
		evs = append(evs, sluice.Event{Type: sluice.EventItemStart, Item: it.Index, Kind: it.Kind, ID: it.ID, CallID: it.CallID, Name: it.Name})
		switch it.Kind {
		case sluice.ItemMessage:
			evs = append(evs, sluice.Event{Type: sluice.EventText, Item: it.Index, Text: it.Text})
			if it.Refusal != "" {
				evs = append(evs, sluice.Event{Type: sluice.EventRefusal, Item: it.Index, Text: it.Refusal})
			}
		case sluice.ItemReasoning:
			text := it.Summary
			if text == "" {
				text = it.Text
			}
			evs = append(evs, sluice.Event{Type: sluice.EventReasoning, Item: it.Index, Summary: true, Text: text})
		case sluice.ItemToolCall:
			evs = append(evs, sluice.Event{Type: sluice.EventToolCall, Item: it.Index, Text: it.Text})
		}
		for _, o := range it.Opaque {
			evs = append(evs, sluice.Event{Type: sluice.EventReasoningData, Item: it.Index, Opaque: o.Kind, Text: o.Data})
		}
		evs = append(evs, sluice.Event{Type: sluice.EventItemDone, Item: it.Index, Kind: it.Kind})
	}
	u := res.Usage
	evs = append(evs, sluice.Event{Type: sluice.EventUsage, Usage: &u}, sluice.Event{Type: sluice.EventFinish, Finish: res.Finish, RawFinish: res.RawFinish})
	return evs
}
