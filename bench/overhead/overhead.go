package overhead

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
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
	// Repeat is the number of runs of every phase, taken in turns (direct,
	// then each target, the targets taking turns at going first) so that a
	// passing burst of other work on the machine does not land on one
	// target alone; their streams are pooled. 0 means 1.
	Repeat int
	// Search is the number of bisection probes per target (each Repeat
	// runs) spent looking for the largest stall-free concurrency between
	// the levels; 0 spends none.
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
	c.Repeat = max(c.Repeat, 1)
	if c.Reference == "" && len(c.Targets) > 0 {
		c.Reference = c.Targets[0].Name
	}
}

// Phase is one target measured at one concurrency.
type Phase struct {
	Target  string `json:"target"`
	Streams int    `json:"streams"`
	// Runs is the number of runs pooled in the phase.
	Runs int `json:"runs"`
	// Turn is the turn a single run was taken in (from 1), for the
	// phases of Result.Turns; 0 for a pooled phase.
	Turn int `json:"turn,omitempty"`
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
	// streams with at least one, over all runs.
	Stalls         int `json:"stalls"`
	StalledStreams int `json:"stalled_streams"`
	// Errors counts streams that failed or ended short, and FirstError
	// says what went wrong with the first of them.
	Errors     int    `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
	// Chunks is the number of content chunks the clients received.
	Chunks int `json:"chunks"`
	// CPUPerEvent is the relay's CPU time over the phase's runs divided by
	// Chunks, in µs; MemoryPerStream its memory growth over its idle
	// baseline, sampled when most streams were open, divided by the streams
	// open (the median over runs), in bytes. Both are nil when they could
	// not be measured, and for the direct target.
	CPUPerEvent     *float64 `json:"cpu_per_event_us,omitempty"`
	MemoryPerStream *float64 `json:"memory_per_stream_bytes,omitempty"`
	// Wall is how long the streams of one run took, first start to last
	// end (the longest run).
	Wall time.Duration `json:"wall_ns"`

	// cpu (µs per event) and mem (bytes per open stream) are the raw
	// readings, cpuOK and memOK whether there are any; shared says they
	// are this whole process's.
	cpu, mem     float64
	cpuOK, memOK bool
	shared       bool
}

// Result is a whole run: every phase, and per target the largest
// concurrency measured without a stall.
type Result struct {
	Deltas    int           `json:"deltas"`
	Pace      time.Duration `json:"pace_ns"`
	Reference string        `json:"reference"`
	Targets   []string      `json:"targets"`
	Phases    []Phase       `json:"phases"`
	// Turns holds every run of the fixed levels as a phase of its own,
	// its added latencies counted from the direct run of the same turn,
	// when phases pool more than one run: how far the turns spread is how
	// far one run can be trusted on this machine.
	Turns []Phase `json:"turns,omitempty"`
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
		runs := map[string][]run{}
		for i := range cfg.Repeat {
			for _, t := range turnOrder(all, i) {
				ru, err := measure(ctx, &cfg, t, base, n)
				if err != nil {
					return res, fmt.Errorf("%s at %d streams: %w", t.Name, n, err)
				}
				runs[t.Name] = append(runs[t.Name], ru)
				ph := newPhase(t.Name, n, []run{ru}, &cfg)
				ph.Turn = i + 1
				if cfg.Repeat > 1 {
					// Direct opens every turn, so its run is there to count from.
					derive(&ph, res.turn("direct", n, i+1))
					res.Turns = append(res.Turns, ph)
				}
				if cfg.Log != nil {
					logPhase(cfg.Log, &ph, i+1, cfg.Repeat)
				}
			}
		}
		for _, t := range all {
			res.Phases = append(res.Phases, newPhase(t.Name, n, runs[t.Name], &cfg))
		}
		for i := len(res.Phases) - len(all); i < len(res.Phases); i++ {
			p := &res.Phases[i]
			derive(p, res.Phase("direct", p.Streams))
		}
	}
	return res, res.search(ctx, &cfg, all, base, levels)
}

// turnOrder is the order of turn i: direct first, as the baseline the
// others are measured against, then the relays rotated by i, so that none
// always runs right after another (the benchmark's own process, which runs
// the client and the simulator, carries what each phase left in its heap
// into the next).
func turnOrder(all []Target, i int) []Target {
	if len(all) < 3 {
		return all
	}
	relays := all[1:]
	k := i % len(relays)
	out := append([]Target{all[0]}, relays[k:]...)
	return append(out, relays[:k]...)
}

// search finds each target's largest stall-free concurrency: the largest
// level at which no run stalled, refined by bisection towards the first
// level with stalls. The targets take their probes in turns, each probe
// cfg.Repeat runs, and a probe is stall-free only if all its runs are.
func (r *Result) search(ctx context.Context, cfg *Config, all []Target, base string, levels []int) error {
	ok, bad := map[string]int{}, map[string]int{}
	for _, t := range all {
		for _, n := range levels {
			if p := r.Phase(t.Name, n); p != nil && p.Stalls == 0 && p.Errors == 0 {
				ok[t.Name] = n
			} else {
				bad[t.Name] = n
				break
			}
		}
	}
	for range cfg.Search {
		for _, t := range all {
			lo, hi := ok[t.Name], bad[t.Name]
			if hi == 0 || hi-lo <= max(1, lo/10) {
				continue
			}
			mid := lo + (hi-lo)/2
			var runs []run
			for range cfg.Repeat {
				ru, err := measure(ctx, cfg, t, base, mid)
				if err != nil {
					return fmt.Errorf("%s at %d streams: %w", t.Name, mid, err)
				}
				runs = append(runs, ru)
			}
			ph := newPhase(t.Name, mid, runs, cfg)
			if cfg.Log != nil {
				logPhase(cfg.Log, &ph, 0, 0)
			}
			if ph.Stalls == 0 && ph.Errors == 0 {
				ok[t.Name] = mid
			} else {
				bad[t.Name] = mid
			}
		}
	}
	for _, t := range all {
		r.StallFree[t.Name] = ok[t.Name]
		if bad[t.Name] > 0 {
			r.StallAt[t.Name] = bad[t.Name]
		}
	}
	return nil
}

// turn returns the run of target at streams taken in turn, or nil.
func (r *Result) turn(target string, streams, turn int) *Phase {
	for i := range r.Turns {
		if p := &r.Turns[i]; p.Target == target && p.Streams == streams && p.Turn == turn {
			return p
		}
	}
	return nil
}

// derive fills p's added latencies and its relay's CPU and memory, which
// for a relay in this process are counted beyond direct, the direct phase
// of the same size (and turn).
func derive(p, direct *Phase) {
	if direct == nil || p.Target == "direct" {
		return
	}
	p.AddedTTFTP50 = round3(p.TTFT.P50 - direct.TTFT.P50)
	p.AddedTTFTP99 = round3(p.TTFT.P99 - direct.TTFT.P99)
	p.AddedGapP50 = round3(p.Gap.P50 - direct.Gap.P50)
	p.AddedGapP99 = round3(p.Gap.P99 - direct.Gap.P99)
	// A relay in this process shares it with the client and the
	// simulator: its share is what it used beyond the direct phase.
	if p.cpuOK && (!p.shared || direct.cpuOK) {
		v := p.cpu
		if p.shared {
			v -= direct.cpu
		}
		v = round3(v)
		p.CPUPerEvent = &v
	}
	if p.memOK && (!p.shared || direct.memOK) {
		v := p.mem
		if p.shared {
			v -= direct.mem
		}
		v = math.Round(v)
		p.MemoryPerStream = &v
	}
}

func round3(f float64) float64 { return math.Round(f*1e3) / 1e3 }
