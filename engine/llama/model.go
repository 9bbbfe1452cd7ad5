package llama

import (
	"errors"
	"fmt"
	"sync"

	"github.com/sluicehq/sluice/engine/gguf"
	"github.com/sluicehq/sluice/engine/kernels"
	"github.com/sluicehq/sluice/engine/tokenizer"
)

// Options configures [Open]. The zero value is the default.
type Options struct {
	// Kernels selects the arithmetic; nil means [kernels.Detect]. Tests pass
	// [kernels.Portable] to compare against the vectorised path.
	Kernels *kernels.Set
	// Threads is the number of cores a forward step uses; 0 means
	// runtime.GOMAXPROCS(0).
	Threads int
	// MaxContext caps the positions a sequence may use, to bound the KV
	// cache; 0 means the model's context length.
	MaxContext int
}

// Model is a loaded model. It is safe for concurrent use; see the package
// documentation for how concurrent generations share the cores.
type Model struct {
	cfg    Config
	file   *gguf.File
	tok    *tokenizer.Tokenizer
	set    *kernels.Set
	pool   *kernels.Pool
	maxCtx int

	embed      *kernels.Matrix
	output     *kernels.Matrix
	outputNorm []float32
	ropeFreqs  []float32 // per-frequency divisors (Llama 3.1 scaling), or nil
	layers     []layer

	turn      turnstile
	closeOnce sync.Once
}

type layer struct {
	attnNorm, ffnNorm []float32
	wq, wk, wv, wo    *kernels.Matrix
	gate, down, up    *kernels.Matrix
}

// Open loads the GGUF model at path. The file stays mapped until
// [Model.Close].
func Open(path string, opts Options) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	m, err := New(f, opts)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// New builds a model over an already opened file, which it takes ownership
// of: [Model.Close] closes it.
func New(f *gguf.File, opts Options) (*Model, error) {
	cfg, err := configFromGGUF(f)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return nil, err
	}
	if tok.Len() != cfg.Vocab {
		return nil, fmt.Errorf("llama: %d tokens in the vocabulary but %d expected", tok.Len(), cfg.Vocab)
	}
	m := &Model{cfg: cfg, file: f, tok: tok, set: opts.Kernels, maxCtx: cfg.ContextLength}
	if m.set == nil {
		m.set = kernels.Detect()
	}
	if opts.MaxContext > 0 && opts.MaxContext < m.maxCtx {
		m.maxCtx = opts.MaxContext
	}
	if err := m.loadWeights(); err != nil {
		return nil, err
	}
	m.pool = kernels.NewPool(opts.Threads)
	return m, nil
}

func (m *Model) loadWeights() error {
	c := m.cfg
	var err error
	mat := func(name string, rows, cols int) *kernels.Matrix {
		if err != nil {
			return nil
		}
		var x *kernels.Matrix
		x, err = m.matrix(name, rows, cols)
		return x
	}
	vec := func(name string, n int) []float32 {
		x := mat(name, 1, n)
		if x == nil {
			return nil
		}
		out := make([]float32, n)
		x.Row(out, 0)
		return out
	}
	m.embed = mat("token_embd.weight", c.Vocab, c.Dim)
	m.outputNorm = vec("output_norm.weight", c.Dim)
	if _, ok := m.file.Tensor("output.weight"); ok {
		m.output = mat("output.weight", c.Vocab, c.Dim)
	} else {
		m.output = m.embed // tied embeddings
	}
	if _, ok := m.file.Tensor("rope_freqs.weight"); ok {
		m.ropeFreqs = vec("rope_freqs.weight", c.RopeDim/2)
	}
	kv := c.KVDim()
	m.layers = make([]layer, c.Layers)
	for i := range m.layers {
		p := fmt.Sprintf("blk.%d.", i)
		m.layers[i] = layer{
			attnNorm: vec(p+"attn_norm.weight", c.Dim),
			ffnNorm:  vec(p+"ffn_norm.weight", c.Dim),
			wq:       mat(p+"attn_q.weight", c.Dim, c.Dim),
			wk:       mat(p+"attn_k.weight", kv, c.Dim),
			wv:       mat(p+"attn_v.weight", kv, c.Dim),
			wo:       mat(p+"attn_output.weight", c.Dim, c.Dim),
			gate:     mat(p+"ffn_gate.weight", c.HiddenDim, c.Dim),
			down:     mat(p+"ffn_down.weight", c.Dim, c.HiddenDim),
			up:       mat(p+"ffn_up.weight", c.HiddenDim, c.Dim),
		}
	}
	return err
}

// matrix finds a tensor and checks its shape (rows of cols elements) and
// type.
func (m *Model) matrix(name string, rows, cols int) (*kernels.Matrix, error) {
	t, ok := m.file.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("llama: tensor %q is missing; the file is incomplete or not a Llama model", name)
	}
	got := t.Dims
	if rows == 1 && len(got) == 1 {
		got = []uint64{got[0], 1}
	}
	if len(got) != 2 || got[0] != uint64(cols) || got[1] != uint64(rows) {
		return nil, fmt.Errorf("llama: tensor %q has shape %v, want [%d %d]; the file does not match its own metadata", name, t.Dims, cols, rows)
	}
	mx, err := kernels.NewMatrix(t.Type, rows, cols, m.file.TensorData(t))
	if errors.Is(err, kernels.ErrUnsupportedType) {
		return nil, fmt.Errorf("%w: tensor %q: %w", ErrUnsupported, name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("llama: tensor %q: %w", name, err)
	}
	return mx, nil
}

// Close stops the worker pool and unmaps the file. Generate must not be
// running or called afterwards. Close is idempotent.
func (m *Model) Close() error {
	var err error
	m.closeOnce.Do(func() {
		m.pool.Close()
		err = m.file.Close()
	})
	return err
}

// Config returns the model's hyperparameters.
func (m *Model) Config() Config { return m.cfg }

// Tokenizer returns the model's tokenizer.
func (m *Model) Tokenizer() *tokenizer.Tokenizer { return m.tok }

// Kernels returns the arithmetic in use.
func (m *Model) Kernels() *kernels.Set { return m.set }

// File returns the underlying GGUF file, for its metadata.
func (m *Model) File() *gguf.File { return m.file }

// MaxContext returns the most positions (prompt plus output) a sequence
// can use.
func (m *Model) MaxContext() int { return m.maxCtx }

// Prompt returns the tokens of plain text as a prompt: BOS when the model
// wants it, then the text with special-token text left as text.
func (m *Model) Prompt(text string) []int {
	var ids []int
	if m.tok.AddBOS() {
		ids = append(ids, m.tok.BOS())
	}
	return append(ids, m.tok.Encode(text, false)...)
}

// ChatPrompt formats msgs with the model's chat template and returns the
// prompt tokens, ending where the assistant's reply starts. Like llama.cpp's
// server, it encodes the rendered prompt with special tokens recognised, so
// a message that spells out a marker such as "<|im_end|>" gets that token.
func (m *Model) ChatPrompt(msgs []tokenizer.Message) []int {
	tp := m.tok.Template()
	var ids []int
	if m.tok.AddBOS() {
		ids = append(ids, m.tok.BOS())
	}
	return append(ids, m.tok.Encode(tp.Apply(msgs), tp.Format != tokenizer.Plain)...)
}
