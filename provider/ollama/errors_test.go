package ollama

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
		name       string
		status     int
		header     http.Header
		body       string
		kind       sluice.Kind
		msg        string
		hint       string
		retryAfter time.Duration
	}{
		{"model not pulled", 404, nil, `{"error":"model \"llama3\" not found, try pulling it first"}`, sluice.KindNotFound, `model "llama3" not found, try pulling it first`, "pull the model first: ollama pull llama3", 0},
		{"model not found quoted once", 404, nil, `{"error":"model 'qwen3:8b' not found"}`, sluice.KindNotFound, `model 'qwen3:8b' not found`, "pull the model first: ollama pull qwen3:8b", 0},
		{"bad request", 400, nil, `{"error":"registry.ollama.ai/library/gemma:2b does not support tools"}`, sluice.KindBadRequest, "registry.ollama.ai/library/gemma:2b does not support tools", "", 0},
		{"unauthorized with sign-in", 401, nil, `{"error":"unauthorized","signin_url":"https://ollama.com/connect?key=abc"}`, sluice.KindAuth, "unauthorized", "sign in to Ollama at https://ollama.com/connect?key=abc", 0},
		{"unauthorized", 401, nil, `{"error":"unauthorized"}`, sluice.KindAuth, "unauthorized", "set OLLAMA_API_KEY, or run `ollama signin`", 0},
		{"rate limited", 429, http.Header{"Retry-After": {"7"}}, `{"error":"too many requests"}`, sluice.KindRateLimit, "too many requests", "", 7 * time.Second},
		{"server", 500, nil, `{"error":"model requires more system memory (5.6 GiB) than is available (1.2 GiB)"}`, sluice.KindServer, "model requires more system memory (5.6 GiB) than is available (1.2 GiB)", "", 0},
		{"proxy html", 502, nil, "<html>Bad Gateway</html>", sluice.KindServer, "<html>Bad Gateway</html>", "", 0},
		{"overloaded", 503, nil, `{"error":"server busy, please try again.  maximum pending requests exceeded"}`, sluice.KindOverloaded, "server busy, please try again.  maximum pending requests exceeded", "", 0},
		{"empty body", 500, nil, "", sluice.KindServer, "Internal Server Error", "", 0},
		{"openai-shaped body", 400, nil, `{"error":{"message":"bad","type":"invalid_request_error"}}`, sluice.KindBadRequest, "bad", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ParseError(tt.status, tt.header, []byte(tt.body))
			if e.Kind != tt.kind || e.Message != tt.msg || e.Status != tt.status || e.Hint != tt.hint || e.RetryAfter != tt.retryAfter {
				t.Errorf("got kind=%v status=%d msg=%q hint=%q retry=%v\nwant kind=%v status=%d msg=%q hint=%q retry=%v",
					e.Kind, e.Status, e.Message, e.Hint, e.RetryAfter, tt.kind, tt.status, tt.msg, tt.hint, tt.retryAfter)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		err    *sluice.Error
		status int
		body   string
		retry  string
	}{
		{&sluice.Error{Kind: sluice.KindNotFound, Message: `model "x" not found`}, 404, `{"error":"model \"x\" not found"}`, ""},
		{&sluice.Error{Kind: sluice.KindRateLimit, Message: "slow down", RetryAfter: 1500 * time.Millisecond}, 429, `{"error":"slow down"}`, "2"},
		{&sluice.Error{Kind: sluice.KindServer, Status: 502, Message: "upstream"}, 502, `{"error":"upstream"}`, ""},
		{&sluice.Error{Kind: sluice.KindAuth}, 401, `{"error":"auth"}`, ""},
		{&sluice.Error{Kind: sluice.KindTruncated, Message: "cut"}, 502, `{"error":"cut"}`, ""},
		{&sluice.Error{Kind: sluice.KindBudget, Message: "spent"}, 400, `{"error":"spent"}`, ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		WriteError(rec, tt.err)
		if rec.Code != tt.status || strings.TrimSpace(rec.Body.String()) != tt.body || rec.Header().Get("Retry-After") != tt.retry {
			t.Errorf("%v: got %d %s retry=%q, want %d %s retry=%q", tt.err, rec.Code, rec.Body, rec.Header().Get("Retry-After"), tt.status, tt.body, tt.retry)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q", ct)
		}
		// What WriteError writes, ParseError reads back.
		back := ParseError(rec.Code, rec.Header(), rec.Body.Bytes())
		if back.Message != tt.err.Message && tt.err.Message != "" {
			t.Errorf("ParseError(WriteError) message = %q, want %q", back.Message, tt.err.Message)
		}
	}
}
