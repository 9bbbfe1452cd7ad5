package tokens

import (
	"slices"
	"unicode/utf8"
)

// A runaway generation ("aaaa…", "!!!!…", a megabyte of spaces) is one
// pre-tokenizer piece that grows with every fragment. Re-encoding it whole
// on each Add would make a stream of n bytes cost O(n²). Two things keep it
// linear, both exact:
//
//   - An anchor: a token of the piece's current encoding some way before its
//     end, with the number of tokens before it. The tokens before the anchor
//     never need encoding again. Byte-pair encoding has this property: if
//     the encoding of a text ends with token t, and the encoding of another
//     text starts with the same t at the same place, the encoding of their
//     union is the first encoding up to t followed by the second (merges
//     are decided by the lowest rank among adjacent parts, so as long as no
//     merge crosses the shared token's edges, each side makes exactly the
//     merges it would make alone). So the count is the tokens before the
//     anchor plus the encoding of the text from the anchor on, whenever that
//     encoding starts with the anchor token itself. If it does not, older
//     anchors further back are tried, and only if none holds is the piece
//     encoded whole once. (GitHub's Rust bpe crate states the same property
//     and builds its appendable encoder on it; TestCounterRunaway and
//     FuzzCounter check the result against whole-text counts.)
//
//   - A run fast path: while the unsettled text is one long piece of a kind
//     that the appended characters provably extend (letters after letters,
//     symbols after symbols, spaces after spaces, with each pattern's
//     details below), Add appends to a byte buffer and re-encodes only from
//     the anchor, without running the pre-tokenizer over the piece again.

const (
	// defaultLongPiece is the piece length from which the anchor and the
	// run fast path are used.
	defaultLongPiece = 256
	// defaultAnchorWindow is how far before the end of a long piece the
	// newest anchor is kept: far enough that new text rarely changes the
	// encoding back there, short enough to re-encode on every fragment.
	// Older anchors are kept at doubling distances, for the fragments that
	// do reach further back (a run of spaces, whose tokens are up to 128
	// bytes long).
	defaultAnchorWindow = 64
	// maxAnchors bounds the kept anchors; doubling distances from 64 bytes
	// reach past a gigabyte long before that.
	maxAnchors = 24
)

// anchor is a token of the encoding of the long piece at the start of the
// tail: the encoding of the piece up to end ends with the token
// [start, end), and before tokens come before it. That stays true however
// the text grows, since the bytes up to end never change.
type anchor struct{ start, end, before int }

// countLong returns the number of tokens of the piece that starts the
// tail, pieceLen bytes long; text(from) returns the piece from byte from.
// It tries the anchors from the newest (nearest the end) back, and
// encodes the whole piece only if none is still on the encoding's path.
func (c *Counter) countLong(pieceLen int, text func(from int) string) int {
	for k := len(c.anchors) - 1; k >= 0; k-- {
		a := c.anchors[k]
		if a.end > pieceLen {
			continue
		}
		c.bounds = c.v.appendBounds(c.bounds[:0], text(a.start))
		if int(c.bounds[0]) == a.end-a.start {
			c.anchors = c.anchors[:k+1]
			c.addAnchors(a, pieceLen)
			return a.before + len(c.bounds)
		}
		c.anchorMisses++
	}
	c.bounds = c.v.appendBounds(c.bounds[:0], text(0))
	first := anchor{0, int(c.bounds[0]), 0}
	c.anchors = append(c.anchors[:0], first)
	c.addAnchors(first, pieceLen)
	return len(c.bounds)
}

// addAnchors adds anchors from the encoding just computed (c.bounds, the
// token ends from base.start, whose first token is base): the last token
// that starts at least the window before the end of the piece, and others
// at doubling distances, then thins the older ones to doubling gaps.
func (c *Counter) addAnchors(base anchor, pieceLen int) {
	// Targets, nearest the start first: pieceLen - window<<j.
	var targets [maxAnchors]int
	nt := 0
	for d := c.anchorWindow; nt < len(targets) && pieceLen-d > base.start; d *= 2 {
		targets[nt] = pieceLen - d
		nt++
	}
	slices.Reverse(targets[:nt])
	start, t := base.start, 0
	prev := anchor{-1, 0, 0}
	for k, e := range c.bounds {
		end := base.start + int(e)
		for t < nt && end > targets[t] {
			// The token [start, end) is the last one starting at or before
			// targets[t] (the one before it ended at start <= targets[t]).
			if start <= targets[t] && start > base.start && start != prev.start {
				prev = anchor{start, end, base.before + k}
				c.anchors = append(c.anchors, prev)
			}
			t++
		}
		start = end
	}
	// Keep the newest, then older ones only at doubling gaps.
	kept := c.anchors[:0]
	n := len(c.anchors)
	if n == 0 {
		return
	}
	last := c.anchors[n-1]
	gap := c.anchorWindow
	out := []anchor{last}
	for k := n - 2; k >= 0 && len(out) < maxAnchors; k-- {
		if out[len(out)-1].start-c.anchors[k].start >= gap {
			out = append(out, c.anchors[k])
			gap *= 2
		}
	}
	slices.Reverse(out)
	c.anchors = append(kept, out...)
}

