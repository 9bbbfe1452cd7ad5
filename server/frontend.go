package server

import (
	"context"
	"net/http"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/anthropic"
	"github.com/sluicehq/sluice/provider/gemini"
	"github.com/sluicehq/sluice/provider/ollama"
	"github.com/sluicehq/sluice/provider/openai"
	"github.com/sluicehq/sluice/provider/responses"
)

// protoFrontend adapts a protocol package's encoder (OpenAI's, Anthropic's)
// to the relay. Those encoders write the protocol's own terminal error for
// an EventError, so a failed upstream never ends with [DONE] or
// message_stop.
type protoFrontend struct {
	enc sluice.Encoder
	// heartbeat buffers or writes a keep-alive comment.
	heartbeat func() error
}

func (f *protoFrontend) Encode(ev *sluice.Event, _ uint64) error { return f.enc.Encode(ev) }
func (f *protoFrontend) Heartbeat() error                        { return f.heartbeat() }
func (f *protoFrontend) Finish(*sluice.Result, uint64) error     { return f.enc.End() }
func (f *protoFrontend) Flush() error                            { return f.enc.Flush() }

func (f *protoFrontend) Fail(_ *sluice.Result, e *sluice.Error, _ uint64) error {
	return f.enc.Encode(&sluice.Event{Type: sluice.EventError, Err: e})
}

// protocolOf returns the wire protocol a provider speaks upstream, "" when
// it is none sluice knows (a local engine, the in-process simulator). A
// frontend passes its own request fields through verbatim only to a
// provider of its own protocol. A wrapper that names what it wraps with
// Unwrap is looked through.
func protocolOf(p sluice.Provider) string {
	for range 8 {
		switch q := p.(type) {
		case *openai.Provider:
			return openai.Protocol
		case *anthropic.Provider:
			return anthropic.Protocol
		case *responses.Provider:
			return responses.Protocol
		case *gemini.Provider:
			return gemini.Protocol
		case *ollama.Provider:
			return ollama.Protocol
		case interface{ Unwrap() sluice.Provider }:
			p = q.Unwrap()
			continue
		}
		break
	}
	return ""
}

// signsCalls reports whether p may put opaque data on a tool call itself,
// as Gemini puts a thought signature on a functionCall part: the chat
// frontend then holds each call until it is done, to seal that data into
// the call's id (see [sealer.chat]).
func signsCalls(p sluice.Provider) bool { return protocolOf(p) == gemini.Protocol }

// collect reads a stream to its end for a non-streaming reply.
func collect(ctx context.Context, st *sluice.Stream) *relayResult {
	for _, err := range st.Events() {
		if err != nil {
			break
		}
	}
	out := &relayResult{res: st.Result()}
	switch {
	case isShutdown(ctx):
		out.shutdown = true
		out.res.Err, out.res.Partial, out.res.Finish = errShutdown, true, sluice.FinishError
	case ctx.Err() != nil:
		out.clientGone = true
	}
	return out
}

// lastUserText is the text of the last user message, the prompt the
// request log shows.
func lastUserText(req *sluice.Request) string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == sluice.RoleUser {
			if t := req.Messages[i].Text(); t != "" {
				return t
			}
		}
	}
	return ""
}

// apiRequest is a parsed /v1 request on its way upstream.
type apiRequest struct {
	api  string // "chat.completions", "messages" or "responses"
	id   string
	req  *sluice.Request
	name string // the model name as the client sent it
	// prepare adjusts the request for the route's provider (pass-through
	// fields for a provider of the same protocol).
	prepare func(rt route)

	// stream is the client's "stream": true.
	stream bool
	// whole builds the reply to a request without it from the clean
	// Result of the stream.
	whole func(res *sluice.Result) ([]byte, error)
	// frontend builds what writes the stream to w, in the API's protocol.
	frontend func(w http.ResponseWriter) frontend
}

// serveAPI answers a parsed /v1 request, the same way for every API: open
// the upstream stream, then relay it event by event (ar.stream) or collect
// it and write the API's whole reply, and log and record how it ended.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, ar *apiRequest, start time.Time) {
	st, c, ctx, cancel := s.open(w, r, ar, start)
	if st == nil {
		return
	}
	passRateLimits(w.Header(), st.ResponseHeader())
	defer cancel()
	s.active.Add(1)
	defer s.active.Done()
	s.metrics.streamStarted(st, c.provider, c.model)
	defer s.metrics.streamEnded()

	if !ar.stream {
		s.finish(c, s.replyWhole(ctx, w, r, st, ar))
		return
	}
	startSSE(w)
	rl := &relay{enc: ar.frontend(w), heartbeat: s.heartbeat, scrub: s.scrub}
	s.finish(c, rl.run(ctx, st))
}

// replyWhole collects st and writes the API's whole reply, or its error.
func (s *Server) replyWhole(ctx context.Context, w http.ResponseWriter, r *http.Request, st *sluice.Stream, ar *apiRequest) *relayResult {
	out := collect(ctx, st)
	switch {
	case out.clientGone:
	case out.res.Err != nil:
		s.writeAPIError(w, r, out.res.Err)
	default:
		b, err := ar.whole(&out.res)
		if err != nil {
			s.writeAPIError(w, r, &sluice.Error{Kind: sluice.KindServer, Status: http.StatusInternalServerError, Message: err.Error()})
			break
		}
		writeBody(w, b)
	}
	return out
}

// open resolves and validates a parsed /v1 request and opens its upstream
// stream. On failure it has answered the client (in the API's format) and
// returns nil.
func (s *Server) open(w http.ResponseWriter, r *http.Request, ar *apiRequest, start time.Time) (*sluice.Stream, *call, context.Context, context.CancelFunc) {
	reject := func(e *sluice.Error) {
		status := s.writeAPIError(w, r, e)
		s.logRejected(ar.id, ar.api, ar.name, status, s.scrub(e), start)
	}
	if err := ar.req.Validate(); err != nil {
		reject(sluice.AsError(err))
		return nil, nil, nil, nil
	}
	rt, rerr := s.resolve(r.Context(), ar.name)
	if rerr != nil {
		reject(rerr)
		return nil, nil, nil, nil
	}
	ar.req.Model = rt.model
	if ar.prepare != nil {
		ar.prepare(rt)
	}
	ctx, cancel := s.requestContext(r)
	st, err := rt.provider.Stream(ctx, ar.req)
	if err != nil {
		e := sluice.AsError(err)
		if isShutdown(ctx) {
			e = errShutdown
		}
		cancel()
		reject(e)
		return nil, nil, nil, nil
	}
	c := &call{id: ar.id, api: ar.api, name: rt.name, provider: rt.providerName, model: rt.model,
		prompt: lastUserText(ar.req), system: ar.req.System, start: start}
	return st, c, ctx, cancel
}

// rejectParse answers a /v1 request whose body could not be read or parsed.
func (s *Server) rejectParse(w http.ResponseWriter, r *http.Request, id, api string, err error, start time.Time) {
	e := sluice.AsError(err)
	if e.Kind == sluice.KindConnection {
		// AsError's guess for an unknown cause; a parse failure is the
		// client's.
		e = &sluice.Error{Kind: sluice.KindBadRequest, Status: http.StatusBadRequest, Message: err.Error()}
	}
	status := s.writeAPIError(w, r, e)
	s.logRejected(id, api, "", status, s.scrub(e), start)
}

// writeBody writes a complete JSON reply.
func writeBody(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
