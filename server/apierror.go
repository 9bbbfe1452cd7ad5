package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/anthropic"
	"github.com/sluicehq/sluice/provider/openai"
)

// httpStatus returns the HTTP status to answer e with. The server's own
// errors carry their status, and an upstream 4xx (a 422, a 413) is passed
// through as it came; anything else is its Kind's status
// ([sluice.Kind.HTTPStatus]), but for a server error: the server speaks as
// the gateway, and an upstream that failed is a 502 to its client, not a
// failure of sluice.
func httpStatus(e *sluice.Error) int {
	if e.Status >= 400 && e.Status < 600 && (e.Provider == "" || e.Status < 500) {
		return e.Status
	}
	if e.Kind == sluice.KindServer {
		return http.StatusBadGateway
	}
	return e.Kind.HTTPStatus()
}

// writeJSON writes v as a JSON reply.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// messageWithHint joins an error's message and hint for APIs that have one
// message field.
func messageWithHint(e *sluice.Error) string {
	if e.Hint == "" {
		return e.Message
	}
	return e.Message + "; " + e.Hint
}

// setRetryAfter passes an upstream's requested wait on to the client.
func setRetryAfter(h http.Header, e *sluice.Error) {
	if e.RetryAfter <= 0 {
		return
	}
	h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	h.Set("Retry-After-Ms", strconv.FormatInt(e.RetryAfter.Milliseconds(), 10))
}

// writeAPIError answers a /v1 request in the error format of the API it
// called: Anthropic's for /v1/messages or a client sending
// anthropic-version, OpenAI's otherwise. Each protocol package writes its
// own errors, as the simulator does. The hint of the server's own errors
// (an unknown model, a bad field) is folded into the message, since both
// APIs have only the one field; an upstream's hint is for the operator.
func (s *Server) writeAPIError(w http.ResponseWriter, r *http.Request, e *sluice.Error) int {
	e = s.scrub(e)
	if e.Provider == "" && e.Hint != "" {
		e.Message, e.Hint = messageWithHint(e), ""
	}
	sw := &statusWriter{ResponseWriter: w}
	if strings.HasPrefix(r.URL.Path, "/v1/messages") || isAnthropic(r) {
		anthropic.WriteError(sw, e)
	} else {
		openai.WriteError(sw, e)
	}
	return sw.status
}

// statusWriter remembers the status written, for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// apiMethod returns the method of a fixed /v1 path, for a 405 reply.
func apiMethod(path string) (string, bool) {
	switch path {
	case "/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/messages/count_tokens", "/v1/responses/input_tokens":
		return http.MethodPost, true
	case "/v1/models", "/v1/logs":
		return http.MethodGet, true
	}
	return "", false
}

// handleAPINotFound answers an unknown /v1 path, or a known one with the
// wrong method, in the API's error format.
func (s *Server) handleAPINotFound(w http.ResponseWriter, r *http.Request) {
	if m, ok := apiMethod(r.URL.Path); ok {
		w.Header().Set("Allow", m)
		s.writeAPIError(w, r, &sluice.Error{Kind: sluice.KindBadRequest, Status: http.StatusMethodNotAllowed,
			Message: fmt.Sprintf("%s does not take %s", r.URL.Path, r.Method), Hint: "use " + m})
		return
	}
	s.writeAPIError(w, r, &sluice.Error{Kind: sluice.KindNotFound, Status: http.StatusNotFound,
		Message: fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path),
		Hint:    "sluice serves POST /v1/chat/completions, POST /v1/messages, POST /v1/responses, POST /v1/messages/count_tokens, POST /v1/responses/input_tokens, GET /v1/models and GET /v1/logs"})
}

// byteSize formats a byte count for a person.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
