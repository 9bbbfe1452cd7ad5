package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/sluicehq/sluice/engine/gguf"
)

// BenchmarkMatVec streams a matrix far larger than the caches through one
// core, as generating a token with a 100M-parameter model does, and reports
// the weight bytes read per second.
func BenchmarkMatVec(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 5))
	const rows, cols = 1 << 17, 768 // 100M weights
	w := randF32(rng, cols*256)
	x := randF32(rng, cols)
	var xq Q8
	xq.Quantize(x)
	out := make([]float32, rows)
	for _, typ := range []gguf.Type{gguf.F32, gguf.Q8_0, gguf.Q4_0} {
		row := quantRow(typ, w)
		data := make([]byte, 0, len(row)*(rows/256))
		for len(data) < cap(data) {
			data = append(data, row...)
		}
		m, err := NewMatrix(typ, rows, cols, data)
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range sets(b) {
			b.Run(s.Name()+"/"+typ.String(), func(b *testing.B) {
				for b.Loop() {
					s.MatVec(out, m, x, &xq, 0, rows)
				}
				b.ReportMetric(float64(len(data))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}
