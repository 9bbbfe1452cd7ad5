package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestModels(t *testing.T) {
	e := newTestEnv(t, nil)
	t.Run("openai shape", func(t *testing.T) {
		resp, body := e.do(t, "GET", "/v1/models", "")
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		var got struct {
			Object  string        `json:"object"`
			Data    []openAIModel `json:"data"`
			Default string        `json:"default"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range got.Data {
			ids = append(ids, m.ID)
			if m.Object != "model" || m.OwnedBy == "" {
				t.Errorf("model %+v lacks object or owned_by", m)
			}
		}
		want := "fake/words,fake/fail,fake/forge,fake/hang,gpt-4o-mini"
		if strings.Join(ids, ",") != want || got.Object != "list" || got.Default != "fake/words" {
			t.Errorf("got %s (default %q), want %s", strings.Join(ids, ","), got.Default, want)
		}
		if !got.Data[0].Default || got.Data[4].AliasFor != "fake/words" {
			t.Errorf("default or alias not marked: %+v", got.Data)
		}
	})
	t.Run("anthropic shape", func(t *testing.T) {
		_, body := e.do(t, "GET", "/v1/models", "", "anthropic-version", "2023-06-01")
		var got struct {
			Data    []anthropicModel `json:"data"`
			HasMore bool             `json:"has_more"`
			FirstID string           `json:"first_id"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Data) != 5 || got.Data[0].Type != "model" || got.FirstID != "fake/words" || got.HasMore {
			t.Errorf("got %s", body)
		}
	})
	for _, tt := range []struct {
		name, path, header string
		status             int
		contains           string
	}{
		{"retrieve", "/v1/models/fake/words", "", 200, `"id":"fake/words"`},
		{"retrieve alias", "/v1/models/gpt-4o-mini", "", 200, `"alias_for":"fake/words"`},
		{"retrieve unknown", "/v1/models/nope/x", "", 404, "openai:not_found_error:model_not_found"},
		{"retrieve unknown anthropic", "/v1/models/nope/x", "2023-06-01", 404, "anthropic:not_found_error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, "GET", tt.path, "", "anthropic-version", tt.header)
			if resp.StatusCode >= 400 {
				body = []byte(decodeAPIError(t, body).String())
			}
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.contains) {
				t.Errorf("%s: %d %s, want %d with %s", tt.path, resp.StatusCode, body, tt.status, tt.contains)
			}
		})
	}
}

func TestLogs(t *testing.T) {
	e := newTestEnv(t, nil)
	e.do(t, "GET", "/stream?prompt=first&model=fake/words", "")
	e.do(t, "GET", "/stream?prompt=second&model=fake/fail", "")
	e.srv.active.Wait()
	if err := e.store.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	resp, body := e.do(t, "GET", "/v1/logs?limit=2", "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got struct {
		Data []struct {
			Prompt, Text, Model, API, Error string
			ErrorKind                       string `json:"error_kind"`
			Partial                         bool
			Finish                          string `json:"finish_reason"`
			Metrics                         map[string]any
		}
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Data) != 2 {
		t.Fatalf("got %d entries: %s", len(got.Data), body)
	}
	newest, oldest := got.Data[0], got.Data[1]
	if newest.Prompt != "second" || !newest.Partial || newest.Text != "partial text" || newest.ErrorKind != "server" ||
		newest.Finish != "error" || !strings.Contains(newest.Error, "[redacted]") {
		t.Errorf("newest = %+v", newest)
	}
	if oldest.Prompt != "first" || oldest.Text != "Hello, world" || oldest.Partial || oldest.API != "stream" ||
		oldest.Model != "fake/words" || oldest.Metrics["ttft_ms"] == nil {
		t.Errorf("oldest = %+v", oldest)
	}
	for _, bad := range []string{"abc", "0", "-3", "1001"} {
		resp, body := e.do(t, "GET", "/v1/logs?limit="+bad, "")
		if resp.StatusCode != 400 || decodeAPIError(t, body).Type != "invalid_request_error" {
			t.Errorf("limit=%s: %d %s", bad, resp.StatusCode, body)
		}
	}
}

