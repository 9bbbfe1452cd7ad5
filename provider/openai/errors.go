package openai

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// wireError is an error object as OpenAI and the compatible servers send it.
// code is a string at OpenAI and an integer HTTP status at vLLM, llama.cpp
// and OpenRouter; LM Studio sends only message.
type wireError struct {
	message, typ, code string
	status             int // an integer code
}

// parseWireError reads the error object v: {"message","type","param","code"}
// or a bare string (Ollama's native shape).
func parseWireError(v []byte) wireError {
	var we wireError
	var scratch []byte
	if jsonwire.IsString(v) {
		we.message = stringValue(v, &scratch)
		return we
	}
	it, ok := jsonwire.ObjectMembers(v)
	if !ok {
		we.message = string(bytes.TrimSpace(v))
		return we
	}
	for k, val, ok := it.Next(); ok; k, val, ok = it.Next() {
		switch string(k) {
		case "message":
			if jsonwire.IsString(val) {
				we.message = stringValue(val, &scratch)
			} else if !jsonwire.IsNull(val) {
				we.message = string(val)
			}
		case "type":
			we.typ = stringValue(val, &scratch)
		case "code":
			if jsonwire.IsString(val) {
				we.code = stringValue(val, &scratch)
			} else if n, ok := intValue(val); ok && n >= 100 && n <= 599 {
				we.status = int(n)
			}
		}
	}
	if we.message == "" {
		we.message = string(v)
	}
	return we
}

// errorObject finds the error object in a body: {"error":{...}},
// {"error":"..."}, or the flat {"object":"error","message",...} of old vLLM.
func errorObject(body []byte) ([]byte, bool) {
	if !json.Valid(body) {
		return nil, false
	}
	if v, ok := jsonwire.Lookup(body, "error"); ok && !jsonwire.IsNull(v) {
		return v, true
	}
	if _, ok := jsonwire.Lookup(body, "message"); ok {
		return body, true
	}
	return nil, false
}

// streamError turns an in-stream error (a data chunk with an error key, or
// the data of an "event: error") into a *sluice.Error. The HTTP status was
// 200, so Status stays 0; an integer code, when the server sends one, picks
// the Kind as its status would.
func streamError(data []byte) error {
	obj, ok := errorObject(data)
	if !ok {
		msg := strings.TrimSpace(string(data))
		if msg == "" {
			msg = "the server sent an error event without a message"
		}
		return &sluice.Error{Kind: sluice.KindServer, Message: msg}
	}
	we := parseWireError(obj)
	kind := kindFor(we.status, we.typ, we.code)
	if kind == sluice.KindUnknown {
		kind = sluice.KindServer
	}
	return &sluice.Error{Kind: kind, Code: we.codeOrType(), Message: we.message}
}

func (we wireError) codeOrType() string {
	if we.code != "" {
		return we.code
	}
	return we.typ
}

// protocolError reports a chunk that does not parse, quoting its start.
func protocolError(what string, data []byte) error {
	const max = 200
	q := data
	if len(q) > max {
		q = q[:max]
		for len(q) > 0 && !utf8.Valid(q) {
			q = q[:len(q)-1]
		}
	}
	msg := what + ": " + strconv.Quote(string(q))
	if len(q) < len(data) {
		msg += "…"
	}
	return &sluice.Error{Kind: sluice.KindProtocol, Message: msg,
		Hint: "the server does not speak OpenAI's chat.completion.chunk format; check the base URL"}
}

// kindFor classifies an error by HTTP status (0 for none) refined by the
// provider's code and type: a 429 for insufficient_quota is a billing
// problem no retry fixes, and content-policy codes are KindContentFilter.
func kindFor(status int, typ, code string) sluice.Kind {
	switch code {
	case "insufficient_quota", "billing_hard_limit_reached", "billing_not_active", "account_deactivated":
		return sluice.KindPermission
	case "content_filter", "content_policy_violation":
		return sluice.KindContentFilter
	}
	if typ == "insufficient_quota" {
		return sluice.KindPermission
	}
	if status != 0 {
		return sluice.KindForStatus(status)
	}
	switch code {
	case "invalid_api_key":
		return sluice.KindAuth
	case "rate_limit_exceeded":
		return sluice.KindRateLimit
	case "model_not_found":
		return sluice.KindNotFound
	case "server_is_overloaded", "slow_down":
		return sluice.KindOverloaded
	case "context_length_exceeded", "unsupported_parameter", "invalid_value", "tool_use_failed":
		return sluice.KindBadRequest
	}
	switch typ {
	case "invalid_request_error", "BadRequestError", "exceed_context_size_error", "not_supported_error":
		return sluice.KindBadRequest
	case "authentication_error":
		return sluice.KindAuth
	case "permission_error", "request_forbidden":
		return sluice.KindPermission
	case "not_found_error":
		return sluice.KindNotFound
	case "rate_limit_error", "tokens", "requests":
		return sluice.KindRateLimit
	case "server_error", "api_error", "internal_error":
		return sluice.KindServer
	case "service_unavailable_error", "unavailable_error", "overloaded_error":
		return sluice.KindOverloaded
	case "timeout_error":
		return sluice.KindTimeout
	}
	return sluice.KindUnknown
}

