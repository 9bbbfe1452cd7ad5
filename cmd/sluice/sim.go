package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/sim"
)

// runSim serves the provider simulator until ctx ends. Its first line of
// output is the address it listens on, so a test or script that passes
// --addr 127.0.0.1:0 reads the port from it.
func runSim(ctx context.Context, a *App, args []string) error {
	fs := a.flagSet("sim", "sim [flags]\n\n"+
		"Serves the OpenAI, Anthropic, Ollama and Gemini APIs on their real paths with simulated\n"+
		"models. The model name (or the X-Sim-Behavior and X-Sim-Fault headers) picks the\n"+
		"behaviour: text, echo, reasoning, tools, cache, and faults such as 429, truncate@5 or\n"+
		"stall@5:2s; see 'go doc github.com/sluicehq/sluice/sim'. GET /sim/stats reports counts.")
	addr := fs.String("addr", "127.0.0.1:8081", "`address` to listen on; port 0 picks a free one")
	var cfg sim.Config
	fs.DurationVar(&cfg.TTFT, "ttft", 300*time.Millisecond, "time to the first token")
	fs.DurationVar(&cfg.ITL, "itl", 30*time.Millisecond, "time between tokens")
	fs.DurationVar(&cfg.Jitter, "jitter", 5*time.Millisecond, "each gap between tokens varies by up to ± this")
	fs.IntVar(&cfg.Tokens, "tokens", 64, "tokens in an answer (the request's max tokens caps it)")
	fs.IntVar(&cfg.ReasoningTokens, "reasoning-tokens", 16, "tokens of reasoning for reasoning models")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the jitter and ids, for reproducible runs")
	fs.BoolVar(&cfg.Echo, "echo", false, "answer with the last user message instead of fixed text")
	fs.DurationVar(&cfg.KeepAlive, "keep-alive", 0, "send an SSE comment after this much silence (0: never)")
	fs.BoolVar(&cfg.AnthropicPadding, "anthropic-padding", false, "pad Anthropic JSON with spaces, as live streams sometimes do")
	fs.BoolVar(&cfg.RequireSignature, "require-signature", false, "reject a turn whose reasoning signature did not come back intact")
	fs.DurationVar(&cfg.RetryAfter, "retry-after", time.Millisecond, "the wait that injected 429, 503 and 529 replies ask for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; sim takes only flags (run 'sluice sim -h')", fs.Arg(0))
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (pass another --addr, or port 0 for a free one)", *addr, err)
	}
	// Request contexts derive from ctx, so an interrupt ends open streams at
	// once (a stall fault lasts as long as it was told to) and Shutdown does
	// not wait for them.
	srv := &http.Server{Handler: sim.New(cfg), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(a.Stdout, "sluice sim listening on %s\n", base)
	fmt.Fprintf(a.Stdout, "  OPENAI_BASE_URL=%s/v1 ANTHROPIC_BASE_URL=%s OLLAMA_HOST=%s GEMINI_BASE_URL=%s/v1beta\n", base, base, base, base)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
