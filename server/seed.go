package server

import (
	"encoding/json"
	"strconv"
	"unsafe"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
	"github.com/sluicehq/sluice/sse"
)

// seedEncoder writes /stream's wire format: SSE whose data is one JSON
// object with a "type", and an id "<stream id>:<seq>" on every event.
//
//	{"type":"start","id":…,"model":…,"simulated":…}
//	{"type":"token","text":…}
//	{"type":"reasoning","text":…}
//	{"type":"done","finish_reason":…,"usage":{…},"metrics":{…}}
//	{"type":"error","kind":…,"message":…,"hint":…,"partial_text":…,…}
//
// Token text is JSON-escaped, so a token holding "\n\ndata: …" stays inside
// its string; the SSE encoder splitting data lines is a second fence.
type seedEncoder struct {
	sse *sse.Encoder
	id  string
	buf []byte // the data of the event being encoded, reused
	idb []byte // the event id, reused
}

func newSeedEncoder(enc *sse.Encoder, id string) *seedEncoder {
	return &seedEncoder{sse: enc, id: id}
}

// eventID returns "<stream id>:<seq>", valid only until the next call: it
// is for sse.Encoder.Encode, which copies it into its buffer and keeps no
// reference. So the id costs no allocation on the per-token path (the
// relay's budget is at most one allocation per event, the text's: see
// TestRelayAllocationsPerEvent); idb is never written while the string is
// in use, which is what unsafe.String asks.
func (e *seedEncoder) eventID(seq uint64) string {
	e.idb = append(e.idb[:0], e.id...)
	e.idb = append(e.idb, ':')
	e.idb = strconv.AppendUint(e.idb, seq, 10)
	return unsafe.String(unsafe.SliceData(e.idb), len(e.idb))
}

// Start buffers the start event, sequence number 0.
func (e *seedEncoder) Start(model string, simulated bool) error {
	b := append(e.buf[:0], `{"type":"start","id":`...)
	b = jsonwire.AppendHTMLString(b, e.id)
	b = append(b, `,"model":`...)
	b = jsonwire.AppendHTMLString(b, model)
	b = append(b, `,"simulated":`...)
	b = strconv.AppendBool(b, simulated)
	b = append(b, '}')
	e.buf = b
	return e.sse.Encode(sse.Event{ID: e.eventID(0), Data: b})
}

// Encode buffers text, reasoning and refusal deltas; /stream carries no
// other event.
func (e *seedEncoder) Encode(ev *sluice.Event, seq uint64) error {
	var typ string
	switch ev.Type {
	case sluice.EventText:
		typ = `{"type":"token","text":`
	case sluice.EventReasoning:
		typ = `{"type":"reasoning","text":`
	case sluice.EventRefusal:
		typ = `{"type":"refusal","text":`
	default:
		return nil
	}
	b := append(e.buf[:0], typ...)
	b = jsonwire.AppendHTMLString(b, ev.Text)
	b = append(b, '}')
	e.buf = b
	return e.sse.Encode(sse.Event{ID: e.eventID(seq), Data: b})
}

// Heartbeat buffers an SSE comment.
func (e *seedEncoder) Heartbeat() error { return e.sse.Comment("ping") }

// seedDone is the done event.
type seedDone struct {
	Type    string              `json:"type"`
	Finish  sluice.FinishReason `json:"finish_reason"`
	Raw     string              `json:"raw_finish_reason,omitempty"`
	Usage   sluice.Usage        `json:"usage"`
	Metrics sluice.Metrics      `json:"metrics"`
}

// Finish buffers the done event with the response's usage and metrics.
func (e *seedEncoder) Finish(res *sluice.Result, seq uint64) error {
	b, err := json.Marshal(seedDone{Type: "done", Finish: res.Finish, Raw: res.RawFinish, Usage: res.Usage, Metrics: res.Metrics})
	if err != nil {
		return err
	}
	return e.sse.Encode(sse.Event{ID: e.eventID(seq), Data: b})
}

// seedError is the error event, and the JSON body of an error reply.
type seedError struct {
	Type        string              `json:"type"`
	Kind        string              `json:"kind"`
	Message     string              `json:"message"`
	Hint        string              `json:"hint,omitempty"`
	Provider    string              `json:"provider,omitempty"`
	Status      int                 `json:"status,omitempty"`
	PartialText string              `json:"partial_text"`
	Finish      sluice.FinishReason `json:"finish_reason,omitempty"`
	Usage       *sluice.Usage       `json:"usage,omitempty"`
	Metrics     *sluice.Metrics     `json:"metrics,omitempty"`
}

func newSeedError(e *sluice.Error) seedError {
	return seedError{Type: "error", Kind: e.Kind.String(), Message: e.Message, Hint: e.Hint,
		Provider: e.Provider, Status: e.Status}
}

// Fail buffers the error event carrying the text streamed so far.
func (e *seedEncoder) Fail(res *sluice.Result, err *sluice.Error, seq uint64) error {
	se := newSeedError(err)
	se.PartialText, se.Finish, se.Usage, se.Metrics = res.Text, res.Finish, &res.Usage, &res.Metrics
	b, jerr := json.Marshal(se)
	if jerr != nil {
		return jerr
	}
	return e.sse.Encode(sse.Event{ID: e.eventID(seq), Data: b})
}

// Flush writes what is buffered.
func (e *seedEncoder) Flush() error { return e.sse.Flush() }
