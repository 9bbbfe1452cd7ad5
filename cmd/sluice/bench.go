package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/sluicehq/sluice/bench"
	"github.com/sluicehq/sluice/bench/overhead"
)

// benchHelp is `sluice bench -h`: the metrics are defined here as in
// sluice.Metrics and mapped to the names other tools use, because vLLM,
// GenAI-Perf, GuideLLM and llmperf use the same words for different things.
const benchHelp = `bench [--model provider/model]... [--runs N] [--concurrency C | --rate R] [--duration D]
             [--warmup N] [--prompt P | --prompts FILE] [--max-tokens N] [--slo ttft=500ms,tpot=50ms]
             [--json FILE] [--csv FILE] [--html FILE]
       sluice bench overhead [flags]   sluice's own cost as a relay (see 'sluice bench overhead -h')

Benchmarks each model in turn with the same load and prints, per model, the mean, stdev, min, p50,
p90, p95, p99 and max of every metric, the best model per metric marked ★ (by p50), throughput,
goodput and errors by kind. --json and --csv keep every request's raw timings; --html writes a
self-contained page with charts (TTFT distribution, tokens/s per model, latency percentiles, ITL
over the position in the stream) that opens offline.

Metrics, per request, as sluice.Metrics defines them. Times are taken on the monotonic clock when
each event is decoded; content means text, refusal, reasoning or tool-call tokens.
  TTFB        response headers − request sent
  TTFT        first content event − request sent     vLLM ttft, GenAI-Perf/GuideLLM time_to_first_token,
                                                     llmperf ttft_s
  ITL         each gap between content events        vLLM itl (list), AIPerf inter_chunk_latency
  TPOT        (last − first content)/(tokens − 1)    vLLM tpot, GenAI-Perf and GuideLLM inter_token_latency
  E2E         end of stream − request sent           vLLM e2el, GenAI-Perf request_latency,
                                                     llmperf end_to_end_latency_s
  TPS         tokens / (last − first content)        GenAI-Perf output_token_throughput_per_user (≈ 1/TPOT)
  E2E TPS     tokens / E2E                           GuideLLM output_tokens_per_second (per request),
                                                     llmperf request_output_throughput_token_per_s
  throughput  all output tokens / run duration       vLLM output_throughput, GenAI-Perf output_token_throughput
              (also per 1 s window)
  goodput     requests meeting every --slo / run     vLLM request_goodput, GenAI-Perf goodput
Same words, other things: vLLM's TTFT counts a role-only first chunk, sluice's needs a token;
GuideLLM's time_per_output_token includes TTFT; GenAI-Perf's inter_token_latency is TPOT, not ITL;
llmperf's inter_token_latency_s is about E2E / tokens.
Output tokens come from the provider's usage when it reports them, else are counted with a tiktoken
encoding (tokenizer:<name>, "~" when it only approximates the model's tokenizer), else one per
content event; the table's "tokens from" column says which. Percentiles interpolate linearly
between ranks, as numpy does; stdev divides by n. Failed requests count by error kind and in no
latency statistic.

Load: a closed loop of --concurrency workers (default 1), or Poisson arrivals at --rate requests
a second (seeded by --seed); --runs requests per model (default 10), or --duration, or whichever
ends first. --warmup requests are sent first and left out.

Flags:`

