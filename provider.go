package sluice

import (
	"context"
	"fmt"
	"strings"
)

// Provider is one upstream: an LLM API, a local model or the simulator.
//
// Stream sends the request at once and returns when the response headers have
// arrived, so an HTTP error reply is a typed *Error before any event. The
// returned Stream must be ranged over or closed.
type Provider interface {
	Stream(ctx context.Context, req *Request) (*Stream, error)
}

// ModelLister is implemented by providers that can list their models.
type ModelLister interface {
	Models(ctx context.Context) ([]string, error)
}

// SplitModel splits a "provider/model" name at the first slash. The model part
// may contain slashes itself ("local/models/stories.gguf",
// "together/meta-llama/Llama-3-8b").
func SplitModel(name string) (provider, model string, err error) {
	provider, model, ok := strings.Cut(name, "/")
	if !ok || provider == "" || model == "" {
		return "", "", &Error{Kind: KindBadRequest,
			Message: fmt.Sprintf("model %q is not of the form provider/model", name),
			Hint:    "name the provider first, for example openai/gpt-4o-mini or sim/echo"}
	}
	return provider, model, nil
}