// runKind says which characters extend the long piece that is the whole
// unsettled text, without changing how anything before them splits. The
// zero value means none: Add takes the general path.
type runKind uint8

const (
	runNone           runKind = iota
	runLetters                // r50k, p50k, cl100k \p{L}+: more letters
	runNumbers                // r50k, p50k \p{N}+: more numbers
	runSymbols                // [^\s\p{L}\p{N}]+: more symbols; cl100k and o200k then [\r\n]*
	runSymbolNewlines         // the [\r\n]* (o200k [\r\n/]*) after symbols
	runSpaces                 // a whitespace run: r50k, p50k, cl100k \s++$; o200k with no newline yet
	runSpacesNewline          // o200k \s*[\r\n]+ ending in a newline: more newlines
	runLower                  // o200k: the [\p{Ll}\p{Lm}\p{Lo}\p{M}]+ part
	runUpperBoth              // o200k: an upper-class run whose last character is in both classes
	runUpperOnly              // o200k: an upper-class run with no character of both classes
)

// extend returns the kind of the piece after it grows by a character of
// classes cl (first byte b), or runNone if the character would not simply
// extend it.
func (k runKind) extend(f family, cl uint8, b byte) runKind {
	both := cl&cUpper != 0 && cl&cLower != 0
	switch k {
	case runLetters:
		if cl&cLetter != 0 {
			return k
		}
	case runNumbers:
		if cl&cNumber != 0 {
			return k
		}
	case runSymbols:
		if cl&(cSpace|cLetter|cNumber) == 0 {
			return k
		}
		if cl&cNewline != 0 && f != familyGPT2 {
			return runSymbolNewlines
		}
	case runSymbolNewlines:
		if cl&cNewline != 0 || f == familyO200K && b == '/' {
			return k
		}
	case runSpaces:
		if cl&cSpace != 0 {
			if f == familyO200K && cl&cNewline != 0 {
				return runSpacesNewline
			}
			return k
		}
	case runSpacesNewline:
		if cl&cNewline != 0 {
			return k
		}
	case runLower:
		if cl&cLower != 0 {
			return k
		}
	case runUpperOnly, runUpperBoth:
		switch {
		case both:
			return runUpperBoth
		case cl&cLower != 0:
			return runLower
		case cl&cUpper != 0 && k == runUpperOnly:
			return k
		}
	}
	return runNone
}

// kindOf returns the run kind of s, which the pre-tokenizer of f splits as
// one piece, or runNone. It repeats the pre-tokenizer's choice of
// alternative at the start of s, then checks which part of that
// alternative the end of s is in.
func kindOf(f family, s string) runKind {
	if len(s) < 4 {
		return runNone
	}
	c, n := classAt(s, 0)
	c2, _ := classAt(s, n)
	j := 0 // where the run starts, after an optional leading character
	switch f {
	case familyGPT2:
		if s[0] == '\'' && contraction(s, 1, false) > 0 {
			return runNone
		}
		if s[0] == ' ' && c2&cSpace == 0 {
			c, j = c2, 1
		}
		switch {
		case c&cLetter != 0:
			return whole(runLetters, runEnd(s, j, cLetter) == len(s))
		case c&cNumber != 0:
			return whole(runNumbers, runEnd(s, j, cNumber) == len(s))
		case c&cSpace == 0:
			return whole(runSymbols, runEndNot(s, j, cSpace|cLetter|cNumber) == len(s))
		}
		return whole(runSpaces, runEnd(s, 0, cSpace) == len(s))
	case familyCL100K:
		if s[0] == '\'' && contraction(s, 1, true) > 0 {
			return runNone
		}
		if c&cLetter == 0 && c&(cNewline|cNumber) == 0 && c2&cLetter != 0 {
			c, j = c2, n
		}
		if c&cLetter != 0 {
			return whole(runLetters, runEnd(s, j, cLetter) == len(s))
		}
		if c&cNumber != 0 {
			return runNone // \p{N}{1,3}: never long
		}
	case familyO200K:
		start := -1
		switch {
		case c&cLetter != 0:
			start = 0
		case c&cMark != 0:
			return runNone // a mark may be taken with or without the letters after it
		case c&(cNewline|cNumber) == 0 && c2&(cUpper|cLower) != 0:
			start = n
		}
		if start >= 0 {
			return o200kLetterKind(s, start)
		}
		if c&cNumber != 0 {
			return runNone
		}
	}
	// cl100k and o200k: " ?[^\s\p{L}\p{N}]+" then newlines, or whitespace.
	if s[0] == ' ' && c2&(cSpace|cLetter|cNumber) == 0 {
		c, j = c2, 1
	}
	if c&cSpace == 0 {
		if runEndNot(s, j, cSpace|cLetter|cNumber) == len(s) {
			return runSymbols
		}
		return runSymbolNewlines // the piece is whole, so the rest is [\r\n]* ([\r\n/]*)
	}
	if runEnd(s, 0, cSpace) != len(s) {
		return runNone
	}
	if f == familyO200K {
		if _, _, newline := spaceRun(s, 0); newline >= 0 {
			return runSpacesNewline
		}
	}
	return runSpaces
}

