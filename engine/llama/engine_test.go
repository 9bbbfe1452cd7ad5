package llama

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/engine/gguf"
	"github.com/sluicehq/sluice/engine/kernels"
)

// TestSIMDMatchesPortable runs the same random models with the vectorised
// and the portable kernels and compares the logits of every step.
func TestSIMDMatchesPortable(t *testing.T) {
	if kernels.Detect().Name() == "portable" {
		t.Log("no SIMD kernels on this CPU: both runs are portable")
	}
	for _, typ := range []gguf.Type{gguf.F32, gguf.F16, gguf.Q8_0, gguf.Q4_0, gguf.Q4_K, gguf.Q6_K} {
		sh := tinyShape()
		if typ == gguf.Q4_K || typ == gguf.Q6_K {
			sh = tinyKShape()
		}
		t.Run(typ.String(), func(t *testing.T) {
			fast := randomModel(t, sh, typ, Options{Kernels: kernels.Detect()})
			slow := randomModel(t, sh, typ, Options{Kernels: kernels.Portable(), Threads: 1})
			a, b := fast.newState(4, sh.ctx), slow.newState(4, sh.ctx)
			tokens := []int{1, 300 - 1, 5, 77, 260, 3, 3, 199, 42, 100, 101, 102}
			worst := 0.0
			for pos, tok := range tokens {
				a.step(tok, pos)
				b.step(tok, pos)
				for i := range a.logits {
					d := math.Abs(float64(a.logits[i] - b.logits[i]))
					worst = max(worst, d)
					if d > 1e-4*max(1, math.Abs(float64(b.logits[i]))) {
						t.Fatalf("pos %d logit %d: %v (%s) vs %v (portable)", pos, i, a.logits[i], fast.Kernels().Name(), b.logits[i])
					}
				}
			}
			t.Logf("largest logit difference %.2g", worst)
		})
	}
}

func TestConcurrentGenerations(t *testing.T) {
	m := randomModel(t, tinyShape(), gguf.Q8_0, Options{})
	opts := GenerateOptions{MaxTokens: 30, IgnoreEOS: true, Temperature: 0.9, Seed: 5}
	run := func() (string, Result) {
		var b strings.Builder
		res, err := m.Generate(context.Background(), m.Prompt("t5 t6"), opts, func(p Piece) error {
			b.WriteString(p.Text)
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		return b.String(), res
	}
	want, wantRes := run()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if got, res := run(); got != want || res != wantRes {
				t.Errorf("concurrent run gave %q %+v, alone %q %+v", got, res, want, wantRes)
			}
		})
	}
	wg.Wait()
}

