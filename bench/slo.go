package bench

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SLO is a set of per-request service-level objectives. A request is good
// when it succeeded and meets every objective that is set (zero means unset);
// goodput is the number of good requests a second, as vLLM defines it.
// Latency objectives are upper bounds, TPS a lower bound.
type SLO struct {
	TTFB time.Duration `json:"ttfb_ns,omitempty"`
	TTFT time.Duration `json:"ttft_ns,omitempty"`
	// TPOT bounds the time per output token; a request of one token has a
	// TPOT of 0 and always meets it, as in vLLM.
	TPOT time.Duration `json:"tpot_ns,omitempty"`
	// MaxITL bounds the longest gap between two content events: the stall a
	// reader of the stream would notice.
	MaxITL time.Duration `json:"max_itl_ns,omitempty"`
	E2E    time.Duration `json:"e2e_ns,omitempty"`
	// TPS is the lowest acceptable decode rate, in tokens a second.
	TPS float64 `json:"tps,omitempty"`
}

// ParseSLO reads objectives written as key=value pairs separated by commas:
// "ttft=500ms,tpot=50ms,e2e=10s,max_itl=250ms,tps=20". Durations take Go's
// units; a bare number is milliseconds, as in vLLM's --goodput. The keys are
// ttfb, ttft, tpot, max_itl (alias itl_max), e2e (alias e2el) and tps.
func ParseSLO(s string) (SLO, error) {
	var o SLO
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			key, val, ok = strings.Cut(part, ":")
		}
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		if !ok || val == "" {
			return SLO{}, fmt.Errorf("SLO %q has no value; write key=value, as in ttft=500ms", part)
		}
		if key == "tps" {
			f, err := strconv.ParseFloat(val, 64)
			if err != nil || f <= 0 {
				return SLO{}, fmt.Errorf("SLO tps=%s: want a positive number of tokens a second", val)
			}
			o.TPS = f
			continue
		}
		var dst *time.Duration
		switch key {
		case "ttfb":
			dst = &o.TTFB
		case "ttft":
			dst = &o.TTFT
		case "tpot":
			dst = &o.TPOT
		case "max_itl", "itl_max":
			dst = &o.MaxITL
		case "e2e", "e2el":
			dst = &o.E2E
		default:
			return SLO{}, fmt.Errorf("unknown SLO %q; the keys are ttfb, ttft, tpot, max_itl, e2e and tps", key)
		}
		d, err := parseMillis(val)
		if err != nil || d <= 0 {
			return SLO{}, fmt.Errorf("SLO %s=%s: want a positive duration such as 500ms or 2s", key, val)
		}
		*dst = d
	}
	return o, nil
}

// parseMillis reads a Go duration, or a bare number of milliseconds.
func parseMillis(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return fromMS(f), nil
	}
	return time.ParseDuration(s)
}

// IsZero reports whether no objective is set.
func (o SLO) IsZero() bool { return o == SLO{} }

// Met reports whether s is good: it succeeded and meets every objective.
func (o SLO) Met(s *Sample) bool {
	if !s.OK {
		return false
	}
	return (o.TTFB == 0 || s.TTFB <= o.TTFB) &&
		(o.TTFT == 0 || s.TTFT <= o.TTFT) &&
		(o.TPOT == 0 || s.TPOT <= o.TPOT) &&
		(o.MaxITL == 0 || len(s.ITL) == 0 || slices.Max(s.ITL) <= o.MaxITL) &&
		(o.E2E == 0 || s.E2E <= o.E2E) &&
		(o.TPS == 0 || s.OutputTokens <= 1 || s.TPS >= o.TPS)
}

// String writes the objectives in ParseSLO's syntax.
func (o SLO) String() string {
	var parts []string
	add := func(k string, d time.Duration) {
		if d > 0 {
			parts = append(parts, k+"="+d.String())
		}
	}
	add("ttfb", o.TTFB)
	add("ttft", o.TTFT)
	add("tpot", o.TPOT)
	add("max_itl", o.MaxITL)
	add("e2e", o.E2E)
	if o.TPS > 0 {
		parts = append(parts, "tps="+strconv.FormatFloat(o.TPS, 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}
