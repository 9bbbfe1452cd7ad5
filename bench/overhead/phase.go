package overhead

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/bench"
)

// run is one measurement of a target at one concurrency.
type run struct {
	results []streamResult
	// cpu is the relay's CPU time over the run, shared whether it is this
	// whole process's.
	cpu    time.Duration
	cpuErr error
	shared bool
	peak   peakMemory
	wall   time.Duration
}

// measure runs target t at n concurrent streams once, with a freshly
// started relay.
func measure(ctx context.Context, cfg *Config, t Target, upstream string, n int) (run, error) {
	var ru run
	proxy, err := t.Start(ctx, upstream)
	if err != nil {
		return ru, err
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
		return ru, fmt.Errorf("warmup stream: %w", w.err)
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
	ru.results, ru.peak = drive(pctx, client, proxy, n, cfg)
	ru.wall = time.Since(began)
	end, endErr := proxy.Usage()
	if err := ctx.Err(); err != nil {
		return ru, err
	}
	ru.cpuErr = errors.Join(baseErr, endErr)
	ru.cpu, ru.shared = end.CPU-base.CPU, end.Shared
	ru.peak.memory -= base.Memory
	return ru, nil
}

// peakMemory is a relay's memory growth over its baseline at the sample
// taken with the most streams open, and how many were.
type peakMemory struct {
	memory int64
	open   int64
	err    error
}

// drive runs n streams through proxy, started evenly over one pace
// interval, samples the relay's memory while they run, and returns what
// each stream saw. The streams' results meet in one channel.
func drive(ctx context.Context, client *http.Client, proxy Proxy, n int, cfg *Config) ([]streamResult, peakMemory) {
	body := requestBody(cfg.Deltas)
	out := make(chan streamResult)
	// open counts the streams between their first content chunk and
	// their end: the ones holding the relay's per-stream memory.
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

	// Sample memory while the streams run and keep the sample taken with
	// the most of them open (normally all of them, between the last first
	// chunk and the first end).
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
			o := open.Load()
			if o == 0 || o < peak.open {
				continue
			}
			u, err := proxy.Usage()
			if err != nil {
				peak.err = err
				return
			}
			if o > peak.open || u.Memory > peak.memory {
				peak.memory, peak.open = u.Memory, o
			}
		}
	}()
	var results []streamResult
	for r := range out {
		results = append(results, r)
	}
	close(stop)
	<-sampled
	if peak.open == 0 && peak.err == nil {
		peak.err = errors.New("no memory sample was taken while a stream was open")
	}
	return results, peak
}

// newPhase pools the runs of target at n streams into a Phase.
func newPhase(target string, n int, runs []run, cfg *Config) Phase {
	p := Phase{Target: target, Streams: n, Runs: len(runs)}
	var ttft, gaps, mems []float64
	var cpu time.Duration
	cpuOK := true
	stall := 2 * cfg.Pace
	for _, ru := range runs {
		p.Wall = max(p.Wall, ru.wall)
		p.shared = ru.shared
		cpu += ru.cpu
		cpuOK = cpuOK && ru.cpuErr == nil
		if ru.peak.err == nil && ru.peak.open > 0 {
			mems = append(mems, float64(ru.peak.memory)/float64(ru.peak.open))
		}
		p.Errors += n - len(ru.results)
		for _, r := range ru.results {
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
	}
	p.TTFT, p.Gap = bench.Summarize(ttft), bench.Summarize(gaps)
	if cpuOK && p.Chunks > 0 {
		p.cpu, p.cpuOK = float64(cpu)/1e3/float64(p.Chunks), true
	}
	if len(mems) > 0 {
		p.mem, p.memOK = bench.Summarize(mems).P50, true
	}
	if target != "direct" {
		// Until derive has the direct phase: the raw readings.
		if p.cpuOK && !p.shared {
			v := round3(p.cpu)
			p.CPUPerEvent = &v
		}
		if p.memOK && !p.shared {
			v := math.Round(p.mem)
			p.MemoryPerStream = &v
		}
	}
	return p
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
