package local

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/engine/llama"
	"github.com/sluicehq/sluice/engine/tokenizer"
)

// Name is the provider's default name, the prefix of model names
// ("local/stories15M").
const Name = "local"

// Default sampling, used where a request leaves a setting unset. They are
// llama.cpp's and Ollama's usual values.
const (
	DefaultTemperature   = 0.8
	DefaultTopK          = 40
	DefaultTopP          = 0.95
	DefaultRepeatPenalty = 1.1
)

// Config configures a [Provider]. The zero value looks for models in the
// default folder (see the package documentation) and uses every core.
type Config struct {
	// Name names the provider in errors and results; "" means "local".
	Name string
	// ModelsDir is the folder of .gguf files that bare names refer to; ""
	// means sluice/models under os.UserCacheDir.
	ModelsDir string
	// Threads is the number of cores a model uses; 0 means GOMAXPROCS.
	Threads int
	// MaxContext caps each sequence's positions (prompt plus output); 0
	// means the model's own context length.
	MaxContext int
}

// Provider runs local models. It implements [sluice.Provider] and
// [sluice.ModelLister] and is safe for concurrent use.
type Provider struct {
	cfg Config

	mu     sync.Mutex
	models map[string]*loaded // by resolved path
	closed bool
}

// loaded is a model being or having been opened; ready closes when model
// or err is set.
type loaded struct {
	ready chan struct{}
	model *llama.Model
	err   error
}

// New returns a Provider for cfg. It opens no file until a request needs
// one.
func New(cfg Config) *Provider {
	if cfg.Name == "" {
		cfg.Name = Name
	}
	return &Provider{cfg: cfg, models: map[string]*loaded{}}
}

// FromEnv returns a Provider whose models folder is $SLUICE_MODELS when set.
// getenv is usually os.Getenv (nil means os.Getenv). It never fails; the
// error is there to match the other providers' constructors.
func FromEnv(getenv func(string) string) (*Provider, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	return New(Config{ModelsDir: getenv("SLUICE_MODELS")}), nil
}

// ModelsDir returns the folder bare model names are looked up in.
func (p *Provider) ModelsDir() string {
	if p.cfg.ModelsDir != "" {
		return p.cfg.ModelsDir
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "sluice", "models")
	}
	return filepath.Join(os.TempDir(), "sluice", "models")
}

// Models lists the .gguf files in the models folder by name, without the
// extension. A missing folder is an empty list.
func (p *Provider) Models(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(p.ModelsDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &sluice.Error{Kind: sluice.KindUnknown, Provider: p.cfg.Name, Message: err.Error(), Err: err}
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".gguf") {
			names = append(names, strings.TrimSuffix(e.Name(), ".gguf"))
		}
	}
	return names, nil
}

// resolve turns a request's model into a file path: an existing path as
// given (with ~ expanded), else a name in the models folder.
func (p *Provider) resolve(ctx context.Context, name string) (string, error) {
	cands := []string{}
	if strings.ContainsRune(name, filepath.Separator) || strings.ContainsRune(name, '/') || strings.HasSuffix(name, ".gguf") {
		path := name
		if rest, ok := strings.CutPrefix(name, "~/"); ok {
			if home, err := os.UserHomeDir(); err == nil {
				path = filepath.Join(home, rest)
			}
		}
		cands = append(cands, path)
	}
	dir := p.ModelsDir()
	cands = append(cands, filepath.Join(dir, name+".gguf"), filepath.Join(dir, name))
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return filepath.Abs(c)
		}
	}
	hint := fmt.Sprintf("pass the path of a .gguf file, or put one in the models folder %s (set SLUICE_MODELS to use another)", dir)
	if names, _ := p.Models(ctx); len(names) > 0 {
		hint += "; it holds: " + strings.Join(names, ", ")
	}
	return "", &sluice.Error{Kind: sluice.KindNotFound, Provider: p.cfg.Name,
		Message: fmt.Sprintf("no local model %q", name), Hint: hint}
}

// model returns the loaded model at path, loading it once. Concurrent
// callers for the same file wait for one load.
func (p *Provider) model(path string) (*llama.Model, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, &sluice.Error{Kind: sluice.KindBadRequest, Provider: p.cfg.Name, Message: "the local provider is closed"}
	}
	l, ok := p.models[path]
	if !ok {
		l = &loaded{ready: make(chan struct{})}
		p.models[path] = l
		go func() {
			l.model, l.err = llama.Open(path, llama.Options{Threads: p.cfg.Threads, MaxContext: p.cfg.MaxContext})
			close(l.ready)
		}()
	}
	p.mu.Unlock()
	<-l.ready
	if l.err != nil {
		return nil, &sluice.Error{Kind: sluice.KindBadRequest, Provider: p.cfg.Name, Message: l.err.Error(),
			Hint: "use a GGUF model of the Llama family in F32, F16, Q8_0, Q4_0 or Q4_K_M, such as stories15M or SmolLM2-135M-Instruct Q8_0", Err: l.err}
	}
	return l.model, nil
}

