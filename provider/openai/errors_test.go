package openai

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

// TestParseError maps HTTP error replies of OpenAI and the compatible
// servers onto Kind, Code, Message and RetryAfter.
func TestParseError(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		kind       sluice.Kind
		code       string
		message    string
		retryAfter time.Duration
	}{
		{"openai 401", 401, nil, "{\n    \"error\": {\n        \"message\": \"Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.\",\n        \"type\": \"invalid_request_error\",\n        \"param\": null,\n        \"code\": \"invalid_api_key\"\n    }\n}\n",
			sluice.KindAuth, "invalid_api_key", "Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.", 0},
		{"openai 429 tokens", 429, http.Header{"Retry-After": {"2"}}, `{"error":{"message":"Rate limit reached for gpt-4o in organization org-xxx on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}`,
			sluice.KindRateLimit, "rate_limit_exceeded", "Rate limit reached for gpt-4o in organization org-xxx on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s.", 2 * time.Second},
		{"retry-after-ms wins", 429, http.Header{"Retry-After-Ms": {"1500"}, "Retry-After": {"9"}}, `{"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
			sluice.KindRateLimit, "rate_limit_exceeded", "slow down", 1500 * time.Millisecond},
		{"quota is not a rate limit", 429, nil, `{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
			sluice.KindPermission, "insufficient_quota", "You exceeded your current quota, please check your plan and billing details.", 0},
		{"openai 400", 400, nil, `{"error":{"message":"Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.","type":"invalid_request_error","param":"max_tokens","code":"unsupported_parameter"}}`,
			sluice.KindBadRequest, "unsupported_parameter", "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", 0},
		{"content policy", 400, nil, `{"error":{"message":"Your request was rejected as a result of our safety system.","type":"invalid_request_error","param":null,"code":"content_policy_violation"}}`,
			sluice.KindContentFilter, "content_policy_violation", "Your request was rejected as a result of our safety system.", 0},
		{"openai 403", 403, nil, `{"error":{"message":"Country, region, or territory not supported","type":"request_forbidden","param":null,"code":"unsupported_country_region_territory"}}`,
			sluice.KindPermission, "unsupported_country_region_territory", "Country, region, or territory not supported", 0},
		{"openai 404", 404, nil, "{\"error\":{\"message\":\"The model `gpt-x` does not exist or you do not have access to it.\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}",
			sluice.KindNotFound, "model_not_found", "The model `gpt-x` does not exist or you do not have access to it.", 0},
		{"openai 500, null code", 500, nil, `{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`,
			sluice.KindServer, "server_error", "The server had an error while processing your request. Sorry about that!", 0},
		{"openai 503", 503, nil, `{"error":{"message":"The engine is currently overloaded, please try again later","type":"service_unavailable_error","param":null,"code":"server_is_overloaded"}}`,
			sluice.KindOverloaded, "server_is_overloaded", "The engine is currently overloaded, please try again later", 0},
		{"vllm flat", 400, nil, `{"object":"error","message":"max_tokens must be at least 1, got 0.","type":"BadRequestError","param":null,"code":400}`,
			sluice.KindBadRequest, "BadRequestError", "max_tokens must be at least 1, got 0.", 0},
		{"llama.cpp", 400, nil, `{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":4096}}`,
			sluice.KindBadRequest, "exceed_context_size_error", "the request exceeds the available context size", 0},
		{"ollama native", 404, nil, `{"error":"model \"llama3\" not found, try pulling it first"}`,
			sluice.KindNotFound, "", `model "llama3" not found, try pulling it first`, 0},
		{"ollama v1", 404, nil, `{"error":{"message":"model \"llama3\" not found","type":"not_found_error","param":null,"code":null}}`,
			sluice.KindNotFound, "not_found_error", `model "llama3" not found`, 0},
		{"lm studio", 500, nil, `{"error":{"message":"Compute error."},"message":"Compute error."}`,
			sluice.KindServer, "", "Compute error.", 0},
		{"openrouter credits", 402, nil, `{"error":{"code":402,"message":"Insufficient credits","metadata":{}}}`,
			sluice.KindPermission, "", "Insufficient credits", 0},
		{"proxy html", 502, nil, "<html><body><h1>502 Bad Gateway</h1></body></html>\n",
			sluice.KindServer, "", "<html><body><h1>502 Bad Gateway</h1></body></html>", 0},
		{"empty", 504, nil, "", sluice.KindTimeout, "", "504 Gateway Timeout", 0},
		{"529", 529, http.Header{"Retry-After": {"1"}}, `{"error":{"message":"busy","type":"overloaded_error"}}`,
			sluice.KindOverloaded, "overloaded_error", "busy", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ParseError(tt.status, tt.header, []byte(tt.body))
			if e.Kind != tt.kind || e.Code != tt.code || e.Message != tt.message || e.Status != tt.status || e.RetryAfter != tt.retryAfter {
				t.Errorf("got kind %s code %q message %q status %d retry %v\nwant kind %s code %q message %q status %d retry %v",
					e.Kind, e.Code, e.Message, e.Status, e.RetryAfter, tt.kind, tt.code, tt.message, tt.status, tt.retryAfter)
			}
		})
	}
}

