package llama

import (
	"math"

	"github.com/sluicehq/sluice/engine/kernels"
)

// maxBatch is the most tokens one forward pass takes. Prompts go through in
// batches of this size, so each weight is read from memory once per batch
// rather than once per token.
const maxBatch = PrefillChunk

// state is one sequence's working memory: activations, the KV cache and the
// reusable pool jobs. It is used by one goroutine at a time.
type state struct {
	m *Model

	// Activations of the current batch: token b's vector of width w is at
	// [b*w : (b+1)*w].
	x, xb, xb2, hb, hb2 []float32
	q, k, v             []float32
	xq                  [maxBatch]kernels.Q8
	att                 []float32 // maxBatch × Heads × capacity attention weights
	logits              []float32
	cos, sin            []float32 // RoPE rotations, maxBatch × RopeDim/2
	one                 [1]int

	// keys and values hold capacity positions of KVDim floats per layer;
	// they grow on demand up to limit positions, so a long context costs
	// memory only when it is used.
	keys, values [][]float32
	capacity     int
	limit        int

	mv   matVecJob
	attn attentionJob
}

// newState allocates a sequence's memory for up to limit positions, of
// which the first capacity at once.
func (m *Model) newState(capacity, limit int) *state {
	c := m.cfg
	capacity = min(capacity, limit)
	s := &state{
		m:      m,
		x:      make([]float32, maxBatch*c.Dim),
		xb:     make([]float32, maxBatch*c.Dim),
		xb2:    make([]float32, maxBatch*c.Dim),
		hb:     make([]float32, maxBatch*c.HiddenDim),
		hb2:    make([]float32, maxBatch*c.HiddenDim),
		q:      make([]float32, maxBatch*c.Dim),
		k:      make([]float32, maxBatch*c.KVDim()),
		v:      make([]float32, maxBatch*c.KVDim()),
		limit:  limit,
		logits: make([]float32, c.Vocab),
		cos:    make([]float32, maxBatch*c.RopeDim/2),
		sin:    make([]float32, maxBatch*c.RopeDim/2),
		keys:   make([][]float32, c.Layers),
		values: make([][]float32, c.Layers),
	}
	s.grow(capacity)
	s.mv.set = m.set
	s.attn.s = s
	return s
}

// grow makes room for n positions, keeping the cache's contents.
func (s *state) grow(n int) {
	kvDim := s.m.cfg.KVDim()
	for l := range s.keys {
		s.keys[l] = append(s.keys[l][:s.capacity*kvDim], make([]float32, (n-s.capacity)*kvDim)...)
		s.values[l] = append(s.values[l][:s.capacity*kvDim], make([]float32, (n-s.capacity)*kvDim)...)
	}
	s.att = make([]float32, maxBatch*s.m.cfg.Heads*n)
	s.capacity = n
}

// step runs one token at position pos and leaves the next-token scores in
// s.logits.
func (s *state) step(token, pos int) {
	s.one[0] = token
	s.forward(s.one[:], pos, true)
}

