package tokens

import (
	"unicode"
	"unicode/utf8"
)

// The pre-tokenizer splits text into the pieces tiktoken's regular
// expressions find. It is a scanner per pattern family instead of a regexp
// engine: Go's regexp has neither the lookahead (\s+(?!\S)) nor the
// backtracking these patterns rely on, and a scanner does each piece in one
// pass. Each next function returns the end of the piece that starts at i
// (i < len(s)), deciding exactly as the pattern's alternation would, in its
// order. The patterns are quoted on the family constants in encodings.go.
//
// An invalid UTF-8 byte is one character of class 0 (like U+FFFD, a symbol).

// Character classes, as bits. A character can be in several.
const (
	cSpace   = 1 << iota // \s: Unicode White_Space
	cLetter              // \p{L}
	cNumber              // \p{N}
	cUpper               // o200k's [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
	cLower               // o200k's [\p{Ll}\p{Lm}\p{Lo}\p{M}]
	cNewline             // \r or \n
	cMark                // \p{M}
)

// asciiClasses holds the class of each ASCII byte: a constant string, so no
// table is ever written at run time.
const asciiClasses = "" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x21\x01\x01\x21\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x04\x04\x04\x04\x04\x04\x04\x04\x04\x04\x00\x00\x00\x00\x00\x00" +
	"\x00\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a" +
	"\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x0a\x00\x00\x00\x00\x00" +
	"\x00\x12\x12\x12\x12\x12\x12\x12\x12\x12\x12\x12\x12\x12\x12\x12" +
	"\x12\x12\x12\x12\x12\x12\x12\x12\x12\x12\x12\x00\x00\x00\x00\x00"

// classOf returns the classes of r.
func classOf(r rune) uint8 {
	if r < utf8.RuneSelf {
		return asciiClasses[r]
	}
	if unicode.IsLetter(r) {
		switch {
		case unicode.IsLower(r):
			return cLetter | cLower
		case unicode.IsUpper(r), unicode.IsTitle(r):
			return cLetter | cUpper
		}
		return cLetter | cUpper | cLower // Lm, Lo
	}
	if unicode.IsMark(r) {
		return cMark | cUpper | cLower
	}
	if unicode.IsNumber(r) {
		return cNumber
	}
	if unicode.IsSpace(r) {
		return cSpace
	}
	return 0
}

