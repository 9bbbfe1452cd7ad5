package gemini

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// rpcStatus is the google.rpc.Status JSON Gemini sends for errors.
type rpcStatus struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Status  string            `json:"status"`
	Details []json.RawMessage `json:"details,omitempty"`
}

type rpcDetail struct {
	Type       string `json:"@type"`
	Reason     string `json:"reason"`
	RetryDelay string `json:"retryDelay"`
}

// ParseError turns a Gemini HTTP error reply, a google.rpc.Status as
// {"error":{"code","message","status","details"}} (or that object in a
// one-element array), into a *sluice.Error: Code is the status
// ("RESOURCE_EXHAUSTED"), Message Gemini's message verbatim, RetryAfter the
// RetryInfo detail's retryDelay or else the Retry-After header. An invalid
// API key, which Gemini answers with 400 INVALID_ARGUMENT and reason
// API_KEY_INVALID, is KindAuth; FAILED_PRECONDITION (billing, an
// unsupported region) is KindPermission. It never returns nil.
func ParseError(status int, h http.Header, body []byte) *sluice.Error {
	e := parseRPC(body, status)
	if e == nil {
		msg := strings.TrimSpace(string(body))
		if msg == "" {
			msg = http.StatusText(status)
		}
		e = &sluice.Error{Kind: sluice.KindForStatus(status), Message: msg}
	}
	e.Status = status
	if e.RetryAfter == 0 && h != nil {
		e.RetryAfter = sluice.RetryAfter(h, time.Now())
	}
	return e
}

// rpcError builds the error of an in-stream {"error":{…}} object.
func rpcError(v []byte, status int) error {
	wrapped := make([]byte, 0, len(v)+10)
	wrapped = append(append(append(wrapped, `{"error":`...), v...), '}')
	if e := parseRPC(wrapped, status); e != nil {
		return e
	}
	return &sluice.Error{Kind: sluice.KindServer, Message: string(v)}
}

// parseRPC reads a google.rpc error body; nil if body is not one.
func parseRPC(body []byte, status int) *sluice.Error {
	b := jsonwire.TrimSpace(body)
	if len(b) > 0 && b[0] == '[' {
		e, _ := jsonwire.ArrayElements(b)
		b, _ = e.Next()
	}
	var env struct {
		Error *rpcStatus `json:"error"`
	}
	if json.Unmarshal(b, &env) != nil || env.Error == nil {
		return nil
	}
	r := env.Error
	e := &sluice.Error{Code: r.Status, Message: r.Message}
	if e.Message == "" {
		e.Message = r.Status
	}
	reason := ""
	for _, raw := range r.Details {
		var d rpcDetail
		if json.Unmarshal(raw, &d) != nil {
			continue
		}
		switch {
		case strings.HasSuffix(d.Type, "google.rpc.RetryInfo"):
			e.RetryAfter = parseDuration(d.RetryDelay)
		case strings.HasSuffix(d.Type, "google.rpc.ErrorInfo") && d.Reason != "":
			reason = d.Reason
		}
	}
	code := r.Code
	if code == 0 {
		code = status
	}
	e.Kind = kindFor(r.Status, code)
	switch {
	case reason == "API_KEY_INVALID" || strings.Contains(r.Message, "API key not valid") || e.Kind == sluice.KindAuth:
		e.Kind = sluice.KindAuth
		e.Hint = "check GEMINI_API_KEY; get a key at https://aistudio.google.com/apikey"
	case e.Kind == sluice.KindNotFound:
		e.Hint = "check the model name; Provider.Models lists the models this key can use"
	case e.Kind == sluice.KindPermission:
		e.Hint = "the key's project may need billing enabled or access to this model"
	}
	return e
}

