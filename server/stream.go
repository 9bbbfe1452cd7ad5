package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sse"
)

// streamRequest is a /stream request, from the query (GET) or a JSON body
// (POST).
type streamRequest struct {
	Prompt      string   `json:"prompt"`
	Model       string   `json:"model,omitempty"`
	System      string   `json:"system,omitempty"`
	MaxTokens   int      `json:"max_tokens,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
}

// badRequest returns a 400 error with a hint.
func badRequest(msg, hint string) *sluice.Error {
	return &sluice.Error{Kind: sluice.KindBadRequest, Status: http.StatusBadRequest, Message: msg, Hint: hint}
}

// parseStreamQuery reads a GET /stream query. Unknown parameters are
// refused so a typo ("max_token") is not silently ignored.
func parseStreamQuery(q url.Values) (streamRequest, *sluice.Error) {
	var sr streamRequest
	for k, vs := range q {
		if len(vs) != 1 {
			return sr, badRequest(fmt.Sprintf("query parameter %q is given %d times", k, len(vs)), "give each parameter once")
		}
		v := vs[0]
		switch k {
		case "prompt":
			sr.Prompt = v
		case "model":
			sr.Model = v
		case "system":
			sr.System = v
		case "max_tokens":
			n, err := strconv.Atoi(v)
			if err != nil {
				return sr, badRequest(fmt.Sprintf("max_tokens is %q, not a whole number", v), "pass a positive number of tokens, or leave it out")
			}
			sr.MaxTokens = n
		case "temperature":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f != f {
				return sr, badRequest(fmt.Sprintf("temperature is %q, not a number", v), "pass a number such as 0.7, or leave it out")
			}
			sr.Temperature = &f
		default:
			return sr, badRequest(fmt.Sprintf("unknown query parameter %q", k), "the parameters are prompt, model, system, max_tokens and temperature")
		}
	}
	return sr, nil
}

// parseStreamBody reads a POST /stream JSON body. Unknown fields are refused.
func parseStreamBody(body []byte) (streamRequest, *sluice.Error) {
	var sr streamRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sr); err != nil {
		return sr, badRequest("the body is not valid JSON for /stream: "+jsonErrorText(err),
			`send an object such as {"prompt":"Hello","model":"sim/echo","max_tokens":64}`)
	}
	if dec.More() {
		return sr, badRequest("the body holds more than one JSON value", "send one JSON object")
	}
	return sr, nil
}

// jsonErrorText describes a JSON decoding error without Go type names.
func jsonErrorText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q has the wrong type (%s)", te.Field, te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// validate checks what the sluice.Request validation cannot say in /stream's
// terms.
func (sr *streamRequest) validate() *sluice.Error {
	if strings.TrimSpace(sr.Prompt) == "" {
		return badRequest("the request has no prompt", "pass ?prompt=… or a JSON body with a \"prompt\" field")
	}
	if sr.MaxTokens < 0 {
		return badRequest(fmt.Sprintf("max_tokens is %d", sr.MaxTokens), "use a positive number, or leave it out for the provider's default")
	}
	return nil
}

// handleStream serves GET and POST /stream.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newID("s_")
	w.Header().Set("X-Request-Id", id)
	sr := s.seedRequest(w, r, id, start)
	if sr == nil {
		return
	}
	ctx, cancel := s.requestContext(r)
	defer cancel()
	st, err := sr.rt.provider.Stream(ctx, sr.req)
	if err != nil {
		e := sluice.AsError(err)
		if isShutdown(ctx) {
			e = errShutdown
		}
		s.rejectSeed(w, id, sr.name, e, start)
		return
	}
	s.active.Add(1)
	defer s.active.Done()
	s.metrics.streamStarted(st, sr.call.provider, sr.call.model)
	defer s.metrics.streamEnded()

	startSSE(w)
	enc := newSeedEncoder(sse.NewEncoder(w), id)
	if err := enc.Start(sr.rt.name, sr.rt.simulated); err == nil {
		enc.Flush()
	}
	rl := &relay{enc: enc, heartbeat: s.heartbeat, scrub: s.scrub}
	s.finish(sr.call, rl.run(ctx, st))
}

// seedStream is a /stream request ready to open upstream.
type seedStream struct {
	name string // as the client named it
	rt   route
	req  *sluice.Request
	call *call
}

// seedRequest parses, validates and routes a /stream request. On failure
// it has answered the client and returns nil. It is apart from handleStream
// so that its frame is not on the stack the stream is relayed on.
func (s *Server) seedRequest(w http.ResponseWriter, r *http.Request, id string, start time.Time) *seedStream {
	var sr streamRequest
	var perr *sluice.Error
	if r.Method == http.MethodPost {
		body, err := s.readBody(w, r)
		if err != nil {
			s.rejectSeed(w, id, "", err, start)
			return nil
		}
		sr, perr = parseStreamBody(body)
	} else {
		sr, perr = parseStreamQuery(r.URL.Query())
	}
	if perr == nil {
		perr = sr.validate()
	}
	if perr != nil {
		s.rejectSeed(w, id, sr.Model, perr, start)
		return nil
	}
	name := sr.Model
	if name == "" {
		name = s.defaultModel
	}
	rt, rerr := s.resolve(r.Context(), name)
	if rerr != nil {
		s.rejectSeed(w, id, name, rerr, start)
		return nil
	}
	req := &sluice.Request{Model: rt.model, System: sr.System, Messages: []sluice.Message{sluice.UserMessage(sr.Prompt)},
		MaxTokens: sr.MaxTokens, Temperature: sr.Temperature}
	if err := req.Validate(); err != nil {
		s.rejectSeed(w, id, name, sluice.AsError(err), start)
		return nil
	}
	return &seedStream{name: name, rt: rt, req: req, call: &call{id: id, api: "stream", name: rt.name, provider: rt.providerName,
		model: rt.model, prompt: sr.Prompt, system: sr.System, start: start}}
}

// startSSE starts an SSE response: its headers (no caching, no buffering by
// nginx-style proxies, no compression: none is applied), status 200, and a
// flush, so the client has the headers (its time to first byte) as soon as
// the upstream stream is open, not with the first event. The flush also
// writes the headers here, near the top of the handler's stack, rather than
// under the relay's first write, where net/http's header writer would be
// the deepest frame of the whole stream (see TestRelayStackDepth).
func startSSE(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Del("Content-Length")
	w.WriteHeader(http.StatusOK)
	http.NewResponseController(w).Flush()
}

// rejectSeed answers a /stream request that failed before streaming with an
// HTTP error status and the error event's JSON as the body.
func (s *Server) rejectSeed(w http.ResponseWriter, id, model string, e *sluice.Error, start time.Time) {
	e = s.scrub(e)
	status := httpStatus(e)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, status, newSeedError(e))
	s.logRejected(id, "stream", model, status, e, start)
}
