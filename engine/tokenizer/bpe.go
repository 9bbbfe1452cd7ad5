package tokenizer

import (
	"container/heap"
	"fmt"
	"strings"
	"unicode/utf8"
)

// byteRune maps a byte to the printable character GPT-2's byte-level BPE
// uses for it: printable Latin-1 bytes stand for themselves, and the other
// 68 bytes take the characters from U+0100 on, in byte order.
func byteRune(b byte) rune {
	switch {
	case b <= 32:
		return 256 + rune(b)
	case b >= 127 && b <= 160:
		return 256 + 33 + rune(b-127)
	case b == 173:
		return 256 + 67
	}
	return rune(b)
}

// runeByte inverts byteRune.
func runeByte(r rune) (byte, bool) {
	switch {
	case r >= 256 && r <= 256+32:
		return byte(r - 256), true
	case r >= 256+33 && r <= 256+66:
		return byte(r - 256 - 33 + 127), true
	case r == 256+67:
		return 173, true
	case r < 256 && byteRune(byte(r)) == r:
		return byte(r), true
	}
	return 0, false
}

// appendByteLevel appends the bytes a byte-level token string stands for.
func appendByteLevel(dst []byte, s string) []byte {
	for _, r := range s {
		if b, ok := runeByte(r); ok {
			dst = append(dst, b)
		} else {
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst
}

func pairKey(l, r int32) uint64 { return uint64(uint32(l))<<32 | uint64(uint32(r)) }

// initBPE indexes the merges by the ids of their two sides and records the
// id of every single-byte token.
func (t *Tokenizer) initBPE(merges []string) error {
	for b := range 256 {
		if id, ok := t.index[string(byteRune(byte(b)))]; ok {
			t.byteID[b] = id
		}
	}
	t.merges = make(map[uint64]merge, len(merges))
	for rank, m := range merges {
		l, r, ok := strings.Cut(m, " ")
		if !ok {
			return fmt.Errorf("tokenizer: merge %d %q has no space between its two sides; the file is corrupt", rank, m)
		}
		li, lok := t.index[l]
		ri, rok := t.index[r]
		id, ok := t.index[l+r]
		if !lok || !rok || !ok {
			continue // a merge into or from a piece the vocabulary lacks can never apply
		}
		k := pairKey(li, ri)
		if _, dup := t.merges[k]; !dup {
			t.merges[k] = merge{rank: int32(rank), id: id}
		}
	}
	return nil
}

// encodeBPE appends the byte-level BPE tokens of text.
func (t *Tokenizer) encodeBPE(out []int, text string) []int {
	var buf []byte
	var ids []int32
	t.pre.split(text, func(word string) {
		buf = buf[:0]
		for i := 0; i < len(word); i++ {
			buf = utf8.AppendRune(buf, byteRune(word[i]))
		}
		if t.pre.ignoreMerges {
			if id, ok := t.index[string(buf)]; ok {
				out = append(out, int(id))
				return
			}
		}
		ids = ids[:0]
		for i := 0; i < len(word); i++ {
			ids = append(ids, t.byteID[word[i]])
		}
		out = t.mergeBPE(out, ids)
	})
	return out
}

// mergeBPE applies merges to a word's byte tokens, lowest rank first and
// leftmost on ties, and appends the result. A byte with no token becomes UNK.
func (t *Tokenizer) mergeBPE(out []int, ids []int32) []int {
	type sym struct {
		id         int32
		prev, next int
		gone       bool
	}
	syms := make([]sym, len(ids))
	for i, id := range ids {
		syms[i] = sym{id: id, prev: i - 1, next: i + 1}
	}
	syms[len(syms)-1].next = -1
	q := &pairQueue{}
	try := func(l, r int) {
		if l < 0 || r < 0 || syms[l].id < 0 || syms[r].id < 0 {
			return
		}
		if m, ok := t.merges[pairKey(syms[l].id, syms[r].id)]; ok {
			// size carries the right side's id so stale entries are
			// recognised after either side changes.
			heap.Push(q, pairCandidate{left: l, right: r, score: -float32(m.rank), size: int(syms[r].id)<<32 | int(uint32(syms[l].id)), id: m.id})
		}
	}
	for i := 1; i < len(syms); i++ {
		try(i-1, i)
	}
	for q.Len() > 0 {
		c := heap.Pop(q).(pairCandidate)
		l, r := &syms[c.left], &syms[c.right]
		if l.gone || r.gone || l.next != c.right || c.size != int(r.id)<<32|int(uint32(l.id)) {
			continue
		}
		l.id = c.id
		l.next = r.next
		r.gone = true
		if r.next >= 0 {
			syms[r.next].prev = c.left
		}
		try(l.prev, c.left)
		try(c.left, l.next)
	}
	for i := 0; i >= 0; i = syms[i].next {
		switch {
		case syms[i].id >= 0:
			out = append(out, int(syms[i].id))
		case t.unk >= 0:
			out = append(out, t.unk)
		}
	}
	return out
}
