package bench

import (
	"fmt"
	"math"
	"slices"
)

// Chart is one drawn chart of a report: its heading, a sentence on how to
// read it, and its SVG markup.
type Chart struct {
	ID, Title, Caption string
	SVG                string
}

// Charts draws the report's charts as inline SVG: the TTFT distribution,
// tokens/s per model, latency percentiles, and ITL over the position in the
// stream. Charts with no data to show are left out.
func Charts(r *Report) []Chart {
	by := samplesByModel(r)
	var out []Chart
	for _, c := range []func(*Report, [][]Sample) *Chart{ttftChart, tpsChart, percentileChart, itlChart} {
		if ch := c(r, by); ch != nil {
			out = append(out, *ch)
		}
	}
	return out
}

// samplesByModel returns the successful samples of each model, in the
// order of r.Models.
func samplesByModel(r *Report) [][]Sample {
	index := map[string]int{}
	for i := range r.Models {
		index[r.Models[i].Model] = i
	}
	out := make([][]Sample, len(r.Models))
	for _, s := range r.Samples {
		if i, ok := index[s.Model]; ok && s.OK {
			out[i] = append(out[i], s)
		}
	}
	return out
}

// ttftChart is a histogram of TTFT with bins shared by all models, each
// bar the share of that model's requests in the bin.
func ttftChart(r *Report, by [][]Sample) *Chart {
	lo, hi, any := math.Inf(1), math.Inf(-1), false
	for _, ss := range by {
		for _, s := range ss {
			if s.ContentEvents > 0 {
				v := msf(s.TTFT)
				lo, hi, any = math.Min(lo, v), math.Max(hi, v), true
			}
		}
	}
	if !any {
		return nil
	}
	const bins = 20
	if hi-lo < 1e-3 {
		lo, hi = lo-0.5, hi+0.5
	}
	width := (hi - lo) / bins
	shares := make([][]float64, len(by))
	top := 0.0
	for m, ss := range by {
		shares[m] = make([]float64, bins)
		n := 0
		for _, s := range ss {
			if s.ContentEvents == 0 {
				continue
			}
			b := min(int((msf(s.TTFT)-lo)/width), bins-1)
			shares[m][b]++
			n++
		}
		for b := range shares[m] {
			if n > 0 {
				shares[m][b] = 100 * shares[m][b] / float64(n)
			}
			top = math.Max(top, shares[m][b])
		}
	}
	c := newChart(760, 300, lo, hi, 0, top*1.1, "TTFT distribution")
	c.axes("TTFT (ms)", "% of requests", nil)
	for m := range by {
		w := width / float64(len(by))
		for b, v := range shares[m] {
			if v == 0 {
				continue
			}
			x := lo + float64(b)*width + float64(m)*w
			c.bar(x, w*0.9, 0, v, colorOf(m), fmt.Sprintf("%s: %.1f%% of requests with TTFT %s–%s ms",
				r.Models[m].Model, v, num(lo+float64(b)*width), num(lo+float64(b+1)*width)))
		}
	}
	legend(c, r)
	return &Chart{ID: "ttft", Title: "TTFT distribution", SVG: c.String(),
		Caption: "Share of each model's successful requests by time to first token, in 20 bins shared by all models."}
}

// tpsChart plots every request's decode rate as a dot on its model's row,
// with the p50 marked and the model's overall output throughput written at
// the end of the row.
func tpsChart(r *Report, by [][]Sample) *Chart {
	hi := 0.0
	for _, ss := range by {
		for _, s := range ss {
			hi = math.Max(hi, s.TPS)
		}
	}
	if hi == 0 {
		return nil
	}
	rows := float64(len(by))
	c := newChart(760, 70+44*rows, 0, hi*1.08, -0.5, rows-0.5, "Tokens per second per model")
	c.left, c.right = 150, 130
	for m := len(by) - 1; m >= 0; m-- {
		c.rows = append(c.rows, r.Models[m].Model)
	}
	c.axes("decode rate per request (output tokens/s)", "", nil)
	for m, ss := range by {
		y := rows - 1 - float64(m)
		for i, s := range ss {
			if s.TPS == 0 {
				continue
			}
			// Spread the dots vertically so equal rates stay visible.
			jitter := (float64(i%7) - 3) * 0.05
			c.dot(s.TPS, y+jitter, 3, colorOf(m), "0.45", fmt.Sprintf("%s request %d: %s tok/s", s.Model, s.Seq, num(s.TPS)))
		}
		if p50 := r.Models[m].TPS.P50; p50 > 0 {
			c.bar(p50-hi*0.002, hi*0.004, y-0.3, y+0.3, "#222222", fmt.Sprintf("%s p50 %s tok/s", r.Models[m].Model, num(p50)))
		}
		c.text(c.w-c.right+8, c.Y(y)+4, "start", "note", fmt.Sprintf("%s tok/s overall", num(r.Models[m].Throughput)))
	}
	return &Chart{ID: "tps", Title: "Tokens per second per model", SVG: c.String(),
		Caption: "Each dot is one request's decode rate (output tokens / (last − first content)); the black bar is the p50. " +
			"At the right, all output tokens of the run / its duration."}
}

