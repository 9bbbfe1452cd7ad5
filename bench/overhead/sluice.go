package overhead

import (
	"fmt"
	"net/http"

	"github.com/sluicehq/sluice/gateway"
	"github.com/sluicehq/sluice/server"
)

// UpstreamName is the provider name the relayed model is routed to: a
// client asks sluice for "up/…", and sluice streams it from the upstream.
const UpstreamName = "up"

// GatewayConfig returns the routing config `sluice serve --config` reads to
// relay "up/…" models to upstream, an OpenAI-compatible base URL without
// the /v1.
func GatewayConfig(upstream string) string {
	return fmt.Sprintf("endpoints:\n  - name: %s\n    base_url: %s/v1\n", UpstreamName, upstream)
}

// SluiceHandler returns sluice's gateway (server.Server) routing "up/…"
// to upstream, configured as `sluice serve` is by default except that it
// keeps no request log and writes no log lines: the in-process stand-in
// for the real binary.
func SluiceHandler(upstream string) (http.Handler, error) {
	cfg, err := gateway.ParseConfig([]byte(GatewayConfig(upstream)))
	if err != nil {
		return nil, err
	}
	reg := gateway.NewRegistry(func(string) string { return "" })
	cfg.Apply(reg)
	return server.New(server.Config{Router: reg})
}
