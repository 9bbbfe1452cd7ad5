package responses_test

import (
	"net/http"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/responses"
	"github.com/sluicehq/sluice/providertest"
)

// The conformance suite every adapter passes, against the simulator.
func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T, base string) sluice.Provider {
		return responses.New(responses.Config{BaseURL: base + "/v1", APIKey: "sim-key", HTTPClient: &http.Client{}})
	})
}
