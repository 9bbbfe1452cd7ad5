package tokens

import "strings"

// Encode returns the token ids of text, exactly as tiktoken's
// encode_ordinary returns them (or its encode with allowed_special="all"
// on a [Encoding.WithSpecialTokens] view).
func (e *Encoding) Encode(text string) []int {
	return e.AppendEncode(make([]int, 0, len(text)/4+1), text)
}

// AppendEncode appends the token ids of text to dst and returns the
// extended slice, so a caller can reuse one buffer across calls.
func (e *Encoding) AppendEncode(dst []int, text string) []int {
	v := e.vocab()
	next := e.def.family.splitter()
	e.segments(text, func(seg string, special int) {
		for i := 0; i < len(seg); {
			j := next(seg, i)
			dst = v.appendPiece(dst, seg[i:j])
			i = j
		}
		if special >= 0 {
			dst = append(dst, special)
		}
	})
	return dst
}

// Count returns len(e.Encode(text)) without building the id slice: it
// allocates nothing for pieces up to a few dozen bytes long.
func (e *Encoding) Count(text string) int {
	v := e.vocab()
	next := e.def.family.splitter()
	n := 0
	e.segments(text, func(seg string, special int) {
		n += countOrdinary(v, next, seg)
		if special >= 0 {
			n++
		}
	})
	return n
}

// countOrdinary counts the tokens of text without special tokens.
func countOrdinary(v *vocab, next func(string, int) int, text string) int {
	n := 0
	for i := 0; i < len(text); {
		j := next(text, i)
		n += v.countPiece(text[i:j])
		i = j
	}
	return n
}

// segments calls f for each stretch of ordinary text and the special token
// id that ends it (-1 for the last stretch, and for every stretch when e
// does not recognise special tokens). The pre-tokenizer runs on each
// stretch on its own, as tiktoken's does: a special token ends the text its
// pattern sees.
func (e *Encoding) segments(text string, f func(seg string, special int)) {
	if !e.special {
		f(text, -1)
		return
	}
	for {
		at, tok := e.def.nextSpecial(text, 0)
		if at < 0 {
			f(text, -1)
			return
		}
		f(text[:at], tok.id)
		text = text[at+len(tok.text):]
	}
}

// nextSpecial returns the position of the first special token in text at
// or after from, and the token; at is -1 if there is none.
func (d *definition) nextSpecial(text string, from int) (at int, tok specialToken) {
	for from < len(text) {
		k := strings.Index(text[from:], "<|")
		if k < 0 {
			break
		}
		at = from + k
		for _, s := range d.special {
			if strings.HasPrefix(text[at:], s.text) {
				return at, s
			}
		}
		from = at + 1
	}
	return -1, specialToken{}
}
