package server

import (
	"net/http"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/responses"
)

// handleResponses serves POST /v1/responses, OpenAI's Responses API, for a
// model of any provider, the protocol of the Codex CLI and the Agents SDK:
// parse (previous_response_id resolved from the conversations this server
// answered), stream from the model's provider, and write the events with
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
	rr, err := s.parseResponsesRequest(body)
	if err != nil {
		s.rejectParse(w, r, id, api, err, start)
		return
	}
	st, c, ctx, cancel := s.open(w, r, rr.ar(id), start)
	if st == nil {
		return
	}
	passRateLimits(w.Header(), st.ResponseHeader())
	defer cancel()
	s.active.Add(1)
	defer s.active.Done()
	s.metrics.streamStarted()
	defer s.metrics.streamEnded()

	opts := rr.encoderOptions(id, start)
	if !rr.info.Stream {
		out := collect(ctx, st)
		switch {
		case out.clientGone:
		case out.res.Err != nil:
			s.writeAPIError(w, r, out.res.Err)
		default:
			b, err := responses.ResponseFromResult(&out.res, opts)
			if err != nil {
				s.writeAPIError(w, r, &sluice.Error{Kind: sluice.KindServer, Status: http.StatusInternalServerError, Message: err.Error()})
				break
			}
			writeBody(w, b)
			s.remember(id, rr, &out.res)
		}
		s.finish(c, out)
		return
	}
	setSSEHeaders(w.Header())
	w.WriteHeader(http.StatusOK)
	enc := responses.NewEncoder(w, opts)
	fe := &protoFrontend{enc: enc, heartbeat: func() error { return enc.Comment("keep-alive") }}
	rl := &relay{enc: fe, heartbeat: s.heartbeat, scrub: s.scrub}
	out := rl.run(ctx, st)
	if out.res.Err == nil && !out.clientGone {
		s.remember(id, rr, &out.res)
	}
	s.finish(c, out)
}

// responsesRequest is a parsed /v1/responses request, with what routing
// decided about it.
type responsesRequest struct {
	req  *sluice.Request
	info *responses.RequestInfo
	// prior is the number of messages taken from previous_response_id.
	prior int
	// provider and native are set once the route is known: the provider's
	// name and whether it speaks this protocol.
	provider string
	native   bool
}

// parseResponsesRequest parses a body and resolves previous_response_id.
func (s *Server) parseResponsesRequest(body []byte) (*responsesRequest, error) {
	req, info, err := responses.ParseRequest(body)
	if err != nil {
		return nil, err
	}
	rr := &responsesRequest{req: req, info: info}
	if pid := info.PreviousResponseID; pid != "" {
		conv, ok := s.conversations.get(pid)
		if !ok {
			return nil, &sluice.Error{Kind: sluice.KindNotFound, Status: http.StatusNotFound, Code: "previous_response_not_found",
				Message: "Previous response with id '" + pid + "' not found.",
				Hint:    "sluice keeps the latest conversations in memory only; send the whole input instead"}
		}
		msgs := make([]sluice.Message, 0, len(conv.messages)+len(req.Messages))
		msgs = append(append(msgs, conv.messages...), req.Messages...)
		req.Messages, rr.prior = msgs, len(conv.messages)
		if req.System == "" {
			req.System = conv.system
		}
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

// remember keeps a finished conversation for previous_response_id.
func (s *Server) remember(id string, rr *responsesRequest, res *sluice.Result) {
	msgs := make([]sluice.Message, 0, len(rr.req.Messages)+1)
	msgs = append(msgs, rr.req.Messages...)
	// A warm-up (or an empty answer) adds no turn: providers refuse an
	// empty assistant message.
	if m := res.Message(); len(m.Content) > 0 {
		msgs = append(msgs, m)
	}
	s.conversations.put(id, conversation{system: rr.req.System, messages: msgs})
}
