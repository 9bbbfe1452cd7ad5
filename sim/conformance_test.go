package sim_test

import (
	"net/http"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/anthropic"
	"github.com/sluicehq/sluice/provider/gemini"
	"github.com/sluicehq/sluice/provider/ollama"
	"github.com/sluicehq/sluice/provider/openai"
	"github.com/sluicehq/sluice/provider/responses"
	"github.com/sluicehq/sluice/providertest"
)

// The conformance suite, run against every adapter over the simulator.

func TestConformanceOpenAI(t *testing.T) {
	providertest.Run(t, func(t *testing.T, base string) sluice.Provider {
		return openai.New(openai.Config{BaseURL: base + "/v1", APIKey: "sim-key", HTTPClient: &http.Client{}})
	})
}

func TestConformanceAnthropic(t *testing.T) {
	providertest.Run(t, func(t *testing.T, base string) sluice.Provider {
		return anthropic.New(anthropic.Config{BaseURL: base, APIKey: "sim-key", HTTPClient: &http.Client{}})
	})
}

func TestConformanceOllama(t *testing.T) {
	providertest.Run(t, func(t *testing.T, base string) sluice.Provider {
		return ollama.New(ollama.Config{BaseURL: base, HTTPClient: &http.Client{}})
	},
		// Ollama's in-stream error is {"error":"message"}: it cannot say
		// "overloaded".
		providertest.ExpectKind("fault/midstream_overloaded", sluice.KindServer))
}

func TestConformanceGemini(t *testing.T) {
	providertest.Run(t, func(t *testing.T, base string) sluice.Provider {
		return gemini.New(gemini.Config{BaseURL: base + "/v1beta", APIKey: "sim-key", HTTPClient: &http.Client{}})
	})
}

func TestConformanceResponses(t *testing.T) {
	providertest.Run(t, func(t *testing.T, base string) sluice.Provider {
		return responses.New(responses.Config{BaseURL: base + "/v1", APIKey: "sim-key", HTTPClient: &http.Client{}})
	})
}
