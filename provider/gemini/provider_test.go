package gemini

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
	"time"

	"github.com/sluicehq/sluice"
)

const testKey = "AIzaSy-test-key-0123456789"

func TestFromEnv(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	_, err := FromEnv(getenv)
	var e *sluice.Error
	if !errors.As(err, &e) || e.Kind != sluice.KindAuth || !strings.Contains(e.Hint, "GEMINI_API_KEY") {
		t.Errorf("no key: err = %v", err)
	}
	env["GOOGLE_API_KEY"] = "g"
	if p, err := FromEnv(getenv); err != nil || p.key != "g" || p.base != DefaultBaseURL {
		t.Errorf("GOOGLE_API_KEY: %+v %v", p, err)
	}
	env["GEMINI_API_KEY"], env["GEMINI_BASE_URL"] = "k", "http://proxy:8080/v1beta/"
	if p, err := FromEnv(getenv); err != nil || p.key != "k" || p.base != "http://proxy:8080/v1beta" || p.Name() != "gemini" {
		t.Errorf("FromEnv = %+v, %v", p, err)
	}
	env["GEMINI_BASE_URL"] = "proxy:8080"
	if _, err := FromEnv(getenv); !errors.As(err, &e) || !strings.Contains(e.Hint, "GEMINI_BASE_URL") {
		t.Errorf("bad base URL: err = %v", err)
	}
}

type seen struct {
	path, query, key, accept string
	body                     []byte
}