// percentileChart draws p50, p90, p95 and p99 of TTFT, TPOT and E2E per
// model, one panel each, side by side in one SVG.
func percentileChart(r *Report, _ [][]Sample) *Chart {
	type panel struct {
		name string
		get  func(*ModelReport) Summary
	}
	panels := []panel{
		{"TTFT", func(m *ModelReport) Summary { return m.TTFT }},
		{"TPOT", func(m *ModelReport) Summary { return m.TPOT }},
		{"E2E", func(m *ModelReport) Summary { return m.E2E }},
	}
	stats := []string{"p50", "p90", "p95", "p99"}
	var svg string
	drawn := false
	for _, p := range panels {
		lo, top := math.Inf(1), 0.0
		for i := range r.Models {
			s := p.get(&r.Models[i])
			if s.N > 0 {
				lo, top = math.Min(lo, s.P50), math.Max(top, s.P99)
			}
		}
		if top == 0 {
			continue
		}
		drawn = true
		// The axis spans the data, not zero to the top: percentiles that
		// differ by a fraction of a millisecond must not look equal.
		pad := math.Max((top-lo)*0.15, top*0.01)
		c := newChart(250, 260, -0.3, float64(len(stats))-0.7, math.Max(lo-pad, 0), top+pad, p.name+" percentiles")
		c.left = 52
		c.axes(p.name, "ms", stats)
		for i := range r.Models {
			s := p.get(&r.Models[i])
			if s.N == 0 {
				continue
			}
			var pts [][2]float64
			for k, st := range stats {
				pts = append(pts, [2]float64{float64(k), s.Get(st)})
				c.dot(float64(k), s.Get(st), 3.5, colorOf(i), "1", fmt.Sprintf("%s %s %s: %s ms", r.Models[i].Model, p.name, st, num(s.Get(st))))
			}
			c.polyline(pts, colorOf(i), false, r.Models[i].Model)
		}
		svg += c.String()
	}
	if !drawn {
		return nil
	}
	return &Chart{ID: "percentiles", Title: "Latency percentiles", SVG: svg + legendSVG(r),
		Caption: "p50, p90, p95 and p99 of time to first token, time per output token and end-to-end latency; each axis spans its data, not from zero."}
}

// itlChart draws, per model, the median (solid) and p90 (dashed) gap
// between content events at each position in the stream: gap 1 is between
// the first and second content events.
func itlChart(r *Report, by [][]Sample) *Chart {
	longest := 0
	for _, ss := range by {
		for _, s := range ss {
			longest = max(longest, len(s.ITL))
		}
	}
	if longest == 0 {
		return nil
	}
	medians := make([][][2]float64, len(by))
	p90s := make([][][2]float64, len(by))
	top := 0.0
	for m, ss := range by {
		for pos := range longest {
			var gaps []float64
			for _, s := range ss {
				if pos < len(s.ITL) {
					gaps = append(gaps, msf(s.ITL[pos]))
				}
			}
			if len(gaps) == 0 {
				continue
			}
			slices.Sort(gaps)
			p50, p90 := Percentile(gaps, 50), Percentile(gaps, 90)
			medians[m] = append(medians[m], [2]float64{float64(pos + 1), p50})
			p90s[m] = append(p90s[m], [2]float64{float64(pos + 1), p90})
			top = math.Max(top, p90)
		}
	}
	c := newChart(760, 300, 1, math.Max(float64(longest), 2), 0, top*1.1, "ITL over the position in the stream")
	c.axes("position in the stream (gap after content event n)", "ITL (ms)", nil)
	for m := range by {
		c.polyline(p90s[m], colorOf(m), true, r.Models[m].Model+" p90")
		c.polyline(medians[m], colorOf(m), false, r.Models[m].Model+" median")
	}
	legend(c, r)
	return &Chart{ID: "itl", Title: "ITL over the position in the stream", SVG: c.String(),
		Caption: "Median (solid) and p90 (dashed) gap between consecutive content events at each position, over a model's requests."}
}

// legend writes the models' colours in the top right corner of c.
func legend(c *chart, r *Report) {
	for i := range r.Models {
		y := c.top + 6 + float64(i)*16
		x := c.w - c.right - 180
		fmt.Fprintf(&c.b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/>`, x, y, colorOf(i))
		c.text(x+15, y+9, "start", "name", r.Models[i].Model)
	}
}

// legendSVG is a standalone legend for charts drawn in several panels.
func legendSVG(r *Report) string {
	c := newChart(220, 20+16*float64(len(r.Models)), 0, 1, 0, 1, "legend")
	c.right = 0
	for i := range r.Models {
		y := 6 + float64(i)*16
		fmt.Fprintf(&c.b, `<rect x="4" y="%.1f" width="10" height="10" fill="%s"/>`, y, colorOf(i))
		c.text(20, y+9, "start", "name", r.Models[i].Model)
	}
	return c.String()
}
