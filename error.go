package sluice

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kind classifies an [Error] so callers decide what to do (retry, fail over,
// fix the request) without reading provider-specific codes.
type Kind uint8

// The error kinds. KindTruncated and KindProtocol extend DESIGN.md's list: a
// stream that ends without its end marker and a provider payload that does not
// parse are different faults from a refused connection, and callers log them
// differently.
const (
	KindUnknown       Kind = iota
	KindAuth               // missing or invalid credentials (401)
	KindPermission         // authenticated but not allowed (403, billing)
	KindNotFound           // unknown model or path (404)
	KindBadRequest         // the request is invalid (400, 413, 422)
	KindRateLimit          // too many requests or tokens (429)
	KindOverloaded         // the provider is overloaded (503, 529)
	KindServer             // the provider failed (500, 502)
	KindTimeout            // a deadline passed (408, 504, connect or TTFT timeout)
	KindStall              // no bytes for longer than the idle timeout
	KindConnection         // the connection failed or broke
	KindCanceled           // the caller cancelled
	KindContentFilter      // the provider refused for safety reasons
	KindBudget             // sluice's own token budget ran out
	KindTruncated          // the stream ended without the protocol's end marker
	KindProtocol           // the provider sent something that does not parse
)

var kindNames = [...]string{
	KindUnknown: "unknown", KindAuth: "auth", KindPermission: "permission", KindNotFound: "not_found",
	KindBadRequest: "bad_request", KindRateLimit: "rate_limit", KindOverloaded: "overloaded",
	KindServer: "server", KindTimeout: "timeout", KindStall: "stall", KindConnection: "connection",
	KindCanceled: "canceled", KindContentFilter: "content_filter", KindBudget: "budget",
	KindTruncated: "truncated", KindProtocol: "protocol",
}

// String returns the kind's snake_case name, as used in logs and metrics.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// MarshalText encodes the kind by name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a kind name.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown error kind %q", b)
}

// Retryable reports whether a request that failed this way may succeed if sent
// again. Whether it is safe to do so also depends on [Error.Streamed].
func (k Kind) Retryable() bool {
	switch k {
	case KindRateLimit, KindOverloaded, KindServer, KindTimeout, KindStall, KindConnection, KindTruncated:
		return true
	}
	return false
}

// HTTPStatus returns the HTTP status to answer an error of this kind with
// when the error carries no status of its own: the one mapping every
// protocol's WriteError and the server build on, each adding its own rule
// about an upstream's status (pass it through, or map it). The choices:
//
//   - Where [KindForStatus] maps a status to the kind, the status is the
//     usual one for it, so the kind survives a relay: 401 auth, 403
//     permission, 404 not found, 400 bad request, 429 rate limit, 503
//     overloaded, 504 timeout, and 500 for a server error, the status every
//     provider API answers its own failures with (a server relaying one as
//     the gateway says 502 itself).
//   - KindBudget is 400, not 429: the SDKs retry a 429, and a spent budget
//     stays spent.
//   - KindContentFilter is 400, as the providers answer a refused prompt.
//   - KindStall is 504, a timeout of the idle kind.
//   - KindConnection, KindTruncated and KindProtocol are 502: the upstream
//     could not be reached, broke off, or sent what does not parse.
//   - KindCanceled is 499, nginx's "client closed request": no client reads
//     it, but the logs and metrics do.
//   - KindUnknown is 500.
//
// A protocol may still differ where its clients expect it: Anthropic's API
// answers overload with 529 (see provider/anthropic's WriteError).
func (k Kind) HTTPStatus() int {
	switch k {
	case KindAuth:
		return http.StatusUnauthorized
	case KindPermission:
		return http.StatusForbidden
	case KindNotFound:
		return http.StatusNotFound
	case KindBadRequest, KindContentFilter, KindBudget:
		return http.StatusBadRequest
	case KindRateLimit:
		return http.StatusTooManyRequests
	case KindOverloaded:
		return http.StatusServiceUnavailable
	case KindTimeout, KindStall:
		return http.StatusGatewayTimeout
	case KindConnection, KindTruncated, KindProtocol:
		return http.StatusBadGateway
	case KindCanceled:
		return 499 // nginx's "client closed request"; net/http has no name for it
	}
	return http.StatusInternalServerError // KindServer, KindUnknown
}

// Error is the one error type of sluice. It implements Unwrap, so errors.Is
// and errors.As reach its cause.
type Error struct {
	Kind Kind `json:"kind"`
	// Provider is the provider's name ("openai", "anthropic", …).
	Provider string `json:"provider,omitempty"`
	// Status is the upstream HTTP status, or 0 if none was received or the
	// error arrived inside a 200 stream.
	Status int `json:"status,omitempty"`
	// Code is the provider's own error type or code ("rate_limit_exceeded").
	Code string `json:"code,omitempty"`
	// Message is the provider's own message, kept verbatim.
	Message string `json:"message"`
	// Hint says what to do: the variable to set, the flag to pass.
	Hint string `json:"hint,omitempty"`
	// RetryAfter is the provider's requested wait, 0 if it gave none.
	RetryAfter time.Duration `json:"retry_after_ns,omitempty"`
	// Streamed reports whether content had already been streamed when the
	// error happened; such a request cannot be retried invisibly.
	Streamed bool `json:"streamed,omitempty"`
	// Err is the underlying cause, if any.
	Err error `json:"-"`
}

// Error formats the error as "provider: kind (status code): message (hint)".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Provider != "" {
		b.WriteString(e.Provider)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Status != 0 || e.Code != "" {
		b.WriteString(" (")
		if e.Status != 0 {
			b.WriteString(strconv.Itoa(e.Status))
			if e.Code != "" {
				b.WriteByte(' ')
			}
		}
		b.WriteString(e.Code)
		b.WriteByte(')')
	}
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %v)", e.RetryAfter)
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the request may be sent again: the kind is
// retryable and nothing has been streamed yet.
func (e *Error) Retryable() bool { return e.Kind.Retryable() && !e.Streamed }

// AsError returns err as an *Error: itself if it is one (or wraps one),
// otherwise a new Error of a kind inferred from the cause (cancellation,
// deadline, or a broken connection).
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &Error{Kind: KindCanceled, Message: "the request was cancelled", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Kind: KindTimeout, Message: "the deadline passed", Err: err}
	}
	return &Error{Kind: KindConnection, Message: err.Error(), Err: err}
}

// KindForStatus maps an HTTP status to a Kind the way the official SDKs
// classify errors.
func KindForStatus(status int) Kind {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return KindBadRequest
	case http.StatusUnauthorized:
		return KindAuth
	case http.StatusPaymentRequired, http.StatusForbidden:
		return KindPermission
	case http.StatusNotFound:
		return KindNotFound
	case http.StatusRequestTimeout, http.StatusGatewayTimeout:
		return KindTimeout
	case http.StatusTooManyRequests:
		return KindRateLimit
	case http.StatusServiceUnavailable, 529:
		return KindOverloaded
	}
	switch {
	case status >= 500:
		return KindServer
	case status >= 400:
		return KindBadRequest
	}
	return KindUnknown
}

// RetryAfter reads how long a provider asked the client to wait:
// retry-after-ms (milliseconds, fractions allowed) first, then retry-after in
// seconds or as an HTTP date. It returns 0 when neither is present or valid.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && ms > 0 && !math.IsInf(ms, 0) && ms < 1e12 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s > 0 && !math.IsInf(s, 0) && s < 1e9 {
			return time.Duration(s * float64(time.Second))
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
