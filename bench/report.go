package bench

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Schema names the version of the JSON report, so a reader can tell the
// layout it is parsing.
const Schema = "sluice.bench/v1"

// Report is the result of a [Run]: one summary per model, and every measured
// request with its raw timings.
type Report struct {
	Schema  string    `json:"schema"`
	Started time.Time `json:"started"`
	Load    Load      `json:"load"`
	// MaxTokens is the cap sent with each request, 0 for none.
	MaxTokens int `json:"max_tokens,omitempty"`
	// Prompts is the number of different prompts sent.
	Prompts int `json:"prompts"`
	// SLO is the run's objectives in ParseSLO's syntax, empty for none.
	SLO string `json:"slo,omitempty"`
	// Definitions says what each metric means, so the file explains itself.
	Definitions map[string]string `json:"definitions"`
	Models      []ModelReport     `json:"models"`
	Samples     []Sample          `json:"requests"`
}

// ModelReport summarises one model's measured requests. Latency summaries
// are in milliseconds and rates in tokens a second; they cover the requests
// that succeeded, and ITL pools the gaps of all of them, as vLLM does.
type ModelReport struct {
	Model    string `json:"model"`
	Requests int    `json:"requests"`
	OK       int    `json:"ok"`
	// Errors counts the failed requests by sluice error kind.
	Errors map[string]int `json:"errors,omitempty"`
	// TokenSource says where output token counts came from: one source, or
	// several with their request counts ("usage 8, tokenizer:cl100k_base~ 2").
	TokenSource string `json:"token_source"`
	// Duration is the measured window in seconds: from the first measured
	// request sent to the last one ended.
	Duration float64 `json:"duration_s"`

	TTFB   Summary `json:"ttfb_ms"`
	TTFT   Summary `json:"ttft_ms"`
	ITL    Summary `json:"itl_ms"`
	TPOT   Summary `json:"tpot_ms"`
	E2E    Summary `json:"e2e_ms"`
	TPS    Summary `json:"tps"`
	E2ETPS Summary `json:"e2e_tps"`
	// OutputTokens summarises the output tokens per request.
	OutputTokens Summary `json:"output_tokens"`
	// Throughput is all output tokens of successful requests / Duration.
	Throughput float64 `json:"output_tps"`
	// ThroughputWindows summarises the output tokens/s of each whole second
	// of the measured window (each token placed at its content event), the
	// distribution of Throughput over time.
	ThroughputWindows Summary `json:"output_tps_1s"`
	// RequestRate is finished requests (ok or not) / Duration.
	RequestRate float64 `json:"request_rate"`
	// Goodput is good requests / Duration, and GoodFraction their share of
	// all requests; both are set only when the run had SLOs.
	Goodput      *float64 `json:"goodput,omitempty"`
	GoodFraction *float64 `json:"good_fraction,omitempty"`
	// Best lists the metrics (by JSON key) on which this model did best.
	Best []string `json:"best,omitempty"`
}

// Metric describes one per-model statistic of a report.
type Metric struct {
	// Key is the metric's JSON field in ModelReport ("ttft_ms").
	Key string
	// Label and Unit are what tables and charts print.
	Label, Unit string
	// LowerIsBetter orders models for "best": latencies are better low,
	// rates high. Models are compared by their p50.
	LowerIsBetter bool
	// Definition is the formula, pinned to sluice.Metrics.
	Definition string
	// Get returns the model's summary of this metric.
	Get func(*ModelReport) Summary
}

// Metrics returns the statistics a report holds for each model, in the
// order tables print them.
func Metrics() []Metric {
	return []Metric{
		{"ttfb_ms", "TTFB", "ms", true, "response headers received − request sent", func(m *ModelReport) Summary { return m.TTFB }},
		{"ttft_ms", "TTFT", "ms", true, "first content event (text, refusal, reasoning or tool-call token) − request sent", func(m *ModelReport) Summary { return m.TTFT }},
		{"itl_ms", "ITL", "ms", true, "each gap between consecutive content events, pooled over requests", func(m *ModelReport) Summary { return m.ITL }},
		{"tpot_ms", "TPOT", "ms", true, "(last content − first content) / (output tokens − 1)", func(m *ModelReport) Summary { return m.TPOT }},
		{"e2e_ms", "E2E", "ms", true, "end of stream − request sent", func(m *ModelReport) Summary { return m.E2E }},
		{"tps", "TPS", "tok/s", false, "output tokens / (last content − first content): the decode rate a reader sees", func(m *ModelReport) Summary { return m.TPS }},
		{"e2e_tps", "E2E TPS", "tok/s", false, "output tokens / E2E", func(m *ModelReport) Summary { return m.E2ETPS }},
		{"output_tps_1s", "throughput", "tok/s", false, "all output tokens per second of the run, over 1 s windows", func(m *ModelReport) Summary { return m.ThroughputWindows }},
	}
}

// definitions returns every metric's definition by JSON key, with the
// report-level ones.
func definitions() map[string]string {
	d := map[string]string{
		"output_tps":    "all output tokens of successful requests / measured duration",
		"request_rate":  "finished requests / measured duration",
		"goodput":       "requests that succeeded and met every SLO / measured duration",
		"output_tokens": "provider usage when reported (token_source usage), else counted with a tiktoken encoding (tokenizer:<name>, ~ when it only approximates the model's tokenizer), else one per content event (events)",
		"percentiles":   "linear interpolation between closest ranks (numpy's default); stdev divides by n",
	}
	for _, m := range Metrics() {
		d[m.Key] = m.Definition
	}
	return d
}

