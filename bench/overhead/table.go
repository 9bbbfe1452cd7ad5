package overhead

import (
	"fmt"
	"io"
	"strings"
)

// logPhase writes one line about a finished run: run i of n, or a search
// probe when n is 0.
func logPhase(w io.Writer, p *Phase, i, n int) {
	which := "probe"
	if n > 0 {
		which = fmt.Sprintf("run %d/%d", i, n)
	}
	line := fmt.Sprintf("%-8s %5d streams %-9s TTFT p50 %.3fms p99 %.3fms, gap p50 %.3fms p99 %.3fms, %d stalls, %d errors",
		p.Target, p.Streams, which+":", p.TTFT.P50, p.TTFT.P99, p.Gap.P50, p.Gap.P99, p.Stalls, p.Errors)
	if p.CPUPerEvent != nil {
		line += fmt.Sprintf(", %.1fµs CPU/event", *p.CPUPerEvent)
	}
	if p.MemoryPerStream != nil {
		line += fmt.Sprintf(", %.1fKB/stream", *p.MemoryPerStream/1024)
	}
	if p.FirstError != "" {
		line += " (first: " + p.FirstError + ")"
	}
	fmt.Fprintln(w, line)
}

// row is one metric of the table: how to read it from a phase and print it.
type row struct {
	label string
	get   func(*Phase) (float64, bool)
	// direct is true when the direct target has a value of its own.
	direct bool
	format string
	// floor is the value below which a reading is noise on a shared
	// machine, and ratios of such readings mean nothing.
	floor float64
}

// noiseFloor is the added latency, in ms, below which two readings are not
// told apart: a tenth of a millisecond, about what one context switch and a
// timer's lateness cost on a shared 2-core machine.
const noiseFloor = 0.1

func rows(stall string) []row {
	f := func(v float64) (float64, bool) { return v, true }
	ptr := func(v *float64, scale float64) (float64, bool) {
		if v == nil {
			return 0, false
		}
		return *v * scale, true
	}
	return []row{
		{"TTFT p50 (ms)", func(p *Phase) (float64, bool) { return f(p.TTFT.P50) }, true, "%.3f", 0},
		{"added TTFT p50 (ms)", func(p *Phase) (float64, bool) { return f(p.AddedTTFTP50) }, false, "%.3f", noiseFloor},
		{"added TTFT p99 (ms)", func(p *Phase) (float64, bool) { return f(p.AddedTTFTP99) }, false, "%.3f", noiseFloor},
		{"added gap p50 (ms)", func(p *Phase) (float64, bool) { return f(p.AddedGapP50) }, false, "%.3f", noiseFloor},
		{"added gap p99 (ms)", func(p *Phase) (float64, bool) { return f(p.AddedGapP99) }, false, "%.3f", noiseFloor},
		{"stalls (gap > " + stall + ")", func(p *Phase) (float64, bool) { return f(float64(p.Stalls)) }, true, "%.0f", 0},
		{"CPU per event (µs)", func(p *Phase) (float64, bool) { return ptr(p.CPUPerEvent, 1) }, false, "%.2f", 0},
		{"memory per stream (KB)", func(p *Phase) (float64, bool) { return ptr(p.MemoryPerStream, 1.0/1024) }, false, "%.1f", 0},
	}
}

