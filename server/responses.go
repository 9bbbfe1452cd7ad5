package server

import (
	"context"
	"net/http"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/responses"
)

// handleResponses serves POST /v1/responses, OpenAI's Responses API, for a
// model of any provider, the protocol of the Codex CLI and the Agents SDK:
// parse (previous_response_id resolved from the conversations this server
// answered, see conversations.go), stream from the model's provider, and write the events with
// the responses package's Encoder, whose grammar every client checks. A
// failure after the headers is written as response.failed with the output
// so far; without "stream": true the reply is one response object.
func (s *Server) handleResponses(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newID("resp_")
	w.Header().Set("X-Request-Id", id)
	const api = "responses"
	body, berr := s.readBody(w, r)
	if berr != nil {
		s.rejectParse(w, r, id, api, berr, start)
		return
	}
	rr, err := s.parseResponsesRequest(r.Context(), body, nil)
	if err != nil {
		s.rejectParse(w, r, id, api, err, start)
		return
	}
	ar := rr.ar(id)
	ar.stream = rr.info.Stream
	// The encoder options depend on the route, known once the stream is
	// open.
	ar.whole = func(res *sluice.Result) ([]byte, error) {
		b, err := responses.ResponseFromResult(res, rr.encoderOptions(id, start))
		if err == nil {
			// Before the reply, which the client may follow at once with
			// a request that continues it.
			s.remember(id, rr, res, nil)
		}
		return b, err
	}
	ar.frontend = func(w http.ResponseWriter) frontend {
		enc := responses.NewEncoder(w, rr.encoderOptions(id, start))
		fe := &protoFrontend{enc: enc, heartbeat: func() error { return enc.Comment("keep-alive") }}
		return &rememberingFrontend{frontend: fe, remember: func(res *sluice.Result) { s.remember(id, rr, res, nil) }}
	}
	s.serveAPI(w, r, ar, start)
}

// rememberingFrontend keeps a response that ended cleanly for
// previous_response_id before its terminal event is written: a client
// that continues it as soon as it reads response.completed finds it.
type rememberingFrontend struct {
	frontend
	remember func(*sluice.Result)
}

func (f *rememberingFrontend) Finish(res *sluice.Result, seq uint64) error {
	f.remember(res)
	return f.frontend.Finish(res, seq)
}

// responsesRequest is a parsed /v1/responses request, with what routing
// decided about it.
type responsesRequest struct {
	req  *sluice.Request
	info *responses.RequestInfo
	// prior is the number of messages taken from previous_response_id;
	// priorLogged is true when they came from the request log (or are on
	// their way to it), so this turn may be stored as only what follows.
	prior       int
	priorLogged bool
	// provider and native are set once the route is known: the provider's
	// name and whether it speaks this protocol.
	provider string
	native   bool
}

// parseResponsesRequest parses a body and resolves previous_response_id;
// local is the WebSocket connection's latest response, nil over HTTP.
func (s *Server) parseResponsesRequest(ctx context.Context, body []byte, local *wsLatest) (*responsesRequest, error) {
	req, info, err := responses.ParseRequest(body)
	if err != nil {
		return nil, err
	}
	rr := &responsesRequest{req: req, info: info}
	if err := s.resolvePrevious(ctx, rr, local); err != nil {
		return nil, err
	}
	return rr, nil
}

// ar returns the apiRequest that opens the upstream stream.
func (rr *responsesRequest) ar(id string) *apiRequest {
	req := rr.req
	extra := req.Extra
	return &apiRequest{api: "responses", id: id, req: req, name: req.Model, prepare: func(rt route) {
		rr.provider = rt.providerName
		rr.native = protocolOf(rt.provider) == responses.Protocol
		// Fields the Request does not model (text, include, store,
		// prompt_cache_key, hosted tools, …) are this protocol's: only a
		// provider that speaks it gets them.
		req.Extra = nil
		if rr.native {
			req.Extra = extra
			delete(req.Extra, "previous_response_id")
		}
	}}
}

// encoderOptions are the options of this request's Encoder.
func (rr *responsesRequest) encoderOptions(id string, start time.Time) responses.EncoderOptions {
	return responses.EncoderOptions{ID: id, Model: rr.req.Model, CreatedAt: start.Unix(), Provider: rr.provider,
		Native: rr.native, CustomTools: rr.info.CustomTools, Echo: rr.info.Echo}
}
