package tokens

import (
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
)

// noRank marks a byte string that is not a token.
const noRank = ^uint32(0)

// lazyVocab is an encoding's vocabulary, loaded on first use.
type lazyVocab struct {
	once sync.Once
	v    *vocab
}

// vocab is the byte-pair vocabulary of one encoding in the form the encoder
// wants: all token bytes in one string, and an open-addressing hash table
// from bytes to rank (in tiktoken a token's rank is also its id). Lookups
// take substrings of the text being encoded, so they allocate nothing.
type vocab struct {
	n      int      // ids are below n; an id with no bytes is not a token
	tokens string   // the bytes of every token, in id order
	off    []uint32 // token id i is tokens[off[i]:off[i+1]]
	maxLen int      // length of the longest token, in bytes

	byteRank [256]uint32 // the id of each single byte

	seed  maphash.Seed
	mask  uint64
	slots []uint64 // high 32 bits: hash fingerprint; low 32 bits: id+1 (0 = empty)
}

// token returns the bytes of token id.
func (v *vocab) token(id uint32) string { return v.tokens[v.off[id]:v.off[id+1]] }

// rank returns the id of the token whose bytes are s, or noRank.
func (v *vocab) rank(s string) uint32 {
	if len(s) > v.maxLen {
		return noRank
	}
	h := maphash.String(v.seed, s)
	fp := h >> 32
	for i := h & v.mask; ; i = (i + 1) & v.mask {
		e := v.slots[i]
		if e == 0 {
			return noRank
		}
		if e>>32 == fp {
			id := uint32(e) - 1
			if v.token(id) == s {
				return id
			}
		}
	}
}

// loadVocab builds the vocabulary of d.
//
// The ranks come from github.com/tiktoken-go/tokenizer, which embeds all
// four of OpenAI's vocabularies as Go data: that is what lets sluice count
// offline, with nothing fetched at run time, without committing 10 MB of
// vocabulary files of our own. Only the data is reused. Its encoder is not
// (its generated split matcher breaks some CR/LF runs apart, see
// TestParity), so the library is read once, token by token, into the
// compact tables above, and its own maps are never consulted again.
func loadVocab(d *definition) *vocab {
	c := d.codec()
	v := &vocab{n: d.mergeable, off: make([]uint32, d.mergeable+1)}
	var all strings.Builder
	all.Grow(d.mergeable * 8)
	one := make([]uint, 1)
	for id := range d.mergeable {
		one[0] = uint(id)
		s, err := c.Decode(one)
		if _, special := d.specialText(id); special && err != nil {
			v.off[id+1] = uint32(all.Len()) // a gap: p50k_base's <|endoftext|>
			continue
		}
		if err != nil || s == "" {
			// The table in encodings.go and the library disagree: a
			// programming error that the parity tests catch at once.
			panic(fmt.Sprintf("tokens: %s: token %d missing from the embedded vocabulary: %v", d.name, id, err))
		}
		all.WriteString(s)
		v.off[id+1] = uint32(all.Len())
		v.maxLen = max(v.maxLen, len(s))
	}
	v.tokens = all.String()

	size := uint64(1)
	for size < uint64(2*v.n) {
		size <<= 1
	}
	v.mask = size - 1
	v.slots = make([]uint64, size)
	v.seed = maphash.MakeSeed()
	for i := range v.byteRank {
		v.byteRank[i] = noRank
	}
	for id := range uint32(v.n) {
		t := v.token(id)
		if t == "" {
			continue
		}
		if len(t) == 1 {
			v.byteRank[t[0]] = id
		}
		h := maphash.String(v.seed, t)
		i := h & v.mask
		for v.slots[i] != 0 {
			i = (i + 1) & v.mask
		}
		v.slots[i] = h>>32<<32 | uint64(id+1)
	}
	for b, r := range v.byteRank {
		if r == noRank {
			panic(fmt.Sprintf("tokens: %s: byte %#x has no token", d.name, b))
		}
	}
	return v
}
