package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/tokens"
)

// DefaultPrompt is the prompt sent when a Config gives none: short, so
// input processing hardly weighs in TTFT, and open-ended, so a model writes
// until it reaches the token limit.
const DefaultPrompt = "Write a short story about a lighthouse keeper who finds a message in a bottle."

// Target is one model to benchmark.
type Target struct {
	// Name labels the model in reports, normally its "provider/model" name.
	Name string
	// Provider streams the requests, and Model is the model's name within
	// it (what Registry.Resolve returns).
	Provider sluice.Provider
	Model    string
}

// Progress is told how a run advances, for a live display. Its methods are
// called from the goroutine that called [Run], never concurrently.
type Progress interface {
	// Begin is called before a model's first request. total is its warmup
	// plus measured requests, or 0 when only a duration bounds the run.
	Begin(model string, warmup, total int)
	// Done is called after each request; warmup is true for one that is
	// left out of the statistics.
	Done(model string, s *Sample, warmup bool)
	// End is called after the model's last request.
	End(model string)
}

// Config configures a [Run].
type Config struct {
	// Targets are benchmarked one after the other, so they never compete
	// for the client's CPU or network.
	Targets []Target
	Load    Load
	// Prompts are sent in turn, request i getting Prompts[i % len]; empty
	// means DefaultPrompt.
	Prompts []string
	// MaxTokens caps each response; 0 leaves the provider's default.
	MaxTokens int
	// Timeout bounds each request; 0 means none. A request that runs out
	// of time counts as a timeout error.
	Timeout time.Duration
	// SLO, when set, makes the report count good requests and goodput.
	SLO SLO
	// NoTokenizer counts one token per content event, instead of counting
	// with a tiktoken encoding, when a provider reports no usage.
	NoTokenizer bool
	// Progress, if not nil, is told about every request.
	Progress Progress
}

// Run benchmarks every target with cfg's load and returns the report. When
// ctx is cancelled it stops sending, cancels the requests in flight, and
// returns the report of what had finished with ctx's error, so an
// interrupted run still shows its numbers.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if len(cfg.Targets) == 0 {
		return nil, errors.New("no model to benchmark; name one or more with --model provider/model")
	}
	if err := cfg.Load.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxTokens < 0 {
		return nil, fmt.Errorf("max tokens is %d; use a positive number, or 0 for the provider's default", cfg.MaxTokens)
	}
	if len(cfg.Prompts) == 0 {
		cfg.Prompts = []string{DefaultPrompt}
	}
	rep := &Report{Schema: Schema, Started: time.Now().UTC(), Load: cfg.Load, MaxTokens: cfg.MaxTokens,
		Prompts: len(cfg.Prompts), SLO: cfg.SLO.String(), Definitions: definitions()}
	for _, t := range cfg.Targets {
		r := &runner{cfg: &cfg, t: t}
		r.tokenizer()
		samples, err := r.run(ctx)
		rep.Samples = append(rep.Samples, samples...)
		rep.Models = append(rep.Models, summarizeModel(t.Name, samples, cfg.SLO))
		if err != nil {
			markBest(rep.Models)
			return rep, err
		}
	}
	markBest(rep.Models)
	return rep, nil
}

// runner benchmarks one target.
type runner struct {
	cfg *Config
	t   Target
	// enc counts output tokens when the provider reports none; source names
	// it in samples.
	enc    *tokens.Encoding
	source string
}

// tokenizer picks the encoding that estimates the target's output tokens.
func (r *runner) tokenizer() {
	if r.cfg.NoTokenizer {
		return
	}
	enc, exact := tokens.ForModel(r.t.Model)
	// Load the vocabulary now (tens of milliseconds), not inside the first
	// request's stream, where it would show as one long gap.
	enc.Count("warm up")
	r.enc, r.source = enc, "tokenizer:"+enc.Name()
	if !exact {
		r.source += "~"
	}
}

