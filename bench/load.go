package bench

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Load is the shape of the traffic sent to each model. There are two:
//
//   - closed loop (the default): Concurrency workers each send a request,
//     wait for its end and send the next, as llmperf, vLLM's
//     --max-concurrency and GuideLLM's "concurrent" profile do;
//   - open loop: with Rate > 0, requests arrive as a Poisson process of Rate
//     requests a second (exponential gaps from a generator seeded with Seed),
//     whether or not earlier ones have finished, as vLLM's --request-rate
//     and GuideLLM's "poisson" profile do.
//
// A run measures Requests requests, or runs for Duration, or stops at
// whichever comes first when both are set. Warmup requests are sent first,
// at the same concurrency, and are left out of every statistic: they open
// connections and let caches and servers settle.
type Load struct {
	// Requests is the number of measured requests per model. Zero means 10,
	// unless Duration is set, which then alone ends the run.
	Requests int `json:"requests,omitempty"`
	// Concurrency is the number of closed-loop workers; zero means 1. It
	// cannot be combined with Rate.
	Concurrency int `json:"concurrency,omitempty"`
	// Rate is the mean arrival rate of the open loop, in requests a second.
	Rate float64 `json:"rate,omitempty"`
	// Duration bounds the measured part of the run; requests still running
	// when it is over are awaited and counted.
	Duration time.Duration `json:"duration_ns,omitempty"`
	// Warmup is the number of requests sent before measuring.
	Warmup int `json:"warmup,omitempty"`
	// Rampup spreads the closed-loop workers' first requests evenly over this
	// long, so that C streams do not start (and then emit their tokens) in
	// the same instant, which would measure the client's burst capacity
	// rather than the model. Zero starts them together.
	Rampup time.Duration `json:"rampup_ns,omitempty"`
	// Seed seeds the arrival process, so an open-loop run is reproducible.
	Seed uint64 `json:"seed,omitempty"`
}

// Validate reports the first problem with l in words that say how to fix it.
func (l Load) Validate() error {
	switch {
	case l.Requests < 0:
		return fmt.Errorf("the number of runs is %d; it must be positive", l.Requests)
	case l.Concurrency < 0:
		return fmt.Errorf("the concurrency is %d; it must be positive", l.Concurrency)
	case l.Rate < 0 || math.IsNaN(l.Rate) || math.IsInf(l.Rate, 0):
		return fmt.Errorf("the rate is %v; it must be a positive number of requests a second", l.Rate)
	case l.Rate > 0 && l.Concurrency > 0:
		return errors.New("a run has either a concurrency (closed loop) or a rate (Poisson arrivals), not both")
	case l.Duration < 0:
		return fmt.Errorf("the duration is %v; it must be positive", l.Duration)
	case l.Warmup < 0:
		return fmt.Errorf("the warmup is %d requests; it must be zero or more", l.Warmup)
	case l.Rampup < 0:
		return fmt.Errorf("the ramp-up is %v; it must be zero or more", l.Rampup)
	}
	return nil
}

// requests returns the number of measured requests, or 0 for "until the
// duration is over".
func (l Load) requests() int {
	if l.Requests == 0 && l.Duration == 0 {
		return 10
	}
	return l.Requests
}

// workers returns the closed loop's number of workers.
func (l Load) workers() int { return max(l.Concurrency, 1) }

// Arrivals draws the gaps between the arrivals of a Poisson process: each gap
// is exponentially distributed with mean 1/rate. The same seed gives the
// same gaps, so an open-loop run can be repeated exactly.
// An Arrivals is not safe for concurrent use.
type Arrivals struct {
	rng  *rand.Rand
	rate float64
}

// NewArrivals returns the arrivals of a Poisson process of rate events a
// second; rate must be positive.
func NewArrivals(rate float64, seed uint64) *Arrivals {
	return &Arrivals{rng: rand.New(rand.NewPCG(seed, 0x5eed_b0a7)), rate: rate}
}

// Next returns the gap between the previous arrival and the next one.
func (a *Arrivals) Next() time.Duration {
	return time.Duration(a.rng.ExpFloat64() / a.rate * float64(time.Second))
}
