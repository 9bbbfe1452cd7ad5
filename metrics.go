package sluice

import (
	"encoding/json"
	"math"
	"time"
)

// Metrics are the timings of one stream. The definitions are pinned here
// because benchmark tools use the same names for different things:
//
//   - TTFB: response headers received − request sent.
//   - TTFT: first content event − request sent. Content is text, refusal,
//     reasoning or tool-call arguments: any generated token.
//   - ITL: the gaps between consecutive content events.
//   - TPOT: (last content − first content) / (output tokens − 1).
//   - TPS: output tokens / (last content − first content), the decode rate.
//   - E2ETPS: output tokens / E2E.
//   - E2E: end of stream − request sent.
//
// Output tokens come from the provider's usage when reported, otherwise from
// a tokenizer or the number of content events, and are then marked estimated.
// All times come from the monotonic clock, taken when an event is decoded.
type Metrics struct {
	TTFB time.Duration
	TTFT time.Duration
	TPOT time.Duration
	E2E  time.Duration
	// ITL holds one gap per content event after the first, unless the
	// stream passed them to a function instead ([Stream.OnGap]).
	ITL []time.Duration
	// OutputTokens is the count used for TPS and TPOT.
	OutputTokens int64
	// TokensEstimated is true when OutputTokens did not come from the provider.
	TokensEstimated bool
	TPS             float64
	E2ETPS          float64
	// ContentEvents counts content events (a provider may put several tokens
	// in one event).
	ContentEvents int
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// MarshalJSON writes durations as milliseconds (three decimals), the unit
// people read; field names end in _ms.
func (m Metrics) MarshalJSON() ([]byte, error) {
	var itl []float64
	if len(m.ITL) > 0 {
		itl = make([]float64, len(m.ITL))
		for i, d := range m.ITL {
			itl[i] = ms(d)
		}
	}
	return json.Marshal(struct {
		TTFB            float64   `json:"ttfb_ms"`
		TTFT            float64   `json:"ttft_ms"`
		TPOT            float64   `json:"tpot_ms"`
		E2E             float64   `json:"e2e_ms"`
		OutputTokens    int64     `json:"output_tokens"`
		TokensEstimated bool      `json:"output_tokens_estimated,omitempty"`
		TPS             float64   `json:"tps"`
		E2ETPS          float64   `json:"e2e_tps"`
		ContentEvents   int       `json:"content_events"`
		ITL             []float64 `json:"itl_ms,omitempty"`
	}{ms(m.TTFB), ms(m.TTFT), ms(m.TPOT), ms(m.E2E), m.OutputTokens, m.TokensEstimated,
		round3(m.TPS), round3(m.E2ETPS), m.ContentEvents, itl})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var v struct {
		TTFB            float64   `json:"ttfb_ms"`
		TTFT            float64   `json:"ttft_ms"`
		TPOT            float64   `json:"tpot_ms"`
		E2E             float64   `json:"e2e_ms"`
		OutputTokens    int64     `json:"output_tokens"`
		TokensEstimated bool      `json:"output_tokens_estimated"`
		TPS             float64   `json:"tps"`
		E2ETPS          float64   `json:"e2e_tps"`
		ContentEvents   int       `json:"content_events"`
		ITL             []float64 `json:"itl_ms"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	d := func(f float64) time.Duration { return time.Duration(math.Round(f * 1e6)) }
	*m = Metrics{TTFB: d(v.TTFB), TTFT: d(v.TTFT), TPOT: d(v.TPOT), E2E: d(v.E2E),
		OutputTokens: v.OutputTokens, TokensEstimated: v.TokensEstimated, TPS: v.TPS,
		E2ETPS: v.E2ETPS, ContentEvents: v.ContentEvents}
	for _, f := range v.ITL {
		m.ITL = append(m.ITL, d(f))
	}
	return nil
}

func round3(f float64) float64 { return math.Round(f*1e3) / 1e3 }

// meter records content timestamps as events are decoded.
type meter struct {
	ttfb        time.Duration
	first, last time.Duration
	n           int
	itl         []time.Duration
	end         time.Duration
	// onGap, when set, takes each gap instead of itl (see Stream.OnGap).
	onGap func(time.Duration)
}

func (m *meter) content(at time.Duration) {
	if m.n == 0 {
		m.first = at
	} else if m.onGap != nil {
		m.onGap(at - m.last)
	} else {
		if m.itl == nil {
			// Room for a short answer's gaps at once, rather than a
			// regrowth every few events.
			m.itl = make([]time.Duration, 0, 64)
		}
		m.itl = append(m.itl, at-m.last)
	}
	m.last = at
	m.n++
}

// metrics computes the Metrics given the output token count to use.
func (m *meter) metrics(tokens int64, estimated bool) Metrics {
	out := Metrics{TTFB: m.ttfb, E2E: m.end, ITL: m.itl, ContentEvents: m.n,
		OutputTokens: tokens, TokensEstimated: estimated}
	if m.n > 0 {
		out.TTFT = m.first
	}
	span := m.last - m.first
	if tokens > 1 && span > 0 {
		out.TPOT = span / time.Duration(tokens-1)
		out.TPS = float64(tokens) / span.Seconds()
	}
	if m.end > 0 && tokens > 0 {
		out.E2ETPS = float64(tokens) / m.end.Seconds()
	}
	return out
}
