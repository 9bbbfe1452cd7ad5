package tokens

import "testing"

// cookbookMessages is the example in OpenAI's cookbook "How to count
// tokens with tiktoken", which reports 129 prompt tokens for gpt-4 and
// gpt-3.5-turbo (cl100k_base) and 124 for gpt-4o (o200k_base), matching
// the API's usage.prompt_tokens.
var cookbookMessages = []ChatMessage{
	{Role: "system", Content: "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
	{Role: "system", Name: "example_user", Content: "New synergies will help drive top-line growth."},
	{Role: "system", Name: "example_assistant", Content: "Things working well together will increase revenue."},
	{Role: "system", Name: "example_user", Content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
	{Role: "system", Name: "example_assistant", Content: "Let's talk later when we're less busy about how to do better."},
	{Role: "user", Content: "This late pivot means we don't have time to boil the ocean for the client deliverable."},
}

func TestCountChat(t *testing.T) {
	tests := []struct {
		model string
		msgs  []ChatMessage
		want  int
	}{
		{"gpt-4", cookbookMessages, 129},
		{"gpt-3.5-turbo", cookbookMessages, 129},
		{"gpt-4o", cookbookMessages, 124},
		{"gpt-4o-mini", nil, 3},
		{"gpt-4o", []ChatMessage{{Role: "user", Content: "hi"}}, 3 + 3 + 1 + 1},
		{"gpt-4o", []ChatMessage{{Role: "user", Name: "bob", Content: "hi"}}, 3 + 3 + 1 + 1 + 1 + 1},
	}
	for _, tt := range tests {
		e, exact := ForModel(tt.model)
		if !exact {
			t.Fatalf("ForModel(%q) not exact", tt.model)
		}
		if got := e.CountChat(tt.msgs); got != tt.want {
			t.Errorf("%s: CountChat = %d, want %d", tt.model, got, tt.want)
		}
	}
}
