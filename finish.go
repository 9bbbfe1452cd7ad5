package sluice

// FinishReason is why a response ended, normalised across providers. The
// provider's own value travels beside it as RawFinish.
type FinishReason string

// The normalised finish reasons.
const (
	FinishStop          FinishReason = "stop"           // natural end or a stop sequence
	FinishLength        FinishReason = "length"         // the max tokens limit
	FinishContentFilter FinishReason = "content_filter" // a safety or refusal stop
	FinishToolCalls     FinishReason = "tool_calls"     // the model wants tool results
	FinishBudget        FinishReason = "budget"         // sluice's own token budget
	FinishError         FinishReason = "error"          // an error ended the stream
	FinishCanceled      FinishReason = "canceled"       // the caller cancelled
)