// runBench benchmarks models, or dispatches to `bench overhead` and to
// `bench relay`, the raw relay process that overhead starts.
func runBench(ctx context.Context, a *App, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "overhead":
			return runBenchOverhead(ctx, a, args[1:])
		case "relay":
			return runBenchRelay(ctx, a, args[1:])
		}
	}
	fs := a.flagSet("bench", benchHelp)
	var models stringList
	fs.Var(&models, "model", "provider/model to benchmark; repeat, or separate with commas, for several (default: the configured model, else the simulator)")
	var load bench.Load
	fs.IntVar(&load.Requests, "runs", 0, "measured requests per model (default 10; with --duration, no limit)")
	fs.IntVar(&load.Concurrency, "concurrency", 0, "closed loop: requests in flight at once (default 1)")
	fs.Float64Var(&load.Rate, "rate", 0, "open loop: Poisson arrivals at this many requests a second")
	fs.DurationVar(&load.Duration, "duration", 0, "measure for this long (requests running at the end are awaited)")
	fs.IntVar(&load.Warmup, "warmup", 1, "requests per model sent first and left out of the statistics")
	fs.DurationVar(&load.Rampup, "rampup", 0, "spread the closed loop's first requests over this long")
	fs.Uint64Var(&load.Seed, "seed", 1, "seed of the Poisson arrivals")
	prompt := fs.String("prompt", "", "prompt to send (default: a short story request)")
	promptsFile := fs.String("prompts", "", "`file` of prompts, one a line, sent in turn")
	maxTokens := fs.Int("max-tokens", 256, "cap on output tokens per request (0: the provider's default)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up on a request after this long (0: never)")
	sloFlag := fs.String("slo", "", "objectives for goodput: ttft, ttfb, tpot, max_itl, e2e (durations; bare numbers are ms) and tps, e.g. ttft=500ms,tpot=50ms")
	jsonOut := fs.String("json", "", "write the report with every request's raw timings as JSON to `file`")
	csvOut := fs.String("csv", "", "write one row per request with its raw timings as CSV to `file`")
	htmlOut := fs.String("html", "", "write a self-contained HTML report with charts to `file`")
	noTokenizer := fs.Bool("no-tokenizer", false, "without provider usage, count one token per content event instead of with tiktoken")
	quiet := fs.Bool("quiet", false, "no progress display")
	if err := fs.Parse(args); err != nil {
		return err
	}
	usage := func(err error) error { return &exitError{code: 2, err: err} }
	for _, m := range fs.Args() {
		models = append(models, strings.Split(m, ",")...)
	}
	if err := load.Validate(); err != nil {
		return usage(err)
	}
	if *prompt != "" && *promptsFile != "" {
		return usage(errors.New("give --prompt or --prompts, not both"))
	}
	slo, err := bench.ParseSLO(*sloFlag)
	if err != nil {
		return usage(err)
	}
	var prompts []string
	switch {
	case *prompt != "":
		prompts = []string{*prompt}
	case *promptsFile != "":
		if prompts, err = readPrompts(*promptsFile); err != nil {
			return err
		}
	}

	reg, env, err := a.registry()
	if err != nil {
		return err
	}
	defer reg.Close()
	if len(models) == 0 {
		// A benchmark never starts a download: without a configured model
		// it measures the simulator, and says why.
		model, simulated, err := a.defaultModel(ctx, env, reg, false)
		if err != nil {
			return err
		}
		if simulated != "" {
			fmt.Fprintf(a.Stderr, "benchmarking the simulator (%s): %s\n", model, simulated)
		}
		models = stringList{model}
	}
	cfg := bench.Config{Load: load, Prompts: prompts, MaxTokens: *maxTokens, Timeout: *timeout, SLO: slo, NoTokenizer: *noTokenizer}
	for _, name := range models {
		p, model, err := reg.Resolve(name)
		if err != nil {
			return err
		}
		cfg.Targets = append(cfg.Targets, bench.Target{Name: name, Provider: p, Model: model})
	}
	if !*quiet {
		prog := &progressDisplay{w: a.Stderr, tty: isTerminal(a.Stderr)}
		defer prog.stop()
		cfg.Progress = prog
	}

	rep, runErr := bench.Run(ctx, cfg)
	if rep == nil {
		return runErr
	}
	if cfg.Progress != nil {
		cfg.Progress.(*progressDisplay).stop()
	}
	if err := bench.WriteTable(a.Stdout, rep, isTerminal(a.Stdout)); err != nil {
		return err
	}
	for _, out := range []struct {
		path  string
		write func(io.Writer) error
	}{
		{*jsonOut, func(w io.Writer) error { return bench.WriteJSON(w, rep) }},
		{*csvOut, func(w io.Writer) error { return bench.WriteCSV(w, rep.Samples) }},
		{*htmlOut, func(w io.Writer) error { return bench.WriteHTML(w, rep) }},
	} {
		if out.path == "" {
			continue
		}
		if err := writeFile(out.path, out.write); err != nil {
			return err
		}
		fmt.Fprintf(a.Stderr, "wrote %s\n", out.path)
	}
	if runErr != nil {
		if ctx.Err() != nil {
			return &exitError{code: 130, err: errors.New("interrupted; the numbers above cover the requests that finished")}
		}
		return runErr
	}
	return allFailed(rep)
}

// allFailed returns an error naming the first failure when no measured
// request of any model succeeded: the table is then all dashes, and the
// exit status should say so.
func allFailed(rep *bench.Report) error {
	if len(rep.Samples) == 0 {
		return nil
	}
	for _, s := range rep.Samples {
		if s.OK {
			return nil
		}
	}
	return fmt.Errorf("every request failed; the first: %s", rep.Samples[0].Error)
}

