package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/sluicehq/sluice"
)

// Factory builds a provider from the environment. It returns an *sluice.Error
// of KindAuth naming the variable to set when a required key is missing.
type Factory func(getenv func(string) string) (sluice.Provider, error)

// Registry resolves "provider/model" names to providers. Providers are built
// on first use, so a missing key for one provider never stops the others.
// It is safe for concurrent use.
type Registry struct {
	getenv func(string) string

	mu        sync.Mutex
	factories map[string]Factory
	providers map[string]sluice.Provider
}

// NewRegistry returns an empty registry reading variables through getenv.
// Use [Builtin] for one with every provider sluice ships.
func NewRegistry(getenv func(string) string) *Registry {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return &Registry{getenv: getenv, factories: map[string]Factory{}, providers: map[string]sluice.Provider{}}
}

// Register adds a provider under name, built by f on first use. It replaces
// an earlier one of the same name.
func (r *Registry) Register(name string, f Factory) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.factories[name] = f
	delete(r.providers, name)
}

// Add registers an already built provider under name.
func (r *Registry) Add(name string, p sluice.Provider) {
	r.Register(name, func(func(string) string) (sluice.Provider, error) { return p, nil })
}

// Names returns every registered provider name, sorted.
func (r *Registry) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.factories))
	for n := range r.factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Provider returns the provider registered under name, building it if needed.
func (r *Registry) Provider(name string) (sluice.Provider, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.providers[name]; ok {
		return p, nil
	}
	f, ok := r.factories[name]
	if !ok {
		names := make([]string, 0, len(r.factories))
		for n := range r.factories {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, &sluice.Error{Kind: sluice.KindNotFound,
			Message: fmt.Sprintf("unknown provider %q", name),
			Hint:    "the providers are: " + strings.Join(names, ", ")}
	}
	p, err := f(r.getenv)
	if err != nil {
		return nil, err
	}
	r.providers[name] = p
	return p, nil
}

// Resolve splits a "provider/model" name and returns the provider and the
// model name within it.
func (r *Registry) Resolve(name string) (sluice.Provider, string, error) {
	prov, model, err := sluice.SplitModel(name)
	if err != nil {
		return nil, "", err
	}
	p, err := r.Provider(prov)
	if err != nil {
		return nil, "", err
	}
	return p, model, nil
}

// Available returns the names of the providers that can be built with the
// current environment (their keys are set), sorted.
func (r *Registry) Available() []string {
	var ok []string
	for _, n := range r.Names() {
		if _, err := r.Provider(n); err == nil {
			ok = append(ok, n)
		}
	}
	return ok
}

// Models lists "provider/model" names of every available provider that can
// list its models; a provider whose listing fails is left out, and its error
// returned joined with the others.
func (r *Registry) Models(ctx context.Context) ([]string, error) {
	var out []string
	var errs []error
	for _, n := range r.Available() {
		p, _ := r.Provider(n)
		l, ok := p.(sluice.ModelLister)
		if !ok {
			continue
		}
		ms, err := l.Models(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", n, err))
			continue
		}
		for _, m := range ms {
			out = append(out, n+"/"+m)
		}
	}
	slices.Sort(out)
	return out, errors.Join(errs...)
}

// Close closes every built provider that holds resources (a simulator
// listener, a loaded model).
func (r *Registry) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for n, p := range r.providers {
		if c, ok := p.(io.Closer); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("closing %s: %w", n, err))
			}
		}
		delete(r.providers, n)
	}
	return errors.Join(errs...)
}
