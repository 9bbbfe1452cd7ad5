package bench

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestClosedLoop(t *testing.T) {
	tests := []struct {
		name        string
		load        Load
		wantSamples int
		wantCalls   int64
	}{
		{"one at a time", Load{Requests: 5, Warmup: 2}, 5, 7},
		{"four workers", Load{Requests: 12, Concurrency: 4, Warmup: 4}, 12, 16},
		{"more workers than requests", Load{Requests: 3, Concurrency: 8}, 3, 3},
		{"ramp-up", Load{Requests: 8, Concurrency: 4, Rampup: 20 * time.Millisecond}, 8, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakeProvider{Tokens: 4, Gap: 2 * time.Millisecond}
			rep, err := Run(context.Background(), Config{Targets: []Target{{Name: "fake/m", Provider: p, Model: "m"}},
				Load: tt.load, NoTokenizer: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Samples) != tt.wantSamples || p.calls.Load() != tt.wantCalls {
				t.Fatalf("%d samples from %d calls, want %d from %d", len(rep.Samples), p.calls.Load(), tt.wantSamples, tt.wantCalls)
			}
			if got, want := p.maxOpen.Load(), int64(tt.load.workers()); got > want {
				t.Errorf("%d streams open at once, want at most %d", got, want)
			}
			var seqs []int
			for _, s := range rep.Samples {
				seqs = append(seqs, s.Seq)
				if !s.OK || s.ContentEvents != 4 || s.OutputTokens != 4 || s.TokenSource != "events" || len(s.ITL) != 3 {
					t.Errorf("sample %+v", s)
				}
			}
			slices.Sort(seqs)
			for i, s := range seqs {
				if s != i {
					t.Fatalf("sequence numbers %v, want 0..%d", seqs, tt.wantSamples-1)
				}
			}
		})
	}
}

func TestDurationBoundsTheRun(t *testing.T) {
	p := &fakeProvider{Tokens: 3, Gap: 5 * time.Millisecond}
	start := time.Now()
	rep, err := Run(context.Background(), Config{Targets: []Target{{Name: "fake/m", Provider: p, Model: "m"}},
		Load: Load{Concurrency: 2, Duration: 200 * time.Millisecond}, NoTokenizer: true})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 200*time.Millisecond || el > 5*time.Second {
		t.Errorf("the run took %v, want about 200ms", el)
	}
	for _, s := range rep.Samples {
		if s.Start >= 200*time.Millisecond {
			t.Errorf("request %d started at %v, after the duration", s.Seq, s.Start)
		}
	}
	if len(rep.Samples) < 4 {
		t.Errorf("only %d requests in 200ms of 10ms requests on 2 workers", len(rep.Samples))
	}
}

// TestOpenLoopFollowsTheSchedule checks that requests are sent at the
// seeded Poisson arrival times, each at its absolute offset from the start.
func TestOpenLoopFollowsTheSchedule(t *testing.T) {
	const (
		rate = 200.0
		n    = 200
		seed = 42
	)
	p := &fakeProvider{Tokens: 2, Gap: 3 * time.Millisecond}
	rep, err := Run(context.Background(), Config{Targets: []Target{{Name: "fake/m", Provider: p, Model: "m"}},
		Load: Load{Rate: rate, Requests: n, Seed: seed}, NoTokenizer: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Samples) != n {
		t.Fatalf("%d samples, want %d", len(rep.Samples), n)
	}
	want := make([]time.Duration, n)
	a := NewArrivals(rate, seed)
	for i := 1; i < n; i++ {
		want[i] = want[i-1] + a.Next()
	}
	var late []float64
	for _, s := range rep.Samples {
		late = append(late, msf(s.Start-want[s.Seq]))
	}
	sum := Summarize(late)
	t.Logf("lateness against the schedule (ms): %+v", sum)
	if sum.Min < -1 || sum.P50 > 5 {
		t.Errorf("requests were sent off schedule: lateness p50 %.2fms, min %.2fms", sum.P50, sum.Min)
	}
	// Open loop: requests overlap when arrivals come faster than they end.
	if p.maxOpen.Load() < 2 {
		t.Error("no two requests were ever open at once in an open loop")
	}
}

func TestErrorsAreCountedByKind(t *testing.T) {
	p := &fakeProvider{Tokens: 2, FailEvery: 3}
	rep, err := Run(context.Background(), Config{Targets: []Target{{Name: "fake/m", Provider: p, Model: "m"}},
		Load: Load{Requests: 9}, NoTokenizer: true})
	if err != nil {
		t.Fatal(err)
	}
	mr := rep.Models[0]
	if mr.Requests != 9 || mr.OK != 6 || mr.Errors["rate_limit"] != 3 || mr.TTFT.N != 6 {
		t.Errorf("requests %d ok %d errors %v ttft n %d", mr.Requests, mr.OK, mr.Errors, mr.TTFT.N)
	}
}

// progressLog records Progress calls, which Run makes from one goroutine.
type progressLog struct {
	begins []string
	done   map[bool]int
	ends   int
}

func (l *progressLog) Begin(model string, warmup, total int) {
	l.begins = append(l.begins, model)
}
func (l *progressLog) Done(model string, s *Sample, warmup bool) { l.done[warmup]++ }
func (l *progressLog) End(model string)                          { l.ends++ }

func TestProgressAndBest(t *testing.T) {
	fast, slow := &fakeProvider{Tokens: 5, Gap: time.Millisecond}, &fakeProvider{Tokens: 5, Gap: 8 * time.Millisecond}
	log := &progressLog{done: map[bool]int{}}
	rep, err := Run(context.Background(), Config{
		Targets: []Target{{Name: "slow", Provider: slow, Model: "m"}, {Name: "fast", Provider: fast, Model: "m"}},
		Load:    Load{Requests: 4, Warmup: 1}, NoTokenizer: true, Progress: log})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(log.begins, []string{"slow", "fast"}) || log.ends != 2 || log.done[true] != 2 || log.done[false] != 8 {
		t.Errorf("progress: begins %v ends %d done %v", log.begins, log.ends, log.done)
	}
	fastR := rep.Models[1]
	for _, key := range []string{"itl_ms", "tpot_ms", "e2e_ms", "tps"} {
		if !fastR.IsBest(key) {
			t.Errorf("the fast model is not best on %s (best: %v / %v)", key, rep.Models[0].Best, fastR.Best)
		}
	}
}

func TestCancelReturnsWhatFinished(t *testing.T) {
	p := &fakeProvider{Tokens: 1000, Gap: time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	rep, err := Run(ctx, Config{Targets: []Target{{Name: "fake/m", Provider: p, Model: "m"}},
		Load: Load{Requests: 100, Concurrency: 4}, NoTokenizer: true})
	if !errors.Is(err, context.DeadlineExceeded) || rep == nil {
		t.Fatalf("Run = %v, %v; want a report and the context's error", rep, err)
	}
	if p.open.Load() != 0 {
		t.Errorf("%d streams still open after Run returned", p.open.Load())
	}
}

func TestRunRejects(t *testing.T) {
	p := &fakeProvider{}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no targets", Config{}},
		{"bad load", Config{Targets: []Target{{Name: "x", Provider: p}}, Load: Load{Rate: 1, Concurrency: 1}}},
		{"negative max tokens", Config{Targets: []Target{{Name: "x", Provider: p}}, MaxTokens: -1}},
	}
	for _, tt := range tests {
		if _, err := Run(context.Background(), tt.cfg); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}
