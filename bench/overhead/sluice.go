package overhead

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/sluicehq/sluice/gateway"
	"github.com/sluicehq/sluice/requestlog"
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
// to upstream, set up as `sluice serve --db :memory:` sets it up: a request
// log in an in-memory database and a text log line per request, here
// discarded. It is the in-process stand-in for the real binary; the
// returned function closes the request log.
func SluiceHandler(upstream string) (http.Handler, func(), error) {
	cfg, err := gateway.ParseConfig([]byte(GatewayConfig(upstream)))
	if err != nil {
		return nil, nil, err
	}
	reg := gateway.NewRegistry(func(string) string { return "" })
	cfg.Apply(reg)
	store, err := requestlog.Open(requestlog.Memory, requestlog.Options{})
	if err != nil {
		return nil, nil, err
	}
	srv, err := server.New(server.Config{Router: reg, RequestLog: store,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return srv, func() { store.Close() }, nil
}
