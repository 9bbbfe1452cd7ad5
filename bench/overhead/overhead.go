package overhead

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/bench"
	"github.com/sluicehq/sluice/sim"
)

// Config configures a [Run]. Its zero value is the published method: 64
// deltas 20 ms apart, at 1, 100 and 1,000 concurrent streams.
type Config struct {
	// Streams lists the concurrency levels; empty means 1, 100 and 1000.
	Streams []int
	// Deltas is the number of content deltas of each answer (0: 64), and
	// Pace the time between them and before the first (0: 20ms).
	Deltas int
	Pace   time.Duration
	// Targets are the relays compared, in order; Direct is measured before
	// them at every level and need not be listed.
	Targets []Target
	// Reference names the target that ratios divide by; empty means the
	// first of Targets.
	Reference string
	// Search is the number of extra phases per target spent bisecting for
	// the largest stall-free concurrency between the levels; 0 spends none.
	Search int
	// Log, if not nil, gets one line per phase as it ends.
	Log io.Writer
	// Around, if not nil, is called before each phase and the function it
	// returns after it, for example to take a CPU profile.
	Around func(target string, streams int) func()
}

func (c *Config) defaults() {
	if len(c.Streams) == 0 {
		c.Streams = []int{1, 100, 1000}
	}
	if c.Deltas == 0 {
		c.Deltas = 64
	}
	if c.Pace == 0 {
		c.Pace = 20 * time.Millisecond
	}
	if c.Reference == "" && len(c.Targets) > 0 {
		c.Reference = c.Targets[0].Name
	}
}

