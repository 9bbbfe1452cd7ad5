package llama

import (
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/engine/gguf"
)

// Config holds a model's hyperparameters, read from GGUF metadata.
type Config struct {
	Dim           int     // embedding width (llama.embedding_length)
	Layers        int     // transformer blocks (llama.block_count)
	Heads         int     // query heads
	KVHeads       int     // key/value heads; fewer than Heads means grouped-query attention
	HeadDim       int     // Dim / Heads
	HiddenDim     int     // feed-forward width
	Vocab         int     // vocabulary size
	ContextLength int     // positions the model was trained for
	RopeDim       int     // leading dimensions of each head that are rotated
	RopeBase      float64 // RoPE frequency base (10000 for Llama 2, 500000 for Llama 3)
	NormEps       float64 // RMSNorm epsilon
}

// ErrUnsupported wraps errors about models this package cannot run.
var ErrUnsupported = errors.New("llama: unsupported model")

// configFromGGUF reads and checks the hyperparameters.
func configFromGGUF(f *gguf.File) (Config, error) {
	arch := f.Architecture()
	if arch != "llama" {
		return Config{}, fmt.Errorf("%w: architecture %q; sluice runs the Llama family (general.architecture \"llama\": Llama 2/3, TinyLlama, SmolLM2, Mistral 7B, TinyStories)", ErrUnsupported, arch)
	}
	get := func(key string) int { return int(f.Int(arch+"."+key, 0)) }
	c := Config{
		Dim:           get("embedding_length"),
		Layers:        get("block_count"),
		Heads:         get("attention.head_count"),
		KVHeads:       get("attention.head_count_kv"),
		HiddenDim:     get("feed_forward_length"),
		ContextLength: get("context_length"),
		RopeDim:       get("rope.dimension_count"),
		RopeBase:      f.Float(arch+".rope.freq_base", 10000),
		NormEps:       f.Float(arch+".attention.layer_norm_rms_epsilon", 1e-5),
	}
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	if tv, ok := f.Lookup("tokenizer.ggml.tokens"); ok {
		c.Vocab = tv.Len()
	}
	if c.Dim <= 0 || c.Layers <= 0 || c.Heads <= 0 || c.HiddenDim <= 0 || c.Vocab <= 0 {
		return c, fmt.Errorf("llama: metadata lacks a hyperparameter (dim %d, layers %d, heads %d, hidden %d, vocab %d); the file is corrupt or not a complete model",
			c.Dim, c.Layers, c.Heads, c.HiddenDim, c.Vocab)
	}
	if c.Dim%c.Heads != 0 || c.Heads%c.KVHeads != 0 {
		return c, fmt.Errorf("%w: %d heads and %d key/value heads do not divide the width %d", ErrUnsupported, c.Heads, c.KVHeads, c.Dim)
	}
	c.HeadDim = c.Dim / c.Heads
	if kl := get("attention.key_length"); kl != 0 && kl != c.HeadDim {
		return c, fmt.Errorf("%w: head size %d differs from width/heads %d", ErrUnsupported, kl, c.HeadDim)
	}
	if c.RopeDim == 0 {
		c.RopeDim = c.HeadDim
	}
	if c.RopeDim > c.HeadDim || c.RopeDim%2 != 0 {
		return c, fmt.Errorf("%w: rotary dimension %d with head size %d", ErrUnsupported, c.RopeDim, c.HeadDim)
	}
	if c.ContextLength <= 0 {
		c.ContextLength = 2048
	}
	return c, nil
}

// KVDim is the width of the key and value vectors of one position.
func (c Config) KVDim() int { return c.KVHeads * c.HeadDim }
