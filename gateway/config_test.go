package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
)

func TestParseConfig(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		err        string // empty: valid
	}{
		{"empty", "", ""},
		{"full", `
default_model: fast
aliases:
  fast: groq/llama-3.3-70b-versatile
endpoints:
  - name: groq
    base_url: https://api.groq.com/openai/v1
    api_key_env: GROQ_API_KEY
  - name: local-vllm
    base_url: http://127.0.0.1:8000/v1
    models: [meta-llama/Llama-3.1-8B-Instruct]
    headers: {X-Team: blue}
`, ""},
		{"typo at top", "default_modle: sim/text\n", "line 1: unknown field default_modle"},
		{"typo in endpoint", "endpoints:\n  - name: a\n    base_url: http://x\n    api_key: sk-123\n", "line 4: unknown field api_key"},
		{"not YAML", "endpoints: [", "invalid YAML"},
		{"wrong type", "aliases: [a, b]\n", "line 1"},
		{"no name", "endpoints:\n  - base_url: http://x\n", "has no name"},
		{"bad name", "endpoints:\n  - name: a/b\n    base_url: http://x\n", "only letters"},
		{"twice", "endpoints:\n  - {name: a, base_url: 'http://x'}\n  - {name: a, base_url: 'http://y'}\n", "configured twice"},
		{"no base_url", "endpoints:\n  - name: a\n", "no base_url"},
		{"bad base_url", "endpoints:\n  - {name: a, base_url: 'ftp://x'}\n", "not an http(s) URL"},
		{"credentials in URL", "endpoints:\n  - {name: a, base_url: 'https://u:p@x'}\n", "credentials"},
		{"key in header", "endpoints:\n  - {name: a, base_url: 'https://x', headers: {Authorization: Bearer sk}}\n", "api_key_env"},
		{"bad alias", "aliases: {fast: llama}\n", `alias "fast"`},
		{"bad default", "default_model: llama\n", "default_model"},
		{"default alias", "default_model: fast\naliases: {fast: sim/text}\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.yaml))
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want one containing %q", err, tt.err)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	if err := os.WriteFile(path, []byte("aliases: {fast: sim/text}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Alias("fast") != "sim/text" || c.Alias("sim/echo") != "sim/echo" {
		t.Errorf("aliases: %v", c.Aliases)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing file is not an error")
	}
	os.WriteFile(path, []byte("nope: 1\n"), 0o600)
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v does not name the file", err)
	}
}

// An endpoint becomes a provider that streams from its server with its key.
func TestApplyEndpoints(t *testing.T) {
	var gotAuth, gotTeam string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotTeam = r.Header.Get("Authorization"), r.Header.Get("X-Team")
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n" +
			"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"))
	}))
	defer upstream.Close()
	c, err := ParseConfig([]byte(`
endpoints:
  - name: keyed
    base_url: ` + upstream.URL + `/v1
    api_key_env: KEYED_KEY
    headers: {X-Team: blue}
  - name: open
    base_url: ` + upstream.URL + `/v1
    models: [a, b]
  - name: nokey
    base_url: ` + upstream.URL + `/v1
    api_key_env: UNSET_KEY
`))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KEYED_KEY": "sk-keyed"}
	reg := NewRegistry(func(k string) string { return env[k] })
	c.Apply(reg)

	p, model, err := reg.Resolve("keyed/llama")
	if err != nil || model != "llama" {
		t.Fatal(model, err)
	}
	s, err := p.Stream(t.Context(), &sluice.Request{Model: model, Messages: []sluice.Message{sluice.UserMessage("x")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
	}
	if res := s.Result(); res.Text != "hi" || res.Provider != "keyed" {
		t.Errorf("result %+v", res)
	}
	if gotAuth != "Bearer sk-keyed" || gotTeam != "blue" {
		t.Errorf("upstream got Authorization %q, X-Team %q", gotAuth, gotTeam)
	}

	models, _ := reg.Models(context.Background())
	if !strings.Contains(strings.Join(models, ","), "open/a,open/b") {
		t.Errorf("models %v", models)
	}
	_, _, err = reg.Resolve("nokey/x")
	var se *sluice.Error
	if !errors.As(err, &se) || se.Kind != sluice.KindAuth || !strings.Contains(se.Hint, "UNSET_KEY") {
		t.Errorf("an endpoint without its key: %v", err)
	}
}
