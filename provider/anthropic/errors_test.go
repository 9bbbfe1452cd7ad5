package anthropic

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

func TestParseError(t *testing.T) {
	body := func(typ, msg string) string {
		return `{"type":"error","error":{"type":"` + typ + `","message":"` + msg + `"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}`
	}
	tests := []struct {
		status     int
		header     http.Header
		body       string
		kind       sluice.Kind
		code, msg  string
		retryAfter time.Duration
	}{
		{400, nil, body("invalid_request_error", "max_tokens: Field required"), sluice.KindBadRequest, "invalid_request_error", "max_tokens: Field required", 0},
		{401, nil, body("authentication_error", "invalid x-api-key"), sluice.KindAuth, "authentication_error", "invalid x-api-key", 0},
		{402, nil, body("billing_error", "Your credit balance is too low"), sluice.KindPermission, "billing_error", "Your credit balance is too low", 0},
		{403, nil, body("permission_error", "no access"), sluice.KindPermission, "permission_error", "no access", 0},
		{404, nil, body("not_found_error", "The requested resource could not be found."), sluice.KindNotFound, "not_found_error", "The requested resource could not be found.", 0},
		{409, nil, body("conflict_error", "conflict"), sluice.KindServer, "conflict_error", "conflict", 0},
		{413, nil, body("request_too_large", "Request exceeds the maximum allowed number of bytes."), sluice.KindBadRequest, "request_too_large", "Request exceeds the maximum allowed number of bytes.", 0},
		{429, http.Header{"Retry-After": {"7"}}, body("rate_limit_error", "Number of requests has exceeded your per-minute rate limit"), sluice.KindRateLimit, "rate_limit_error", "Number of requests has exceeded your per-minute rate limit", 7 * time.Second},
		{429, http.Header{"Retry-After-Ms": {"1"}}, body("rate_limit_error", "slow"), sluice.KindRateLimit, "rate_limit_error", "slow", time.Millisecond},
		{500, nil, body("api_error", "Internal server error"), sluice.KindServer, "api_error", "Internal server error", 0},
		{504, nil, body("timeout_error", "Request timed out"), sluice.KindTimeout, "timeout_error", "Request timed out", 0},
		{529, nil, body("overloaded_error", "Overloaded"), sluice.KindOverloaded, "overloaded_error", "Overloaded", 0},
		{400, nil, body("future_error", "new"), sluice.KindBadRequest, "future_error", "new", 0},
		{502, nil, "<html>Bad Gateway</html>", sluice.KindServer, "", "<html>Bad Gateway</html>", 0},
		{503, nil, "", sluice.KindOverloaded, "", "Service Unavailable", 0},
	}
	for _, tt := range tests {
		e := ParseError(tt.status, tt.header, []byte(tt.body))
		if e.Kind != tt.kind || e.Code != tt.code || e.Message != tt.msg || e.Status != tt.status || e.RetryAfter != tt.retryAfter || e.Provider != Protocol {
			t.Errorf("ParseError(%d, %s) = %+v, want kind %v code %q message %q retry %v", tt.status, tt.body, e, tt.kind, tt.code, tt.msg, tt.retryAfter)
		}
	}
	if e := ParseError(401, nil, []byte(body("authentication_error", "x"))); e.Hint == "" {
		t.Error("auth error without a hint")
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		err        *sluice.Error
		status     int
		typ        string
		retryAfter string
	}{
		{&sluice.Error{Kind: sluice.KindBadRequest, Message: "bad"}, 400, "invalid_request_error", ""},
		{&sluice.Error{Kind: sluice.KindAuth, Message: "who"}, 401, "authentication_error", ""},
		{&sluice.Error{Kind: sluice.KindPermission, Status: 402, Code: "billing_error", Message: "pay"}, 402, "billing_error", ""},
		{&sluice.Error{Kind: sluice.KindPermission, Message: "no"}, 403, "permission_error", ""},
		{&sluice.Error{Kind: sluice.KindNotFound, Message: "none"}, 404, "not_found_error", ""},
		{&sluice.Error{Kind: sluice.KindRateLimit, Message: "slow", RetryAfter: 1500 * time.Millisecond}, 429, "rate_limit_error", "2"},
		{&sluice.Error{Kind: sluice.KindBudget, Message: "budget"}, 400, "invalid_request_error", ""},
		{&sluice.Error{Kind: sluice.KindOverloaded, Status: 503, Message: "busy"}, 503, "overloaded_error", ""},
		{&sluice.Error{Kind: sluice.KindOverloaded, Message: "busy"}, 529, "overloaded_error", ""},
		{&sluice.Error{Kind: sluice.KindServer, Status: 200, Message: "oops"}, 500, "api_error", ""},
		{&sluice.Error{Kind: sluice.KindTimeout, Message: "late"}, 504, "timeout_error", ""},
		{&sluice.Error{Kind: sluice.KindConnection, Message: "refused"}, 502, "api_error", ""},
		{&sluice.Error{Kind: sluice.KindRateLimit, Code: "overloaded_error", Message: "mismatch"}, 429, "rate_limit_error", ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		WriteError(rec, tt.err)
		var body wireError
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if rec.Code != tt.status || body.Type != "error" || body.Error.Type != tt.typ || body.Error.Message != tt.err.Message ||
			rec.Header().Get("Retry-After") != tt.retryAfter || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("WriteError(%+v): %d %s %v", tt.err, rec.Code, rec.Body, rec.Header())
		}
		// What WriteError writes, ParseError reads back to the same kind.
		if back := ParseError(rec.Code, rec.Header(), rec.Body.Bytes()); back.Kind != tt.err.Kind && tt.err.Kind != sluice.KindBudget && tt.err.Kind != sluice.KindConnection {
			t.Errorf("round trip of %v gives %v", tt.err.Kind, back.Kind)
		}
	}
}
