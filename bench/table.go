package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// ANSI styles for the best model's rows on a terminal.
const (
	styleBest  = "\x1b[1;32m"
	styleDim   = "\x1b[2m"
	styleReset = "\x1b[0m"
)

// WriteTable writes the report as a table a person reads: for each metric,
// one row per model with mean, stdev, min, p50, p90, p95, p99 and max, the
// best model's row marked with ★ (and in bold green when color is true),
// then one line per model with its requests, errors by kind, throughput,
// goodput and where its token counts came from.
func WriteTable(w io.Writer, r *Report, color bool) error {
	var b strings.Builder
	b.WriteString(describeRun(r))
	b.WriteString("\n\n")

	width := len("model")
	for i := range r.Models {
		width = max(width, len(r.Models[i].Model))
	}
	stats := StatNames()
	fmt.Fprintf(&b, "%-11s %-6s %-*s %6s", "metric", "unit", width, "model", "n")
	for _, s := range stats {
		fmt.Fprintf(&b, " %9s", s)
	}
	b.WriteString("\n")
	for _, m := range Metrics() {
		for i := range r.Models {
			mr := &r.Models[i]
			s := m.Get(mr)
			label, unit := m.Label, m.Unit
			if i > 0 {
				label, unit = "", ""
			}
			line := fmt.Sprintf("%-11s %-6s %-*s %6d", label, unit, width, mr.Model, s.N)
			for _, st := range stats {
				if s.N == 0 {
					line += fmt.Sprintf(" %9s", "-")
				} else {
					line += fmt.Sprintf(" %9s", num(s.Get(st)))
				}
			}
			if mr.IsBest(m.Key) {
				line += " ★"
				if color {
					line = styleBest + line + styleReset
				}
			}
			b.WriteString(line + "\n")
		}
	}

	b.WriteString("\n")
	fmt.Fprintf(&b, "%-*s %8s %6s %10s %9s %-24s %s\n", width, "model", "requests", "ok", "tokens/s", "req/s", "goodput", "tokens from")
	for i := range r.Models {
		mr := &r.Models[i]
		good := "-"
		if mr.Goodput != nil {
			good = fmt.Sprintf("%s req/s (%.0f%%)", num(*mr.Goodput), 100**mr.GoodFraction)
		}
		fmt.Fprintf(&b, "%-*s %8d %6d %10s %9s %-24s %s\n", width, mr.Model, mr.Requests, mr.OK,
			num(mr.Throughput), num(mr.RequestRate), good, orDash(mr.TokenSource))
		if len(mr.Errors) > 0 {
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(mr.Errors)) {
				parts = append(parts, fmt.Sprintf("%s %d", k, mr.Errors[k]))
			}
			line := fmt.Sprintf("%-*s errors: %s", width, "", strings.Join(parts, ", "))
			if color {
				line = styleDim + line + styleReset
			}
			b.WriteString(line + "\n")
		}
	}
	if len(r.Models) > 1 {
		b.WriteString("\n★ best model on the metric, by p50 (lowest latency, highest rate)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// describeRun is the report's first line: the load and what was left out.
func describeRun(r *Report) string {
	l := r.Load
	var parts []string
	if l.Rate > 0 {
		parts = append(parts, fmt.Sprintf("Poisson arrivals at %s req/s (seed %d)", num(l.Rate), l.Seed))
	} else {
		parts = append(parts, fmt.Sprintf("closed loop, concurrency %d", l.workers()))
	}
	switch n := l.requests(); {
	case n > 0 && l.Duration > 0:
		parts = append(parts, fmt.Sprintf("%d requests or %v per model", n, l.Duration))
	case n > 0:
		parts = append(parts, fmt.Sprintf("%d requests per model", n))
	default:
		parts = append(parts, fmt.Sprintf("%v per model", l.Duration))
	}
	if l.Warmup > 0 {
		parts = append(parts, fmt.Sprintf("%d warmup excluded", l.Warmup))
	}
	if l.Rampup > 0 {
		parts = append(parts, fmt.Sprintf("ramp-up %v", l.Rampup))
	}
	if r.MaxTokens > 0 {
		parts = append(parts, fmt.Sprintf("max tokens %d", r.MaxTokens))
	}
	if r.SLO != "" {
		parts = append(parts, "SLO "+r.SLO)
	}
	return "sluice bench · " + strings.Join(parts, " · ")
}

// num formats a statistic with the digits that matter at its size.
func num(x float64) string {
	a := x
	if a < 0 {
		a = -a
	}
	switch {
	case a == 0:
		return "0"
	case a < 10:
		return fmt.Sprintf("%.3f", x)
	case a < 100:
		return fmt.Sprintf("%.2f", x)
	case a < 10000:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.0f", x)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