// fakeGemini serves the streaming call with body (split into small writes)
// or an error status, and lists models in two pages.
func fakeGemini(t *testing.T, status int, body string, got *seen) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got != nil {
			got.path, got.query, got.key, got.accept = r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("x-goog-api-key"), r.Header.Get("Accept")
			got.body, _ = io.ReadAll(r.Body)
		}
		if r.Header.Get("x-goog-api-key") != testKey {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`)
			return
		}
		if r.URL.Path == "/v1beta/models" {
			if r.URL.Query().Get("pageToken") == "" {
				io.WriteString(w, `{"models":[{"name":"models/gemini-2.5-flash","supportedGenerationMethods":["generateContent","countTokens"]},{"name":"models/text-embedding-004","supportedGenerationMethods":["embedContent"]}],"nextPageToken":"p2"}`)
			} else {
				io.WriteString(w, `{"models":[{"name":"models/gemini-3-pro-preview","supportedGenerationMethods":["generateContent"]}]}`)
			}
			return
		}
		if status != 200 {
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			w.WriteHeader(status)
			io.WriteString(w, body)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for len(body) > 0 {
			n := min(37, len(body))
			io.WriteString(w, body[:n])
			w.(http.Flusher).Flush()
			body = body[n:]
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestProviderStream(t *testing.T) {
	var got seen
	srv := fakeGemini(t, 200, string(readTestdata(t, "thinking.sse")), &got)
	p := New(Config{APIKey: testKey, BaseURL: srv.URL + "/v1beta"})
	req := &sluice.Request{Model: "models/gemini-2.5-pro", Messages: []sluice.Message{sluice.UserMessage("How many r in strawberry?")},
		Header: map[string]string{"x-goog-api-key": "stolen", "X-Trace": "1"}}
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
	if res.ID != "think-1" || res.Model != "gemini-2.5-pro" || res.Finish != sluice.FinishStop || res.Usage.Reasoning.N != 302 || res.Partial {
		t.Errorf("result = %+v", res)
	}
	if got.path != "/v1beta/models/gemini-2.5-pro:streamGenerateContent" || got.query != "alt=sse" || got.key != testKey || got.accept != "text/event-stream" {
		t.Errorf("request = %+v", got)
	}
	if strings.Contains(got.query, testKey) || strings.Contains(got.path, testKey) {
		t.Error("the key is in the URL")
	}
	var body map[string]any
	if err := json.Unmarshal(got.body, &body); err != nil || body["contents"] == nil {
		t.Errorf("body = %s", got.body)
	}
}

func TestProviderErrors(t *testing.T) {
	req := &sluice.Request{Model: "gemini-2.5-flash", Messages: []sluice.Message{sluice.UserMessage("hi")}}
	t.Run("429 before the stream", func(t *testing.T) {
		srv := fakeGemini(t, 429, `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"26s"}]}}`, nil)
		_, err := New(Config{APIKey: testKey, BaseURL: srv.URL + "/v1beta", Name: "g"}).Stream(context.Background(), req)
		var e *sluice.Error
		if !errors.As(err, &e) || e.Kind != sluice.KindRateLimit || e.Status != 429 || e.RetryAfter != 26*time.Second || e.Provider != "g" {
			t.Errorf("err = %#v", err)
		}
	})
	t.Run("bad key", func(t *testing.T) {
		srv := fakeGemini(t, 200, "", nil)
		_, err := New(Config{APIKey: "wrong", BaseURL: srv.URL + "/v1beta"}).Stream(context.Background(), req)
		var e *sluice.Error
		if !errors.As(err, &e) || e.Kind != sluice.KindAuth || strings.Contains(err.Error(), "wrong") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("no key", func(t *testing.T) {
		_, err := New(Config{}).Stream(context.Background(), req)
		var e *sluice.Error
		if !errors.As(err, &e) || e.Kind != sluice.KindAuth {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		in := string(readTestdata(t, "text.sse"))
		srv := fakeGemini(t, 200, in[:strings.LastIndex(in, "data:")], nil)
		s, err := New(Config{APIKey: testKey, BaseURL: srv.URL + "/v1beta"}).Stream(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		for range s.Events() {
		}
		var e *sluice.Error
		if !errors.As(s.Err(), &e) || e.Kind != sluice.KindTruncated || !e.Streamed || s.Result().Text != "Four." {
			t.Errorf("err = %v, result %+v", s.Err(), s.Result())
		}
	})
	t.Run("error mid-stream", func(t *testing.T) {
		in := "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"},\"index\":0}]}\r\n\r\n" +
			"data: {\"error\":{\"code\":500,\"message\":\"An internal error has occurred.\",\"status\":\"INTERNAL\"}}\r\n\r\n"
		srv := fakeGemini(t, 200, in, nil)
		s, err := New(Config{APIKey: testKey, BaseURL: srv.URL + "/v1beta"}).Stream(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		for range s.Events() {
		}
		var e *sluice.Error
		if !errors.As(s.Err(), &e) || e.Kind != sluice.KindServer || e.Code != "INTERNAL" || e.Provider != "gemini" {
			t.Errorf("err = %#v", s.Err())
		}
	})
}

func TestProviderModels(t *testing.T) {
	srv := fakeGemini(t, 200, "", nil)
	got, err := New(Config{APIKey: testKey, BaseURL: srv.URL + "/v1beta"}).Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"gemini-2.5-flash", "gemini-3-pro-preview"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Models = %q, want %q", got, want)
	}
}

// Example streams a reply from Gemini (here a stand-in that replays the
// reference stream).
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Four.\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 51,\"candidatesTokenCount\": 2,\"totalTokenCount\": 53},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"ag4pavQTzLrj4Q-XkKnZBA\"}\r\n\r\n"+
			"data: {\"candidates\": [{\"content\": {\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 51,\"candidatesTokenCount\": 2,\"totalTokenCount\": 53},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"ag4pavQTzLrj4Q-XkKnZBA\"}\r\n\r\n")
	}))
	defer srv.Close()

	// FromEnv(os.Getenv) reads GEMINI_API_KEY and GEMINI_BASE_URL.
	p := New(Config{APIKey: "test-key", BaseURL: srv.URL})
	s, err := p.Stream(context.Background(), &sluice.Request{
		Model:    "gemini-2.5-flash",
		Messages: []sluice.Message{sluice.UserMessage("What is 2+2? One word.")},
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
			fmt.Println(ev.Text)
		}
	}
	res := s.Result()
	fmt.Println(res.Finish, res.Usage.Input.N, res.Usage.Output.N)
	// Output:
	// Four.
	// stop 51 2
}
