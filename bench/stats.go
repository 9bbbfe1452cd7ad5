package bench

import (
	"math"
	"slices"
)

// Summary describes a sample of one metric: its size, mean, population
// standard deviation, extremes and percentiles. The zero value is the summary
// of an empty sample.
//
// Percentiles are interpolated linearly between the two nearest ranks, the
// method numpy.percentile uses by default ("linear", Hyndman and Fan's
// type 7), so they match vLLM, GenAI-Perf and GuideLLM, which all call numpy.
// Stdev divides by n, as numpy.std does by default.
type Summary struct {
	N     int     `json:"n"`
	Mean  float64 `json:"mean"`
	Stdev float64 `json:"stdev"`
	Min   float64 `json:"min"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Summarize returns the Summary of xs. It sorts a copy, so xs is left as it
// was; NaNs must not be passed.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	mean := sum / float64(len(s))
	var sq float64
	for _, x := range s {
		sq += (x - mean) * (x - mean)
	}
	return Summary{
		N:     len(s),
		Mean:  mean,
		Stdev: math.Sqrt(sq / float64(len(s))),
		Min:   s[0],
		P50:   Percentile(s, 50),
		P90:   Percentile(s, 90),
		P95:   Percentile(s, 95),
		P99:   Percentile(s, 99),
		Max:   s[len(s)-1],
	}
}

// Percentile returns the p-th percentile (0 ≤ p ≤ 100) of sorted, which
// must be in ascending order, by linear interpolation between closest ranks:
// with h = (n−1)·p/100, the value is sorted[⌊h⌋] + (h−⌊h⌋)·(sorted[⌊h⌋+1] −
// sorted[⌊h⌋]). It returns 0 for an empty slice.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	p = min(max(p, 0), 100)
	h := float64(n-1) * p / 100
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// Get returns the statistic named by stat ("mean", "stdev", "min", "p50",
// "p90", "p95", "p99" or "max"), and 0 for any other name.
func (s Summary) Get(stat string) float64 {
	switch stat {
	case "mean":
		return s.Mean
	case "stdev":
		return s.Stdev
	case "min":
		return s.Min
	case "p50":
		return s.P50
	case "p90":
		return s.P90
	case "p95":
		return s.P95
	case "p99":
		return s.P99
	case "max":
		return s.Max
	}
	return 0
}

// StatNames returns the names Summary.Get accepts, in the order reports
// print them.
func StatNames() []string {
	return []string{"mean", "stdev", "min", "p50", "p90", "p95", "p99", "max"}
}
