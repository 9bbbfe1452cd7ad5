package sluice

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Source says where a token count came from.
type Source uint8

// The sources of a count. The zero value is Absent, so a reported 0 is never
// mistaken for "not sent".
const (
	Absent    Source = iota // the provider did not say
	Reported                // the provider said so
	Estimated               // sluice counted it with a tokenizer
)

// String returns "absent", "reported" or "estimated".
func (s Source) String() string {
	switch s {
	case Reported:
		return "reported"
	case Estimated:
		return "estimated"
	}
	return "absent"
}

// Count is a token count with its source.
type Count struct {
	N      int64
	Source Source
}

// Reported returns a count the provider reported.
func ReportedCount(n int64) Count { return Count{N: n, Source: Reported} }

// EstimatedCount returns a count sluice computed.
func EstimatedCount(n int64) Count { return Count{N: n, Source: Estimated} }

// Known reports whether the count is present.
func (c Count) Known() bool { return c.Source != Absent }

// Usage is the token usage of one response. Input is split into disjoint
// buckets so no token is counted twice: providers differ (OpenAI's
// prompt_tokens include cached tokens, Anthropic's input_tokens exclude them),
// and each decoder normalises into these buckets once.
type Usage struct {
	// Input is input tokens that were neither read from nor written to a cache.
	Input Count
	// CacheRead is input tokens served from the prompt cache.
	CacheRead Count
	// CacheWrite is input tokens written to the prompt cache.
	CacheWrite Count
	// Output is all output tokens, reasoning included.
	Output Count
	// Reasoning is the part of Output spent on reasoning.
	Reasoning Count
}

// InputTotal is every input token: uncached, cache reads and cache writes.
// It is what OpenAI calls prompt_tokens.
func (u Usage) InputTotal() int64 { return u.Input.N + u.CacheRead.N + u.CacheWrite.N }

// Total is input plus output tokens.
func (u Usage) Total() int64 { return u.InputTotal() + u.Output.N }

// IsZero reports whether no count is known.
func (u Usage) IsZero() bool {
	return !u.Input.Known() && !u.CacheRead.Known() && !u.CacheWrite.Known() && !u.Output.Known() && !u.Reasoning.Known()
}

// Merge returns u updated with every count that v knows. Providers send usage
// more than once (Anthropic at message_start and cumulatively at
// message_delta, Gemini on every chunk); the later report wins field by field,
// and a reported count always beats an estimate.
func (u Usage) Merge(v Usage) Usage {
	merge := func(a, b Count) Count {
		switch {
		case !b.Known():
			return a
		case b.Source == Estimated && a.Source == Reported:
			return a
		}
		return b
	}
	u.Input = merge(u.Input, v.Input)
	u.CacheRead = merge(u.CacheRead, v.CacheRead)
	u.CacheWrite = merge(u.CacheWrite, v.CacheWrite)
	u.Output = merge(u.Output, v.Output)
	u.Reasoning = merge(u.Reasoning, v.Reasoning)
	return u
}

func (u *Usage) fields() []struct {
	name string
	c    *Count
} {
	return []struct {
		name string
		c    *Count
	}{
		{"input_tokens", &u.Input},
		{"cache_read_tokens", &u.CacheRead},
		{"cache_write_tokens", &u.CacheWrite},
		{"output_tokens", &u.Output},
		{"reasoning_tokens", &u.Reasoning},
	}
}

// MarshalJSON writes known counts as numbers, leaves absent ones out, and
// lists estimated ones under "estimated", so the JSON keeps the distinction
// between a reported 0, an estimate and "not sent".
func (u Usage) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	var est []string
	for _, f := range u.fields() {
		if !f.c.Known() {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%q:%d", f.name, f.c.N)
		if f.c.Source == Estimated {
			est = append(est, f.name)
		}
	}
	if len(est) > 0 {
		if len(b) > 1 {
			b = append(b, ',')
		}
		e, _ := json.Marshal(est)
		b = append(b, `"estimated":`...)
		b = append(b, e...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (u *Usage) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	var est []string
	if raw, ok := m["estimated"]; ok {
		if err := json.Unmarshal(raw, &est); err != nil {
			return fmt.Errorf("usage: estimated: %w", err)
		}
	}
	*u = Usage{}
	for _, f := range u.fields() {
		raw, ok := m[f.name]
		if !ok || string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, &f.c.N); err != nil {
			return fmt.Errorf("usage: %s: %w", f.name, err)
		}
		f.c.Source = Reported
		if slices.Contains(est, f.name) {
			f.c.Source = Estimated
		}
	}
	return nil
}
