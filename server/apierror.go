package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
)

// statusClientClosed is the status logged (never sent) for a request whose
// client went away, as nginx does.
const statusClientClosed = 499

// httpStatus returns the HTTP status to answer e with. The server's own
// errors carry their status; an upstream's is mapped from its Kind, except
// that an upstream 4xx (a 422, a 413) is passed through as it came.
func httpStatus(e *sluice.Error) int {
	if e.Status >= 400 && e.Status < 600 && (e.Provider == "" || e.Status < 500) {
		return e.Status
	}
	switch e.Kind {
	case sluice.KindAuth:
		return http.StatusUnauthorized
	case sluice.KindPermission:
		return http.StatusForbidden
	case sluice.KindNotFound:
		return http.StatusNotFound
	case sluice.KindBadRequest, sluice.KindContentFilter:
		return http.StatusBadRequest
	case sluice.KindRateLimit, sluice.KindBudget:
		return http.StatusTooManyRequests
	case sluice.KindOverloaded:
		return http.StatusServiceUnavailable
	case sluice.KindServer, sluice.KindConnection, sluice.KindTruncated, sluice.KindProtocol:
		return http.StatusBadGateway
	case sluice.KindTimeout, sluice.KindStall:
		return http.StatusGatewayTimeout
	case sluice.KindCanceled:
		return statusClientClosed
	}
	return http.StatusInternalServerError
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

// openAIErrorType is the "type" OpenAI's API gives an error of this status.
func openAIErrorType(status int, k sluice.Kind) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= 500:
		return "server_error"
	case k == sluice.KindNotFound && status == http.StatusNotFound:
		return "invalid_request_error"
	}
	return "invalid_request_error"
}

// anthropicErrorType is the "type" Anthropic's API gives an error of this
// status.
func anthropicErrorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden, http.StatusPaymentRequired:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case http.StatusGatewayTimeout:
		return "timeout_error"
	case http.StatusServiceUnavailable, 529:
		return "overloaded_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

// openAIError is OpenAI's error reply body.
type openAIError struct {
	Error openAIErrorBody `json:"error"`
}

type openAIErrorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// anthropicError is Anthropic's error reply body.
type anthropicError struct {
	Type      string             `json:"type"`
	Error     anthropicErrorBody `json:"error"`
	RequestID string             `json:"request_id,omitempty"`
}

type anthropicErrorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// writeOpenAIError answers with OpenAI's error JSON. e must be scrubbed.
func writeOpenAIError(w http.ResponseWriter, e *sluice.Error) int {
	status := httpStatus(e)
	body := openAIError{Error: openAIErrorBody{Message: messageWithHint(e), Type: openAIErrorType(status, e.Kind)}}
	if e.Code != "" {
		body.Error.Code = &e.Code
	} else if e.Kind != sluice.KindUnknown {
		k := e.Kind.String()
		body.Error.Code = &k
	}
	setRetryAfter(w.Header(), e)
	writeJSON(w, status, body)
	return status
}

// writeAnthropicError answers with Anthropic's error JSON. e must be
// scrubbed. Anthropic answers an overloaded server with 529.
func writeAnthropicError(w http.ResponseWriter, e *sluice.Error, requestID string) int {
	status := httpStatus(e)
	if e.Kind == sluice.KindOverloaded && status == http.StatusServiceUnavailable {
		status = 529
	}
	setRetryAfter(w.Header(), e)
	writeJSON(w, status, anthropicError{Type: "error", RequestID: requestID,
		Error: anthropicErrorBody{Type: anthropicErrorType(status), Message: messageWithHint(e)}})
	return status
}

// writeAPIError answers a /v1 request in the error format of the API it
// called: Anthropic's for /v1/messages or a client sending
// anthropic-version, OpenAI's otherwise.
func (s *Server) writeAPIError(w http.ResponseWriter, r *http.Request, e *sluice.Error) int {
	e = s.scrub(e)
	if strings.HasPrefix(r.URL.Path, "/v1/messages") || isAnthropic(r) {
		return writeAnthropicError(w, e, w.Header().Get("X-Request-Id"))
	}
	return writeOpenAIError(w, e)
}

// handleAPINotFound answers an unknown /v1 path in the API's error format.
func (s *Server) handleAPINotFound(w http.ResponseWriter, r *http.Request) {
	s.writeAPIError(w, r, &sluice.Error{Kind: sluice.KindNotFound, Status: http.StatusNotFound,
		Message: fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path),
		Hint:    "sluice serves POST /v1/chat/completions, POST /v1/messages, GET /v1/models and GET /v1/logs"})
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
