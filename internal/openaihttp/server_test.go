package openaihttp

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
)

func TestURLAndSafeBase(t *testing.T) {
	tests := []struct {
		name, base, url, safe string
	}{
		{"plain", "https://api.openai.com/v1", "https://api.openai.com/v1/models", "https://api.openai.com/v1"},
		{"trailing slashes", "http://127.0.0.1:8080/v1//", "http://127.0.0.1:8080/v1/models", "http://127.0.0.1:8080/v1//"},
		{"query kept in the URL, not in the hint", "https://x.openai.azure.com/openai/deployments/d?api-version=2024-10-21",
			"https://x.openai.azure.com/openai/deployments/d/models?api-version=2024-10-21", "https://x.openai.azure.com/openai/deployments/d"},
		{"user info left out of the hint", "https://user:secret@example.com/v1#frag",
			"https://user:secret@example.com/v1/models#frag", "https://example.com/v1"},
		{"no scheme", "/v1/", "/v1/models", "/v1/"},
		{"unparsable", "http://[::1/v1", "http://[::1/v1/models", "an unparsable URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Server{BaseURL: tt.base}
			if got := s.URL("/models"); got != tt.url {
				t.Errorf("URL = %s, want %s", got, tt.url)
			}
			if got := s.SafeBase(); got != tt.safe {
				t.Errorf("SafeBase = %s, want %s", got, tt.safe)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name          string
		key           string
		header        http.Header
		own           map[string]string
		request, strm http.Header
	}{
		{name: "nothing", request: http.Header{}, strm: http.Header{"Accept": {"text/event-stream"}}},
		{name: "key and configured headers", key: "sk-1", header: http.Header{"Openai-Organization": {"org"}},
			request: http.Header{"Authorization": {"Bearer sk-1"}, "Openai-Organization": {"org"}},
			strm:    http.Header{"Authorization": {"Bearer sk-1"}, "Openai-Organization": {"org"}, "Accept": {"text/event-stream"}}},
		{name: "the request's own, less credentials", key: "sk-1", header: http.Header{"Api-Key": {"azure"}},
			own:     map[string]string{"authorization": "Bearer stolen", "API-KEY": "x", "cookie": "c", "X-Trace": "t", "accept": "application/x-ndjson"},
			request: http.Header{"Authorization": {"Bearer sk-1"}, "Api-Key": {"azure"}},
			strm:    http.Header{"Authorization": {"Bearer sk-1"}, "Api-Key": {"azure"}, "X-Trace": {"t"}, "Accept": {"application/x-ndjson"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Server{APIKey: tt.key, Header: tt.header}
			h := s.RequestHeader()
			if !reflect.DeepEqual(h, tt.request) {
				t.Errorf("RequestHeader = %v, want %v", h, tt.request)
			}
			h.Set("X-Changed", "1") // a copy: must not reach the next call
			if got := s.StreamHeader(tt.own); !reflect.DeepEqual(got, tt.strm) {
				t.Errorf("StreamHeader = %v, want %v", got, tt.strm)
			}
			if tt.header != nil && tt.header.Get("X-Changed") != "" {
				t.Error("RequestHeader returned the configured Header itself")
			}
		})
	}
}

func TestEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	key, base, err := Env("openai", env(map[string]string{"OPENAI_API_KEY": " sk-1\n", "OPENAI_BASE_URL": " http://localhost:8080/v1 "}))
	if err != nil || key != "sk-1" || base != "http://localhost:8080/v1" {
		t.Errorf("Env = %q, %q, %v; want sk-1, http://localhost:8080/v1, nil", key, base, err)
	}
	_, _, err = Env("responses", env(map[string]string{"OPENAI_API_KEY": "  ", "OPENAI_BASE_URL": "http://x"}))
	var e *sluice.Error
	if !errors.As(err, &e) || e.Kind != sluice.KindAuth || e.Provider != "responses" || e.Hint == "" {
		t.Errorf("Env without a key = %v, want a KindAuth error for responses with a hint", err)
	}
	for _, bad := range []string{"localhost:8000/v1", "api.openai.com/v1", "ftp://example.com/v1", "http://", "https://user:sk-SECRET@proxy/v1x%zz"} {
		_, _, err := Env("openai", env(map[string]string{"OPENAI_API_KEY": "sk-1", "OPENAI_BASE_URL": bad}))
		if !errors.As(err, &e) || e.Kind != sluice.KindBadRequest || !strings.Contains(e.Message, "OPENAI_BASE_URL") || !strings.Contains(e.Hint, "https://") {
			t.Errorf("OPENAI_BASE_URL=%q: %v, want a KindBadRequest error naming the variable, with an example", bad, err)
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("OPENAI_BASE_URL=%q: the error shows its credentials: %v", bad, err)
		}
	}
}
