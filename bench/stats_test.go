package bench

import (
	"math"
	"testing"
)

func TestPercentile(t *testing.T) {
	// Expected values are numpy.percentile(x, p) with the default linear
	// method.
	tests := []struct {
		name string
		x    []float64
		p    float64
		want float64
	}{
		{"empty", nil, 50, 0},
		{"one value", []float64{7}, 99, 7},
		{"p0 is the min", []float64{1, 2, 3, 4}, 0, 1},
		{"p100 is the max", []float64{1, 2, 3, 4}, 100, 4},
		{"median of an even count", []float64{1, 2, 3, 4}, 50, 2.5},
		{"p90 of four", []float64{1, 2, 3, 4}, 90, 3.7},
		{"p99 of four", []float64{1, 2, 3, 4}, 99, 3.97},
		{"p40 between ranks", []float64{15, 20, 35, 40, 50}, 40, 29},
		{"median of an odd count", []float64{15, 20, 35, 40, 50}, 50, 35},
		{"p95", []float64{15, 20, 35, 40, 50}, 95, 48},
		{"out of range clamps", []float64{1, 2}, 150, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.x, tt.p); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.x, tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		x    []float64
		want Summary
	}{
		{"empty", nil, Summary{}},
		{"one", []float64{3}, Summary{N: 1, Mean: 3, Min: 3, P50: 3, P90: 3, P95: 3, P99: 3, Max: 3}},
		// Population stdev: the classic example with stdev exactly 2.
		{"unsorted", []float64{9, 2, 4, 4, 5, 4, 7, 5}, Summary{N: 8, Mean: 5, Stdev: 2, Min: 2, P50: 4.5, P90: 7.6, P95: 8.3, P99: 8.86, Max: 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.x...)
			got := Summarize(tt.x)
			for _, st := range append(StatNames(), "n") {
				g, w := got.Get(st), tt.want.Get(st)
				if st == "n" {
					g, w = float64(got.N), float64(tt.want.N)
				}
				if math.Abs(g-w) > 1e-9 {
					t.Errorf("%s = %v, want %v", st, g, w)
				}
			}
			for i := range in {
				if in[i] != tt.x[i] {
					t.Fatalf("Summarize reordered its input: %v", tt.x)
				}
			}
		})
	}
}