func TestLogsDisabled(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.RequestLog = nil })
	_, body := e.do(t, "GET", "/v1/logs", "")
	if string(body) != `{"data":[],"enabled":false,"object":"list"}`+"\n" {
		t.Errorf("got %s", body)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	e := newTestEnv(t, nil)
	e.do(t, "GET", "/stream?prompt=x&model=fake/words", "")
	e.do(t, "GET", "/stream?prompt=x&model=fake/fail", "")
	e.do(t, "GET", "/stream?prompt=x&model=fake/reject", "")
	e.srv.active.Wait()
	resp, body := e.do(t, "GET", "/metrics", "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{
		`gen_ai_server_time_to_first_token_seconds_count{gen_ai_provider_name="fake",gen_ai_request_model="words"} 1`,
		`gen_ai_server_time_per_output_token_seconds_count{gen_ai_provider_name="fake",gen_ai_request_model="words"} 1`,
		`sluice_inter_token_latency_seconds_count{gen_ai_provider_name="fake",gen_ai_request_model="words"} 1`,
		`gen_ai_client_token_usage_sum{gen_ai_provider_name="fake",gen_ai_request_model="words",gen_ai_token_type="output"} 2`,
		`gen_ai_client_token_usage_sum{gen_ai_provider_name="fake",gen_ai_request_model="words",gen_ai_token_type="input"} 3`,
		`gen_ai_client_operation_duration_seconds_count{gen_ai_provider_name="fake",gen_ai_request_model="words"} 1`,
		`sluice_requests_total{model="words",outcome="ok",provider="fake"} 1`,
		`sluice_requests_total{model="fail",outcome="error",provider="fake"} 1`,
		`sluice_requests_total{model="reject",outcome="error",provider="fake"} 1`,
		`sluice_upstream_errors_total{kind="server"} 1`,
		`sluice_upstream_errors_total{kind="rate_limit"} 1`,
		`sluice_active_streams 0`,
		`sluice_client_disconnects_total 0`,
		`sluice_request_log_dropped_total 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestModelLabelsAreBounded(t *testing.T) {
	m := newMetrics(nil)
	for i := range maxModelLabels + 10 {
		m.modelLabel(strings.Repeat("m", i+1))
	}
	if got := m.modelLabel("one-more"); got != "other" {
		t.Errorf("label past the bound = %q, want other", got)
	}
	if got := m.modelLabel("m"); got != "m" {
		t.Errorf("a known label became %q", got)
	}
}

func TestHealth(t *testing.T) {
	e := newTestEnv(t, nil)
	resp, body := e.do(t, "GET", "/healthz", "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"ok"`) {
		t.Errorf("healthz = %d %s", resp.StatusCode, body)
	}
}

func TestCORS(t *testing.T) {
	closed := newTestEnv(t, nil)
	listed := newTestEnv(t, func(c *Config) { c.CORSOrigins = []string{"https://app.example/", "http://localhost:3000"} })
	open := newTestEnv(t, func(c *Config) { c.CORSOrigins = []string{"*"} })
	for _, tt := range []struct {
		name, method, origin string
		env                  *testEnv
		status               int
		allow                string
	}{
		{"same origin", "GET", "", closed, 200, ""},
		{"not allowed by default", "GET", "https://evil.example", closed, 200, ""},
		{"preflight refused", "OPTIONS", "https://evil.example", closed, 204, ""},
		{"listed", "GET", "https://app.example", listed, 200, "https://app.example"},
		{"listed, other case", "GET", "HTTP://LOCALHOST:3000", listed, 200, "HTTP://LOCALHOST:3000"},
		{"not listed", "GET", "https://evil.example", listed, 200, ""},
		{"preflight listed", "OPTIONS", "https://app.example", listed, 204, "https://app.example"},
		{"any", "GET", "https://evil.example", open, 200, "*"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := []string{"Origin", tt.origin}
			if tt.method == "OPTIONS" {
				h = append(h, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type, x-stainless-os")
			}
			resp, _ := tt.env.do(t, tt.method, "/v1/models", "", h...)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.allow {
				t.Errorf("Allow-Origin %q, want %q", got, tt.allow)
			}
			if tt.method == "OPTIONS" && tt.allow != "" {
				if resp.Header.Get("Access-Control-Allow-Headers") != "content-type, x-stainless-os" ||
					!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
					t.Errorf("preflight headers %v", resp.Header)
				}
			}
		})
	}
}

