package llama

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/engine/gguf"
	"github.com/sluicehq/sluice/engine/kernels"
)

// shape is a model's hyperparameters, for making random-weight models.
type shape struct {
	name                                            string
	dim, layers, heads, kvHeads, hidden, vocab, ctx int
}

// storiesShapes are the TinyStories models' real shapes (llama2.c's
// stories15M, 42M and 110M).
func storiesShapes() []shape {
	return []shape{
		{"stories15M", 288, 6, 6, 6, 768, 32000, 256},
		{"stories42M", 512, 8, 8, 8, 1376, 32000, 1024},
		{"stories110M", 768, 12, 12, 12, 2048, 32000, 1024},
	}
}

// tinyShape is a small model with grouped-query attention, for tests.
func tinyShape() shape { return shape{"tiny", 64, 2, 4, 2, 96, 300, 64} }

// tinyKShape is the smallest shape k-quants fit: rows of 256.
func tinyKShape() shape { return shape{"tinyk", 256, 1, 4, 2, 256, 300, 64} }

// writeRandomModel writes a Llama GGUF with random weights of type typ
// (norms stay F32, as llama.cpp's quantizer leaves them) and a
// SentencePiece vocabulary of byte tokens and filler pieces.
func writeRandomModel(t testing.TB, path string, sh shape, typ gguf.Type, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	var w gguf.Writer
	kv := func(k string, v any) { w.AddKV(k, gguf.NewValue(v)) }
	kv("general.architecture", "llama")
	kv("general.name", sh.name)
	kv("llama.context_length", uint32(sh.ctx))
	kv("llama.embedding_length", uint32(sh.dim))
	kv("llama.block_count", uint32(sh.layers))
	kv("llama.feed_forward_length", uint32(sh.hidden))
	kv("llama.attention.head_count", uint32(sh.heads))
	kv("llama.attention.head_count_kv", uint32(sh.kvHeads))
	kv("llama.rope.dimension_count", uint32(sh.dim/sh.heads))
	kv("llama.attention.layer_norm_rms_epsilon", float32(1e-5))
	tokens := []string{"<unk>", "<s>", "</s>"}
	types := []int32{2, 3, 3}
	for b := range 256 {
		tokens = append(tokens, fmt.Sprintf("<0x%02X>", b))
		types = append(types, 6)
	}
	for i := len(tokens); i < sh.vocab; i++ {
		tokens = append(tokens, fmt.Sprintf("▁t%d", i))
		types = append(types, 1)
	}
	scores := make([]float32, sh.vocab)
	for i := range scores {
		scores[i] = -float32(i)
	}
	kv("tokenizer.ggml.model", "llama")
	kv("tokenizer.ggml.tokens", tokens)
	kv("tokenizer.ggml.scores", scores)
	kv("tokenizer.ggml.token_type", types)
	kv("tokenizer.ggml.bos_token_id", uint32(1))
	kv("tokenizer.ggml.eos_token_id", uint32(2))
	kv("tokenizer.ggml.unknown_token_id", uint32(0))

	random := func(n int, scale float32) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = (rng.Float32()*2 - 1) * scale
		}
		return x
	}
	encode := func(x []float32, t gguf.Type) []byte {
		switch t {
		case gguf.F16:
			return kernels.AppendF16(nil, x)
		case gguf.Q8_0:
			return kernels.AppendQ8_0(nil, x)
		case gguf.Q4_0:
			return kernels.AppendQ4_0(nil, x)
		case gguf.Q4_K:
			return kernels.AppendQ4_K(nil, x)
		case gguf.Q6_K:
			return kernels.AppendQ6_K(nil, x)
		case gguf.F32:
			return kernels.AppendF32(nil, x)
		}
		// A type the kernels lack: zeros of the right size, for error tests.
		size, _ := t.RowBytes(uint64(len(x)))
		return make([]byte, size)
	}
	mat := func(name string, rows, cols int) {
		// Uniform with the variance of a 1/sqrt(cols) initialisation keeps
		// activations in a realistic range through the layers.
		scale := float32(1.7 / math.Sqrt(float64(cols)))
		w.AddTensor(name, typ, []uint64{uint64(cols), uint64(rows)}, encode(random(rows*cols, scale), typ))
	}
	norm := func(name string) {
		x := random(sh.dim, 0.2)
		for i := range x {
			x[i] += 1
		}
		w.AddTensor(name, gguf.F32, []uint64{uint64(sh.dim)}, kernels.AppendF32(nil, x))
	}
	kvDim := sh.dim / sh.heads * sh.kvHeads
	mat("token_embd.weight", sh.vocab, sh.dim)
	norm("output_norm.weight")
	mat("output.weight", sh.vocab, sh.dim)
	for l := range sh.layers {
		p := fmt.Sprintf("blk.%d.", l)
		norm(p + "attn_norm.weight")
		norm(p + "ffn_norm.weight")
		mat(p+"attn_q.weight", sh.dim, sh.dim)
		mat(p+"attn_k.weight", kvDim, sh.dim)
		mat(p+"attn_v.weight", kvDim, sh.dim)
		mat(p+"attn_output.weight", sh.dim, sh.dim)
		mat(p+"ffn_gate.weight", sh.hidden, sh.dim)
		mat(p+"ffn_down.weight", sh.dim, sh.hidden)
		mat(p+"ffn_up.weight", sh.hidden, sh.dim)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// randomModel writes and opens a random model.
func randomModel(t testing.TB, sh shape, typ gguf.Type, opts Options) *Model {
	t.Helper()
	path := filepath.Join(t.TempDir(), sh.name+"-"+typ.String()+".gguf")
	writeRandomModel(t, path, sh, typ, 1)
	m, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}