// summarizeModel builds a model's summary from its measured samples.
func summarizeModel(model string, samples []Sample, slo SLO) ModelReport {
	mr := ModelReport{Model: model, Requests: len(samples)}
	if len(samples) == 0 {
		return mr
	}
	var ttfb, ttft, itl, tpot, e2e, tps, e2etps, out []float64
	sources := map[string]int{}
	var tokens int64
	good := 0
	first, last := samples[0].Start, samples[0].End()
	for i := range samples {
		s := &samples[i]
		first, last = min(first, s.Start), max(last, s.End())
		if !s.OK {
			if mr.Errors == nil {
				mr.Errors = map[string]int{}
			}
			mr.Errors[s.ErrorKind]++
			continue
		}
		mr.OK++
		if s.Good {
			good++
		}
		sources[s.TokenSource]++
		tokens += s.OutputTokens
		if s.TTFB > 0 {
			ttfb = append(ttfb, msf(s.TTFB))
		}
		if s.ContentEvents > 0 {
			ttft = append(ttft, msf(s.TTFT))
		}
		for _, d := range s.ITL {
			itl = append(itl, msf(d))
		}
		if s.OutputTokens > 1 && s.TPOT > 0 {
			tpot = append(tpot, msf(s.TPOT))
			tps = append(tps, s.TPS)
		}
		e2e = append(e2e, msf(s.E2E))
		if s.E2ETPS > 0 {
			e2etps = append(e2etps, s.E2ETPS)
		}
		out = append(out, float64(s.OutputTokens))
	}
	mr.TTFB, mr.TTFT, mr.ITL, mr.TPOT, mr.E2E = Summarize(ttfb), Summarize(ttft), Summarize(itl), Summarize(tpot), Summarize(e2e)
	mr.TPS, mr.E2ETPS, mr.OutputTokens = Summarize(tps), Summarize(e2etps), Summarize(out)
	mr.TokenSource = joinSources(sources)
	wall := last - first
	mr.Duration = wall.Seconds()
	if wall > 0 {
		mr.Throughput = float64(tokens) / wall.Seconds()
		mr.RequestRate = float64(len(samples)) / wall.Seconds()
	}
	mr.ThroughputWindows = Summarize(windows(samples, first, last, time.Second))
	if !slo.IsZero() {
		g, f := 0.0, float64(good)/float64(len(samples))
		if wall > 0 {
			g = float64(good) / wall.Seconds()
		}
		mr.Goodput, mr.GoodFraction = &g, &f
	}
	return mr
}

// msf converts a duration to float milliseconds for statistics.
func msf(d time.Duration) float64 { return float64(d) / 1e6 }

// joinSources writes the token sources, most used first.
func joinSources(sources map[string]int) string {
	if len(sources) == 1 {
		for k := range sources {
			return k
		}
	}
	keys := slices.Sorted(maps.Keys(sources))
	slices.SortStableFunc(keys, func(a, b string) int { return sources[b] - sources[a] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, sources[k])
	}
	return strings.Join(parts, ", ")
}

// windows returns the output tokens per second of each whole window of
// width w in [first, last]: every content event of a successful request
// falls in one window and carries the request's tokens per content event.
// A run shorter than one window gives one value over the whole run.
func windows(samples []Sample, first, last, w time.Duration) []float64 {
	span := last - first
	if span <= 0 {
		return nil
	}
	n := int(span / w)
	width := w
	if n == 0 {
		n, width = 1, span
	}
	counts := make([]float64, n)
	for i := range samples {
		s := &samples[i]
		if !s.OK || s.ContentEvents == 0 {
			continue
		}
		per := float64(s.OutputTokens) / float64(s.ContentEvents)
		at := s.Start + s.TTFT
		for k := 0; ; k++ {
			if b := int((at - first) / width); b >= 0 && b < n {
				counts[b] += per
			}
			if k >= len(s.ITL) {
				break
			}
			at += s.ITL[k]
		}
	}
	for i := range counts {
		counts[i] /= width.Seconds()
	}
	return counts
}

// markBest records, on each model, the metrics on which its p50 is the best
// of all models that have the metric. Nothing is marked with fewer than two
// such models.
func markBest(models []ModelReport) {
	for i := range models {
		models[i].Best = nil
	}
	for _, m := range Metrics() {
		best, have := -1, 0
		for i := range models {
			s := m.Get(&models[i])
			if s.N == 0 {
				continue
			}
			have++
			if best < 0 {
				best = i
				continue
			}
			b := m.Get(&models[best]).P50
			if (m.LowerIsBetter && s.P50 < b) || (!m.LowerIsBetter && s.P50 > b) {
				best = i
			}
		}
		if have >= 2 {
			models[best].Best = append(models[best].Best, m.Key)
		}
	}
}

// IsBest reports whether the model did best on the metric with JSON key key.
func (m *ModelReport) IsBest(key string) bool { return slices.Contains(m.Best, key) }
