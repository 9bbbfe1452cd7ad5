package gateway

import (
	"context"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/anthropic"
	"github.com/sluicehq/sluice/provider/gemini"
	"github.com/sluicehq/sluice/provider/local"
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
// anthropic, ollama and gemini (from their standard variables), local (GGUF
// models run in process, from $SLUICE_MODELS or the cache folder) and sim,
// the simulator. local and sim need no key.
func Builtin(getenv func(string) string) *Registry {
	r := NewRegistry(getenv)
	r.Register("openai", func(env func(string) string) (sluice.Provider, error) { return openai.FromEnv(env) })
	r.Register("anthropic", func(env func(string) string) (sluice.Provider, error) { return anthropic.FromEnv(env) })
	r.Register("ollama", func(env func(string) string) (sluice.Provider, error) { return ollama.FromEnv(env) })
	r.Register("gemini", func(env func(string) string) (sluice.Provider, error) { return gemini.FromEnv(env) })
	r.Register("local", func(env func(string) string) (sluice.Provider, error) { return local.FromEnv(env) })
	r.Register("sim", func(func(string) string) (sluice.Provider, error) {
		return sim.NewProvider(sim.ProviderConfig{Sim: sim.Config{TTFT: simTTFT, ITL: simITL, Jitter: 5 * time.Millisecond, Tokens: 64}}), nil
	})
	return r
}

// FallbackModel is what [DefaultModel] picks when nothing is configured: the
// simulator, so a fresh machine without keys or models still streams.
const FallbackModel = "sim/text"

// DefaultModel picks the model to use when none is named: SLUICE_MODEL if
// set, else the first provider whose key is set, else the first local model
// in the models folder, else [FallbackModel]. It reads the environment and
// the models folder only, never the network; a command that downloads a
// model on first run calls [ConfiguredModel] and decides for itself.
func DefaultModel(r *Registry) string {
	if m := ConfiguredModel(r); m != "" {
		return m
	}
	return FallbackModel
}

// ConfiguredModel is [DefaultModel] without the fallback: "" when no
// variable names a model, no provider has a key and the models folder holds
// no model, which is when sluice serve and sluice stream offer to download
// one.
func ConfiguredModel(r *Registry) string {
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
	if p, err := r.Provider("local"); err == nil {
		if l, ok := p.(sluice.ModelLister); ok {
			if ms, err := l.Models(context.Background()); err == nil && len(ms) > 0 {
				return "local/" + ms[0]
			}
		}
	}
	return ""
}