func TestCancel(t *testing.T) {
	m := randomModel(t, tinyShape(), gguf.F32, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	at := 0
	res, err := m.Generate(ctx, m.Prompt(""), GenerateOptions{IgnoreEOS: true}, func(p Piece) error {
		if at == 0 && p.Tokens >= 3 {
			at = p.Tokens
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || res.Finish != FinishCanceled {
		t.Fatalf("err %v finish %s", err, res.Finish)
	}
	if res.OutputTokens != at {
		t.Errorf("generated %d tokens after cancelling at %d", res.OutputTokens, at)
	}
	// An emit error stops generation the same way and is returned.
	stop := errors.New("client gone")
	res, err = m.Generate(context.Background(), m.Prompt(""), GenerateOptions{IgnoreEOS: true}, func(Piece) error { return stop })
	if !errors.Is(err, stop) || res.Finish != FinishCanceled || res.OutputTokens != 1 {
		t.Errorf("emit error: %v %+v", err, res)
	}
	// A context already done never takes a turn.
	res, err = m.Generate(ctx, m.Prompt("t5 t6 t7"), GenerateOptions{}, func(Piece) error { return nil })
	if !errors.Is(err, context.Canceled) || res.OutputTokens != 0 {
		t.Errorf("done context: %v %+v", err, res)
	}
}

func TestGenerateErrors(t *testing.T) {
	m := randomModel(t, tinyShape(), gguf.F32, Options{MaxContext: 8})
	noop := func(Piece) error { return nil }
	tests := []struct {
		name   string
		prompt []int
		want   string
	}{
		{"empty", nil, "empty prompt"},
		{"bad token", []int{1, 9999}, "outside the vocabulary"},
		{"too long", slices.Repeat([]int{5}, 8), "does not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Generate(context.Background(), tt.prompt, GenerateOptions{}, noop)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	// The context cap ends generation with FinishLength: 8 positions hold
	// the prompt and all output but the last token, which is never fed back.
	res, err := m.Generate(context.Background(), []int{1, 5}, GenerateOptions{IgnoreEOS: true}, noop)
	if err != nil || res.Finish != FinishLength || res.OutputTokens != 7 {
		t.Errorf("context cap: %v %+v", err, res)
	}
}

func TestEmitter(t *testing.T) {
	tests := []struct {
		name   string
		stops  []string
		pushes []string
		want   []string // text returned by each push, then by flush
		stop   string
	}{
		{"plain", nil, []string{"ab", "c"}, []string{"ab", "c", ""}, ""},
		{"split rune", nil, []string{"a\xe2", "\x82", "\xac!"}, []string{"a", "", "€!", ""}, ""},
		{"broken rune at end", nil, []string{"a\xe2\x82"}, []string{"a", "\uFFFD"}, ""},
		{"invalid byte", nil, []string{"a\xffb"}, []string{"a\uFFFDb", ""}, ""},
		{"stop in one", []string{"END"}, []string{"abENDcd"}, []string{"ab"}, "END"},
		{"stop across", []string{"END"}, []string{"abE", "N", "Dx"}, []string{"ab", "", ""}, "END"},
		{"false start", []string{"END"}, []string{"abE", "Nx"}, []string{"ab", "ENx", ""}, ""},
		{"prefix at end flushed", []string{"END"}, []string{"abEN"}, []string{"ab", "EN"}, ""},
		{"earliest stop wins", []string{"cd", "b"}, []string{"abcd"}, []string{"a"}, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEmitter(tt.stops)
			var got []string
			stop := ""
			for _, p := range tt.pushes {
				text, s := e.push([]byte(p))
				got = append(got, text)
				if s != "" {
					stop = s
					break
				}
			}
			if stop == "" {
				got = append(got, e.flush())
			}
			if !slices.Equal(got, tt.want) || stop != tt.stop {
				t.Errorf("got %q stop %q, want %q stop %q", got, stop, tt.want, tt.stop)
			}
		})
	}
}

func TestSampler(t *testing.T) {
	logits := func() []float32 { return []float32{1, 3, 2, -1, 0.5} }
	tests := []struct {
		name string
		opts GenerateOptions
		hist []int
		can  []int // tokens the sampler may return
	}{
		{"greedy", GenerateOptions{}, nil, []int{1}},
		{"penalty moves greedy", GenerateOptions{RepeatPenalty: 2}, []int{1}, []int{2}},
		{"top-k 1", GenerateOptions{Temperature: 1, TopK: 1}, nil, []int{1}},
		{"top-k 2", GenerateOptions{Temperature: 1, TopK: 2}, nil, []int{1, 2}},
		{"top-p small", GenerateOptions{Temperature: 1, TopP: 0.1}, nil, []int{1}},
		{"top-p 0.9", GenerateOptions{Temperature: 1, TopP: 0.9}, nil, []int{1, 2, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSampler(tt.opts)
			seen := map[int]bool{}
			for range 300 {
				id := s.sample(logits(), tt.hist)
				if !slices.Contains(tt.can, id) {
					t.Fatalf("sampled %d, want one of %v", id, tt.can)
				}
				seen[id] = true
			}
			if len(seen) != len(tt.can) {
				t.Errorf("saw %v of %v", seen, tt.can)
			}
		})
	}
	// Sampling follows the distribution: token 1 has p = e^3/Σ ≈ 0.61.
	s := newSampler(GenerateOptions{Temperature: 1, Seed: 9})
	n := 0
	for range 10000 {
		if s.sample(logits(), nil) == 1 {
			n++
		}
	}
	if n < 5800 || n > 6400 {
		t.Errorf("token 1 drawn %d times in 10000, want about 6100", n)
	}
}

// TestBatchedPrefill checks that a prompt run in batches leaves the same KV
// cache, and so the same next-token logits, as one token at a time.
func TestBatchedPrefill(t *testing.T) {
	for _, typ := range []gguf.Type{gguf.F32, gguf.Q8_0} {
		m := randomModel(t, tinyShape(), typ, Options{})
		prompt := []int{1, 5, 77, 260, 3, 199, 42, 100, 101, 102, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}
		one, batched := m.newState(4, 64), m.newState(4, 64)
		for pos, tok := range prompt {
			one.step(tok, pos)
		}
		last := len(prompt) - 1
		for pos := 0; pos < last; pos += maxBatch {
			batched.forward(prompt[pos:min(pos+maxBatch, last)], pos, false)
		}
		batched.step(prompt[last], last)
		for i := range one.logits {
			if d := math.Abs(float64(one.logits[i] - batched.logits[i])); d > 1e-5 {
				t.Fatalf("%s logit %d: %v one at a time, %v batched", typ, i, one.logits[i], batched.logits[i])
			}
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, w *gguf.Writer) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := w.WriteTo(f); err != nil {
			t.Fatal(err)
		}
		return path
	}
	meta := func(arch string) *gguf.Writer {
		w := &gguf.Writer{}
		w.AddKV("general.architecture", gguf.NewValue(arch))
		for k, v := range map[string]uint32{"embedding_length": 64, "block_count": 1, "attention.head_count": 4, "feed_forward_length": 96} {
			w.AddKV(arch+"."+k, gguf.NewValue(v))
		}
		w.AddKV("tokenizer.ggml.model", gguf.NewValue("llama"))
		w.AddKV("tokenizer.ggml.tokens", gguf.NewValue([]string{"<unk>", "<s>", "</s>", "a"}))
		return w
	}
	truncated := filepath.Join(dir, "cut.gguf")
	writeRandomModel(t, truncated, tinyShape(), gguf.F32, 1)
	st, _ := os.Stat(truncated)
	os.Truncate(truncated, st.Size()-100)
	q5 := filepath.Join(dir, "q5.gguf")
	writeRandomModel(t, q5, tinyKShape(), gguf.Q5_K, 1)

	tests := []struct {
		name string
		path string
		is   error
		msg  string
	}{
		{"other architecture", write("gpt2.gguf", meta("gpt2")), ErrUnsupported, `architecture "gpt2"`},
		{"no tensors", write("empty.gguf", meta("llama")), nil, `tensor "token_embd.weight" is missing`},
		{"unsupported type", q5, ErrUnsupported, "Q5_K"},
		{"truncated", truncated, gguf.ErrTruncated, "fetch it again"},
		{"absent", filepath.Join(dir, "absent.gguf"), os.ErrNotExist, "absent.gguf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Open(tt.path, Options{})
			if err == nil {
				m.Close()
				t.Fatal("opened")
			}
			if tt.is != nil && !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want %v mentioning %q", err, tt.is, tt.msg)
			}
		})
	}
}
