package tokens

// Byte-pair merging turns one pre-tokenizer piece into tokens the way
// tiktoken does: start from single bytes, and repeatedly merge the adjacent
// pair whose concatenation is the token of lowest rank, the leftmost one on
// a tie, until no adjacent pair is a token.
//
// Most pieces are a whole token (" the", "\n\n"), which one lookup settles.
// Short pieces use tiktoken's own layout, a flat array rescanned after each
// merge: O(n²), but n is small and everything stays in registers and cache.
// Long pieces (a megabyte without a space) use a linked list of parts and a
// heap of candidate merges, O(n log n), so no input is quadratic.

// maxFlat is the longest piece merged with the flat array.
const maxFlat = 64

// appendPiece appends the ids of piece to dst.
func (v *vocab) appendPiece(dst []int, piece string) []int {
	if len(piece) == 1 {
		return append(dst, int(v.byteRank[piece[0]]))
	}
	if id := v.rank(piece); id != noRank {
		return append(dst, int(id))
	}
	if len(piece) <= maxFlat {
		var buf [maxFlat + 1]int32
		pos := v.mergeFlat(piece, &buf)
		for k := 1; k < len(pos); k++ {
			dst = append(dst, int(v.partID(piece[pos[k-1]:pos[k]])))
		}
		return dst
	}
	parts := v.mergeHeap(piece)
	for i := int32(0); int(i) < len(piece); i = parts[i].next {
		dst = append(dst, int(v.partID(piece[i:parts[i].next])))
	}
	return dst
}

// countPiece returns the number of tokens piece encodes to.
func (v *vocab) countPiece(piece string) int {
	if len(piece) == 1 || v.rank(piece) != noRank {
		return 1
	}
	if len(piece) <= maxFlat {
		var buf [maxFlat + 1]int32
		return len(v.mergeFlat(piece, &buf)) - 1
	}
	parts := v.mergeHeap(piece)
	n := 0
	for i := int32(0); int(i) < len(piece); i = parts[i].next {
		n++
	}
	return n
}

// partID returns the id of a part left after merging, which is a token by
// construction.
func (v *vocab) partID(part string) uint32 {
	if len(part) == 1 {
		return v.byteRank[part[0]]
	}
	return v.rank(part)
}

// mergeFlat merges piece (2 to maxFlat bytes) and returns the boundaries
// of its parts: part k is piece[pos[k]:pos[k+1]]. The slice is buf's.
func (v *vocab) mergeFlat(piece string, buf *[maxFlat + 1]int32) []int32 {
	n := len(piece)
	pos := buf[:n+1]
	// ranks[k] is the rank of merging part k with part k+1.
	var rankBuf [maxFlat]uint32
	ranks := rankBuf[:n-1]
	for k := range pos {
		pos[k] = int32(k)
	}
	for k := range ranks {
		ranks[k] = v.rank(piece[k : k+2])
	}
	m := n // number of parts
	for m > 1 {
		best, bi := noRank, -1
		for k, r := range ranks[:m-1] {
			if r < best {
				best, bi = r, k
			}
		}
		if bi < 0 {
			break
		}
		// Part bi absorbs part bi+1.
		copy(pos[bi+1:m], pos[bi+2:m+1])
		if bi+2 < m {
			copy(ranks[bi+1:m-2], ranks[bi+2:m-1])
		}
		m--
		if bi+1 < m {
			ranks[bi] = v.rank(piece[pos[bi]:pos[bi+2]])
		}
		if bi > 0 {
			ranks[bi-1] = v.rank(piece[pos[bi-1]:pos[bi+1]])
		}
	}
	return pos[:m+1]
}

// heapPart is a part of a long piece in mergeHeap's linked list, indexed by
// the offset where it starts. rank is the rank of merging it with the next
// part (noRank if they do not merge, or if the part was absorbed).
type heapPart struct {
	prev, next int32
	rank       uint32
}

// mergeHeap merges a long piece and returns its parts as a linked list:
// the first part starts at 0, and part i ends where part parts[i].next
// starts. Candidate merges sit in a min-heap keyed by rank<<32|offset, so
// the heap yields the lowest rank and, on a tie, the leftmost, as tiktoken's
// scan does. Entries that a later merge made stale are skipped when popped:
// a part's rank only changes when its span grows, and a longer span is a
// different token, so a stale entry never matches the part's current rank.
func (v *vocab) mergeHeap(piece string) []heapPart {
	n := int32(len(piece))
	parts := make([]heapPart, n)
	h := make(mergeQueue, 0, n)
	for i := range n {
		parts[i] = heapPart{prev: i - 1, next: i + 1, rank: noRank}
		if i+2 <= n {
			if r := v.rank(piece[i : i+2]); r != noRank {
				parts[i].rank = r
				h = append(h, uint64(r)<<32|uint64(i))
			}
		}
	}
	h.init()
	for len(h) > 0 {
		top := h.pop()
		i, r := int32(uint32(top)), uint32(top>>32)
		if parts[i].rank != r {
			continue
		}
		j := parts[i].next
		k := parts[j].next
		parts[j].rank = noRank
		parts[i].next = k
		parts[i].rank = noRank
		if k < n {
			parts[k].prev = i
			if r := v.rank(piece[i:parts[k].next]); r != noRank {
				parts[i].rank = r
				h.push(uint64(r)<<32 | uint64(i))
			}
		}
		if p := parts[i].prev; p >= 0 {
			parts[p].rank = v.rank(piece[p:k])
			if parts[p].rank != noRank {
				h.push(uint64(parts[p].rank)<<32 | uint64(p))
			}
		}
	}
	return parts
}

// mergeQueue is a binary min-heap of merge candidates.
type mergeQueue []uint64

func (h mergeQueue) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *mergeQueue) push(x uint64) {
	*h = append(*h, x)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if q[p] <= q[i] {
			break
		}
		q[p], q[i] = q[i], q[p]
		i = p
	}
}

func (h *mergeQueue) pop() uint64 {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	*h = q[:last]
	h.down(0)
	return top
}

func (h mergeQueue) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r] < h[l] {
			m = r
		}
		if h[i] <= h[m] {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// appendBounds appends to dst the end offset of each token piece encodes
// to, in order.
func (v *vocab) appendBounds(dst []int32, piece string) []int32 {
	if len(piece) == 1 || v.rank(piece) != noRank {
		return append(dst, int32(len(piece)))
	}
	if len(piece) <= maxFlat {
		var buf [maxFlat + 1]int32
		return append(dst, v.mergeFlat(piece, &buf)[1:]...)
	}
	parts := v.mergeHeap(piece)
	for i := int32(0); int(i) < len(piece); i = parts[i].next {
		dst = append(dst, parts[i].next)
	}
	return dst
}