// TestWriteError checks the status, headers and body WriteError writes, and
// that ParseError reads them back.
func TestWriteError(t *testing.T) {
	tests := []struct {
		err    *sluice.Error
		status int
		body   string
		header map[string]string
	}{
		{&sluice.Error{Kind: sluice.KindRateLimit, Code: "rate_limit_exceeded", Message: "slow down", RetryAfter: 1500 * time.Millisecond}, 429,
			"{\n    \"error\": {\n        \"message\": \"slow down\",\n        \"type\": \"rate_limit_error\",\n        \"param\": null,\n        \"code\": \"rate_limit_exceeded\"\n    }\n}\n",
			map[string]string{"Retry-After": "2", "Retry-After-Ms": "1500", "Content-Type": "application/json"}},
		{&sluice.Error{Kind: sluice.KindAuth, Message: "bad key", Hint: "set OPENAI_API_KEY"}, 401, "", nil},
		{&sluice.Error{Kind: sluice.KindBadRequest, Message: "no model"}, 400, "", nil},
		{&sluice.Error{Kind: sluice.KindNotFound, Message: "no such model"}, 404, "", nil},
		{&sluice.Error{Kind: sluice.KindOverloaded, Status: 529, Message: "Overloaded"}, 529, "", nil},
		{&sluice.Error{Kind: sluice.KindServer, Status: 200, Message: "mid-stream"}, 500, "", nil},
		{&sluice.Error{Kind: sluice.KindBudget, Message: "budget spent"}, 400, "", nil},
		{&sluice.Error{Kind: sluice.KindTimeout, Message: "no first token"}, 504, "", nil},
		{&sluice.Error{Kind: sluice.KindConnection, Message: "refused"}, 502, "", nil},
		{&sluice.Error{Kind: sluice.KindContentFilter, Message: "blocked"}, 400, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.err.Kind.String(), func(t *testing.T) {
			rec := httptest.NewRecorder()
			WriteError(rec, tt.err)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.body != "" && rec.Body.String() != tt.body {
				t.Errorf("body\n%s\nwant\n%s", rec.Body, tt.body)
			}
			for k, v := range tt.header {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if strings.Contains(rec.Body.String(), "OPENAI_API_KEY") {
				t.Error("the hint reached the client")
			}
			back := ParseError(rec.Code, rec.Header(), rec.Body.Bytes())
			if back.Message != tt.err.Message {
				t.Errorf("read back message %q", back.Message)
			}
			if tt.err.Kind != sluice.KindBudget && tt.err.Kind != sluice.KindConnection && back.Kind != tt.err.Kind && tt.err.Status != 200 {
				t.Errorf("read back kind %s, want %s", back.Kind, tt.err.Kind)
			}
			if tt.err.RetryAfter > 0 && back.RetryAfter != tt.err.RetryAfter {
				t.Errorf("read back retry after %v", back.RetryAfter)
			}
		})
	}
}

// TestStreamErrorShapes maps the in-stream error shapes.
func TestStreamErrorShapes(t *testing.T) {
	tests := []struct {
		data string
		kind sluice.Kind
		code string
		msg  string
	}{
		{`{"error":{"message":"m","type":"server_error","param":null,"code":null}}`, sluice.KindServer, "server_error", "m"},
		{`{"error":{"message":"m","type":"BadRequestError","param":null,"code":400}}`, sluice.KindBadRequest, "BadRequestError", "m"},
		{`{"error":{"message":"m","type":"invalid_request_error","code":"context_length_exceeded"}}`, sluice.KindBadRequest, "context_length_exceeded", "m"},
		{`{"error":{"message":"m","code":429}}`, sluice.KindRateLimit, "", "m"},
		{`{"error":{"code":502,"message":"Provider returned error","metadata":{"provider_name":"x"}},"choices":[]}`, sluice.KindServer, "", "Provider returned error"},
		{`{"error":"an error was encountered while running the model"}`, sluice.KindServer, "", "an error was encountered while running the model"},
		{`{"type":"error","message":"flat"}`, sluice.KindServer, "error", "flat"},
		{`not json`, sluice.KindServer, "", "not json"},
		{`{"error":{"message":"m","type":"rate_limit_error"}}`, sluice.KindRateLimit, "rate_limit_error", "m"},
		{`{"error":{"code":"content_filter","message":"filtered"}}`, sluice.KindContentFilter, "content_filter", "filtered"},
	}
	for _, tt := range tests {
		e := sluice.AsError(streamError([]byte(tt.data)))
		if e.Kind != tt.kind || e.Code != tt.code || e.Message != tt.msg || e.Status != 0 {
			t.Errorf("%s: kind %s code %q message %q status %d, want %s %q %q", tt.data, e.Kind, e.Code, e.Message, e.Status, tt.kind, tt.code, tt.msg)
		}
	}
}