func TestPage(t *testing.T) {
	e := newTestEnv(t, nil)
	for _, tt := range []struct {
		path, ctype, contains string
	}{
		{"/", "text/html", "<title>sluice</title>"},
		{"/app.js", "text/javascript", "sseEvents"},
		{"/style.css", "text/css", "prefers-color-scheme: dark"},
	} {
		resp, body := e.do(t, "GET", tt.path, "")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.ctype) ||
			!strings.Contains(string(body), tt.contains) {
			t.Errorf("GET %s: %d %s", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("GET %s: no CSP", tt.path)
		}
	}
	resp, _ := e.do(t, "POST", "/", "")
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d", resp.StatusCode)
	}
	// The page inserts text as text only.
	_, js := e.do(t, "GET", "/app.js", "")
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"} {
		if strings.Contains(string(js), bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
}

func TestAPINotFound(t *testing.T) {
	e := newTestEnv(t, nil)
	resp, body := e.do(t, "GET", "/v1/nothing", "")
	if got := decodeAPIError(t, body); resp.StatusCode != 404 || got.Format != "openai" || !strings.Contains(got.Message, "no endpoint GET /v1/nothing") {
		t.Errorf("OpenAI 404: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(t, "GET", "/v1/nothing", "", "anthropic-version", "2023-06-01")
	if got := decodeAPIError(t, body); resp.StatusCode != 404 || got.Format != "anthropic" || got.Type != "not_found_error" {
		t.Errorf("Anthropic 404: %d %s", resp.StatusCode, body)
	}
}

// No secret reaches a reply, a log line, the metrics or the request log.
func TestSecretsNeverWritten(t *testing.T) {
	e := newTestEnv(t, nil)
	var all strings.Builder
	for _, path := range []string{
		"/stream?prompt=x&model=fake/fail",
		"/stream?prompt=x&model=fake/leak",
		"/stream?prompt=my+key+is+" + testSecret + "&system=key+" + testSecret + "&model=fake/words",
		"/v1/models/fake/leak",
	} {
		_, body := e.do(t, "GET", path, "")
		all.Write(body)
	}
	e.srv.active.Wait()
	if err := e.store.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/metrics", "/v1/logs", "/healthz", "/v1/models"} {
		_, body := e.do(t, "GET", path, "")
		all.Write(body)
	}
	all.WriteString(e.log.String())
	if !strings.Contains(all.String(), "[redacted]") {
		t.Error("no output mentions the redacted key; the test no longer exercises a leak")
	}
	if strings.Contains(all.String(), testSecret) {
		t.Errorf("the secret appears in the output:\n%s", all.String())
	}
}

// Each request logs one structured line with what an operator needs.
func TestRequestLogLine(t *testing.T) {
	e := newTestEnv(t, nil)
	resp, _ := e.do(t, "GET", "/stream?prompt=x&model=fake/words", "")
	e.srv.active.Wait()
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(e.log.String()), "\n") {
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatal(err)
		}
	}
	if line["msg"] != "request" || line["id"] != resp.Header.Get("X-Request-Id") || line["model"] != "fake/words" ||
		line["finish"] != "stop" || line["outcome"] != "ok" || line["output_tokens"] != 2.0 || line["ttft_ms"] == nil {
		t.Errorf("log line %v", line)
	}
}
