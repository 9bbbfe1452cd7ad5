package sim

import "time"

// Config sets the simulator's timing and output. Its zero value is a
// simulator that answers at once with the documented defaults, which is what
// tests want; `sluice sim` passes realistic timings.
type Config struct {
	// TTFT is the delay from the moment a request arrives to its first
	// content delta. Zero means none.
	TTFT time.Duration
	// ITL is the delay between consecutive content deltas. Zero means none.
	ITL time.Duration
	// Jitter spreads each inter-token gap uniformly over ITL ± Jitter (never
	// below zero), drawn from a generator seeded with Seed and the request's
	// sequence number, so a run is reproducible.
	Jitter time.Duration
	// Seed seeds the jitter and the ids the simulator makes up.
	Seed uint64

	// Tokens is the number of text deltas in an answer; 0 means 24. The
	// request's max tokens caps it, ending the answer with finish "length".
	Tokens int
	// ReasoningTokens is the number of reasoning deltas of the reasoning
	// behaviour; 0 means 12.
	ReasoningTokens int
	// Echo answers every request with its last user message, word by word,
	// instead of the deterministic words of [Text].
	Echo bool

	// KeepAlive sends an SSE comment (": keep-alive") whenever the stream has
	// been silent that long before its next event. Zero sends none. NDJSON
	// (Ollama) has no comments and gets none.
	KeepAlive time.Duration
	// AnthropicPadding pads Anthropic events with spaces before their closing
	// brace, as some live Anthropic streams do, to catch parsers that assume
	// compact JSON.
	AnthropicPadding bool

	// RequireSignature rejects, with the protocol's 400 error, a follow-up
	// turn whose reasoning signature was not sent back intact, for every
	// request. A request turns it on for itself with the "signed" term or
	// the header X-Sim-Require-Signature: true (false turns it off).
	RequireSignature bool
	// SignatureKey keys the HMAC of reasoning signatures. Nil means a random
	// key per Server, so signatures from one simulator fail on another.
	SignatureKey []byte

	// RetryAfter is the wait a 429, 503 or 529 fault asks for: retry-after-ms
	// carries it in milliseconds and retry-after in whole seconds, rounded
	// up. Zero means 1ms, which keeps SDK retries in tests fast.
	RetryAfter time.Duration
}

const (
	defaultTokens          = 24
	defaultReasoningTokens = 12
	defaultRetryAfter      = time.Millisecond
)

// withDefaults returns a copy of c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Tokens <= 0 {
		c.Tokens = defaultTokens
	}
	if c.ReasoningTokens <= 0 {
		c.ReasoningTokens = defaultReasoningTokens
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = defaultRetryAfter
	}
	if c.Jitter < 0 {
		c.Jitter = 0
	}
	return c
}
