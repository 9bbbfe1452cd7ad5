package llama

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine/tokenizer"
)

// storiesPath is the shared test model, outside the repository: the module
// root is two levels up from this package, and shared/ sits beside it.
func storiesPath(t testing.TB) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "models", "stories260K.gguf")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("stories260K.gguf not present (%v); skipping", err)
	}
	return p
}

func openStories(t testing.TB, opts Options) *Model {
	t.Helper()
	m, err := Open(storiesPath(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// collect runs Generate and returns the pieces' text and the token ids
// (recovered by re-running greedily is not possible, so ids come from a
// step-by-step decode of the same greedy path).
func collect(t testing.TB, m *Model, prompt []int, opts GenerateOptions) (string, Result) {
	t.Helper()
	var b strings.Builder
	res, err := m.Generate(context.Background(), prompt, opts, func(p Piece) error {
		b.WriteString(p.Text)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String(), res
}

func TestStoriesGreedy(t *testing.T) {
	m := openStories(t, Options{})
	tok := m.Tokenizer()
	prompt := m.Prompt("")
	if !slices.Equal(prompt, []int{tok.BOS()}) {
		t.Fatalf("empty prompt = %v, want [BOS]", prompt)
	}
	// The first tokens, by running the forward pass directly.
	st := m.newState(16, 16)
	var ids []int
	token := prompt[0]
	for pos := range 6 {
		st.step(token, pos)
		token = argmax(st.logits)
		ids = append(ids, token)
	}
	if want := []int{403, 407, 261, 378, 432, 383}; !slices.Equal(ids, want) {
		t.Errorf("greedy ids = %v, want %v", ids, want)
	}
	text, res := collect(t, m, prompt, GenerateOptions{MaxTokens: 200})
	t.Logf("story (%d tokens, %s): %s", res.OutputTokens, res.Finish, text)
	if !strings.HasPrefix(text, "Once upon a time, there was a little girl named Lily.") {
		t.Errorf("story starts %q", text)
	}
	if res.PromptTokens != 1 || res.OutputTokens == 0 {
		t.Errorf("result %+v", res)
	}
}

func TestStoriesPromptAndStop(t *testing.T) {
	m := openStories(t, Options{})
	full, _ := collect(t, m, m.Prompt(""), GenerateOptions{MaxTokens: 60})
	tests := []struct {
		name   string
		opts   GenerateOptions
		finish FinishReason
		check  func(string) bool
	}{
		{"max tokens", GenerateOptions{MaxTokens: 5}, FinishLength, func(s string) bool { return strings.HasPrefix(full, s) && len(s) > 0 }},
		{"stop string", GenerateOptions{MaxTokens: 60, Stop: []string{"Lily"}}, FinishStopString, func(s string) bool { return s == "Once upon a time, there was a little girl named " }},
		{"stop string across tokens", GenerateOptions{MaxTokens: 60, Stop: []string{"time, the"}}, FinishStopString, func(s string) bool { return s == "Once upon a " }},
		{"unmatched stop", GenerateOptions{MaxTokens: 60, Stop: []string{"zebra"}}, FinishLength, func(s string) bool { return s == full }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, res := collect(t, m, m.Prompt(""), tt.opts)
			if res.Finish != tt.finish || !tt.check(text) {
				t.Errorf("finish %s text %q", res.Finish, text)
			}
		})
	}
	// A prompt is continued, not repeated.
	text, _ := collect(t, m, m.Prompt("Once upon a time"), GenerateOptions{MaxTokens: 10})
	if !strings.HasPrefix(full, "Once upon a time"+text) {
		t.Errorf("continuation %q does not follow the greedy story %q", text, full)
	}
	// Plain chat format for a base model: the user's text is the prompt.
	chat := m.ChatPrompt([]tokenizer.Message{{Role: "user", Content: "Once upon a time"}})
	if !slices.Equal(chat, m.Prompt("Once upon a time")) {
		t.Errorf("chat prompt %v", chat)
	}
}

func TestStoriesSampling(t *testing.T) {
	m := openStories(t, Options{})
	opts := GenerateOptions{MaxTokens: 40, Temperature: 0.8, TopK: 40, TopP: 0.9, RepeatPenalty: 1.1, Seed: 42}
	a, _ := collect(t, m, m.Prompt(""), opts)
	b, _ := collect(t, m, m.Prompt(""), opts)
	if a != b {
		t.Errorf("same seed, different text:\n%q\n%q", a, b)
	}
	opts.Seed = 43
	c, _ := collect(t, m, m.Prompt(""), opts)
	if a == c {
		t.Logf("seeds 42 and 43 gave the same text %q", a)
	}
}

// TestStoriesTokenizer checks the real SentencePiece vocabulary: the text of
// the greedy story's first tokens encodes back to the same ids.
func TestStoriesTokenizer(t *testing.T) {
	m := openStories(t, Options{})
	tok := m.Tokenizer()
	ids := []int{403, 407, 261, 378, 432, 383}
	text := tok.Decode(ids)
	if text != "Once upon a time, there" && !strings.HasPrefix(text, "Once upon a time,") {
		t.Fatalf("Decode = %q", text)
	}
	if got := tok.Encode(text, false); !slices.Equal(got, ids) {
		t.Errorf("Encode(%q) = %v, want %v", text, got, ids)
	}
	for _, s := range []string{"Lily's ball é 🙂 1234", "  two spaces\nand a newline"} {
		if got := tok.Decode(tok.Encode(s, false)); got != s {
			t.Errorf("round trip %q -> %q", s, got)
		}
	}
}
