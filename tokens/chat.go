package tokens

// ChatMessage is one message of a chat request, as far as counting its
// tokens goes. It is a local type so that this package does not depend on
// the root sluice package; callers copy the three strings across.
type ChatMessage struct {
	Role    string // "system", "user", "assistant", "tool", ...
	Name    string // optional participant name; empty if none
	Content string // the message text
}

// Chat framing overhead, from OpenAI's cookbook ("How to count tokens with
// tiktoken") for gpt-3.5-turbo-0613, gpt-4 and later chat models.
const (
	tokensPerMessage = 3 // <|start|>{role}\n ... <|end|>\n
	tokensPerName    = 1
	replyPriming     = 3 // every reply is primed with <|start|>assistant<|message|>
)

// CountChat estimates the input tokens of a chat request: the tokens of
// each message's role, name and content, plus OpenAI's per-message framing
// (3 tokens a message, 1 more for a name, 3 to prime the reply).
//
// The framing is the cookbook's model of how chat models wrap messages in
// special tokens, not a documented contract, and it varies across models;
// tools, images and response formats are not counted at all. Treat the
// result as an estimate for budgeting, and the provider's reported usage as
// the truth.
func (e *Encoding) CountChat(msgs []ChatMessage) int {
	n := replyPriming
	for _, m := range msgs {
		n += tokensPerMessage + e.Count(m.Role) + e.Count(m.Content)
		if m.Name != "" {
			n += tokensPerName + e.Count(m.Name)
		}
	}
	return n
}