// Phase is one target measured at one concurrency.
type Phase struct {
	Target  string `json:"target"`
	Streams int    `json:"streams"`
	// TTFT is the time to the first content chunk and Gap the time between
	// consecutive content chunks, as the clients saw them, in ms.
	TTFT bench.Summary `json:"ttft_ms"`
	Gap  bench.Summary `json:"gap_ms"`
	// Added* are this phase's TTFT and gap percentiles minus the direct
	// phase's of the same size, in ms: the latency the relay added.
	AddedTTFTP50 float64 `json:"added_ttft_p50_ms"`
	AddedTTFTP99 float64 `json:"added_ttft_p99_ms"`
	AddedGapP50  float64 `json:"added_gap_p50_ms"`
	AddedGapP99  float64 `json:"added_gap_p99_ms"`
	// Stalls counts gaps longer than twice the pace, and StalledStreams the
	// streams with at least one.
	Stalls         int `json:"stalls"`
	StalledStreams int `json:"stalled_streams"`
	// Errors counts streams that failed or ended short, and FirstError
	// says what went wrong with the first of them.
	Errors     int    `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
	// Chunks is the number of content chunks the clients received.
	Chunks int `json:"chunks"`
	// CPUPerEvent is the relay's CPU time over the phase divided by Chunks,
	// in µs; MemoryPerStream its memory growth with every stream open
	// divided by Streams, in bytes. Both are absent (NaN in Go, null in
	// JSON) when they could not be measured, and for the direct target.
	CPUPerEvent     *float64 `json:"cpu_per_event_us,omitempty"`
	MemoryPerStream *float64 `json:"memory_per_stream_bytes,omitempty"`
	// Wall is how long the phase's streams took, first start to last end.
	Wall time.Duration `json:"wall_ns"`

	usage, peak Usage
	usageErr    error
}

// Result is a whole run: every phase, and per target the largest
// concurrency measured without a stall.
type Result struct {
	Deltas    int           `json:"deltas"`
	Pace      time.Duration `json:"pace_ns"`
	Reference string        `json:"reference"`
	Targets   []string      `json:"targets"`
	Phases    []Phase       `json:"phases"`
	// StallFree is, per target, the largest concurrency with no stall, and
	// StallAt the smallest one seen with stalls (0: none stalled).
	StallFree map[string]int `json:"stall_free"`
	StallAt   map[string]int `json:"stall_at,omitempty"`
	// FileLimit is the open-file limit the run had (raised if it was too
	// low for the largest level).
	FileLimit uint64 `json:"file_limit"`
}

// Phase returns the phase of target at streams, or nil.
func (r *Result) Phase(target string, streams int) *Phase {
	for i := range r.Phases {
		if p := &r.Phases[i]; p.Target == target && p.Streams == streams {
			return p
		}
	}
	return nil
}

// Run measures every target at every level against one simulator started in
// this process, which sends cfg.Deltas content deltas cfg.Pace apart (the
// first one Pace after the request). At each level it measures Direct, then
// each target, each in a phase of its own with a freshly started relay:
// streams start spread evenly over one pace interval, so they do not all
// write in the same instant, and every client reads its stream as raw SSE,
// timing each content chunk as it is decoded.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.defaults()
	if len(cfg.Targets) == 0 {
		return nil, errors.New("no relay to measure")
	}
	top := slices.Max(cfg.Streams)
	// Each stream holds a client and a simulator socket here, and an
	// in-process relay two more.
	limit, err := raiseFileLimit(uint64(4*top + 256))
	if err != nil {
		return nil, fmt.Errorf("raising the open-file limit for %d streams: %w", top, err)
	}
	if limit < uint64(2*top+64) {
		return nil, fmt.Errorf("the open-file limit is %d, too low for %d streams; raise it (ulimit -n)", limit, top)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	upstream := &http.Server{Handler: sim.New(sim.Config{TTFT: cfg.Pace, ITL: cfg.Pace, Tokens: cfg.Deltas})}
	go upstream.Serve(ln)
	defer upstream.Close()
	base := "http://" + ln.Addr().String()

	res := &Result{Deltas: cfg.Deltas, Pace: cfg.Pace, Reference: cfg.Reference, FileLimit: limit,
		StallFree: map[string]int{}, StallAt: map[string]int{}}
	all := append([]Target{Direct()}, cfg.Targets...)
	for _, t := range all {
		res.Targets = append(res.Targets, t.Name)
	}
	levels := slices.Sorted(slices.Values(cfg.Streams))
	for _, n := range levels {
		for _, t := range all {
			ph, err := runPhase(ctx, &cfg, t, base, n)
			if err != nil {
				return res, fmt.Errorf("%s at %d streams: %w", t.Name, n, err)
			}
			res.Phases = append(res.Phases, ph)
			res.derive(len(res.Phases) - 1)
			if cfg.Log != nil {
				logPhase(cfg.Log, &res.Phases[len(res.Phases)-1])
			}
		}
	}
	for _, t := range all {
		if err := res.search(ctx, &cfg, t, base, levels); err != nil {
			return res, err
		}
	}
	return res, nil
}

// search finds t's largest stall-free concurrency: the largest level
// without stalls, refined by bisection towards the first level with them.
func (r *Result) search(ctx context.Context, cfg *Config, t Target, base string, levels []int) error {
	ok, bad := 0, 0
	for _, n := range levels {
		if p := r.Phase(t.Name, n); p != nil && p.Stalls == 0 && p.Errors == 0 {
			ok = n
		} else {
			bad = n
			break
		}
	}
	for range cfg.Search {
		if bad == 0 || bad-ok <= max(1, ok/10) {
			break
		}
		mid := ok + (bad-ok)/2
		ph, err := runPhase(ctx, cfg, t, base, mid)
		if err != nil {
			return fmt.Errorf("%s at %d streams: %w", t.Name, mid, err)
		}
		if cfg.Log != nil {
			logPhase(cfg.Log, &ph)
		}
		if ph.Stalls == 0 && ph.Errors == 0 {
			ok = mid
		} else {
			bad = mid
		}
	}
	r.StallFree[t.Name] = ok
	if bad > 0 {
		r.StallAt[t.Name] = bad
	}
	return nil
}

// derive fills phase i's added latencies and its relay's CPU and memory,
// which for a relay in this process are counted beyond the direct phase of
// the same size.
func (r *Result) derive(i int) {
	p := &r.Phases[i]
	direct := r.Phase("direct", p.Streams)
	if direct == nil {
		return
	}
	p.AddedTTFTP50 = round3(p.TTFT.P50 - direct.TTFT.P50)
	p.AddedTTFTP99 = round3(p.TTFT.P99 - direct.TTFT.P99)
	p.AddedGapP50 = round3(p.Gap.P50 - direct.Gap.P50)
	p.AddedGapP99 = round3(p.Gap.P99 - direct.Gap.P99)
	if p == direct || p.usageErr != nil || p.Chunks == 0 {
		return
	}
	cpu, mem := p.usage.CPU, p.peak.Memory
	if p.usage.Shared {
		if direct.usageErr != nil {
			return
		}
		cpu -= direct.usage.CPU
		mem -= direct.peak.Memory
	}
	perEvent := round3(float64(cpu) / 1e3 / float64(p.Chunks))
	perStream := float64(mem) / float64(p.Streams)
	p.CPUPerEvent, p.MemoryPerStream = &perEvent, &perStream
}

// runPhase measures target t at n concurrent streams.
func runPhase(ctx context.Context, cfg *Config, t Target, upstream string, n int) (Phase, error) {
	ph := Phase{Target: t.Name, Streams: n}
	proxy, err := t.Start(ctx, upstream)
	if err != nil {
		return ph, err
	}
	defer proxy.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, DisableCompression: true,
		ResponseHeaderTimeout: 30 * time.Second}}
	defer client.CloseIdleConnections()

	// One short stream first loads the relay's code paths and opens its
	// first upstream connection, as any server has done before it is
	// measured. Phases open their client connections in the measurement
	// alike, so that cost cancels out of the added latency.
	if w := readStream(ctx, client, proxy.URL(), requestBody(2), nil); w.err != nil {
		return ph, fmt.Errorf("warmup stream: %w", w.err)
	}
	client.CloseIdleConnections()

	total := cfg.Pace*time.Duration(cfg.Deltas+1) + cfg.Pace
	pctx, cancel := context.WithTimeout(ctx, 3*total+30*time.Second)
	defer cancel()

	if cfg.Around != nil {
		defer cfg.Around(t.Name, n)()
	}
	base, baseErr := proxy.Usage()
	if base.Shared {
		// The relay shares this process's heap: collect the garbage of
		// what ran before, so its collection is not charged to this phase
		// and the memory baseline is the live heap.
		runtime.GC()
		base, baseErr = proxy.Usage()
	}
	began := time.Now()
	results, peak := drive(pctx, client, proxy, n, cfg)
	ph.Wall = time.Since(began)
	end, endErr := proxy.Usage()
	if err := ctx.Err(); err != nil {
		return ph, err
	}
	ph.usageErr = errors.Join(baseErr, endErr, peak.err)
	ph.usage = Usage{CPU: end.CPU - base.CPU, Shared: end.Shared}
	ph.peak = Usage{Memory: peak.memory - base.Memory, Shared: end.Shared}
	ph.summarize(results, cfg)
	return ph, nil
}

// peakMemory is the highest memory a relay used while its streams were open.
type peakMemory struct {
	memory int64
	err    error
}

// drive runs n streams through proxy, started evenly over one pace
// interval, samples the relay's memory while they are open, and returns
// what each stream saw. The streams' results meet in one channel.
func drive(ctx context.Context, client *http.Client, proxy Proxy, n int, cfg *Config) ([]streamResult, peakMemory) {
	body := requestBody(cfg.Deltas)
	out := make(chan streamResult)
	var open atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			at := start.Add(cfg.Pace * time.Duration(i) / time.Duration(n))
			if !sleepUntil(ctx, at) {
				return
			}
			r := readStream(ctx, client, proxy.URL(), body, func() { open.Add(1) })
			if r.chunks > 0 {
				open.Add(-1)
			}
			select {
			case out <- r:
			case <-ctx.Done():
			}
		})
	}
	go func() {
		wg.Wait()
		close(out)
	}()

	// Sample memory until the first stream ends; keep the highest reading.
	// Streams are all open for most of the phase, between the last start
	// plus TTFT and the first end.
	var peak peakMemory
	sampled := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(max(cfg.Pace*time.Duration(cfg.Deltas)/16, 5*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if open.Load() < int64(n) {
				continue
			}
			u, err := proxy.Usage()
			if err != nil {
				peak.err = err
				return
			}
			peak.memory = max(peak.memory, u.Memory)
		}
	}()
	var results []streamResult
	for r := range out {
		if len(results) == 0 {
			close(stop)
		}
		results = append(results, r)
	}
	if len(results) == 0 {
		close(stop)
	}
	<-sampled
	if peak.memory == 0 && peak.err == nil {
		peak.err = errors.New("never saw every stream open at once to sample memory")
	}
	return results, peak
}

// summarize computes the phase's statistics from its streams.
func (p *Phase) summarize(results []streamResult, cfg *Config) {
	var ttft, gaps []float64
	stall := 2 * cfg.Pace
	for _, r := range results {
		if r.err != nil || r.chunks != cfg.Deltas {
			p.Errors++
			if p.FirstError == "" {
				p.FirstError = fmt.Sprintf("%d of %d chunks", r.chunks, cfg.Deltas)
				if r.err != nil {
					p.FirstError += ": " + r.err.Error()
				}
			}
		}
		if r.chunks == 0 {
			continue
		}
		ttft = append(ttft, float64(r.ttft)/1e6)
		stalled := false
		for _, g := range r.gaps {
			gaps = append(gaps, float64(g)/1e6)
			if g > stall {
				p.Stalls++
				stalled = true
			}
		}
		if stalled {
			p.StalledStreams++
		}
		p.Chunks += r.chunks
	}
	p.Errors += p.Streams - len(results)
	p.TTFT, p.Gap = bench.Summarize(ttft), bench.Summarize(gaps)
}

// sleepUntil waits until t or until ctx is done, and reports whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func round3(f float64) float64 { return math.Round(f*1e3) / 1e3 }
