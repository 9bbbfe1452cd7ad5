package bench

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestArrivalsArePoisson(t *testing.T) {
	tests := []struct {
		rate float64
		seed uint64
	}{
		{rate: 1, seed: 1},
		{rate: 50, seed: 2},
		{rate: 2000, seed: 3},
	}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			const n = 200_000
			a := NewArrivals(tt.rate, tt.seed)
			var sum, sq float64
			for range n {
				g := a.Next().Seconds()
				if g < 0 {
					t.Fatalf("negative gap %v", g)
				}
				sum += g
				sq += g * g
			}
			mean := sum / n
			rate := 1 / mean
			// The mean of n exponential gaps has a relative standard error
			// of 1/√n (0.22%); 1% is more than 4 of them.
			if math.Abs(rate-tt.rate)/tt.rate > 0.01 {
				t.Errorf("mean rate %.4f over %d arrivals, want %v within 1%%", rate, n, tt.rate)
			}
			// Exponential gaps have a coefficient of variation of 1.
			cv := math.Sqrt(sq/n-mean*mean) / mean
			if math.Abs(cv-1) > 0.02 {
				t.Errorf("coefficient of variation %.4f, want 1 (exponential gaps)", cv)
			}
		})
	}
}

func TestArrivalsAreReproducible(t *testing.T) {
	a, b, c := NewArrivals(10, 7), NewArrivals(10, 7), NewArrivals(10, 8)
	same := true
	for range 100 {
		x, y, z := a.Next(), b.Next(), c.Next()
		if x != y {
			t.Fatalf("the same seed gave %v and %v", x, y)
		}
		same = same && x == z
	}
	if same {
		t.Error("different seeds gave the same arrivals")
	}
}

func TestLoadValidate(t *testing.T) {
	tests := []struct {
		name string
		l    Load
		want string // a substring of the error, "" for none
	}{
		{"zero value", Load{}, ""},
		{"closed loop", Load{Requests: 10, Concurrency: 4, Warmup: 2}, ""},
		{"open loop", Load{Rate: 5, Duration: time.Second}, ""},
		{"both", Load{Rate: 5, Concurrency: 2}, "not both"},
		{"negative runs", Load{Requests: -1}, "runs"},
		{"negative rate", Load{Rate: -1}, "rate"},
		{"infinite rate", Load{Rate: math.Inf(1)}, "rate"},
		{"negative warmup", Load{Warmup: -1}, "warmup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.l.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadRequests(t *testing.T) {
	tests := []struct {
		l    Load
		want int
	}{
		{Load{}, 10},
		{Load{Requests: 3}, 3},
		{Load{Duration: time.Second}, 0},
		{Load{Requests: 5, Duration: time.Second}, 5},
	}
	for _, tt := range tests {
		if got := tt.l.requests(); got != tt.want {
			t.Errorf("%+v: requests() = %d, want %d", tt.l, got, tt.want)
		}
	}
}