// classAt returns the classes of the character at s[i] and its length.
func classAt(s string, i int) (uint8, int) {
	if b := s[i]; b < utf8.RuneSelf {
		return asciiClasses[b], 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return classOf(r), n
}

// runEnd returns the end of the run of characters from i that are in any
// of the classes want.
func runEnd(s string, i int, want uint8) int {
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if asciiClasses[b]&want == 0 {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if classOf(r)&want == 0 {
			return i
		}
		i += n
	}
	return i
}

// runEndNot returns the end of the run of characters from i that are in
// none of the classes avoid.
func runEndNot(s string, i int, avoid uint8) int {
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if asciiClasses[b]&avoid != 0 {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if classOf(r)&avoid != 0 {
			return i
		}
		i += n
	}
	return i
}

// spaceRun scans the whitespace run that starts at i. It returns its end,
// the start of its last character, and the position of its last \r or \n
// (-1 if none).
func spaceRun(s string, i int) (end, last, newline int) {
	end, last, newline = i, i, -1
	for end < len(s) {
		c, n := classAt(s, end)
		if c&cSpace == 0 {
			break
		}
		if c&cNewline != 0 {
			newline = end
		}
		last = end
		end += n
	}
	return end, last, newline
}

// contraction returns the length of the contraction letters (s, d, m, t, ll,
// ve, re) at s[j:], which follow an apostrophe, or 0. With fold the match
// ignores case as (?i) does, including U+017F LATIN SMALL LETTER LONG S,
// which Unicode case folding equates with s.
func contraction(s string, j int, fold bool) int {
	if j >= len(s) {
		return 0
	}
	lower := func(b byte) byte {
		if fold && 'A' <= b && b <= 'Z' {
			return b + ('a' - 'A')
		}
		return b
	}
	switch lower(s[j]) {
	case 's', 'd', 'm', 't':
		return 1
	case 'l':
		if j+1 < len(s) && lower(s[j+1]) == 'l' {
			return 2
		}
	case 'v', 'r':
		if j+1 < len(s) && lower(s[j+1]) == 'e' {
			return 2
		}
	case 0xC5: // U+017F is C5 BF
		if fold && j+1 < len(s) && s[j+1] == 0xBF {
			return 2
		}
	}
	return 0
}

// numberEnd returns the end of \p{N}{1,3} at i, where s[i] is a number.
func numberEnd(s string, i, n int) int {
	j := i + n
	for k := 1; k < 3 && j < len(s); k++ {
		c, m := classAt(s, j)
		if c&cNumber == 0 {
			break
		}
		j += m
	}
	return j
}

// nextGPT2 returns the end of the r50k_base/p50k_base piece at i.
func nextGPT2(s string, i int) int {
	b := s[i]
	if b == '\'' {
		if k := contraction(s, i+1, false); k > 0 {
			return i + 1 + k
		}
	}
	c, _ := classAt(s, i)
	j := i
	if b == ' ' && i+1 < len(s) { // " ?" before a letter, number or symbol run
		if c2, _ := classAt(s, i+1); c2&cSpace == 0 {
			c, j = c2, i+1
		}
	}
	switch {
	case c&cLetter != 0:
		return runEnd(s, j, cLetter)
	case c&cNumber != 0:
		return runEnd(s, j, cNumber)
	case c&cSpace == 0:
		return runEndNot(s, j, cSpace|cLetter|cNumber)
	}
	end, last, _ := spaceRun(s, i)
	if end == len(s) || last == i { // \s++$, or a lone \s
		return end
	}
	return last // \s+(?!\S) leaves the last space to the next piece
}

// nextCL100K returns the end of the cl100k_base piece at i.
func nextCL100K(s string, i int) int {
	b := s[i]
	if b == '\'' {
		if k := contraction(s, i+1, true); k > 0 {
			return i + 1 + k
		}
	}
	c, n := classAt(s, i)
	if c&cLetter != 0 {
		return runEnd(s, i+n, cLetter)
	}
	if c&(cNewline|cNumber) == 0 && i+n < len(s) { // [^\r\n\p{L}\p{N}]?+\p{L}++
		if c2, n2 := classAt(s, i+n); c2&cLetter != 0 {
			return runEnd(s, i+n+n2, cLetter)
		}
	}
	if c&cNumber != 0 {
		return numberEnd(s, i, n)
	}
	if e := symbolEnd(s, i, b, c); e > 0 {
		for e < len(s) && (s[e] == '\r' || s[e] == '\n') {
			e++
		}
		return e
	}
	end, last, newline := spaceRun(s, i)
	switch {
	case end == len(s): // \s++$
		return end
	case newline >= 0: // \s*[\r\n]
		return newline + 1
	case last > i: // \s+(?!\S)
		return last
	}
	return end // \s
}

// symbolEnd returns the end of " ?[^\s\p{L}\p{N}]+" at i, or 0 if there is
// none there; b and c are the byte and the classes at i.
func symbolEnd(s string, i int, b byte, c uint8) int {
	j := i
	if b == ' ' && i+1 < len(s) {
		if c2, _ := classAt(s, i+1); c2&(cSpace|cLetter|cNumber) == 0 {
			c, j = c2, i+1
		}
	}
	if c&(cSpace|cLetter|cNumber) != 0 {
		return 0
	}
	return runEndNot(s, j, cSpace|cLetter|cNumber)
}

// nextO200K returns the end of the o200k_base piece at i.
func nextO200K(s string, i int) int {
	c, n := classAt(s, i)
	if c&cLetter != 0 {
		e := upperLower(s, i)
		if e < 0 {
			e = upperThenLower(s, i)
		}
		return suffixO200K(s, e)
	}
	if c&(cNewline|cNumber) == 0 {
		// c may be the optional [^\r\n\p{L}\p{N}] in front of either letter
		// alternative. The regexp tries the first alternative with it, then
		// without it (possible only for a mark), then the second one.
		if i+n < len(s) {
			if c2, _ := classAt(s, i+n); c2&(cUpper|cLower) != 0 {
				if e := upperLower(s, i+n); e >= 0 {
					return suffixO200K(s, e)
				}
				if c&cMark != 0 {
					return suffixO200K(s, upperLower(s, i))
				}
				return suffixO200K(s, upperThenLower(s, i+n))
			}
		}
		if c&cMark != 0 {
			return suffixO200K(s, upperLower(s, i))
		}
	}
	if c&cNumber != 0 {
		return numberEnd(s, i, n)
	}
	if e := symbolEnd(s, i, s[i], c); e > 0 {
		for e < len(s) && (s[e] == '\r' || s[e] == '\n' || s[e] == '/') {
			e++
		}
		return e
	}
	end, last, newline := spaceRun(s, i)
	switch {
	case newline >= 0: // \s*[\r\n]+
		return newline + 1
	case end == len(s) || last == i: // \s+(?!\S) at the end, or \s+ alone
		return end
	}
	return last // \s+(?!\S)
}

// upperLower matches o200k's [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+
// at i and returns its end, or -1. The first class is greedy, so the
// regexp backtracks from the end of its run to the last position where the
// second class can start.
func upperLower(s string, i int) int {
	p, both := i, -1
	for p < len(s) {
		c, n := classAt(s, p)
		if c&cUpper == 0 {
			break
		}
		if c&cLower != 0 {
			both = p + n // the second class could take this one character
		}
		p += n
	}
	if p < len(s) {
		if c, _ := classAt(s, p); c&cLower != 0 {
			return runEnd(s, p, cLower)
		}
	}
	return both
}

// upperThenLower matches [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*
// at i and returns its end, or -1.
func upperThenLower(s string, i int) int {
	p := runEnd(s, i, cUpper)
	if p == i {
		return -1
	}
	return runEnd(s, p, cLower)
}

// suffixO200K extends a letter match ending at e by an optional
// (?i:'s|'t|'re|'ve|'m|'ll|'d).
func suffixO200K(s string, e int) int {
	if e < len(s) && s[e] == '\'' {
		if k := contraction(s, e+1, true); k > 0 {
			return e + 1 + k
		}
	}
	return e
}

// splitter returns the pre-tokenizer of a family.
func (f family) splitter() func(s string, i int) int {
	switch f {
	case familyCL100K:
		return nextCL100K
	case familyO200K:
		return nextO200K
	}
	return nextGPT2
}
