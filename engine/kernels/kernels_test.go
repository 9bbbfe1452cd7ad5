package kernels

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/sluicehq/sluice/engine/gguf"
)

func randF32(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// quantRow encodes x as a row of type t, the way a converter would.
func quantRow(t gguf.Type, x []float32) []byte {
	switch t {
	case gguf.F16:
		return AppendF16(nil, x)
	case gguf.Q8_0:
		return AppendQ8_0(nil, x)
	case gguf.Q4_0:
		return AppendQ4_0(nil, x)
	}
	return AppendF32(nil, x)
}

func sets(t testing.TB) []*Set {
	s := Detect()
	if s.Name() == "portable" {
		t.Log("no SIMD kernels on this CPU; comparing portable with itself")
	}
	return []*Set{Portable(), s}
}

func close32(a, b float32, tol float64) bool {
	return math.Abs(float64(a-b)) <= tol*(1+math.Abs(float64(a)))
}

func TestDotsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	ps, fast := Portable(), Detect()
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 64, 172, 288, 300, 768, 1376} {
		a, b := randF32(rng, n), randF32(rng, n)
		if got, want := fast.DotF32(a, b), ps.DotF32(a, b); !close32(got, want, 1e-5) {
			t.Errorf("DotF32 n=%d: %v vs %v", n, got, want)
		}
		w := quantRow(gguf.F16, a)
		if got, want := fast.DotF16(w, b), ps.DotF16(w, b); !close32(got, want, 1e-5) {
			t.Errorf("DotF16 n=%d: %v vs %v", n, got, want)
		}
		if n%QK != 0 {
			continue
		}
		var xq Q8
		xq.Quantize(b)
		for _, typ := range []gguf.Type{gguf.Q8_0, gguf.Q4_0} {
			w := quantRow(typ, a)
			m, err := NewMatrix(typ, 1, n, w)
			if n > 0 && err != nil {
				t.Fatal(err)
			}
			var got, want float32
			if typ == gguf.Q8_0 {
				got, want = fast.DotQ8_0(w, &xq), ps.DotQ8_0(w, &xq)
			} else {
				got, want = fast.DotQ4_0(w, &xq), ps.DotQ4_0(w, &xq)
			}
			if !close32(got, want, 1e-5) {
				t.Errorf("%s n=%d: %v vs %v", typ, n, got, want)
			}
			if n == 0 {
				continue
			}
			// The quantised product is close to the exact one.
			row := make([]float32, n)
			m.Row(row, 0)
			exact := ps.DotF32(a, b)
			tol := 0.05 * math.Sqrt(float64(n))
			if typ == gguf.Q4_0 {
				tol *= 10
			}
			if math.Abs(float64(got-exact)) > tol {
				t.Errorf("%s n=%d: %v, exact %v", typ, n, got, exact)
			}
		}
	}
}

func TestHalf(t *testing.T) {
	for h := range 1 << 16 {
		f := HalfToFloat(uint16(h))
		if f != f {
			continue // NaN payloads need not round-trip
		}
		if back := FloatToHalf(f); back != uint16(h) {
			t.Fatalf("half %#04x -> %v -> %#04x", h, f, back)
		}
	}
	tests := []struct {
		f float32
		h uint16
	}{{1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {1e6, 0x7c00}, {6e-8, 0x0001}, {0.1, 0x2e66}}
	for _, tt := range tests {
		if got := FloatToHalf(tt.f); got != tt.h {
			t.Errorf("FloatToHalf(%v) = %#04x, want %#04x", tt.f, got, tt.h)
		}
	}
}

func TestQuantize(t *testing.T) {
	x := []float32{0, 1, -1, 127, -127, 63.5}
	x = append(x, make([]float32, QK-len(x))...)
	var q Q8
	q.Quantize(x)
	if q.D[0] != 1 || q.Q[3] != 127 || q.Q[4] != -127 || q.Q[5] != 64 {
		t.Errorf("d=%v q=%v", q.D, q.Q[:6])
	}
	q.Quantize(make([]float32, 2*QK))
	if len(q.D) != 2 || q.D[1] != 0 || q.Q[40] != 0 {
		t.Errorf("zeros: %v", q.D)
	}
}

func TestMatVec(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const rows, cols = 37, 96
	w := randF32(rng, rows*cols)
	x := randF32(rng, cols)
	var xq Q8
	xq.Quantize(x)
	for _, s := range sets(t) {
		for _, typ := range []gguf.Type{gguf.F32, gguf.F16, gguf.Q8_0, gguf.Q4_0} {
			data := quantRow(typ, w)
			m, err := NewMatrix(typ, rows, cols, data)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]float32, rows-5)
			s.MatVec(out, m, x, &xq, 5, rows)
			row := make([]float32, cols)
			for r := 5; r < rows; r++ {
				m.Row(row, r)
				want := Portable().DotF32(row, x)
				if typ.String()[0] == 'Q' {
					var rq Q8
					rq.Quantize(x)
					want = Portable().DotF32(row, dequant(&rq))
				}
				if !close32(out[r-5], want, 1e-4) {
					t.Errorf("%s %s row %d: %v, want %v", s.Name(), typ, r, out[r-5], want)
				}
			}
		}
	}
	if _, err := NewMatrix(gguf.Q5_K, 1, 256, make([]byte, 176)); err == nil {
		t.Error("Q5_K accepted")
	}
	if _, err := NewMatrix(gguf.F32, 2, 4, make([]byte, 31)); err == nil {
		t.Error("short data accepted")
	}
}