// forward runs tokens (at most maxBatch) at positions pos, pos+1, ...
// through the model, filling the KV cache. When logits is true it leaves the
// scores that follow the last token in s.logits. The positions must be below
// the limit.
func (s *state) forward(tokens []int, pos int, logits bool) {
	m, c := s.m, s.m.cfg
	n := len(tokens)
	if pos+n > s.capacity {
		s.grow(min(max(2*s.capacity, pos+n), s.limit))
	}
	dim, kvDim, half := c.Dim, c.KVDim(), c.RopeDim/2
	for b, tok := range tokens {
		m.embed.Row(s.x[b*dim:(b+1)*dim], tok)
		s.rope(s.cos[b*half:(b+1)*half], s.sin[b*half:(b+1)*half], pos+b)
	}
	for l := range m.layers {
		ly := &m.layers[l]
		for b := range n {
			rmsNorm(s.xb[b*dim:(b+1)*dim], s.x[b*dim:(b+1)*dim], ly.attnNorm, c.NormEps)
		}
		s.matVec(n, s.xb, ly.wq, s.q, ly.wk, s.k, ly.wv, s.v)
		for b := range n {
			cos, sin := s.cos[b*half:(b+1)*half], s.sin[b*half:(b+1)*half]
			applyRope(s.q[b*dim:(b+1)*dim], c.Heads, c.HeadDim, cos, sin)
			applyRope(s.k[b*kvDim:(b+1)*kvDim], c.KVHeads, c.HeadDim, cos, sin)
		}
		copy(s.keys[l][pos*kvDim:], s.k[:n*kvDim])
		copy(s.values[l][pos*kvDim:], s.v[:n*kvDim])
		s.attn.layer, s.attn.pos = l, pos
		m.pool.Run(&s.attn, n*c.Heads, 1)
		s.matVec(n, s.xb2, ly.wo, s.xb, nil, nil, nil, nil)
		add(s.x[:n*dim], s.xb[:n*dim])

		for b := range n {
			rmsNorm(s.xb[b*dim:(b+1)*dim], s.x[b*dim:(b+1)*dim], ly.ffnNorm, c.NormEps)
		}
		s.matVec(n, s.xb, ly.gate, s.hb, ly.up, s.hb2, nil, nil)
		swiGLU(s.hb[:n*c.HiddenDim], s.hb2[:n*c.HiddenDim])
		s.matVec(n, s.hb, ly.down, s.xb, nil, nil, nil, nil)
		add(s.x[:n*dim], s.xb[:n*dim])
	}
	if !logits {
		return
	}
	last := s.x[(n-1)*dim : n*dim]
	rmsNorm(last, last, m.outputNorm, c.NormEps)
	s.matVec(1, last, m.output, s.logits, nil, nil, nil, nil)
}

// matVec computes up to three products of the same nb inputs x (nb rows of
// the matrices' width) in one pool job: out1 = m1·x, and so on for the
// non-nil pairs, each output nb rows of its matrix's height.
func (s *state) matVec(nb int, x []float32, m1 *kernels.Matrix, out1 []float32, m2 *kernels.Matrix, out2 []float32, m3 *kernels.Matrix, out3 []float32) {
	j := &s.mv
	j.n, j.nb, j.x, j.cols = 0, nb, x, m1.Cols
	needQ8 := false
	for _, p := range [3]struct {
		m   *kernels.Matrix
		out []float32
	}{{m1, out1}, {m2, out2}, {m3, out3}} {
		if p.m == nil {
			continue
		}
		j.mats[j.n], j.outs[j.n] = p.m, p.out
		j.ends[j.n] = p.m.Rows
		if j.n > 0 {
			j.ends[j.n] += j.ends[j.n-1]
		}
		needQ8 = needQ8 || p.m.NeedsQ8()
		j.n++
	}
	j.xq = nil
	if needQ8 {
		for b := range nb {
			s.xq[b].Quantize(x[b*j.cols : (b+1)*j.cols])
		}
		j.xq = &s.xq
	}
	rows := j.ends[j.n-1]
	// About eight chunks per core balances load when another process takes
	// a core for a while, yet keeps the per-chunk overhead small.
	grain := max(rows/(8*s.m.pool.Size()), 8)
	s.m.pool.Run(j, rows, grain)
}

// matVecJob is the pool task of state.matVec: rows of the stacked matrices.
type matVecJob struct {
	set  *kernels.Set
	n    int // matrices
	mats [3]*kernels.Matrix
	outs [3][]float32
	ends [3]int // cumulative row counts
	nb   int    // inputs
	x    []float32
	cols int
	xq   *[maxBatch]kernels.Q8
}

// batchRows is how many rows of a matrix are multiplied by every input of a
// batch before moving on: few enough to stay in the L1 cache between inputs.
const batchRows = 16

