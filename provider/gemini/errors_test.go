package gemini

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

func TestParseError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		kind   sluice.Kind
		code   string
		msg    string
		hint   string
		retry  time.Duration
	}{
		{"quota with RetryInfo", 429, http.Header{"Retry-After": {"3"}}, `{
  "error": {
    "code": 429,
    "message": "You exceeded your current quota, please check your plan and billing details.",
    "status": "RESOURCE_EXHAUSTED",
    "details": [
      { "@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [ { "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests", "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier" } ] },
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "26s" }
    ]
  }
}`, sluice.KindRateLimit, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.", "", 26 * time.Second},
		{"quota, header only", 429, http.Header{"Retry-After": {"3"}}, `{"error":{"code":429,"message":"slow","status":"RESOURCE_EXHAUSTED"}}`, sluice.KindRateLimit, "RESOURCE_EXHAUSTED", "slow", "", 3 * time.Second},
		{"bad key", 400, nil, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`, sluice.KindAuth, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", "check GEMINI_API_KEY; get a key at https://aistudio.google.com/apikey", 0},
		{"invalid argument", 400, nil, `{"error":{"code":400,"message":"* GenerateContentRequest.contents: contents is not specified\n","status":"INVALID_ARGUMENT"}}`, sluice.KindBadRequest, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified\n", "", 0},
		{"billing", 400, nil, `{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}`, sluice.KindPermission, "FAILED_PRECONDITION", "User location is not supported for the API use.", "the key's project may need billing enabled or access to this model", 0},
		{"permission", 403, nil, `{"error":{"code":403,"message":"Your API key was reported as leaked.","status":"PERMISSION_DENIED"}}`, sluice.KindPermission, "PERMISSION_DENIED", "Your API key was reported as leaked.", "the key's project may need billing enabled or access to this model", 0},
		{"no such model", 404, nil, `{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta","status":"NOT_FOUND"}}`, sluice.KindNotFound, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta", "check the model name; Provider.Models lists the models this key can use", 0},
		{"internal", 500, nil, `{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}`, sluice.KindServer, "INTERNAL", "An internal error has occurred.", "", 0},
		{"overloaded", 503, nil, `{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`, sluice.KindOverloaded, "UNAVAILABLE", "The model is overloaded. Please try again later.", "", 0},
		{"deadline", 504, nil, `{"error":{"code":504,"message":"Deadline expired before operation could complete.","status":"DEADLINE_EXCEEDED"}}`, sluice.KindTimeout, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.", "", 0},
		{"array wrapped", 500, nil, `[{"error":{"code":500,"message":"boom","status":"INTERNAL"}}]`, sluice.KindServer, "INTERNAL", "boom", "", 0},
		{"not rpc", 502, nil, "<html>Bad Gateway</html>", sluice.KindServer, "", "<html>Bad Gateway</html>", "", 0},
		{"empty", 503, nil, "", sluice.KindOverloaded, "", "Service Unavailable", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ParseError(tt.status, tt.header, []byte(tt.body))
			if e.Kind != tt.kind || e.Code != tt.code || e.Message != tt.msg || e.Status != tt.status || e.Hint != tt.hint || e.RetryAfter != tt.retry {
				t.Errorf("got kind=%v code=%q status=%d msg=%q hint=%q retry=%v", e.Kind, e.Code, e.Status, e.Message, e.Hint, e.RetryAfter)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		err    *sluice.Error
		status int
		code   string
		retry  string
	}{
		{&sluice.Error{Kind: sluice.KindRateLimit, Message: "quota", RetryAfter: 26 * time.Second}, 429, "RESOURCE_EXHAUSTED", "26"},
		{&sluice.Error{Kind: sluice.KindNotFound, Message: "no model"}, 404, "NOT_FOUND", ""},
		{&sluice.Error{Kind: sluice.KindAuth, Message: "bad key"}, 401, "UNAUTHENTICATED", ""},
		{&sluice.Error{Kind: sluice.KindServer, Status: 503, Code: "overloaded_error", Message: "busy"}, 503, "UNAVAILABLE", ""},
		{&sluice.Error{Kind: sluice.KindBadRequest, Status: 400, Code: "FAILED_PRECONDITION", Message: "region"}, 400, "FAILED_PRECONDITION", ""},
		{&sluice.Error{Kind: sluice.KindCanceled, Message: "gone"}, 499, "CANCELLED", ""},
		{&sluice.Error{Kind: sluice.KindBudget, Message: "spent"}, 400, "INVALID_ARGUMENT", ""},
		{&sluice.Error{Kind: sluice.KindServer, Message: "oops"}, 500, "INTERNAL", ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		WriteError(rec, tt.err)
		if rec.Code != tt.status || rec.Header().Get("Retry-After") != tt.retry || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Errorf("%v: status %d, headers %v", tt.err, rec.Code, rec.Header())
		}
		back := ParseError(rec.Code, nil, rec.Body.Bytes())
		if back.Code != tt.code || back.Message != tt.err.Message || back.RetryAfter != tt.err.RetryAfter {
			t.Errorf("%v: ParseError(WriteError) = code %q msg %q retry %v\n%s", tt.err, back.Code, back.Message, back.RetryAfter, rec.Body)
		}
	}
}
