package llama

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/engine/gguf"
)

// benchTokens is the number of tokens each benchmark iteration generates
// from BOS, as llama.cpp's llama-bench tg128 does.
const benchTokens = 128

// BenchmarkGenerate writes random-weight models in the shapes of
// stories15M, 42M and 110M, in F32 and Q8_0, and reports generation speed
// in tokens per second, and the CPU time a token took (all threads), which
// other processes on a shared machine do not inflate as much. Run it with
//
//	go test ./engine/llama -run '^$' -bench Generate -benchtime 20x
func BenchmarkGenerate(b *testing.B) {
	dir := b.TempDir()
	for _, sh := range storiesShapes() {
		for _, typ := range []gguf.Type{gguf.F32, gguf.Q8_0} {
			// Written once, outside b.Run, which calls its function more
			// than once; and synced, so the kernel's write-back of hundreds
			// of megabytes does not run during the measurement.
			path := filepath.Join(dir, sh.name+"-"+typ.String()+".gguf")
			writeRandomModel(b, path, sh, typ, 1)
			b.Run(sh.name+"/"+typ.String(), func(b *testing.B) {
				m, err := Open(path, Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer m.Close()
				opts := GenerateOptions{MaxTokens: benchTokens, IgnoreEOS: true}
				noop := func(Piece) error { return nil }
				ctx := context.Background()
				// One untimed run pages the weights in.
				if _, err := m.Generate(ctx, m.Prompt(""), opts, noop); err != nil {
					b.Fatal(err)
				}
				tokens := 0
				cpu0 := processCPU()
				b.ResetTimer()
				for range b.N {
					res, err := m.Generate(ctx, m.Prompt(""), opts, noop)
					if err != nil {
						b.Fatal(err)
					}
					tokens += res.OutputTokens
				}
				b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tok/s")
				b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(tokens), "cpu-ms/tok")
			})
		}
	}
}

// BenchmarkPrefill measures prompt processing, which runs in batches of
// PrefillChunk tokens, at the stories15M shape: a 128-token prompt and one
// generated token per iteration, reported as prompt tokens per second.
func BenchmarkPrefill(b *testing.B) {
	dir := b.TempDir()
	sh := storiesShapes()[0]
	prompt := make([]int, 128)
	for i := range prompt {
		prompt[i] = 300 + 97*i%(sh.vocab-300)
	}
	for _, typ := range []gguf.Type{gguf.F32, gguf.Q8_0} {
		path := filepath.Join(dir, sh.name+"-"+typ.String()+".gguf")
		writeRandomModel(b, path, sh, typ, 1)
		b.Run(sh.name+"/"+typ.String(), func(b *testing.B) {
			m, err := Open(path, Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			opts := GenerateOptions{MaxTokens: 1, IgnoreEOS: true}
			noop := func(Piece) error { return nil }
			for b.Loop() {
				if _, err := m.Generate(context.Background(), prompt, opts, noop); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(prompt)*b.N)/b.Elapsed().Seconds(), "prompt-tok/s")
		})
	}
}
