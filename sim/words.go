package sim

import (
	"strings"
	"unicode"
)

// answerWords and reasoningWords are the deterministic output: the n-th delta
// of an answer is always the same word, so a test can predict a response
// from its length alone with [Text] and [ReasoningText].
var (
	answerWords = strings.Fields(`Streams carry tokens from the model to the client one small piece at a time,
and every piece arrives in order, measured and kept, so nothing the model said is lost on the way.`)
	reasoningWords = strings.Fields(`Let me think about this step by step. The user wants a short answer,
so I will check the facts first and then reply plainly.`)
)

// Text returns the first n deltas of the simulator's deterministic answer,
// joined: what a text response of n tokens contains.
func Text(n int) string { return strings.Join(deltas(answerWords, n), "") }

// ReasoningText returns the first n deltas of the simulator's deterministic
// reasoning, joined.
func ReasoningText(n int) string { return strings.Join(deltas(reasoningWords, n), "") }

// deltas returns n deltas cycling through words: the first bare, the others
// with a leading space.
func deltas(words []string, n int) []string {
	out := make([]string, n)
	for i := range out {
		w := words[i%len(words)]
		if i > 0 {
			w = " " + w
		}
		out[i] = w
	}
	return out
}

// splitWords cuts s into deltas of one word each, keeping every character:
// each delta holds the whitespace before its word, so joining them gives s.
func splitWords(s string) []string {
	var out []string
	start, inWord := 0, false
	for i, r := range s {
		space := unicode.IsSpace(r)
		if space && inWord {
			out = append(out, s[start:i])
			start = i
		}
		inWord = !space
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// splitN cuts s into pieces of at most n bytes, on rune boundaries, for
// streaming tool arguments in fragments as real APIs do.
func splitN(s string, n int) []string {
	var out []string
	for len(s) > n {
		cut := n
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		if cut == 0 {
			cut = n
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
