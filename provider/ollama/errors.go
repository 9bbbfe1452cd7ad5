package ollama

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// ParseError turns an Ollama HTTP error reply into a *sluice.Error. Ollama
// answers {"error":"<message>"} with the real status; the message is kept
// verbatim. A 404 for a model that is not pulled is KindNotFound with a hint
// naming the `ollama pull` command, and a 401 carries the sign-in URL Ollama
// sends for its cloud models. It never returns nil.
func ParseError(status int, h http.Header, body []byte) *sluice.Error {
	var b struct {
		Error     json.RawMessage `json:"error"`
		SigninURL string          `json:"signin_url"`
	}
	msg := ""
	if json.Unmarshal(body, &b) == nil && b.Error != nil {
		if s, err := jsonwire.UnmarshalString(b.Error); err == nil {
			msg = s
		} else if m, ok := jsonwire.Lookup(b.Error, "message"); ok {
			msg, _ = jsonwire.UnmarshalString(m)
		}
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	e := &sluice.Error{Kind: sluice.KindForStatus(status), Status: status, Message: msg}
	if h != nil {
		e.RetryAfter = sluice.RetryAfter(h, time.Now())
	}
	switch {
	case status == http.StatusNotFound:
		e.Kind = sluice.KindNotFound
		if m := modelNotFound.FindStringSubmatch(msg); m != nil {
			e.Hint = fmt.Sprintf("pull the model first: ollama pull %s", m[1])
		} else {
			e.Hint = "pull the model first with `ollama pull <model>`, or check OLLAMA_HOST"
		}
	case status == http.StatusUnauthorized:
		e.Kind = sluice.KindAuth
		if b.SigninURL != "" {
			e.Hint = "sign in to Ollama at " + b.SigninURL
		} else {
			e.Hint = "set OLLAMA_API_KEY, or run `ollama signin`"
		}
	}
	return e
}

var modelNotFound = regexp.MustCompile(`model ['"]([^'"]+)['"] not found`)

// WriteError writes e as Ollama does before a stream starts: the status for
// its Kind (or its own upstream Status) and {"error":"<message>"}. A
// RetryAfter becomes a Retry-After header in whole seconds.
func WriteError(w http.ResponseWriter, e *sluice.Error) {
	if e == nil {
		e = &sluice.Error{Kind: sluice.KindUnknown, Message: "unknown error"}
	}
	msg := e.Message
	if msg == "" {
		msg = e.Error()
	}
	var b bytes.Buffer
	b.WriteString(`{"error":`)
	b.Write(jsonwire.AppendHTMLString(nil, msg))
	b.WriteString("}")
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(e.RetryAfter.Seconds())), 10))
	}
	w.WriteHeader(StatusFor(e))
	w.Write(b.Bytes())
}

// StatusFor returns the HTTP status to answer e with: its upstream Status
// when that is an error status, otherwise its Kind's ([sluice.Kind.HTTPStatus]).
func StatusFor(e *sluice.Error) int {
	if e.Status >= 400 && e.Status <= 599 {
		return e.Status
	}
	return e.Kind.HTTPStatus()
}