// readPrompts reads one prompt a line, skipping blank lines.
func readPrompts(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading prompts: %w", err)
	}
	var out []string
	for line := range strings.Lines(string(b)) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no prompt; write one a line", path)
	}
	return out, nil
}

// writeFile writes a report file through write, removing it on failure.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// stringList is a flag that may be repeated, each value possibly a comma-
// separated list.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// progressDisplay shows a run's progress: a progress bar per model on a
// terminal, one line per model otherwise.
type progressDisplay struct {
	w       io.Writer
	tty     bool
	bar     *progressbar.ProgressBar
	model   string
	errors  int
	done    int
	started time.Time
}

func (p *progressDisplay) Begin(model string, warmup, total int) {
	p.model, p.errors, p.done, p.started = model, 0, 0, time.Now()
	if !p.tty {
		return
	}
	n := total
	if n == 0 {
		n = -1 // a spinner: only the duration bounds the run
	}
	p.bar = progressbar.NewOptions(n,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(p.describe(warmup > 0)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(total > 0),
		progressbar.OptionClearOnFinish(),
	)
}

func (p *progressDisplay) describe(warmup bool) string {
	d := p.model
	if warmup {
		d += " (warmup)"
	}
	if p.errors > 0 {
		d += fmt.Sprintf(" · %d errors", p.errors)
	}
	return d
}

func (p *progressDisplay) Done(model string, s *bench.Sample, warmup bool) {
	p.done++
	if !s.OK {
		p.errors++
	}
	if p.bar != nil {
		p.bar.Describe(p.describe(warmup))
		p.bar.Add(1)
	}
}

func (p *progressDisplay) End(model string) {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
		return
	}
	fmt.Fprintf(p.w, "%s: %d requests, %d errors, %v\n", model, p.done, p.errors, time.Since(p.started).Round(time.Millisecond))
}

// stop clears a bar left by an interrupted run, so the table starts on a
// clean line.
func (p *progressDisplay) stop() {
	if p.bar != nil {
		p.bar.Exit()
		p.bar = nil
	}
}

// benchOverheadHelp is `sluice bench overhead -h`.
const benchOverheadHelp = `bench overhead [--streams 1,100,1000] [--deltas 64] [--pace 20ms] [--repeat N] [--in-process] [--json FILE]

Measures what sluice costs as a relay, the way published gateway benchmarks do: an upstream (the
simulator, in this process) sends 64 deltas 20 ms apart, and in one run the same client measures,
at each concurrency, direct-to-upstream, through 'sluice serve', and through a raw byte relay
(httputil.ReverseProxy flushing every write, the floor for any proxy). Printed per concurrency:
added TTFT p50/p99 and added inter-chunk gap p50/p99 (percentile minus direct's), stalls (gaps over
twice the pace), CPU per relayed event and memory per open stream, with every value's ratio to the
raw relay, and the largest concurrency without a stall. With --repeat N every phase runs N times in
turns and is pooled; each ratio then shows its range over the turns, how far one run can be trusted
on the machine, and --json keeps every turn.

By default 'sluice serve' (this binary, or --binary) and the relay ('sluice bench relay') run as
separate processes, so their CPU clock and resident memory are theirs alone. --in-process runs
both in this process instead and counts what each phase used beyond the direct phase.

Flags:`