// Close unloads every model. Streams must have ended first.
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	var errs []error
	for path, l := range p.models {
		<-l.ready
		if l.model != nil {
			errs = append(errs, l.model.Close())
		}
		delete(p.models, path)
	}
	return errors.Join(errs...)
}

// Stream generates a reply to req with the local model it names. Errors
// that can be known before generation starts (no such model, a file that is
// not a usable model, a prompt longer than the context, image content) are
// returned as a *sluice.Error before any event.
func (p *Provider) Stream(ctx context.Context, req *sluice.Request) (*sluice.Stream, error) {
	start := time.Now()
	fail := func(err error) (*sluice.Stream, error) {
		e := *sluice.AsError(err)
		e.Provider = p.cfg.Name
		return nil, &e
	}
	if err := req.Validate(); err != nil {
		return fail(err)
	}
	path, err := p.resolve(ctx, req.Model)
	if err != nil {
		return fail(err)
	}
	m, err := p.model(path)
	if err != nil {
		return fail(err)
	}
	msgs, err := messages(req)
	if err != nil {
		return fail(err)
	}
	prompt := m.ChatPrompt(msgs)
	if err := m.CheckPrompt(prompt); err != nil {
		hint := ""
		if errors.Is(err, llama.ErrContextFull) {
			hint = "shorten the conversation; the model's context is " + fmt.Sprint(m.MaxContext()) + " tokens"
		}
		return fail(&sluice.Error{Kind: sluice.KindBadRequest, Message: err.Error(), Hint: hint, Err: err})
	}
	gctx, cancel := context.WithCancel(ctx)
	d := newDecoder(gctx, req.Model)
	go d.run(m, prompt, sampling(req))
	return sluice.NewStream(gctx, sluice.StreamConfig{
		Provider: p.cfg.Name, Model: req.Model, Decoder: d, Body: d, Cancel: cancel,
		Start: start, Header: time.Now(),
	}), nil
}

// messages maps the request to the engine's chat messages: text only, the
// system prompt first. Tool calls and results are rendered as text, since
// these models were not trained to call tools; images are refused.
func messages(req *sluice.Request) ([]tokenizer.Message, error) {
	var out []tokenizer.Message
	if req.System != "" {
		out = append(out, tokenizer.Message{Role: "system", Content: req.System})
	}
	for _, m := range req.Messages {
		var b strings.Builder
		for _, part := range m.Content {
			switch part.Type {
			case sluice.PartText:
				b.WriteString(part.Text)
			case sluice.PartToolCall:
				fmt.Fprintf(&b, "[call %s(%s)]", part.Name, part.Arguments)
			case sluice.PartToolResult:
				b.WriteString(part.Text)
			case sluice.PartImage:
				return nil, &sluice.Error{Kind: sluice.KindBadRequest,
					Message: "local models read text only, and the request has an image",
					Hint:    "send the request to a vision model of another provider"}
			}
		}
		role := string(m.Role)
		if m.Role == sluice.RoleTool {
			role = "user"
		}
		out = append(out, tokenizer.Message{Role: role, Content: b.String()})
	}
	return out, nil
}

// sampling maps the request's settings, filling in the defaults.
func sampling(req *sluice.Request) llama.GenerateOptions {
	o := llama.GenerateOptions{
		MaxTokens:     req.MaxTokens,
		Temperature:   DefaultTemperature,
		TopK:          DefaultTopK,
		TopP:          DefaultTopP,
		RepeatPenalty: DefaultRepeatPenalty,
		Stop:          slices.Clone(req.Stop),
	}
	if req.Temperature != nil {
		o.Temperature = *req.Temperature
	}
	if req.TopP != nil {
		o.TopP = *req.TopP
	}
	if req.TopK > 0 {
		o.TopK = req.TopK
	}
	if req.Seed != nil {
		// The engine takes 0 as "random"; a request's explicit 0 is an
		// ordinary seed, so it is moved out of the way.
		o.Seed = uint64(*req.Seed)
		if o.Seed == 0 {
			o.Seed = math.MaxUint64
		}
	}
	return o
}