// run sends the warmup and then the measured requests.
func (r *runner) run(ctx context.Context) ([]Sample, error) {
	l := r.cfg.Load
	if p := r.cfg.Progress; p != nil {
		total := l.requests()
		if total > 0 {
			total += l.Warmup
		}
		p.Begin(r.t.Name, l.Warmup, total)
		defer p.End(r.t.Name)
	}
	if l.Warmup > 0 {
		warm := Load{Requests: l.Warmup, Concurrency: min(l.workers(), l.Warmup)}
		r.collect(ctx, r.closedLoop(ctx, warm, time.Now(), true), true)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	var out <-chan Sample
	if l.Rate > 0 {
		out = r.openLoop(ctx, start)
	} else {
		out = r.closedLoop(ctx, l, start, false)
	}
	return r.collect(ctx, out, false), ctx.Err()
}

// collect is the fan-in point: it receives every sample until the senders
// are done, and tells Progress.
func (r *runner) collect(ctx context.Context, out <-chan Sample, warmup bool) []Sample {
	var samples []Sample
	for s := range out {
		if ctx.Err() != nil && s.ErrorKind == sluice.KindCanceled.String() {
			continue // the run was interrupted, not the request failing
		}
		if p := r.cfg.Progress; p != nil {
			p.Done(r.t.Name, &s, warmup)
		}
		if !warmup {
			s.Good = !r.cfg.SLO.IsZero() && r.cfg.SLO.Met(&s)
			samples = append(samples, s)
		}
	}
	return samples
}

// deadline returns when the measured run must stop sending, or the zero
// time.
func (r *runner) deadline(start time.Time) time.Time {
	if d := r.cfg.Load.Duration; d > 0 {
		return start.Add(d)
	}
	return time.Time{}
}

// closedLoop starts l's workers and returns the channel their samples
// arrive on, closed once every worker is done.
func (r *runner) closedLoop(ctx context.Context, l Load, start time.Time, warmup bool) <-chan Sample {
	out := make(chan Sample)
	n, workers := l.requests(), l.workers()
	var deadline time.Time
	if !warmup {
		deadline = r.deadline(start)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			if l.Rampup > 0 && !sleepUntil(ctx, start.Add(l.Rampup*time.Duration(w)/time.Duration(workers))) {
				return
			}
			for ctx.Err() == nil {
				seq := int(next.Add(1) - 1)
				// The time the deadline is checked against is the time the
				// request counts as sent: read twice, a request let through
				// just before the deadline could count as sent just after.
				now := time.Now()
				if (n > 0 && seq >= n) || (!deadline.IsZero() && !now.Before(deadline)) {
					return
				}
				s := r.one(ctx, seq, start, now)
				select {
				case out <- s:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// openLoop sends requests at Poisson arrival times and returns the channel
// their samples arrive on, closed once the last one is done. Arrivals are
// scheduled at absolute offsets from start, so a late wake-up never slows
// the rate down.
func (r *runner) openLoop(ctx context.Context, start time.Time) <-chan Sample {
	out := make(chan Sample)
	l := r.cfg.Load
	n, deadline := l.requests(), r.deadline(start)
	go func() {
		var wg sync.WaitGroup
		defer func() {
			wg.Wait()
			close(out)
		}()
		arrivals := NewArrivals(l.Rate, l.Seed)
		at := start
		for seq := 0; n == 0 || seq < n; seq++ {
			if seq > 0 {
				at = at.Add(arrivals.Next())
			}
			if !deadline.IsZero() && !at.Before(deadline) {
				return
			}
			if !sleepUntil(ctx, at) {
				return
			}
			wg.Go(func() {
				s := r.one(ctx, seq, start, time.Now())
				select {
				case out <- s:
				case <-ctx.Done():
				}
			})
		}
	}()
	return out
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

// one sends request seq, counted as sent at sent, and measures it. The
// timings are the Stream's own, taken on the monotonic clock as each event
// is decoded.
func (r *runner) one(ctx context.Context, seq int, start, sent time.Time) Sample {
	s := Sample{Model: r.t.Name, Seq: seq}
	if r.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.cfg.Timeout)
		defer cancel()
	}
	req := &sluice.Request{Model: r.t.Model, MaxTokens: r.cfg.MaxTokens,
		Messages: []sluice.Message{sluice.UserMessage(r.cfg.Prompts[seq%len(r.cfg.Prompts)])}}
	s.Start = sent.Sub(start)
	st, err := r.t.Provider.Stream(ctx, req)
	if err != nil {
		s.E2E = time.Since(sent)
		fail(&s, sluice.AsError(err))
		return s
	}
	if r.enc != nil {
		st.CountWith(r.enc.NewCounter())
	}
	for _, err := range st.Events() {
		if err != nil {
			break
		}
	}
	res := st.Result()
	m := res.Metrics
	s.TTFB, s.TTFT, s.TPOT, s.E2E, s.ITL = m.TTFB, m.TTFT, m.TPOT, m.E2E, m.ITL
	s.OutputTokens, s.TPS, s.E2ETPS, s.ContentEvents = m.OutputTokens, m.TPS, m.E2ETPS, m.ContentEvents
	s.Finish = res.Finish
	s.InputTokens = res.Usage.InputTotal()
	switch {
	case !m.TokensEstimated:
		s.TokenSource = "usage"
	case r.enc != nil:
		s.TokenSource = r.source
	default:
		s.TokenSource = "events"
	}
	if res.Err != nil {
		fail(&s, res.Err)
		return s
	}
	s.OK = true
	return s
}

// fail records how a request failed.
func fail(s *Sample, e *sluice.Error) {
	s.OK = false
	s.ErrorKind, s.Error = e.Kind.String(), e.Error()
}
