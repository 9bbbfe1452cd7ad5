package llama

import (
	"math"
	"math/rand/v2"
	"slices"
)

// sampler picks the next token from logits. It owns its random source, so
// a seeded generation is reproducible whatever else runs.
type sampler struct {
	opts  GenerateOptions
	rng   *rand.Rand
	cands []candidate // reused between calls
	seen  map[int]bool
}

type candidate struct {
	id int
	p  float32
}

func newSampler(o GenerateOptions) *sampler {
	seed := o.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &sampler{opts: o, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), seen: map[int]bool{}}
}

// sample returns the next token. It may modify logits. history is the
// sequence so far, prompt included, for the repetition penalty.
func (s *sampler) sample(logits []float32, history []int) int {
	o := s.opts
	if o.RepeatPenalty > 0 && o.RepeatPenalty != 1 {
		last := o.RepeatLastN
		if last == 0 {
			last = 64
		}
		if last < 0 || last > len(history) {
			last = len(history)
		}
		clear(s.seen)
		pen := float32(o.RepeatPenalty)
		for _, id := range history[len(history)-last:] {
			if s.seen[id] || id < 0 || id >= len(logits) {
				continue
			}
			s.seen[id] = true
			// As llama.cpp and the CTRL paper: shrink a positive score,
			// grow a negative one, so the token always becomes less likely.
			if logits[id] > 0 {
				logits[id] /= pen
			} else {
				logits[id] *= pen
			}
		}
	}
	if o.Temperature <= 0 {
		return argmax(logits)
	}
	// Candidates: the top k by score, or every token.
	c := s.cands[:0]
	if o.TopK > 0 && o.TopK < len(logits) {
		c = topK(c, logits, o.TopK)
	} else {
		for id, l := range logits {
			c = append(c, candidate{id, l})
		}
	}
	// Softmax at the temperature, in place.
	mx := c[0].p
	for _, x := range c {
		mx = max(mx, x.p)
	}
	inv := 1 / float32(o.Temperature)
	var sum float32
	for i := range c {
		c[i].p = float32(math.Exp(float64((c[i].p - mx) * inv)))
		sum += c[i].p
	}
	for i := range c {
		c[i].p /= sum
	}
	if o.TopP > 0 && o.TopP < 1 {
		c = topP(c, float32(o.TopP))
	}
	s.cands = c
	var total float32
	for _, x := range c {
		total += x.p
	}
	r := s.rng.Float32() * total
	for _, x := range c {
		r -= x.p
		if r < 0 {
			return x.id
		}
	}
	return c[len(c)-1].id
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// topK appends the k highest-scoring tokens to c, best first. It keeps a
// sorted list of k and inserts only scores above its last, which for a
// large vocabulary and small k is one comparison per token.
func topK(c []candidate, logits []float32, k int) []candidate {
	base := len(c)
	for id, l := range logits {
		n := len(c) - base
		if n == k && l <= c[len(c)-1].p {
			continue
		}
		if n < k {
			c = append(c, candidate{})
		}
		i := len(c) - 1
		for i > base && c[i-1].p < l {
			c[i] = c[i-1]
			i--
		}
		c[i] = candidate{id, l}
	}
	return c
}

// topP keeps the most likely tokens whose probabilities add up to p. Sorting
// the whole vocabulary is slow, so tokens that cannot be in the nucleus are
// dropped first: if the nucleus needed a token with probability below
// (1-p)/(n-1), the tokens above it would sum to less than p.
func topP(c []candidate, p float32) []candidate {
	cut := (1 - p) / float32(max(len(c)-1, 1))
	keep := c[:0]
	for _, x := range c {
		if x.p >= cut {
			keep = append(keep, x)
		}
	}
	slices.SortFunc(keep, func(a, b candidate) int {
		switch {
		case a.p > b.p:
			return -1
		case a.p < b.p:
			return 1
		}
		return a.id - b.id
	})
	var cum float32
	for i, x := range keep {
		cum += x.p
		if cum >= p {
			return keep[:i+1]
		}
	}
	return keep
}