// o200kLetterKind returns the kind of an o200k letter piece whose letters
// start at i, following upperLower and upperThenLower.
func o200kLetterKind(s string, i int) runKind {
	u, both, lastBoth := i, false, false
	for u < len(s) {
		c, n := classAt(s, u)
		if c&cUpper == 0 {
			break
		}
		lastBoth = c&cLower != 0
		both = both || lastBoth
		u += n
	}
	if u < len(s) {
		if c, _ := classAt(s, u); c&cLower != 0 && runEnd(s, u, cLower) == len(s) {
			return runLower
		}
		return runNone // a contraction suffix ends it, or it is not whole
	}
	switch {
	case lastBoth:
		return runUpperBoth
	case !both:
		return runUpperOnly
	}
	return runNone
}

func whole(k runKind, ok bool) runKind {
	if ok {
		return k
	}
	return runNone
}

// incompleteSuffix returns how many bytes at the end of s are the start
// of a multi-byte character that more bytes could complete (0 to 3).
func incompleteSuffix(s string) int {
	for k := 1; k <= 3 && k <= len(s); k++ {
		b := s[len(s)-k]
		if b < utf8.RuneSelf {
			return 0
		}
		if utf8.RuneStart(b) {
			if utf8.FullRuneInString(s[len(s)-k:]) {
				return 0
			}
			return k
		}
	}
	return 0
}

// pendingOK reports whether a run of kind k can carry an incomplete
// character at its end: it joins a symbol run, and after letters or
// numbers it is a symbol piece of its own. After spaces or newlines it
// would change how the run itself splits, so Add takes the general path.
func (k runKind) pendingOK() bool {
	switch k {
	case runSymbols, runLetters, runNumbers, runLower, runUpperBoth, runUpperOnly:
		return true
	}
	return false
}

// enterRun switches to the run fast path if the tail s (already counted)
// is one long run, possibly followed by the start of a character.
func (c *Counter) enterRun(s string) {
	f := c.e.def.family
	p := incompleteSuffix(s)
	core := s[:len(s)-p]
	if len(core) < c.longPiece || c.next(core, 0) != len(core) {
		return
	}
	k := kindOf(f, core)
	if k == runNone || p > 0 && !k.pendingOK() {
		return
	}
	if p > 0 {
		// Check the split the fast path assumes: a symbol run takes the
		// incomplete bytes, a letter or number run leaves them alone.
		want := len(core)
		if k == runSymbols {
			want = len(s)
		}
		if c.next(s, 0) != want {
			return
		}
	}
	c.run, c.pending = k, p
	c.buf = append(c.buf[:0], s...)
	c.tail = ""
}

// extendRun appends fragment to a tail that is one long run if every
// complete character it adds extends the run, and reports whether it did.
func (c *Counter) extendRun(fragment string) bool {
	f := c.e.def.family
	// The run's incomplete last character, if any, comes first.
	text := string(c.buf[len(c.buf)-c.pending:]) + fragment
	p := incompleteSuffix(text)
	k := c.run
	for i := 0; i < len(text)-p; {
		cl, n := classAt(text[:len(text)-p], i)
		if k = k.extend(f, cl, text[i]); k == runNone {
			return false
		}
		i += n
	}
	if p > 0 && !k.pendingOK() {
		return false
	}
	c.run, c.pending = k, p
	c.buf = append(c.buf, fragment...)
	piece := len(c.buf)
	if k != runSymbols {
		piece -= p
	}
	c.tailCount = c.countLong(piece, func(from int) string { return string(c.buf[from:piece]) })
	if piece < len(c.buf) {
		c.tailCount += c.v.countPiece(string(c.buf[piece:]))
	}
	return true
}