func dequant(q *Q8) []float32 {
	out := make([]float32, len(q.Q))
	for i, v := range q.Q {
		out[i] = float32(v) * q.D[i/QK]
	}
	return out
}

// countTask counts how often each row is visited.
type countTask struct{ hits []atomic.Int32 }

func (c *countTask) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		c.hits[i].Add(1)
	}
}

func TestPool(t *testing.T) {
	for _, size := range []int{1, 2, 4} {
		p := NewPool(size)
		if p.Size() != size {
			t.Errorf("Size = %d", p.Size())
		}
		for _, tc := range []struct{ n, grain int }{{0, 4}, {1, 1}, {10, 3}, {1000, 16}, {33, 0}} {
			for range 50 {
				task := &countTask{hits: make([]atomic.Int32, tc.n)}
				p.Run(task, tc.n, tc.grain)
				for i := range task.hits {
					if h := task.hits[i].Load(); h != 1 {
						t.Fatalf("size %d n %d grain %d: row %d run %d times", size, tc.n, tc.grain, i, h)
					}
				}
			}
		}
		p.Close()
		p.Close()
	}
}

func BenchmarkDot(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n = 288
	a, x := randF32(rng, n), randF32(rng, n)
	var xq Q8
	xq.Quantize(x)
	f16, q8, q4 := quantRow(gguf.F16, a), quantRow(gguf.Q8_0, a), quantRow(gguf.Q4_0, a)
	for _, s := range sets(b) {
		b.Run(s.Name()+"/F32", func(b *testing.B) {
			for b.Loop() {
				s.DotF32(a, x)
			}
		})
		b.Run(s.Name()+"/F16", func(b *testing.B) {
			for b.Loop() {
				s.DotF16(f16, x)
			}
		})
		b.Run(s.Name()+"/Q8_0", func(b *testing.B) {
			for b.Loop() {
				s.DotQ8_0(q8, &xq)
			}
		})
		b.Run(s.Name()+"/Q4_0", func(b *testing.B) {
			for b.Loop() {
				s.DotQ4_0(q4, &xq)
			}
		})
	}
}

func TestKQuants(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const rows, cols = 5, 3 * QKK
	w := randF32(rng, rows*cols)
	x := randF32(rng, cols)
	tests := []struct {
		typ    gguf.Type
		encode func([]byte, []float32) []byte
		maxRMS float64 // relative RMS error of the dequantised weights
	}{
		{gguf.Q4_K, AppendQ4_K, 0.12},
		{gguf.Q6_K, AppendQ6_K, 0.03},
	}
	for _, tt := range tests {
		t.Run(tt.typ.String(), func(t *testing.T) {
			m, err := NewMatrix(tt.typ, rows, cols, tt.encode(nil, w))
			if err != nil {
				t.Fatal(err)
			}
			row := make([]float32, cols)
			var se, ss float64
			for r := range rows {
				m.Row(row, r)
				for i, v := range row {
					d := float64(v - w[r*cols+i])
					se += d * d
					ss += float64(w[r*cols+i]) * float64(w[r*cols+i])
				}
			}
			if rms := math.Sqrt(se / ss); rms > tt.maxRMS {
				t.Errorf("relative RMS error %.3f > %.3f", rms, tt.maxRMS)
			}
			want := make([]float32, rows)
			got := make([]float32, rows)
			Portable().MatVec(want, m, x, nil, 0, rows)
			Detect().MatVec(got, m, x, nil, 0, rows)
			for r := range rows {
				m.Row(row, r)
				exact := Portable().DotF32(row, x)
				if !close32(want[r], exact, 1e-5) || !close32(got[r], exact, 1e-5) {
					t.Errorf("row %d: portable %v simd %v, want %v", r, want[r], got[r], exact)
				}
			}
		})
	}
}