func (j *matVecJob) Run(lo, hi int) {
	start := 0
	for i := range j.n {
		end := j.ends[i]
		if lo < end && hi > start {
			a, b := max(lo, start)-start, min(hi, end)-start
			m, out := j.mats[i], j.outs[i]
			for r := a; r < b; r += batchRows {
				e := min(r+batchRows, b)
				for bi := range j.nb {
					var xq *kernels.Q8
					if j.xq != nil {
						xq = &j.xq[bi]
					}
					j.set.MatVec(out[bi*m.Rows+r:bi*m.Rows+e], m, j.x[bi*j.cols:(bi+1)*j.cols], xq, r, e)
				}
			}
		}
		start = end
	}
}

// attentionJob is the pool task for attention: one row per query head.
type attentionJob struct {
	s          *state
	layer, pos int
}

func (j *attentionJob) Run(lo, hi int) {
	s := j.s
	c := s.m.cfg
	hd, kvDim := c.HeadDim, c.KVDim()
	group := c.Heads / c.KVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	keys, values := s.keys[j.layer], s.values[j.layer]
	for row := lo; row < hi; row++ {
		b, h := row/c.Heads, row%c.Heads
		n := j.pos + b + 1 // causal: this token sees itself and what precedes it
		q := s.q[b*c.Dim+h*hd : b*c.Dim+(h+1)*hd]
		off := (h / group) * hd
		att := s.att[row*s.capacity : row*s.capacity+n]
		for t := range n {
			k := keys[t*kvDim+off : t*kvDim+off+hd]
			att[t] = s.m.set.DotF32(q, k) * scale
		}
		softmax(att)
		out := s.xb2[b*c.Dim+h*hd : b*c.Dim+(h+1)*hd]
		clear(out)
		for t, a := range att {
			v := values[t*kvDim+off : t*kvDim+off+hd]
			for i := range out {
				out[i] += a * v[i]
			}
		}
	}
}

// rope computes the rotation of position pos for each frequency. Pairs are
// adjacent elements (2i, 2i+1) of a head, rotated by pos·base^(-2i/ropeDim),
// the layout llama.cpp uses for the llama architecture.
func (s *state) rope(cos, sin []float32, pos int) {
	c := s.m.cfg
	for i := range cos {
		freq := math.Pow(c.RopeBase, -float64(2*i)/float64(c.RopeDim))
		if s.m.ropeFreqs != nil {
			freq /= float64(s.m.ropeFreqs[i])
		}
		sn, cs := math.Sincos(float64(pos) * freq)
		cos[i], sin[i] = float32(cs), float32(sn)
	}
}

// applyRope rotates the first RopeDim dimensions of each of n heads in x.
func applyRope(x []float32, n, hd int, cos, sin []float32) {
	for h := range n {
		head := x[h*hd : (h+1)*hd]
		for i, c := range cos {
			sn := sin[i]
			a, b := head[2*i], head[2*i+1]
			head[2*i] = a*c - b*sn
			head[2*i+1] = a*sn + b*c
		}
	}
}

// rmsNorm sets out = x / rms(x) · w; out may be x.
func rmsNorm(out, x, w []float32, eps float64) {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	inv := float32(1 / math.Sqrt(ss/float64(len(x))+eps))
	for i, v := range x {
		out[i] = v * inv * w[i]
	}
}

// softmax normalises x in place.
func softmax(x []float32) {
	mx := x[0]
	for _, v := range x[1:] {
		mx = max(mx, v)
	}
	var sum float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - mx)))
		x[i] = e
		sum += e
	}
	inv := 1 / sum
	for i := range x {
		x[i] *= inv
	}
}

// swiGLU sets gate = silu(gate) · up.
func swiGLU(gate, up []float32) {
	for i, g := range gate {
		gate[i] = g / (1 + float32(math.Exp(float64(-g)))) * up[i]
	}
}

func add(dst, x []float32) {
	for i, v := range x {
		dst[i] += v
	}
}
