package server

import (
	"testing"

	"github.com/sluicehq/sluice"
)

// TestHTTPStatus pins the server's rules on top of sluice.Kind.HTTPStatus:
// its own errors keep their status, an upstream 4xx passes through, an
// upstream 5xx is mapped, and an upstream server error is the gateway's 502.
func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		name string
		err  *sluice.Error
		want int
	}{
		{"own error keeps its status", &sluice.Error{Kind: sluice.KindBadRequest, Status: 405}, 405},
		{"own error without status", &sluice.Error{Kind: sluice.KindNotFound}, 404},
		{"upstream 4xx passes", &sluice.Error{Provider: "openai", Kind: sluice.KindBadRequest, Status: 422}, 422},
		{"upstream 5xx is mapped", &sluice.Error{Provider: "openai", Kind: sluice.KindOverloaded, Status: 529}, 503},
		{"upstream server error", &sluice.Error{Provider: "anthropic", Kind: sluice.KindServer, Status: 500}, 502},
		{"server error in a stream", &sluice.Error{Provider: "anthropic", Kind: sluice.KindServer}, 502},
		{"budget", &sluice.Error{Kind: sluice.KindBudget}, 400},
		{"cancelled", &sluice.Error{Kind: sluice.KindCanceled}, 499},
		{"stall", &sluice.Error{Provider: "openai", Kind: sluice.KindStall}, 504},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpStatus(tt.err); got != tt.want {
				t.Fatalf("httpStatus = %d, want %d", got, tt.want)
			}
		})
	}
}
