package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// preTokenizer splits text into words before BPE, following one of two
// families of regular expressions used by byte-level BPE models.
//
// GPT-2 (also SmolLM's, after splitting digits):
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// Llama 3 (also Qwen2's, with single digits):
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// Go's regexp has no look-ahead, so the alternatives are written out as a
// scanner that tries them in order at each position, as the regex engine
// would.
type preTokenizer struct {
	llama3       bool // the Llama 3 family rather than GPT-2's
	maxDigits    int  // digits per number word; 0 means unbounded
	ignoreMerges bool // a word that is itself a token is taken whole
}

func newPreTokenizer(name string) preTokenizer {
	switch name {
	case "llama3", "llama-bpe", "llama-v3", "dbrx", "smaug-bpe", "tekken":
		return preTokenizer{llama3: true, maxDigits: 3, ignoreMerges: true}
	case "qwen2", "qwen35", "deepseek-r1-qwen", "stablelm2", "hunyuan", "megrez":
		return preTokenizer{llama3: true, maxDigits: 1}
	case "smollm", "jais", "exaone":
		return preTokenizer{maxDigits: 1}
	}
	return preTokenizer{}
}

func isLetter(r rune) bool { return unicode.IsLetter(r) }
func isNumber(r rune) bool { return unicode.IsNumber(r) }
func isSpace(r rune) bool  { return unicode.IsSpace(r) }
func isNL(r rune) bool     { return r == '\r' || r == '\n' }
func isOther(r rune) bool  { return r >= 0 && !isSpace(r) && !isLetter(r) && !isNumber(r) }

// split calls emit for each word of text, in order; the words concatenate to
// text.
func (p preTokenizer) split(text string, emit func(string)) {
	at := func(i int) (rune, int) {
		if i >= len(text) {
			return -1, 0
		}
		return utf8.DecodeRuneInString(text[i:])
	}
	// run advances over runes satisfying f, at most max of them (0: no limit).
	run := func(i int, f func(rune) bool, max int) int {
		for n := 0; max == 0 || n < max; n++ {
			r, size := at(i)
			if size == 0 || !f(r) {
				break
			}
			i += size
		}
		return i
	}
	for i := 0; i < len(text); {
		j := p.next(text, i, at, run)
		emit(text[i:j])
		i = j
	}
}

// next returns the end of the word starting at i.
func (p preTokenizer) next(text string, i int, at func(int) (rune, int), run func(int, func(rune) bool, int) int) int {
	r, size := at(i)
	if n := contraction(text[i:], p.llama3); n > 0 {
		return i + n
	}
	r2, _ := at(i + size)
	if p.llama3 {
		if isLetter(r) {
			return run(i, isLetter, 0)
		}
		if !isNL(r) && !isLetter(r) && !isNumber(r) && isLetter(r2) {
			return run(i+size, isLetter, 0)
		}
		if isNumber(r) {
			return run(i, isNumber, p.maxDigits)
		}
		if isOther(r) || (r == ' ' && isOther(r2)) {
			start := i
			if r == ' ' {
				start += size
			}
			return run(run(start, isOther, 0), isNL, 0)
		}
	} else {
		start, c := i, r
		if r == ' ' {
			start, c = i+size, r2
		}
		switch {
		case isLetter(c):
			return run(start, isLetter, 0)
		case isNumber(c) && p.maxDigits == 0:
			return run(start, isNumber, 0)
		case isNumber(c) && start == i:
			// Digits split one by one are words of their own, with no
			// space in front (SmolLM splits digits before the regex).
			return run(start, isNumber, p.maxDigits)
		case isOther(c):
			return run(start, isOther, 0)
		}
	}
	// Whitespace: every other kind of rune was taken above.
	end := run(i, isSpace, 0)
	if end == i {
		return i + size // unreachable, but never loop forever
	}
	if p.llama3 {
		// \s*[\r\n]+ : up to and including the last newline of the run.
		last := -1
		for k := i; k < end; {
			c, n := at(k)
			if isNL(c) {
				last = k + n
			}
			k += n
		}
		if last > 0 {
			return last
		}
	}
	if end < len(text) {
		// \s+(?!\S): leave the last space to prefix the next word.
		_, n := utf8.DecodeLastRuneInString(text[i:end])
		if end-n > i {
			return end - n
		}
	}
	return end
}

// contraction returns the length of an English contraction ('s, 't, 're, 've,
// 'm, 'll, 'd) at the start of s, or 0.
func contraction(s string, foldCase bool) int {
	if len(s) < 2 || s[0] != '\'' {
		return 0
	}
	lower := func(c byte) byte {
		if foldCase && c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	switch lower(s[1]) {
	case 's', 't', 'm', 'd':
		return 2
	}
	if len(s) >= 3 {
		switch string([]byte{lower(s[1]), lower(s[2])}) {
		case "re", "ve", "ll":
			return 3
		}
	}
	return 0
}