// kindFor maps a google.rpc status (or, failing that, an HTTP code) to a Kind.
func kindFor(status string, code int) sluice.Kind {
	switch status {
	case "INVALID_ARGUMENT", "OUT_OF_RANGE":
		return sluice.KindBadRequest
	case "FAILED_PRECONDITION", "PERMISSION_DENIED":
		return sluice.KindPermission
	case "UNAUTHENTICATED":
		return sluice.KindAuth
	case "NOT_FOUND":
		return sluice.KindNotFound
	case "RESOURCE_EXHAUSTED":
		return sluice.KindRateLimit
	case "UNAVAILABLE":
		return sluice.KindOverloaded
	case "DEADLINE_EXCEEDED":
		return sluice.KindTimeout
	case "CANCELLED":
		return sluice.KindCanceled
	case "INTERNAL", "UNKNOWN", "DATA_LOSS", "ABORTED":
		return sluice.KindServer
	}
	if k := sluice.KindForStatus(code); k != sluice.KindUnknown {
		return k
	}
	return sluice.KindServer
}

// parseDuration reads a google.protobuf.Duration in JSON ("26s", "0.5s").
func parseDuration(s string) time.Duration {
	s = strings.TrimSpace(s)
	if !strings.HasSuffix(s, "s") {
		return 0
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || f > 1e9 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// StatusFor returns the HTTP status to answer e with: its upstream Status
// when that is an error status, otherwise its Kind's ([sluice.Kind.HTTPStatus]),
// whose 500 for a server error and 499 for a cancelled request Gemini calls
// INTERNAL and CANCELLED.
func StatusFor(e *sluice.Error) int {
	if e.Status >= 400 && e.Status <= 599 {
		return e.Status
	}
	return e.Kind.HTTPStatus()
}

// statusName is the google.rpc status for e: its own Code when that is one,
// otherwise the status of its HTTP code.
func statusName(e *sluice.Error, code int) string {
	if c := e.Code; c != "" && strings.ToUpper(c) == c && !strings.ContainsAny(c, " -.") {
		return c
	}
	if e.Kind == sluice.KindOverloaded {
		// Gemini says "overloaded" with UNAVAILABLE whatever the status
		// (a relayed Anthropic 529 included), so the kind survives a round trip.
		return "UNAVAILABLE"
	}
	switch code {
	case 400:
		if e.Kind == sluice.KindPermission {
			return "FAILED_PRECONDITION"
		}
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	case 409:
		return "ABORTED"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case 501:
		return "UNIMPLEMENTED"
	case 502, 503:
		return "UNAVAILABLE"
	case 504:
		return "DEADLINE_EXCEEDED"
	}
	if code >= 400 && code < 500 {
		return "INVALID_ARGUMENT"
	}
	return "INTERNAL"
}

// appendRPC appends e as {"error":{"code","message","status"[,"details"]}},
// indented when indent is set (as Gemini's HTTP error bodies are).
func appendRPC(b []byte, e *sluice.Error, indent bool) []byte {
	if e == nil {
		e = &sluice.Error{Kind: sluice.KindUnknown, Message: "unknown error"}
	}
	code := StatusFor(e)
	msg := e.Message
	if msg == "" {
		msg = e.Error()
	}
	r := rpcStatus{Code: code, Message: msg, Status: statusName(e, code)}
	if e.RetryAfter > 0 {
		d, _ := json.Marshal(map[string]string{
			"@type":      "type.googleapis.com/google.rpc.RetryInfo",
			"retryDelay": strconv.FormatFloat(e.RetryAfter.Seconds(), 'f', -1, 64) + "s",
		})
		r.Details = append(r.Details, d)
	}
	env := struct {
		Error rpcStatus `json:"error"`
	}{r}
	var out []byte
	if indent {
		out, _ = json.MarshalIndent(env, "", "  ")
	} else {
		out, _ = json.Marshal(env)
	}
	return append(b, out...)
}

// WriteError writes e as Gemini does before a stream starts: the status for
// its Kind (or its own upstream Status) and a google.rpc.Status body with a
// RetryInfo detail when it has a RetryAfter, which also goes in a
// Retry-After header.
func WriteError(w http.ResponseWriter, e *sluice.Error) {
	if e == nil {
		e = &sluice.Error{Kind: sluice.KindUnknown, Message: "unknown error"}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(e.RetryAfter.Seconds())), 10))
	}
	w.WriteHeader(StatusFor(e))
	w.Write(append(appendRPC(nil, e, true), '\n'))
}