// runBenchOverhead runs `sluice bench overhead`.
func runBenchOverhead(ctx context.Context, a *App, args []string) error {
	fs := a.flagSet("bench overhead", benchOverheadHelp)
	streams := fs.String("streams", "1,100,1000", "comma-separated concurrency levels")
	deltas := fs.Int("deltas", 64, "content deltas per answer")
	pace := fs.Duration("pace", 20*time.Millisecond, "time between deltas (and before the first)")
	repeat := fs.Int("repeat", 1, "runs of every phase, taken in turns and pooled, to even out other load on the machine")
	search := fs.Int("search", 3, "extra single runs per target to bisect for the largest stall-free concurrency")
	inProcess := fs.Bool("in-process", false, "run sluice's server and the relay in this process instead of as processes")
	binary := fs.String("binary", "", "sluice `binary` to measure (default: this one)")
	jsonOut := fs.String("json", "", "write every phase as JSON to `file`")
	cpuProfile := fs.String("cpuprofile", "", "with --in-process, write a CPU profile of sluice's largest phase to `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	usage := func(err error) error { return &exitError{code: 2, err: err} }
	if fs.NArg() > 0 {
		return usage(fmt.Errorf("unexpected argument %q; bench overhead takes only flags", fs.Arg(0)))
	}
	var levels []int
	for s := range strings.SplitSeq(*streams, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return usage(fmt.Errorf("--streams %q: want positive numbers separated by commas", *streams))
		}
		levels = append(levels, n)
	}
	if *deltas < 2 || *pace <= 0 {
		return usage(errors.New("--deltas must be 2 or more and --pace positive"))
	}
	if *cpuProfile != "" && !*inProcess {
		return usage(errors.New("--cpuprofile profiles this process: add --in-process"))
	}

	if *repeat < 1 {
		return usage(errors.New("--repeat must be 1 or more"))
	}
	cfg := overhead.Config{Streams: levels, Deltas: *deltas, Pace: *pace, Repeat: *repeat, Search: *search, Log: a.Stderr}
	if *inProcess {
		cfg.Targets = []overhead.Target{
			overhead.InProcess("relay", overhead.RelayHandler),
			overhead.InProcess("sluice", overhead.SluiceHandler),
		}
	} else {
		self := *binary
		if self == "" {
			var err error
			if self, err = os.Executable(); err != nil {
				return fmt.Errorf("finding this binary to run 'sluice serve': %w (pass --binary)", err)
			}
		}
		dir, err := os.MkdirTemp("", "sluice-bench-overhead-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.Targets = processTargets(self, dir)
	}
	if *cpuProfile != "" {
		top := slices.Max(levels)
		cfg.Around = func(target string, n int) func() {
			if target != "sluice" || n != top {
				return func() {}
			}
			f, err := os.Create(*cpuProfile)
			if err != nil {
				fmt.Fprintf(a.Stderr, "cpuprofile: %v\n", err)
				return func() {}
			}
			pprof.StartCPUProfile(f)
			return func() {
				pprof.StopCPUProfile()
				f.Close()
			}
		}
	}

	mode := "as separate processes"
	if *inProcess {
		mode = "in this process"
	}
	fmt.Fprintf(a.Stderr, "sluice bench overhead: simulator and client in this process, sluice and the relay %s\n", mode)
	res, err := overhead.Run(ctx, cfg)
	if res != nil && len(res.Phases) > 0 {
		fmt.Fprintln(a.Stdout)
		if werr := overhead.WriteTable(a.Stdout, res); werr != nil && err == nil {
			err = werr
		}
		if *jsonOut != "" {
			if werr := writeFile(*jsonOut, func(w io.Writer) error {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}); werr != nil && err == nil {
				err = werr
			}
		}
	}
	if err != nil && ctx.Err() != nil {
		return &exitError{code: 130, err: errors.New("interrupted")}
	}
	return err
}

// processTargets runs the raw relay and sluice serve as child processes of
// binary, writing sluice's config and log in dir.
func processTargets(binary, dir string) []overhead.Target {
	return []overhead.Target{
		overhead.Process("relay", func(up string) (*exec.Cmd, error) {
			return exec.Command(binary, "bench", "relay", "--upstream", up), nil
		}),
		overhead.Process("sluice", func(up string) (*exec.Cmd, error) {
			config := filepath.Join(dir, "sluice.yaml")
			if err := os.WriteFile(config, []byte(overhead.GatewayConfig(up)), 0o600); err != nil {
				return nil, err
			}
			logFile, err := os.OpenFile(filepath.Join(dir, "serve.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				return nil, err
			}
			// The request log lives in memory and the log lines go to a file:
			// sluice does its usual work, and no pipe to this process costs
			// the client CPU. The working directory holds no .env.
			cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--config", config, "--db", ":memory:")
			// SLUICE_NO_PULL: the relayed model is configured, so serve
			// must not download a default model at startup.
			cmd.Dir, cmd.Stderr, cmd.Env = dir, logFile, append(os.Environ(), "SLUICE_NO_PULL=1")
			return cmd, nil
		}),
	}
}

// runBenchRelay serves the raw byte relay that `bench overhead` measures
// sluice against, until ctx ends. It prints its URL first.
func runBenchRelay(ctx context.Context, a *App, args []string) error {
	fs := a.flagSet("bench relay", "bench relay --upstream URL [--addr 127.0.0.1:0]\n\n"+
		"Serves the raw byte relay of 'sluice bench overhead': an httputil.ReverseProxy to URL that\n"+
		"flushes every write at once.")
	upstream := fs.String("upstream", "", "base `URL` to relay to")
	addr := fs.String("addr", "127.0.0.1:0", "`address` to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*upstream)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return &exitError{code: 2, err: fmt.Errorf("--upstream %q: want a base URL such as http://127.0.0.1:8081", *upstream)}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: overhead.Relay(u), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(a.Stdout, "sluice relay listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	srv.Close()
	<-errc
	return nil
}
