package server

import (
	"encoding/json"
	"testing"
)

// noticing is a Router with a notice, as sluice serve builds when it falls
// back to the simulator.
type noticing struct {
	Router
	text string
}

func (n noticing) Notice() string { return n.text }

func TestModelsNotice(t *testing.T) {
	tests := []struct {
		name, notice, want string
	}{
		{"none", "", ""},
		{"simulated", "sluice streams from its built-in simulator: offline", "sluice streams from its built-in simulator: offline"},
		{"redacted", "key " + testSecret + " refused", "key [redacted] refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, func(c *Config) { c.Router = noticing{Router: c.Router, text: tt.notice} })
			_, body := e.do(t, "GET", "/v1/models", "")
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			notice, present := got["notice"]
			if present != (tt.want != "") || (present && notice != tt.want) {
				t.Errorf("notice %v (present %v), want %q", notice, present, tt.want)
			}
		})
	}
}
