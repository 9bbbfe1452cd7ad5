package openai

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

// server answers /chat/completions with body (as SSE, or as JSON when the
// content type says so) and /models with a list, recording the last request.
type server struct {
	*httptest.Server
	status      int
	contentType string
	header      http.Header
	body        string
	last        *http.Request
	lastBody    []byte
}

func newServer(t *testing.T, body string) *server {
	t.Helper()
	s := &server{status: 200, contentType: "text/event-stream; charset=utf-8", body: body, header: http.Header{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.last = r
		s.lastBody, _ = io.ReadAll(r.Body)
		for k, v := range s.header {
			w.Header()[k] = v
		}
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/models"):
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"object":"list","data":[{"id":"gpt-4o","object":"model"},{"id":"gpt-4o-mini","object":"model"}]}`)
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/chat/completions"):
			w.Header().Set("Content-Type", s.contentType)
			w.WriteHeader(s.status)
			io.WriteString(w, s.body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func hello() *sluice.Request {
	return &sluice.Request{Model: "gpt-4o", Messages: []sluice.Message{sluice.UserMessage("Hi")}, MaxTokens: 50, TopK: 3,
		Header: map[string]string{"X-Trace": "t1", "Authorization": "Bearer stolen"}}
}

func collect(t *testing.T, s *sluice.Stream) (sluice.Result, error) {
	t.Helper()
	var last error
	for _, err := range s.Events() {
		last = err
	}
	return s.Result(), last
}

func TestProviderStream(t *testing.T) {
	srv := newServer(t, string(readFile(t, "text_2024.sse")))
	p := New(Config{APIKey: "sk-test", BaseURL: srv.URL + "/v1", Header: http.Header{"Openai-Organization": {"org-1"}}})
	s, err := p.Stream(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	res, err := collect(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "I'm unable" || res.Provider != "openai" || res.Model != "gpt-4o-2024-08-06" || res.Usage.Output.N != 30 || res.Partial {
		t.Errorf("result %+v", res)
	}
	r := srv.last
	if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-test" ||
		r.Header.Get("Accept") != "text/event-stream" || r.Header.Get("Content-Type") != "application/json" ||
		r.Header.Get("Openai-Organization") != "org-1" || r.Header.Get("X-Trace") != "t1" {
		t.Errorf("request %s %v", r.URL, r.Header)
	}
	var body map[string]any
	json.Unmarshal(srv.lastBody, &body)
	if body["stream"] != true || body["max_completion_tokens"] != 50.0 || body["top_k"] != nil {
		t.Errorf("body %s", srv.lastBody)
	}
	if so, _ := body["stream_options"].(map[string]any); so["include_usage"] != true {
		t.Errorf("no include_usage in %s", srv.lastBody)
	}
}

func TestCompatibleStream(t *testing.T) {
	srv := newServer(t, string(readFile(t, "llamacpp.sse")))
	p := Compatible("llamacpp", srv.URL+"/v1/", "")
	if p.Name() != "llamacpp" {
		t.Errorf("name %q", p.Name())
	}
	s, err := p.Stream(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	res, err := collect(t, s)
	if err != nil || res.Text != "Hello world" || res.Provider != "llamacpp" || res.Usage.Input.N != 1085 {
		t.Errorf("result %+v, %v", res, err)
	}
	if srv.last.Header.Get("Authorization") != "" {
		t.Error("an Authorization header without a key")
	}
	var body map[string]any
	json.Unmarshal(srv.lastBody, &body)
	if body["max_tokens"] != 50.0 || body["top_k"] != 3.0 {
		t.Errorf("body %s", srv.lastBody)
	}
	// NoUsageRequest leaves stream_options out.
	p = New(Config{Name: "strict", BaseURL: srv.URL, NoUsageRequest: true})
	s, err = p.Stream(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if strings.Contains(string(srv.lastBody), "stream_options") {
		t.Errorf("stream_options sent: %s", srv.lastBody)
	}
}

// TestProviderHTTPError checks that a non-2xx reply is a typed error before
// any event, with the provider's words and settings-specific hints, and no
// key in it.
func TestProviderHTTPError(t *testing.T) {
	srv := newServer(t, `{"error":{"message":"Incorrect API key provided: sk-sec***. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)
	srv.status = 401
	srv.contentType = "application/json"
	for _, p := range []*Provider{New(Config{APIKey: "sk-secret-key", BaseURL: srv.URL}), Compatible("groq", srv.URL, "sk-secret-key")} {
		_, err := p.Stream(context.Background(), hello())
		var e *sluice.Error
		if !errors.As(err, &e) || e.Kind != sluice.KindAuth || e.Status != 401 || e.Code != "invalid_api_key" || e.Provider != p.Name() {
			t.Fatalf("error %#v", err)
		}
		if strings.Contains(e.Error(), "sk-secret-key") {
			t.Errorf("the key is in the error: %v", e)
		}
		if want := map[string]string{"openai": "OPENAI_API_KEY", "groq": `"groq"`}[p.Name()]; !strings.Contains(e.Hint, want) {
			t.Errorf("hint %q does not name %s", e.Hint, want)
		}
	}

	srv.status = 429
	srv.header.Set("Retry-After-Ms", "250")
	srv.body = `{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`
	_, err := New(Config{BaseURL: srv.URL}).Stream(context.Background(), hello())
	e := sluice.AsError(err)
	if e.Kind != sluice.KindRateLimit || e.RetryAfter != 250*time.Millisecond || !e.Retryable() {
		t.Errorf("error %v", e)
	}
}

func TestProviderConnectionError(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	_, err := New(Config{APIKey: "sk-secret-key", BaseURL: "http://" + addr + "/v1?key=sk-secret-key"}).Stream(context.Background(), hello())
	e := sluice.AsError(err)
	if e.Kind != sluice.KindConnection || !strings.Contains(e.Hint, "OPENAI_BASE_URL") || strings.Contains(e.Error(), "sk-secret") {
		t.Errorf("error %v (hint %q)", e, e.Hint)
	}
}

// TestProviderMidStream checks that what arrived before a mid-stream error
// or a cut is kept.
func TestProviderMidStream(t *testing.T) {
	for file, kind := range map[string]sluice.Kind{"error_midstream.sse": sluice.KindServer, "truncated.sse": sluice.KindTruncated} {
		srv := newServer(t, string(readFile(t, file)))
		s, err := New(Config{BaseURL: srv.URL}).Stream(context.Background(), hello())
		if err != nil {
			t.Fatal(err)
		}
		res, err := collect(t, s)
		e := sluice.AsError(err)
		if e == nil || e.Kind != kind || !e.Streamed || !res.Partial || res.Text == "" || res.Err != e {
			t.Errorf("%s: result %+v, error %v", file, res, err)
		}
	}
}

// TestProviderJSONReply reads a server that ignored "stream": true.
func TestProviderJSONReply(t *testing.T) {
	srv := newServer(t, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m-1","choices":[{"index":0,"message":{"role":"assistant","content":"Hello","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`)
	srv.contentType = "application/json"
	s, err := New(Config{BaseURL: srv.URL}).Stream(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	res, err := collect(t, s)
	if err != nil || res.Text != "Hello" || len(res.ToolCalls) != 1 || res.Finish != sluice.FinishToolCalls || res.Usage.Input.N != 5 || res.Model != "m-1" {
		t.Errorf("result %+v, %v", res, err)
	}
}

func TestProviderModels(t *testing.T) {
	srv := newServer(t, "")
	p := New(Config{BaseURL: srv.URL + "/openai/deployments?api-version=2024-10-21", Header: http.Header{"Api-Key": {"k"}}})
	ids, err := p.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "gpt-4o,gpt-4o-mini" {
		t.Errorf("models %v", ids)
	}
	if srv.last.URL.Path != "/openai/deployments/models" || srv.last.URL.RawQuery != "api-version=2024-10-21" || srv.last.Header.Get("Api-Key") != "k" {
		t.Errorf("request %s %v", srv.last.URL, srv.last.Header)
	}
}

func TestFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	_, err := FromEnv(env(nil))
	e := sluice.AsError(err)
	if e.Kind != sluice.KindAuth || !strings.Contains(e.Hint, "OPENAI_API_KEY") {
		t.Errorf("missing key: %v", err)
	}
	srv := newServer(t, string(readFile(t, "text_2024.sse")))
	p, err := FromEnv(env(map[string]string{"OPENAI_API_KEY": "sk-env", "OPENAI_BASE_URL": srv.URL, "OPENAI_ORG_ID": "org-9", "OPENAI_PROJECT_ID": "proj-9"}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Stream(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	h := srv.last.Header
	if h.Get("Authorization") != "Bearer sk-env" || h.Get("OpenAI-Organization") != "org-9" || h.Get("OpenAI-Project") != "proj-9" {
		t.Errorf("headers %v", h)
	}
}

func TestProviderBadRequest(t *testing.T) {
	_, err := New(Config{}).Stream(context.Background(), &sluice.Request{Model: "m"})
	if e := sluice.AsError(err); e.Kind != sluice.KindBadRequest || e.Provider != "openai" {
		t.Errorf("error %v", err)
	}
}
