package tokens

import (
	"strings"
	"unicode/utf8"
)

// Counter counts the tokens of a text that arrives in fragments, such as a
// streamed completion. After every [Counter.Add] its count equals
// e.Count(all fragments so far) exactly, which counting each fragment on
// its own does not give: " hel" + "lo" is two tokens, " hello" one.
//
// Counter keeps only the unstable tail: the last pre-tokenizer pieces whose
// split could still change when more text arrives (a word can grow, a run
// of spaces can give its last space to the next word, an apostrophe can
// become a contraction, a multi-byte character can be cut between two
// fragments). Everything before the tail is counted once and dropped. The
// tail is usually the last word or two, so each Add costs about the length
// of its fragment. A runaway generation, one piece that keeps growing
// ("aaaa…", "!!!!…", a megabyte of spaces), is counted from an anchor a
// few dozen bytes before its end instead of from its start, so it too
// costs a bounded amount per fragment (see counter_long.go). What remains
// quadratic is contrived input that keeps a long piece unsettled without
// extending it as a run, such as o200k_base's "哈哈…哈" followed by a
// megabyte of capital letters, where each Add scans the piece again.
//
// A Counter is not safe for concurrent use. The zero value is not usable:
// get one from [Encoding.NewCounter].
type Counter struct {
	e         *Encoding
	v         *vocab
	next      func(string, int) int
	committed int    // tokens of the text before tail
	tail      string // the text whose pieces may still change
	tailCount int    // tokens of tail, as it stands

	// When the tail is one long run (see counter_long.go), run says what
	// extends it and the tail lives in buf instead of tail.
	run     runKind
	buf     []byte
	pending int      // bytes at the end of buf that begin a character not yet complete
	anchors []anchor // for the long piece at the start of the tail, oldest first
	bounds  []int32  // scratch for countLong

	longPiece, anchorWindow int // defaultLongPiece, defaultAnchorWindow; tests shrink them
	anchorMisses            int // times the anchor had to be dropped (tests log it)
}

// NewCounter returns a Counter at zero tokens. It recognises special tokens
// when e is a [Encoding.WithSpecialTokens] view.
func (e *Encoding) NewCounter() *Counter {
	return &Counter{
		e: e, v: e.vocab(), next: e.def.family.splitter(),
		longPiece: defaultLongPiece, anchorWindow: defaultAnchorWindow,
	}
}

// Add appends fragment to the text and returns the token count of the
// whole text so far. Fragments may cut a UTF-8 sequence anywhere.
func (c *Counter) Add(fragment string) int {
	if fragment == "" {
		return c.Count()
	}
	if c.run != runNone {
		if c.extendRun(fragment) {
			return c.Count()
		}
		c.tail, c.buf, c.run = string(c.buf), c.buf[:0], runNone
	}
	s := c.tail + fragment
	limit := len(s)
	if c.e.special {
		var rest string
		rest, limit = c.settleSpecial(s)
		if len(rest) != len(s) {
			c.anchors = c.anchors[:0] // the tail no longer starts where their piece did
		}
		s = rest
	}
	stable, count := c.settle(s, limit)
	if stable > 0 {
		c.anchors = c.anchors[:0]
		s = s[stable:]
		if cap := len(c.tail) + len(fragment); cap > 256 && cap > 4*len(s) {
			// Copy, so a large fragment's memory is not kept for its last word.
			s = strings.Clone(s)
		}
	}
	c.tail, c.tailCount = s, count
	if len(s) >= c.longPiece && limit == len(s) {
		c.enterRun(s)
	}
	return c.Count()
}

// Count returns the token count of the text added so far.
func (c *Counter) Count() int { return c.committed + c.tailCount }

// settle counts the pieces of s. It commits the longest run of leading
// pieces that no further text can change, given that the pre-tokenizer's
// view of s may end at limit (limit < len(s) when a special token could
// start there), and returns where that run ends and the count of the rest.
// A long first piece is counted from its anchor.
func (c *Counter) settle(s string, limit int) (stable, rest int) {
	fam := c.e.def.family
	settled := true
	for i := 0; i < len(s); {
		j := c.next(s, i)
		var n int
		if i == 0 && j >= c.longPiece {
			n = c.countLong(j, func(from int) string { return s[from:j] })
		} else {
			n = c.v.countPiece(s[i:j])
		}
		if settled && reach(fam, s, i, j) <= limit {
			c.committed += n
			stable = j
		} else {
			settled = false
			rest += n
		}
		i = j
	}
	return stable, rest
}

// settleSpecial commits the text of s up to the end of its last special
// token and returns the rest, with the position from which the rest could
// still become a special token (len(rest) if it cannot).
func (c *Counter) settleSpecial(s string) (rest string, limit int) {
	d := c.e.def
	for {
		at, tok := d.nextSpecial(s, 0)
		if at < 0 {
			return s, partialSpecial(d, s)
		}
		// A special token ends the text the pre-tokenizer sees, so the
		// pieces before it are final.
		c.committed += countOrdinary(c.v, c.next, s[:at]) + 1
		s = s[at+len(tok.text):]
	}
}

// partialSpecial returns the first position from which s ends with the
// beginning of a special token ("<|endof"), or len(s).
func partialSpecial(d *definition, s string) int {
	longest := 0
	for _, t := range d.special {
		longest = max(longest, len(t.text))
	}
	for q := max(0, len(s)-longest+1); q < len(s); q++ {
		if s[q] != '<' {
			continue
		}
		for _, t := range d.special {
			if len(s)-q < len(t.text) && strings.HasPrefix(t.text, s[q:]) {
				return q
			}
		}
	}
	return len(s)
}

// reach bounds how far the pre-tokenizer looked to decide the piece
// [i, end) of s: the piece depends only on s[:reach], or, when reach is
// len(s)+1, it may depend on text not yet seen (it ran into the end of s).
// The bound is generous, never short: the piece itself plus four characters
// (a contraction such as "'ll" and the character that ends a run); the
// whole whitespace run at i plus one character (\s*[\r\n] and \s+(?!\S)
// look across it, and \s++$ at its end); and for o200k_base the run of
// [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] that its letter alternatives backtrack
// over, plus four.
func reach(f family, s string, i, end int) int {
	r := skipRunes(s, end, 4)
	c, n := classAt(s, i)
	if c&cSpace != 0 {
		w, _, _ := spaceRun(s, i)
		r = max(r, skipRunes(s, w, 1))
	}
	if f == familyO200K {
		u := runEnd(s, i, cUpper)
		if i+n < len(s) {
			u = max(u, runEnd(s, i+n, cUpper))
		}
		r = max(r, skipRunes(s, u, 4))
	}
	return r
}

// skipRunes returns the position k characters after p, or len(s)+1 when
// s ends first, including inside a multi-byte character that a later
// fragment may complete.
func skipRunes(s string, p, k int) int {
	for ; k > 0; k-- {
		if p >= len(s) {
			return len(s) + 1
		}
		if s[p] < utf8.RuneSelf {
			p++
			continue
		}
		if !utf8.FullRuneInString(s[p:]) {
			return len(s) + 1
		}
		_, n := utf8.DecodeRuneInString(s[p:])
		p += n
	}
	return p
}
