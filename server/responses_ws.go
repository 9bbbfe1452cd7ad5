package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/responses"
)

// handleResponsesWS serves the WebSocket mode of /v1/responses, which
// Codex uses when its provider sets supports_websockets: the client opens
// GET /v1/responses with an Upgrade, then sends one text frame per request,
// {"type":"response.create", …the fields of a Responses request…}, and
// the server answers each with the same events a stream would carry, one
// JSON event per text frame, ending with response.completed,
// response.incomplete or response.failed. One response is in flight per
// connection: requests are answered in the order they came. A request may
// continue an earlier one with previous_response_id and only the new
// items, as Codex does on a connection it reuses. A failure before the
// first event is an error frame {"type":"error","status":N,"error":{…},
// "headers":{…}}, which the client treats as that HTTP status (a 429 with
// its retry-after). Other frame types (response.processed) are ignored.
func (s *Server) handleResponsesWS(w http.ResponseWriter, r *http.Request) {
	if !isWebSocketUpgrade(r) {
		w.Header().Set("Allow", http.MethodPost)
		s.writeAPIError(w, r, &sluice.Error{Kind: sluice.KindBadRequest, Status: http.StatusMethodNotAllowed,
			Message: "GET /v1/responses is the WebSocket mode; send a WebSocket upgrade, or POST a request"})
		return
	}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// Browsers are not the clients of this mode; CORS does not apply to
		// WebSockets, so the server's own origin list decides.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return // Accept has answered
	}
	defer conn.CloseNow()
	conn.SetReadLimit(s.maxBody)
	ctx := r.Context()

	// A reader hands requests over, so that a client that goes away is
	// seen while a response streams (its read fails and ends the context).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	frames := make(chan []byte, 8)
	go func() {
		defer cancel()
		defer close(frames)
		for {
			typ, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			if typ != websocket.MessageText {
				continue
			}
			select {
			case frames <- data:
			case <-ctx.Done():
				return
			}
		}
	}()
	// The connection's latest response, which the next request may
	// continue even when it was not stored (store: false).
	var latest wsLatest
	for data := range frames {
		var head struct {
			Type     string `json:"type"`
			Generate *bool  `json:"generate"`
		}
		if json.Unmarshal(data, &head) != nil || head.Type != "response.create" {
			continue
		}
		if !s.serveWSResponse(ctx, r, conn, data, head.Generate != nil && !*head.Generate, &latest) {
			return
		}
	}
	conn.Close(websocket.StatusNormalClosure, "")
}