// ParseError turns an HTTP error reply of OpenAI or an OpenAI-compatible
// server into a *sluice.Error: Kind from the status (refined by the code, see
// below), Code = the error's code (or its type when the code is null or a
// number), Message = the provider's message verbatim, Status, and RetryAfter
// from retry-after-ms or retry-after. It reads OpenAI's
// {"error":{"message","type","param","code"}}, vLLM's flat
// {"object":"error",...} and integer codes, LM Studio's message-only errors
// and Ollama's {"error":"..."}; any other body (an HTML page from a proxy) is
// kept as the message. A 429 whose code is insufficient_quota is
// KindPermission, since no retry fixes billing. Provider is left empty for
// the caller to fill.
func ParseError(status int, h http.Header, body []byte) *sluice.Error {
	e := &sluice.Error{Status: status}
	if obj, ok := errorObject(body); ok {
		we := parseWireError(obj)
		e.Message, e.Code = we.message, we.codeOrType()
		e.Kind = kindFor(status, we.typ, we.code)
	} else {
		e.Message = strings.TrimSpace(string(body))
		if len(e.Message) > 2048 {
			e.Message = strings.ToValidUTF8(e.Message[:2048], "") + "…"
		}
		if e.Message == "" {
			e.Message = strconv.Itoa(status) + " " + http.StatusText(status)
		}
	}
	if e.Kind == sluice.KindUnknown {
		e.Kind = sluice.KindForStatus(status)
	}
	if h != nil {
		e.RetryAfter = sluice.RetryAfter(h, time.Now())
	}
	return e
}

// errorTypes is the error type written for each Kind, as OpenAI names them
// where it has a name.
var errorTypes = [...]string{
	sluice.KindUnknown:       "server_error",
	sluice.KindAuth:          "authentication_error",
	sluice.KindPermission:    "permission_error",
	sluice.KindNotFound:      "not_found_error",
	sluice.KindBadRequest:    "invalid_request_error",
	sluice.KindRateLimit:     "rate_limit_error",
	sluice.KindOverloaded:    "service_unavailable_error",
	sluice.KindServer:        "server_error",
	sluice.KindTimeout:       "timeout_error",
	sluice.KindStall:         "timeout_error",
	sluice.KindConnection:    "server_error",
	sluice.KindCanceled:      "request_canceled",
	sluice.KindContentFilter: "invalid_request_error",
	sluice.KindBudget:        "budget_exceeded",
	sluice.KindTruncated:     "server_error",
	sluice.KindProtocol:      "server_error",
}

func errorType(k sluice.Kind) string {
	if int(k) < len(errorTypes) && errorTypes[k] != "" {
		return errorTypes[k]
	}
	return "server_error"
}

// statusFor is the HTTP status WriteError answers e with: its upstream
// Status when that is an error status, otherwise its Kind's
// ([sluice.Kind.HTTPStatus]; 400 for a spent budget, since the SDKs retry a
// 429).
func statusFor(e *sluice.Error) int {
	if e.Status >= 400 && e.Status <= 599 {
		return e.Status
	}
	return e.Kind.HTTPStatus()
}

// appendErrorObject appends {"message","type","param","code"} for e: type
// from its Kind, code its Code unless that only repeats the type.
func appendErrorObject(b []byte, e *sluice.Error) []byte {
	msg := e.Message
	if msg == "" {
		msg = e.Error()
	}
	typ := errorType(e.Kind)
	code := e.Code
	if code == "" && e.Kind == sluice.KindContentFilter {
		code = "content_policy_violation" // OpenAI's code for it
	}
	b = append(b, `{"message":`...)
	b = jsonwire.AppendString(b, msg)
	b = append(b, `,"type":`...)
	b = jsonwire.AppendString(b, typ)
	b = append(b, `,"param":null,"code":`...)
	if code != "" && code != typ {
		b = jsonwire.AppendString(b, code)
	} else {
		b = append(b, "null"...)
	}
	return append(b, '}')
}

// WriteError writes e as OpenAI writes an HTTP error: its status (e.Status
// when it is an error status, otherwise one chosen by Kind), Content-Type
// application/json, retry-after and retry-after-ms when RetryAfter is set, and
// {"error":{"message","type","param","code"}} indented by four spaces as the
// API does. The message is e.Message verbatim; e.Hint is meant for whoever
// runs sluice and is not sent.
func WriteError(w http.ResponseWriter, e *sluice.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if e.RetryAfter > 0 {
		secs := (e.RetryAfter + time.Second - 1) / time.Second
		h.Set("Retry-After", strconv.FormatInt(int64(secs), 10))
		h.Set("Retry-After-Ms", strconv.FormatInt(e.RetryAfter.Milliseconds(), 10))
	}
	var buf bytes.Buffer
	obj := appendErrorObject(nil, e)
	compact := append(append([]byte(`{"error":`), obj...), '}')
	if err := json.Indent(&buf, compact, "", "    "); err != nil {
		buf.Reset()
		buf.Write(compact)
	}
	buf.WriteByte('\n')
	w.WriteHeader(statusFor(e))
	w.Write(buf.Bytes())
}
