package gateway

import (
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/anthropic"
	"github.com/sluicehq/sluice/provider/ollama"
	"github.com/sluicehq/sluice/provider/openai"
	"github.com/sluicehq/sluice/sim"
)

// Pacing of the built-in "sim" provider: close to a fast hosted model, so the
// page and the terminal show real streaming without an API key.
const (
	simTTFT = 250 * time.Millisecond
	simITL  = 25 * time.Millisecond
)

// Builtin returns a registry with every provider sluice ships: openai,
// anthropic, ollama and gemini (from their standard variables), and sim, the
// simulator, which needs no key.
func Builtin(getenv func(string) string) *Registry {
	r := NewRegistry(getenv)
	r.Register("openai", func(env func(string) string) (sluice.Provider, error) { return openai.FromEnv(env) })
	r.Register("anthropic", func(env func(string) string) (sluice.Provider, error) { return anthropic.FromEnv(env) })
	r.Register("ollama", func(env func(string) string) (sluice.Provider, error) { return ollama.FromEnv(env) })
	r.Register("sim", func(func(string) string) (sluice.Provider, error) {
		return sim.NewProvider(sim.ProviderConfig{Sim: sim.Config{TTFT: simTTFT, ITL: simITL, Jitter: 5 * time.Millisecond, Tokens: 64}}), nil
	})
	return r
}

// DefaultModel picks the model to use when none is named: SLUICE_MODEL if
// set, else the first provider whose key is set, else the simulator.
func DefaultModel(r *Registry) string {
	if m := r.getenv("SLUICE_MODEL"); m != "" {
		return m
	}
	// The models used when a provider's key is set, in order of preference.
	keyed := []struct{ env, model string }{
		{"OPENAI_API_KEY", "openai/gpt-4o-mini"},
		{"ANTHROPIC_API_KEY", "anthropic/claude-3-5-haiku-latest"},
		{"GEMINI_API_KEY", "gemini/gemini-2.5-flash"},
	}
	for _, d := range keyed {
		if r.getenv(d.env) != "" {
			return d.model
		}
	}
	return "sim/text"
}
