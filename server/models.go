package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
)

// route is a resolved model name.
type route struct {
	// name is the "provider/model" name after aliases.
	name                string
	providerName, model string
	provider            sluice.Provider
	// simulated is true for the simulator's models, which the page labels.
	simulated bool
}

// Noticer is an optional ability of a [Router]: a sentence for people about
// the models, such as why the default model is simulated. GET /v1/models
// carries it as "notice" (OpenAI shape only) and the page shows it. "" means
// none.
type Noticer interface {
	Notice() string
}

// isSimulated reports whether a provider name is the simulator's.
func isSimulated(provider string) bool { return provider == "sim" }

// resolve maps a model name (or alias) to its provider. An unknown name is a
// 404 not_found error listing the models that exist.
func (s *Server) resolve(ctx context.Context, name string) (route, *sluice.Error) {
	if name == "" {
		return route{}, badRequest("the request names no model", "pass a model such as "+s.exampleModel())
	}
	target := name
	if t, ok := s.aliases[name]; ok {
		target = t
	}
	p, model, err := s.router.Resolve(target)
	if err != nil {
		e := sluice.AsError(err)
		msg := fmt.Sprintf("model %q is not available: %s", name, e.Message)
		hint := e.Hint
		if known := s.models.list(ctx, s); len(known) > 0 {
			if len(known) > 40 {
				known = append(known[:40:40], "…")
			}
			if hint != "" {
				hint += "; "
			}
			hint += "the known models are: " + strings.Join(known, ", ")
		}
		return route{}, &sluice.Error{Kind: sluice.KindNotFound, Status: http.StatusNotFound, Code: "model_not_found",
			Message: msg, Hint: hint}
	}
	prov, _, _ := strings.Cut(target, "/")
	return route{name: target, providerName: prov, model: model, provider: p, simulated: isSimulated(prov)}, nil
}

// exampleModel is a model name to quote in hints.
func (s *Server) exampleModel() string {
	if s.defaultModel != "" {
		return s.defaultModel
	}
	return "sim/echo"
}

// modelCache keeps the model list for a short while: listing asks every
// provider's API, which is too slow to do on every page load.
type modelCache struct {
	router Router

	mu      sync.Mutex
	names   []string
	fetched time.Time
}

const modelCacheTTL = 30 * time.Second

// list returns the default model, the aliases and every listed model,
// without duplicates: the default first, then sorted.
func (mc *modelCache) list(ctx context.Context, s *Server) []string {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if mc.names != nil && time.Since(mc.fetched) < modelCacheTTL {
		return slices.Clone(mc.names)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	listed, err := mc.router.Models(ctx)
	if err != nil {
		s.log.Warn("listing models; leaving out the providers that failed", "error", s.redact.Replace(err.Error()))
	}
	seen := map[string]bool{}
	var rest []string
	for _, n := range listed {
		if !seen[n] {
			seen[n] = true
			rest = append(rest, n)
		}
	}
	for a := range s.aliases {
		if !seen[a] {
			seen[a] = true
			rest = append(rest, a)
		}
	}
	slices.Sort(rest)
	names := rest
	if s.defaultModel != "" {
		names = append([]string{s.defaultModel}, slices.DeleteFunc(rest, func(n string) bool { return n == s.defaultModel })...)
	}
	if names == nil {
		names = []string{}
	}
	// A provider that cannot list (a local server that is not running) is
	// left out until the next refresh rather than asked on every call.
	mc.names, mc.fetched = names, time.Now()
	return slices.Clone(names)
}

// openAIModel is a model in OpenAI's list shape, with sluice's own fields,
// which the SDKs ignore and the page uses.
type openAIModel struct {
	ID        string `json:"id"`
	Object    string `json:"object"`
	Created   int64  `json:"created"`
	OwnedBy   string `json:"owned_by"`
	Simulated bool   `json:"simulated,omitempty"`
	Default   bool   `json:"default,omitempty"`
	AliasFor  string `json:"alias_for,omitempty"`
}

// anthropicModel is a model in Anthropic's list shape.
type anthropicModel struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	CreatedAt   string `json:"created_at"`
}

func (s *Server) modelInfo(name string) openAIModel {
	m := openAIModel{ID: name, Object: "model", Default: name == s.defaultModel}
	target := name
	if t, ok := s.aliases[name]; ok {
		m.AliasFor, target = t, t
	}
	prov, _, _ := strings.Cut(target, "/")
	m.OwnedBy, m.Simulated = prov, isSimulated(prov)
	return m
}

// isAnthropic reports whether a request comes from an Anthropic client,
// which always sends anthropic-version.
func isAnthropic(r *http.Request) bool { return r.Header.Get("Anthropic-Version") != "" }

// handleModels serves GET /v1/models in the OpenAI list shape, or the
// Anthropic one for a request with an anthropic-version header.
func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	names := s.models.list(r.Context(), s)
	if isAnthropic(r) {
		data := make([]anthropicModel, len(names))
		for i, n := range names {
			data[i] = anthropicModel{Type: "model", ID: n, DisplayName: n, CreatedAt: "1970-01-01T00:00:00Z"}
		}
		out := map[string]any{"data": data, "has_more": false, "first_id": nil, "last_id": nil}
		if len(names) > 0 {
			out["first_id"], out["last_id"] = names[0], names[len(names)-1]
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	data := make([]openAIModel, len(names))
	for i, n := range names {
		data[i] = s.modelInfo(n)
	}
	out := map[string]any{"object": "list", "data": data, "default": s.defaultModel}
	if n, ok := s.router.(Noticer); ok {
		if text := n.Notice(); text != "" {
			out["notice"] = s.redact.Replace(text)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// handleModel serves GET /v1/models/{model}: the model if it resolves.
func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("model")
	if _, err := s.resolve(r.Context(), name); err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	if isAnthropic(r) {
		writeJSON(w, http.StatusOK, anthropicModel{Type: "model", ID: name, DisplayName: name, CreatedAt: "1970-01-01T00:00:00Z"})
		return
	}
	writeJSON(w, http.StatusOK, s.modelInfo(name))
}
