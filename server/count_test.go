package server

import (
	"encoding/json"
	"testing"

	"github.com/sluicehq/sluice/sim"
)

// Both count endpoints answer for every upstream: from the provider's own
// endpoint where it has one (Anthropic, Responses), otherwise counted
// locally and marked as an estimate.
func TestCountTokensEveryUpstream(t *testing.T) {
	e := newProtocolEnv(t, sim.Config{})
	native := map[string]bool{"anthropic": true, "responses": true}
	for _, path := range []string{"/v1/messages/count_tokens?beta=true", "/v1/responses/input_tokens"} {
		for _, up := range upstreams {
			t.Run(path+"/"+up, func(t *testing.T) {
				body := map[string]any{"model": up + "/text", "system": "be brief",
					"messages": []any{map[string]any{"role": "user", "content": "how many tokens is this?"}}}
				if path == "/v1/responses/input_tokens" {
					body = map[string]any{"model": up + "/text", "instructions": "be brief", "input": "how many tokens is this?"}
				}
				resp := e.post(t, path, body, "anthropic-version", "2023-06-01")
				if resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
				var got struct {
					InputTokens int  `json:"input_tokens"`
					Estimated   bool `json:"estimated"`
					Object      string
				}
				if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
					t.Fatal(err)
				}
				if got.InputTokens <= 0 || got.Estimated == native[up] {
					t.Errorf("%+v (native count: %v)", got, native[up])
				}
				if (resp.Header.Get("X-Sluice-Estimated") == "true") != got.Estimated {
					t.Errorf("header and body disagree")
				}
			})
		}
	}
}

// An OpenAI model's count is exact: tiktoken's chat framing.
func TestCountLocallyExact(t *testing.T) {
	e := newProtocolEnv(t, sim.Config{})
	resp := e.post(t, "/v1/messages/count_tokens", map[string]any{"model": "chat/gpt-4o",
		"messages": []any{map[string]any{"role": "user", "content": "hello world"}}})
	var got map[string]any
	json.NewDecoder(resp.Body).Decode(&got)
	// <|start|>user<|message|>hello world<|end|> is 3+1+2 tokens, and the
	// reply is primed with 3 more.
	if got["input_tokens"] != float64(9) || got["estimated"] != nil {
		t.Fatalf("%v", got)
	}
}

// The upstream's rate-limit headers reach the client of every frontend.
func TestRateLimitHeadersPassThrough(t *testing.T) {
	e := newProtocolEnv(t, sim.Config{Tokens: 2})
	for _, tt := range []struct{ path, up, header string }{
		{"/v1/chat/completions", "anthropic", "Anthropic-Ratelimit-Requests-Limit"},
		{"/v1/messages", "chat", "X-Ratelimit-Limit-Requests"},
		{"/v1/responses", "anthropic", "Anthropic-Ratelimit-Tokens-Remaining"},
		{"/v1/responses", "responses", "X-Ratelimit-Remaining-Tokens"},
	} {
		t.Run(tt.path+"/"+tt.up, func(t *testing.T) {
			body := map[string]any{"model": tt.up + "/text", "max_tokens": 100, "stream": true,
				"messages": []any{map[string]any{"role": "user", "content": "hi"}}}
			if tt.path == "/v1/responses" {
				body = map[string]any{"model": tt.up + "/text", "input": "hi", "stream": true}
			}
			resp := e.post(t, tt.path, body)
			if resp.StatusCode != 200 || resp.Header.Get(tt.header) == "" {
				t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
			}
		})
	}
}
