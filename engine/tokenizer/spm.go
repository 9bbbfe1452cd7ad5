package tokenizer

import (
	"container/heap"
	"strings"
	"unicode/utf8"
)

// spmSymbol is one piece of the text being merged, in a doubly linked list
// over the symbols slice.
type spmSymbol struct {
	start, end int // byte range in the text
	prev, next int // neighbours, -1 at the ends
}

// pairCandidate is a candidate merge of symbols left and right.
type pairCandidate struct {
	left, right int
	score       float32
	size        int // bytes of the merged piece, to detect stale entries
	id          int32
}

type pairQueue []pairCandidate

func (q pairQueue) Len() int { return len(q) }
func (q pairQueue) Less(i, j int) bool {
	if q[i].score != q[j].score {
		return q[i].score > q[j].score
	}
	return q[i].left < q[j].left
}
func (q pairQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *pairQueue) Push(x any)   { *q = append(*q, x.(pairCandidate)) }
func (q *pairQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// encodeSPM appends the SentencePiece tokens of text. Pieces are merged
// greedily, best-scoring pair first and leftmost on ties, which is what
// llama.cpp and the reference sentencepiece do for BPE-type models; a
// character with no piece falls back to its UTF-8 bytes as <0xNN> tokens.
func (t *Tokenizer) encodeSPM(out []int, text string, spacePrefix bool) []int {
	if spacePrefix {
		text = " " + text
	}
	text = strings.ReplaceAll(text, " ", "▁")
	syms := make([]spmSymbol, 0, len(text))
	for i := 0; i < len(text); {
		_, n := utf8.DecodeRuneInString(text[i:])
		syms = append(syms, spmSymbol{start: i, end: i + n, prev: len(syms) - 1, next: len(syms) + 1})
		i += n
	}
	if len(syms) == 0 {
		return out
	}
	syms[len(syms)-1].next = -1
	q := &pairQueue{}
	try := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		piece := text[syms[l].start:syms[r].end]
		if id, ok := t.index[piece]; ok && t.types[id] != TypeByte {
			heap.Push(q, pairCandidate{left: l, right: r, score: t.scores[id], size: len(piece), id: id})
		}
	}
	for i := 1; i < len(syms); i++ {
		try(i-1, i)
	}
	for q.Len() > 0 {
		b := heap.Pop(q).(pairCandidate)
		l, r := &syms[b.left], &syms[b.right]
		// Skip a candidate made stale by an earlier merge of either side.
		if l.end == l.start || r.end == r.start || l.next != b.right || r.end-l.start != b.size {
			continue
		}
		l.end = r.end
		l.next = r.next
		r.start, r.end = 0, 0
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		try(l.prev, b.left)
		try(b.left, l.next)
	}
	for i := 0; i >= 0; i = syms[i].next {
		piece := text[syms[i].start:syms[i].end]
		if id, ok := t.index[piece]; ok && t.types[id] != TypeByte {
			out = append(out, int(id))
			continue
		}
		for j := 0; j < len(piece); j++ {
			switch {
			case t.byteID[piece[j]] >= 0:
				out = append(out, int(t.byteID[piece[j]]))
			case t.unk >= 0:
				out = append(out, t.unk)
				j = len(piece) // one <unk> per character
			}
		}
	}
	return out
}
