package llama

import (
	"math"

	"github.com/sluicehq/sluice/engine/kernels"
)

// state is one sequence's working memory: activations, the KV cache and the
// reusable pool jobs. It is used by one goroutine at a time.
type state struct {
	m *Model

	x, xb, xb2, hb, hb2 []float32
	q, k, v             []float32
	att                 []float32 // Heads × capacity attention weights
	logits              []float32
	xq                  kernels.Q8
	cos, sin            []float32 // RoPE rotation of the current position

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
		x:      make([]float32, c.Dim),
		xb:     make([]float32, c.Dim),
		xb2:    make([]float32, c.Dim),
		hb:     make([]float32, c.HiddenDim),
		hb2:    make([]float32, c.HiddenDim),
		q:      make([]float32, c.Dim),
		k:      make([]float32, c.KVDim()),
		v:      make([]float32, c.KVDim()),
		limit:  limit,
		logits: make([]float32, c.Vocab),
		cos:    make([]float32, c.RopeDim/2),
		sin:    make([]float32, c.RopeDim/2),
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
	s.att = make([]float32, s.m.cfg.Heads*n)
	s.capacity = n
}

// forward runs token at position pos through the model and, when logits is
// true, leaves the next-token scores in s.logits. pos must be below the
// limit.
func (s *state) forward(token, pos int, logits bool) {
	m, c := s.m, s.m.cfg
	if pos >= s.capacity {
		s.grow(min(2*s.capacity, s.limit))
	}
	m.embed.Row(s.x, token)
	s.rope(pos)
	kvDim := c.KVDim()
	for l := range m.layers {
		ly := &m.layers[l]
		rmsNorm(s.xb, s.x, ly.attnNorm, c.NormEps)
		s.matVec(s.xb, ly.wq, s.q, ly.wk, s.k, ly.wv, s.v)
		s.applyRope(s.q, c.Heads)
		s.applyRope(s.k, c.KVHeads)
		copy(s.keys[l][pos*kvDim:], s.k)
		copy(s.values[l][pos*kvDim:], s.v)
		s.attn.layer, s.attn.pos = l, pos
		m.pool.Run(&s.attn, c.Heads, 1)
		s.matVec(s.xb2, ly.wo, s.xb, nil, nil, nil, nil)
		add(s.x, s.xb)

		rmsNorm(s.xb, s.x, ly.ffnNorm, c.NormEps)
		s.matVec(s.xb, ly.gate, s.hb, ly.up, s.hb2, nil, nil)
		swiGLU(s.hb, s.hb2)
		s.matVec(s.hb, ly.down, s.xb, nil, nil, nil, nil)
		add(s.x, s.xb)
	}
	if !logits {
		return
	}
	rmsNorm(s.x, s.x, m.outputNorm, c.NormEps)
	s.matVec(s.x, m.output, s.logits, nil, nil, nil, nil)
}

// matVec computes up to three products of the same input x in one pool job:
// out1 = m1·x, and so on for the non-nil pairs.
func (s *state) matVec(x []float32, m1 *kernels.Matrix, out1 []float32, m2 *kernels.Matrix, out2 []float32, m3 *kernels.Matrix, out3 []float32) {
	j := &s.mv
	j.n = 0
	j.x = x
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
		s.xq.Quantize(x)
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
	n    int
	mats [3]*kernels.Matrix
	outs [3][]float32
	ends [3]int // cumulative row counts
	x    []float32
	xq   *kernels.Q8
}

func (j *matVecJob) Run(lo, hi int) {
	start := 0
	for i := range j.n {
		end := j.ends[i]
		if lo < end && hi > start {
			a, b := max(lo, start)-start, min(hi, end)-start
			j.set.MatVec(j.outs[i][a:b], j.mats[i], j.x, j.xq, a, b)
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
	n := j.pos + 1
	for h := lo; h < hi; h++ {
		q := s.q[h*hd : (h+1)*hd]
		off := (h / group) * hd
		att := s.att[h*s.capacity : h*s.capacity+n]
		for t := range n {
			k := keys[t*kvDim+off : t*kvDim+off+hd]
			att[t] = s.m.set.DotF32(q, k) * scale
		}
		softmax(att)
		out := s.xb2[h*hd : (h+1)*hd]
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
func (s *state) rope(pos int) {
	c := s.m.cfg
	for i := range s.cos {
		freq := math.Pow(c.RopeBase, -float64(2*i)/float64(c.RopeDim))
		if s.m.ropeFreqs != nil {
			freq /= float64(s.m.ropeFreqs[i])
		}
		sin, cos := math.Sincos(float64(pos) * freq)
		s.cos[i], s.sin[i] = float32(cos), float32(sin)
	}
}

// applyRope rotates the first RopeDim dimensions of each of n heads in x.
func (s *state) applyRope(x []float32, n int) {
	hd := s.m.cfg.HeadDim
	for h := range n {
		head := x[h*hd : (h+1)*hd]
		for i, cos := range s.cos {
			sin := s.sin[i]
			a, b := head[2*i], head[2*i+1]
			head[2*i] = a*cos - b*sin
			head[2*i+1] = a*sin + b*cos
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
