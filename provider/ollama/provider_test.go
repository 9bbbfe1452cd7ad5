package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
)

func TestBaseURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "http://127.0.0.1:11434"},
		{"  ", "http://127.0.0.1:11434"},
		{"localhost", "http://localhost:11434"},
		{"0.0.0.0:8080", "http://0.0.0.0:8080"},
		{":1234", "http://127.0.0.1:1234"},
		{`"gpu-box"`, "http://gpu-box:11434"},
		{"http://example.com", "http://example.com:80"},
		{"https://example.com/", "https://example.com:443"},
		{"https://example.com:8443/ollama/", "https://example.com:8443/ollama"},
		{"[::1]:11435", "http://[::1]:11435"},
		{"[::1]", "http://[::1]:11434"},
	}
	for _, tt := range tests {
		got, err := BaseURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("BaseURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := BaseURL("ftp://x"); err == nil {
		t.Error("BaseURL(ftp://x) succeeded")
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{"OLLAMA_HOST": "box:1"}
	p, err := FromEnv(func(k string) string { return env[k] })
	if err != nil || p.base != "http://box:1" || p.key != "" || p.Name() != "ollama" {
		t.Fatalf("FromEnv = %+v, %v", p, err)
	}
	env["OLLAMA_HOST"] = "gopher://x"
	var e *sluice.Error
	if _, err := FromEnv(func(k string) string { return env[k] }); !errors.As(err, &e) || !strings.Contains(e.Hint, "OLLAMA_HOST") {
		t.Errorf("bad host: err = %v, want a hint naming OLLAMA_HOST", err)
	}
}

// fakeOllama serves /api/chat with body and records the request.
func fakeOllama(t *testing.T, status int, body string, got *http.Request, gotBody *[]byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got != nil {
			*got = *r.Clone(context.Background())
		}
		if gotBody != nil {
			*gotBody, _ = io.ReadAll(r.Body)
		}
		switch r.URL.Path {
		case "/api/tags":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"models":[{"name":"llama3.2:latest","model":"llama3.2:latest","size":2019393189},{"name":"qwen3:8b","model":"qwen3:8b"}]}`)
			return
		case "/api/chat":
		default:
			http.NotFound(w, r)
			return
		}
		if status != 200 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		for _, line := range strings.SplitAfter(body, "\n") {
			io.WriteString(w, line)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestProviderStream(t *testing.T) {
	var got http.Request
	var gotBody []byte
	srv := fakeOllama(t, 200, string(readTestdata(t, "text.ndjson")), &got, &gotBody)
	p := New(Config{BaseURL: srv.URL, APIKey: "k"})
	req := &sluice.Request{Model: "llama3.2", Messages: []sluice.Message{sluice.UserMessage("Why is the sky blue?")},
		Header: map[string]string{"Authorization": "Bearer stolen", "X-Trace": "1"}}
	s, err := p.Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
	}
	res := s.Result()
	if res.Text != "The sky" || res.Finish != sluice.FinishStop || res.Usage.Input.N != 26 || res.Usage.Output.N != 282 || res.Partial || res.Provider != "ollama" {
		t.Errorf("result = %+v", res)
	}
	if got.URL.Path != "/api/chat" || got.Header.Get("Authorization") != "Bearer k" || got.Header.Get("X-Trace") != "1" || got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request = %s %v", got.URL.Path, got.Header)
	}
	var body map[string]any
	if err := json.Unmarshal(gotBody, &body); err != nil || body["stream"] != true || body["model"] != "llama3.2" {
		t.Errorf("body = %s", gotBody)
	}
}

func TestProviderStreamErrors(t *testing.T) {
	t.Run("model not pulled", func(t *testing.T) {
		srv := fakeOllama(t, 404, `{"error":"model \"llama3\" not found, try pulling it first"}`, nil, nil)
		_, err := New(Config{BaseURL: srv.URL, Name: "local"}).Stream(context.Background(), &sluice.Request{Model: "llama3", Messages: []sluice.Message{sluice.UserMessage("hi")}})
		var e *sluice.Error
		if !errors.As(err, &e) || e.Kind != sluice.KindNotFound || e.Status != 404 || e.Provider != "local" || e.Hint != "pull the model first: ollama pull llama3" {
			t.Errorf("err = %#v", err)
		}
	})
	t.Run("mid-stream error", func(t *testing.T) {
		body := `{"model":"m","created_at":"t","message":{"role":"assistant","content":"Hi"},"done":false}` + "\n" + `{"error":"an error was encountered while running the model"}` + "\n"
		srv := fakeOllama(t, 200, body, nil, nil)
		s, err := New(Config{BaseURL: srv.URL}).Stream(context.Background(), &sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("hi")}})
		if err != nil {
			t.Fatal(err)
		}
		var last error
		for _, err := range s.Events() {
			last = err
		}
		var e *sluice.Error
		if !errors.As(last, &e) || e.Kind != sluice.KindServer || !e.Streamed || e.Provider != "ollama" {
			t.Errorf("last = %#v", last)
		}
		if r := s.Result(); !r.Partial || r.Text != "Hi" {
			t.Errorf("result = %+v", r)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		body := `{"model":"m","created_at":"t","message":{"role":"assistant","content":"Hi"},"done":false}` + "\n"
		srv := fakeOllama(t, 200, body, nil, nil)
		s, err := New(Config{BaseURL: srv.URL}).Stream(context.Background(), &sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("hi")}})
		if err != nil {
			t.Fatal(err)
		}
		for range s.Events() {
		}
		var e *sluice.Error
		if !errors.As(s.Err(), &e) || e.Kind != sluice.KindTruncated {
			t.Errorf("err = %v", s.Err())
		}
	})
	t.Run("invalid request", func(t *testing.T) {
		_, err := New(Config{}).Stream(context.Background(), &sluice.Request{Model: "m"})
		var e *sluice.Error
		if !errors.As(err, &e) || e.Kind != sluice.KindBadRequest || e.Provider != "ollama" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		_, err := New(Config{BaseURL: url}).Stream(context.Background(), &sluice.Request{Model: "m", Messages: []sluice.Message{sluice.UserMessage("hi")}})
		var e *sluice.Error
		if !errors.As(err, &e) || e.Kind != sluice.KindConnection || !strings.Contains(e.Hint, "OLLAMA_HOST") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestProviderModels(t *testing.T) {
	srv := fakeOllama(t, 200, "", nil, nil)
	got, err := New(Config{BaseURL: srv.URL}).Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"llama3.2:latest", "qwen3:8b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Models = %q, want %q", got, want)
	}
}

// Example streams a chat reply from an Ollama server (here a stand-in that
// replays a recorded stream).
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		io.WriteString(w, `{"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"The"},"done":false}
{"model":"llama3.2","created_at":"2023-08-04T08:52:19.397101455-07:00","message":{"role":"assistant","content":" sky"},"done":false}
{"model":"llama3.2","created_at":"2023-08-04T19:22:45.499127Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":26,"eval_count":282}
`)
	}))
	defer srv.Close()

	p := New(Config{BaseURL: srv.URL}) // or FromEnv(os.Getenv) for OLLAMA_HOST
	s, err := p.Stream(context.Background(), &sluice.Request{
		Model:    "llama3.2",
		Messages: []sluice.Message{sluice.UserMessage("Why is the sky blue?")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	for ev, err := range s.Events() {
		if err != nil {
			fmt.Println(err)
			return
		}
		if ev.Type == sluice.EventText {
			fmt.Printf("%q\n", ev.Text)
		}
	}
	res := s.Result()
	fmt.Println(res.Finish, res.Usage.Input.N, res.Usage.Output.N)
	// Output:
	// "The"
	// " sky"
	// stop 26 282
}
