package sim

import (
	"context"
	"io"
	"net/http"

	"github.com/sluicehq/sluice"
)

// dialect is one wire protocol as the simulator speaks it: the protocol
// package's request parser, encoder and error writer, plus what the
// simulator needs to know about the wire to inject faults and to say what a
// decoder will see.
type dialect struct {
	name string
	// contentType is the streaming response's Content-Type.
	contentType string
	// opaque is the kind of reasoning signature the protocol carries, "" for
	// none.
	opaque sluice.OpaqueKind
	// respPrefix and callPrefix start response and tool-call ids.
	respPrefix, callPrefix string
	usage                  usageCaps
	// comment is a keep-alive frame, nil when the framing has none.
	comment []byte
	// malformed is a frame whose JSON does not parse.
	malformed []byte
	// unknownEvent returns an event of a type no decoder knows, which the
	// protocol's encoder writes as it came; nil when unknownRaw is used.
	unknownEvent func() sluice.Event
	// unknownRaw returns a whole frame of a kind no decoder knows, written
	// as is, and the name a decoder gives it, for a protocol whose encoder
	// cannot write it.
	unknownRaw func() (frame []byte, name string)
	// parse reads a request body; model is the model named in the URL path
	// (Gemini), "" for protocols that name it in the body.
	parse func(cfg *Config, body []byte, model string) (*call, error)
	// writeError writes an HTTP error in the protocol's shape.
	writeError func(w http.ResponseWriter, e *sluice.Error)
	// errorCode, when set, gives the Code of the simulator's own errors of
	// a kind, for a protocol whose error shape needs one to keep the kind.
	errorCode func(sluice.Kind) string
	// headers sets the protocol's response headers (request id, rate limits)
	// on every response; status is the HTTP status about to be written.
	headers func(h http.Header, id string, status int)
}

// usageCaps says which usage buckets the protocol carries, so the script sends
// only those and the transcript promises no more than a decoder can see.
type usageCaps struct {
	cacheRead, cacheWrite, reasoning bool
	// early sends the input usage at the start, as Anthropic's
	// message_start does (with earlyOutput output tokens) and Gemini's
	// usageMetadata on every chunk does.
	early       bool
	earlyOutput int64
	// beforeFinish sends the final usage before the finish event rather than
	// after it.
	beforeFinish bool
}

// call is one parsed request.
type call struct {
	req    *sluice.Request
	stream bool
	// newEncoder returns the protocol's encoder for this request (its
	// options, such as OpenAI's include_usage, come from the request).
	newEncoder func(w io.Writer) sluice.Encoder
	// nonStream builds the protocol's non-streaming JSON reply from the
	// result; nil when the protocol package has no builder.
	nonStream func(res *sluice.Result) ([]byte, error)
	// noUsage says the encoder writes no usage for this request (OpenAI
	// without stream_options.include_usage), so the transcript has none.
	noUsage bool
}

// replay builds the Result of a list of events, through the same Stream that
// decoders feed, for the non-streaming replies.
func replay(provider, model string, evs []sluice.Event) sluice.Result {
	s := sluice.NewStream(context.Background(), sluice.StreamConfig{Provider: provider, Model: model, Decoder: sluice.EventsDecoder(evs)})
	for range s.Events() {
	}
	return s.Result()
}

// coded sets e's Code from errorCode, if the dialect has one and e has none.
func (d *dialect) coded(e *sluice.Error) *sluice.Error {
	if d.errorCode != nil && e.Code == "" {
		e.Code = d.errorCode(e.Kind)
	}
	return e
}
