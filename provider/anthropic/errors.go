package anthropic

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// errorKinds maps the API's error.type values (the SDKs' ErrorType enum plus
// the request_too_large and conflict_error seen in the errors docs) to Kinds.
var errorKinds = map[string]sluice.Kind{
	"invalid_request_error": sluice.KindBadRequest,
	"request_too_large":     sluice.KindBadRequest,
	"authentication_error":  sluice.KindAuth,
	"permission_error":      sluice.KindPermission,
	"billing_error":         sluice.KindPermission,
	"not_found_error":       sluice.KindNotFound,
	"rate_limit_error":      sluice.KindRateLimit,
	"api_error":             sluice.KindServer,
	"timeout_error":         sluice.KindTimeout,
	"overloaded_error":      sluice.KindOverloaded,
	// 409: the SDKs retry it, so it is not the caller's fault.
	"conflict_error": sluice.KindServer,
}

// kindForType maps an error.type to a Kind. An unknown type falls back on
// the HTTP status; inside a 200 stream (status 0) it is a server failure,
// since the provider broke off a response it had accepted.
func kindForType(typ string, status int) sluice.Kind {
	if k, ok := errorKinds[typ]; ok {
		return k
	}
	if status == 0 {
		return sluice.KindServer
	}
	return sluice.KindForStatus(status)
}

// typeForKind is the error.type this package writes for a Kind.
func typeForKind(k sluice.Kind) string {
	switch k {
	case sluice.KindBadRequest, sluice.KindContentFilter, sluice.KindBudget:
		// A spent budget is answered with 400, not 429 (see
		// sluice.Kind.HTTPStatus), so its type is that of a 400.
		return "invalid_request_error"
	case sluice.KindAuth:
		return "authentication_error"
	case sluice.KindPermission:
		return "permission_error"
	case sluice.KindNotFound:
		return "not_found_error"
	case sluice.KindRateLimit:
		return "rate_limit_error"
	case sluice.KindTimeout, sluice.KindStall:
		return "timeout_error"
	case sluice.KindOverloaded:
		return "overloaded_error"
	}
	return "api_error"
}

// errorType is the error.type to write for e: its Code when that is one of
// Anthropic's own types of the same kind (so billing_error survives a
// relay), otherwise the type of its Kind.
func errorType(e *sluice.Error) string {
	if k, ok := errorKinds[e.Code]; ok && k == e.Kind {
		return e.Code
	}
	return typeForKind(e.Kind)
}

// statusForKind is the HTTP status this package answers a Kind with: the
// shared one ([sluice.Kind.HTTPStatus]), but 529 for overload, the API's
// own status for it, which its SDKs and Claude Code tell apart from a 503.
func statusForKind(k sluice.Kind) int {
	if k == sluice.KindOverloaded {
		return 529
	}
	return k.HTTPStatus()
}

// errorStatus is the status to answer e with: e.Status when it agrees with
// the Kind (402 stays 402), otherwise the Kind's own status.
func errorStatus(e *sluice.Error) int {
	if e.Status >= 400 && e.Status <= 599 && sluice.KindForStatus(e.Status) == e.Kind {
		return e.Status
	}
	return statusForKind(e.Kind)
}

// wireError is the API's error body, over HTTP and inside a stream.
type wireError struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
	RequestID string `json:"request_id,omitempty"`
}

// ParseError turns an HTTP error reply of the Messages API into a
// *sluice.Error: Kind from error.type (from the status when the type is
// unknown or the body is not the API's JSON, as from a proxy), Code the
// error.type, Message the provider's message verbatim (or the body), Status
// and RetryAfter from the reply. It never returns nil.
func ParseError(status int, h http.Header, body []byte) *sluice.Error {
	e := &sluice.Error{Provider: Protocol, Status: status}
	var w wireError
	if json.Unmarshal(body, &w) == nil && (w.Error.Type != "" || w.Error.Message != "") {
		e.Code, e.Message = w.Error.Type, w.Error.Message
		e.Kind = kindForType(w.Error.Type, status)
	} else {
		e.Kind = sluice.KindForStatus(status)
		e.Message = string(bytes.TrimSpace(body))
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	if h != nil {
		e.RetryAfter = sluice.RetryAfter(h, time.Now())
	}
	switch e.Kind {
	case sluice.KindAuth:
		e.Hint = "check ANTHROPIC_API_KEY"
	case sluice.KindNotFound:
		e.Hint = "check the model name and ANTHROPIC_BASE_URL"
	}
	return e
}

// appendErrorBody appends the API's error object for e:
// {"type":"error","error":{"type":…,"message":…}}.
func appendErrorBody(dst []byte, e *sluice.Error) []byte {
	msg := e.Message
	if msg == "" {
		msg = e.Error()
	}
	dst = append(dst, `{"type":"error","error":{"type":`...)
	dst = jsonwire.AppendString(dst, errorType(e))
	dst = append(dst, `,"message":`...)
	dst = jsonwire.AppendString(dst, msg)
	return append(dst, `}}`...)
}

// WriteError answers an HTTP request with e as the Messages API would: its
// JSON error body, the status the API uses for e's Kind (or e.Status when it
// agrees with the Kind), and retry-after in whole seconds when e has a
// RetryAfter. A nil e is written as an api_error.
func WriteError(w http.ResponseWriter, e *sluice.Error) {
	if e == nil {
		e = &sluice.Error{Kind: sluice.KindServer, Message: "internal error"}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if e.RetryAfter > 0 {
		secs := int64((e.RetryAfter + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	if e.Kind.Retryable() {
		h.Set("X-Should-Retry", "true")
	}
	w.WriteHeader(errorStatus(e))
	_, _ = w.Write(appendErrorBody(nil, e))
}