// isWebSocketUpgrade reports whether r asks for a WebSocket.
func isWebSocketUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// serveWSResponse answers one response.create frame, and reports whether
// the connection can go on. latest is the connection's latest response.
func (s *Server) serveWSResponse(ctx context.Context, r *http.Request, conn *websocket.Conn, data []byte, warmup bool, latest *wsLatest) bool {
	start := time.Now()
	id := newID("resp_")
	// Logged and counted apart from POST /v1/responses, so an operator
	// sees which clients use the WebSocket mode.
	const api = "responses.ws"
	out := &wsWriter{ctx: ctx, conn: conn}
	rr, err := s.parseResponsesRequest(ctx, data, latest)
	if err != nil {
		e := asParseError(err)
		s.logRejected(id, api, "", httpStatus(e), s.scrub(e), start)
		return out.fail(s.scrub(e))
	}
	for _, k := range []string{"type", "generate"} {
		delete(rr.req.Extra, k)
	}
	if warmup {
		// generate: false opens the conversation without a model call:
		// an empty completed response the next request can continue.
		enc := responses.NewEncoder(out, rr.encoderOptions(id, start))
		enc.End()
		if enc.Flush() != nil {
			return false
		}
		s.remember(id, rr, &sluice.Result{}, latest)
		return true
	}
	ar := rr.ar(id)
	if err := ar.req.Validate(); err != nil {
		e := sluice.AsError(err)
		s.logRejected(id, api, ar.name, httpStatus(e), s.scrub(e), start)
		return out.fail(s.scrub(e))
	}
	rt, rerr := s.resolve(ctx, ar.name)
	if rerr != nil {
		s.logRejected(id, api, ar.name, httpStatus(rerr), s.scrub(rerr), start)
		return out.fail(s.scrub(rerr))
	}
	ar.req.Model = rt.model
	ar.prepare(rt)
	rctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(s.stopping, func() { cancel(context.Cause(s.stopping)) })
	defer func() {
		stop()
		cancel(context.Canceled)
	}()
	st, err := rt.provider.Stream(rctx, ar.req)
	if err != nil {
		e := sluice.AsError(err)
		if isShutdown(rctx) {
			e = errShutdown
		}
		s.logRejected(id, api, ar.name, httpStatus(e), s.scrub(e), start)
		return out.fail(s.scrub(e))
	}
	c := &call{id: id, api: api, name: rt.name, provider: rt.providerName, model: rt.model,
		prompt: lastUserText(ar.req), system: ar.req.System, start: start}
	s.active.Add(1)
	defer s.active.Done()
	s.metrics.streamStarted(st, c.provider, c.model)
	defer s.metrics.streamEnded()
	enc := responses.NewEncoder(out, rr.encoderOptions(id, start))
	fe := &protoFrontend{enc: enc, heartbeat: func() error { return nil }}
	rl := &relay{enc: &rememberingFrontend{frontend: fe, remember: func(res *sluice.Result) { s.remember(id, rr, res, latest) }},
		heartbeat: -1, scrub: s.scrub}
	res := rl.run(rctx, st)
	s.finish(c, res)
	return !res.clientGone && out.err == nil
}

// wsWriter turns what a responses Encoder writes (whole SSE events, one
// Write per Flush) into one WebSocket text frame per event, the JSON
// alone.
type wsWriter struct {
	ctx  context.Context
	conn *websocket.Conn
	err  error
}

func (w *wsWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	for _, block := range bytes.Split(p, []byte("\n\n")) {
		for _, line := range bytes.Split(block, []byte("\n")) {
			data, ok := bytes.CutPrefix(line, []byte("data: "))
			if !ok {
				continue
			}
			if err := w.conn.Write(w.ctx, websocket.MessageText, data); err != nil {
				w.err = err
				return 0, err
			}
		}
	}
	return len(p), nil
}

// fail sends a failure before any event as the error frame Codex reads as
// an HTTP error, and reports whether the connection can go on.
func (w *wsWriter) fail(e *sluice.Error) bool {
	status := httpStatus(e)
	code, msg := responses.FailureCode(e)
	if e.Kind == sluice.KindNotFound || e.Kind == sluice.KindAuth || e.Kind == sluice.KindBadRequest {
		code = e.Code
	}
	frame := map[string]any{"type": "error", "status": status,
		"error": map[string]any{"type": errorTypeFor(e), "code": code, "message": msg}}
	if e.RetryAfter > 0 {
		frame["headers"] = map[string]string{"retry-after": strconv.Itoa(int((e.RetryAfter + time.Second - 1) / time.Second)),
			"retry-after-ms": strconv.FormatInt(e.RetryAfter.Milliseconds(), 10)}
	}
	b, _ := json.Marshal(frame)
	if err := w.conn.Write(w.ctx, websocket.MessageText, b); err != nil {
		return false
	}
	return !errors.Is(w.ctx.Err(), context.Canceled)
}

// errorTypeFor is the OpenAI error type of a Kind.
func errorTypeFor(e *sluice.Error) string {
	switch e.Kind {
	case sluice.KindRateLimit:
		return "rate_limit_error"
	case sluice.KindBadRequest, sluice.KindNotFound, sluice.KindContentFilter:
		return "invalid_request_error"
	case sluice.KindAuth:
		return "authentication_error"
	case sluice.KindPermission:
		return "permission_error"
	}
	return "server_error"
}