// WriteTable writes the run as a table: for each metric and concurrency,
// the value of every target and each target's ratio to the reference relay
// (value / reference value; below 1 is better than the reference). Added
// latencies are the target's percentile minus the direct phase's.
func WriteTable(w io.Writer, r *Result) error {
	var b strings.Builder
	runs := ""
	if len(r.Phases) > 0 && r.Phases[0].Runs > 1 {
		runs = fmt.Sprintf("; each phase pools %d runs taken in turns (stalls are their total)", r.Phases[0].Runs)
	}
	fmt.Fprintf(&b, "upstream: simulator, %d deltas %v apart; ratios are to %s%s\n\n", r.Deltas, r.Pace, r.Reference, runs)
	var others []string
	for _, t := range r.Targets {
		if t != "direct" && t != r.Reference {
			others = append(others, t)
		}
	}
	fmt.Fprintf(&b, "%-24s %7s", "metric", "streams")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, " %10s", t)
	}
	for _, t := range others {
		fmt.Fprintf(&b, " %14s", t+"/"+r.Reference)
		if len(r.Turns) > 0 {
			fmt.Fprintf(&b, " %-13s", "per turn")
		}
	}
	b.WriteString("\n")
	levels := r.levels()
	for _, rw := range rows(fmt.Sprint(2 * r.Pace)) {
		for i, n := range levels {
			label := rw.label
			if i > 0 {
				label = ""
			}
			fmt.Fprintf(&b, "%-24s %7d", label, n)
			for _, t := range r.Targets {
				fmt.Fprintf(&b, " %10s", cell(r.Phase(t, n), rw, t == "direct"))
			}
			ref := r.Phase(r.Reference, n)
			for _, t := range others {
				fmt.Fprintf(&b, " %14s", ratio(r.Phase(t, n), ref, rw))
				if len(r.Turns) > 0 {
					fmt.Fprintf(&b, " %-13s", r.turnSpread(t, n, rw))
				}
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "%-24s %7s", "largest stall-free", "")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, " %10s", stallFree(r, t))
	}
	b.WriteString("\n\nAdded latencies below 0.1 ms are noise on a shared machine: ≈ marks two of them.\n")
	if len(r.Turns) > 0 {
		b.WriteString("Per turn: the lowest and highest of the ratios of single runs taken in the same turn, how far one run can be trusted.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// levels returns the concurrency levels of the fixed phases, in order.
func (r *Result) levels() []int {
	var out []int
	for _, p := range r.Phases {
		if p.Target == "direct" {
			out = append(out, p.Streams)
		}
	}
	return out
}

func cell(p *Phase, rw row, direct bool) string {
	if p == nil || (direct && !rw.direct) {
		return "-"
	}
	v, ok := rw.get(p)
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf(rw.format, v)
}

func ratio(p, ref *Phase, rw row) string {
	s, _, _ := ratioOf(p, ref, rw)
	return s
}

// ratioOf returns p's ratio to ref on rw as ratio prints it, and its value
// when it is a plain ratio of two readings above the noise.
func ratioOf(p, ref *Phase, rw row) (string, float64, bool) {
	if p == nil || ref == nil {
		return "-", 0, false
	}
	v, ok1 := rw.get(p)
	d, ok2 := rw.get(ref)
	switch {
	case !ok1 || !ok2:
		return "n/a", 0, false
	case d == 0 && v == 0:
		return "=", 0, false
	case rw.floor > 0 && d < rw.floor && v < rw.floor:
		return "≈ (<0.1ms)", 0, false
	case rw.floor > 0 && d < rw.floor:
		// The reference is within the noise: the ratio is at least the
		// value over the floor.
		return fmt.Sprintf(">%.1f×", v/rw.floor), 0, false
	case d <= 0:
		return "n/a", 0, false
	case v <= 0:
		// The target added nothing measurable (its percentile is at or
		// below direct's): no ratio is meaningful, and it beats any floor.
		return "≤0", 0, false
	}
	return fmt.Sprintf("%.2f×", v/d), v / d, true
}

// turnSpread returns the range of target's ratios to the reference over
// the turns at n streams ("0.91–1.40×"), or "" when fewer than two turns
// give a plain ratio.
func (r *Result) turnSpread(target string, n int, rw row) string {
	lo, hi, count := 0.0, 0.0, 0
	for _, p := range r.Turns {
		if p.Target != target || p.Streams != n {
			continue
		}
		_, v, ok := ratioOf(&p, r.turn(r.Reference, n, p.Turn), rw)
		if !ok {
			continue
		}
		if count == 0 || v < lo {
			lo = v
		}
		if count == 0 || v > hi {
			hi = v
		}
		count++
	}
	if count < 2 {
		return ""
	}
	return fmt.Sprintf("%.2f–%.2f×", lo, hi)
}

func stallFree(r *Result, t string) string {
	ok, bad := r.StallFree[t], r.StallAt[t]
	switch {
	case bad == 0:
		return fmt.Sprintf("≥%d", ok)
	case ok == 0:
		return fmt.Sprintf("<%d", bad)
	}
	return fmt.Sprintf("%d", ok)
}
