package bench

import (
	"encoding/json"
	"math"
	"time"

	"github.com/sluicehq/sluice"
)

// Sample is one measured request: its raw timings, as the Stream measured
// them at decode time on the monotonic clock (see [sluice.Metrics]), and how
// it ended.
type Sample struct {
	// Model is the "provider/model" name the request was sent to.
	Model string
	// Seq numbers the model's measured requests from 0 in the order they
	// were sent.
	Seq int
	// Start is when the request was sent, from the start of the model's
	// measured run.
	Start time.Duration
	// OK is true when the stream ended cleanly. A failed request counts in
	// ErrorKind and in no latency statistic, as in vLLM and llmperf.
	OK bool
	// ErrorKind is the sluice error kind ("rate_limit", "timeout", …) of a
	// failed request, and Error its message.
	ErrorKind string
	Error     string

	TTFB, TTFT, TPOT, E2E time.Duration
	// ITL holds the gaps between consecutive content events.
	ITL []time.Duration
	// OutputTokens is the count TPOT and TPS use; TokenSource says where it
	// came from: "usage" (the provider reported it), "tokenizer:<encoding>"
	// (counted by sluice; "~" marks an encoding that only approximates the
	// model's own tokenizer) or "events" (one token per content event).
	OutputTokens int64
	TokenSource  string
	// InputTokens is the provider's input count, 0 when it reported none.
	InputTokens int64
	// TPS is the decode rate, output tokens / (last − first content);
	// E2ETPS is output tokens / E2E.
	TPS, E2ETPS float64
	// ContentEvents is the number of content events; one may carry several
	// tokens.
	ContentEvents int
	// Finish is the normalised finish reason.
	Finish sluice.FinishReason
	// Good is true when the request met every SLO of the run (false without
	// SLOs).
	Good bool
}

// End is when the request ended, from the start of the model's run.
func (s *Sample) End() time.Duration { return s.Start + s.E2E }

// sampleJSON is Sample's wire form: durations in milliseconds, as people
// read them and as the other tools write them.
type sampleJSON struct {
	Model         string              `json:"model"`
	Seq           int                 `json:"seq"`
	Start         float64             `json:"start_ms"`
	OK            bool                `json:"ok"`
	ErrorKind     string              `json:"error_kind,omitempty"`
	Error         string              `json:"error,omitempty"`
	TTFB          float64             `json:"ttfb_ms"`
	TTFT          float64             `json:"ttft_ms"`
	TPOT          float64             `json:"tpot_ms"`
	E2E           float64             `json:"e2e_ms"`
	OutputTokens  int64               `json:"output_tokens"`
	TokenSource   string              `json:"token_source"`
	InputTokens   int64               `json:"input_tokens,omitempty"`
	TPS           float64             `json:"tps"`
	E2ETPS        float64             `json:"e2e_tps"`
	ContentEvents int                 `json:"content_events"`
	Finish        sluice.FinishReason `json:"finish_reason,omitempty"`
	Good          bool                `json:"good"`
	ITL           []float64           `json:"itl_ms"`
}

// ms converts a duration to milliseconds, rounded to the microsecond.
func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// fromMS converts milliseconds back to a duration.
func fromMS(f float64) time.Duration { return time.Duration(math.Round(f * 1e6)) }

// MarshalJSON writes the sample with durations in milliseconds (three
// decimals) in fields ending in _ms.
func (s Sample) MarshalJSON() ([]byte, error) {
	v := sampleJSON{Model: s.Model, Seq: s.Seq, Start: ms(s.Start), OK: s.OK, ErrorKind: s.ErrorKind,
		Error: s.Error, TTFB: ms(s.TTFB), TTFT: ms(s.TTFT), TPOT: ms(s.TPOT), E2E: ms(s.E2E),
		OutputTokens: s.OutputTokens, TokenSource: s.TokenSource, InputTokens: s.InputTokens,
		TPS: round3(s.TPS), E2ETPS: round3(s.E2ETPS), ContentEvents: s.ContentEvents, Finish: s.Finish,
		Good: s.Good, ITL: make([]float64, len(s.ITL))}
	for i, d := range s.ITL {
		v.ITL[i] = ms(d)
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Sample) UnmarshalJSON(b []byte) error {
	var v sampleJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Sample{Model: v.Model, Seq: v.Seq, Start: fromMS(v.Start), OK: v.OK, ErrorKind: v.ErrorKind,
		Error: v.Error, TTFB: fromMS(v.TTFB), TTFT: fromMS(v.TTFT), TPOT: fromMS(v.TPOT), E2E: fromMS(v.E2E),
		OutputTokens: v.OutputTokens, TokenSource: v.TokenSource, InputTokens: v.InputTokens,
		TPS: v.TPS, E2ETPS: v.E2ETPS, ContentEvents: v.ContentEvents, Finish: v.Finish, Good: v.Good}
	for _, f := range v.ITL {
		s.ITL = append(s.ITL, fromMS(f))
	}
	return nil
}

func round3(f float64) float64 { return math.Round(f*1e3) / 1e3 }
