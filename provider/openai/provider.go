package openai

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
	"github.com/sluicehq/sluice/internal/openaihttp"
	"github.com/sluicehq/sluice/internal/upstream"
)

// DefaultBaseURL is OpenAI's API root.
const DefaultBaseURL = "https://api.openai.com/v1"

// Config configures a [Provider]. The zero value talks to OpenAI with no key;
// [FromEnv] fills it from the standard variables and [Compatible] for other
// servers.
type Config struct {
	// Name names the provider in errors, results and model names
	// ("groq/llama-3.3-70b"). Empty means "openai".
	Name string
	// APIKey is sent as "Authorization: Bearer". Empty sends no
	// Authorization header, which local servers (vLLM, llama.cpp, Ollama,
	// LM Studio) accept. It is never put in an error.
	APIKey string
	// BaseURL is the API root that /chat/completions and /models are
	// appended to. Empty means DefaultBaseURL. A query string (Azure's
	// ?api-version=) is kept.
	BaseURL string
	// HTTPClient sends the requests; nil means a client shared by every
	// provider of the process, with a connection pool sized for a gateway
	// (256 idle connections per host; http.DefaultClient keeps 2). A stream
	// lasts as long as the model writes, so give it no overall Timeout: use
	// the request's context, or a Transport's ResponseHeaderTimeout.
	HTTPClient *http.Client
	// Header is added to every request: OpenAI-Organization,
	// OpenAI-Project, or Azure's api-key in place of APIKey.
	Header http.Header
	// NoUsageRequest leaves stream_options out of the request, for servers
	// that reject it. By default every stream asks for
	// stream_options.include_usage, without which OpenAI sends no usage.
	NoUsageRequest bool
	// LegacyMaxTokens sends MaxTokens as max_tokens, which every compatible
	// server reads, instead of max_completion_tokens, which OpenAI's
	// reasoning models require.
	LegacyMaxTokens bool
	// TopK sends Request.TopK as top_k. OpenAI rejects the field; vLLM,
	// llama.cpp, Ollama and Together take it.
	TopK bool
	// SendReasoning sends the reasoning of earlier assistant turns back as
	// reasoning_content, as DeepSeek's thinking mode wants within a tool
	// loop. OpenAI does not take the field.
	SendReasoning bool
}

// Provider streams Chat Completions from OpenAI or an OpenAI-compatible
// server. It is safe for concurrent use.
type Provider struct {
	name   string
	server openaihttp.Server
	client *http.Client
	opts   buildOptions
	// hint is added to connection errors: the setting to check, and the
	// base URL without what may hold a key. Made once, as it never changes.
	hint string
}

var (
	_ sluice.Provider    = (*Provider)(nil)
	_ sluice.ModelLister = (*Provider)(nil)
)

// New returns a Provider for cfg. It copies cfg; later changes to the
// caller's Config (or its Header) do not reach the Provider.
func New(cfg Config) *Provider {
	p := &Provider{
		name:   cmp.Or(cfg.Name, Protocol),
		server: openaihttp.Server{BaseURL: cmp.Or(cfg.BaseURL, DefaultBaseURL), APIKey: cfg.APIKey, Header: cfg.Header.Clone()},
		client: cfg.HTTPClient,
		opts:   buildOptions{legacyMaxTokens: cfg.LegacyMaxTokens, noUsage: cfg.NoUsageRequest, topK: cfg.TopK, reasoning: cfg.SendReasoning},
	}
	if p.client == nil {
		p.client = upstream.DefaultClient()
	}
	p.hint = p.connHint()
	return p
}

// Compatible returns a Provider for an OpenAI-compatible server such as
// Groq, Together, OpenRouter, DeepSeek, vLLM, llama.cpp's llama-server,
// Ollama's /v1 or LM Studio, named name: it sends max_tokens and top_k,
// which they all read, and asks for usage. apiKey may be empty for a local
// server. Use [New] to change anything else.
func Compatible(name, baseURL, apiKey string) *Provider {
	return New(Config{Name: name, BaseURL: baseURL, APIKey: apiKey, LegacyMaxTokens: true, TopK: true})
}

// FromEnv returns the OpenAI provider configured by the standard variables:
// OPENAI_API_KEY (required), OPENAI_BASE_URL, OPENAI_ORG_ID and
// OPENAI_PROJECT_ID. getenv is os.Getenv or a lookup in a loaded .env file.
// A missing key is a *sluice.Error of KindAuth that says which variable to
// set.
func FromEnv(getenv func(string) string) (*Provider, error) {
	key, base, err := openaihttp.Env(Protocol, getenv)
	if err != nil {
		return nil, err
	}
	cfg := Config{APIKey: key, BaseURL: base}
	if org := strings.TrimSpace(getenv("OPENAI_ORG_ID")); org != "" {
		cfg.Header = http.Header{"Openai-Organization": {org}}
	}
	if proj := strings.TrimSpace(getenv("OPENAI_PROJECT_ID")); proj != "" {
		if cfg.Header == nil {
			cfg.Header = http.Header{}
		}
		cfg.Header.Set("OpenAI-Project", proj)
	}
	return New(cfg), nil
}

// Name returns the provider's name.
func (p *Provider) Name() string { return p.name }

// Stream sends req to {BaseURL}/chat/completions with "stream": true and
// returns once the response headers have arrived. A non-2xx reply is a
// *sluice.Error (see [ParseError]) before any event; the returned Stream
// decodes the body with a [Decoder]. A server that answers with a whole
// chat.completion JSON object instead of a stream is read with
// [ParseCompletion] and streamed from memory.
func (p *Provider) Stream(ctx context.Context, req *sluice.Request) (*sluice.Stream, error) {
	if req == nil {
		return nil, &sluice.Error{Kind: sluice.KindBadRequest, Provider: p.name, Message: "nil request"}
	}
	body, err := buildRequest(req, true, p.opts)
	if err != nil {
		return nil, p.withProvider(err)
	}
	resp, err := upstream.Do(ctx, upstream.Request{
		Provider: p.name, Client: p.client, URL: p.server.URL("/chat/completions"),
		Header: p.server.StreamHeader(req.Header), Body: body, ParseError: p.parseError, Hint: p.hint,
	})
	if err != nil {
		return nil, p.sendError(err, "/chat/completions")
	}
	if ct := resp.Response.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			resp.Cancel()
			return nil, &sluice.Error{Kind: sluice.KindConnection, Provider: p.name, Message: "reading the reply: " + err.Error(), Err: err}
		}
		evs, err := ParseCompletion(data)
		if err != nil {
			resp.Cancel()
			return nil, p.withProvider(err)
		}
		return resp.NewStream(p.name, req.Model, sluice.EventsDecoder(evs)), nil
	}
	return resp.NewStream(p.name, req.Model, NewDecoder(resp.Body)), nil
}

// Models lists the models the server serves (GET {BaseURL}/models), in the
// order it lists them.
func (p *Provider) Models(ctx context.Context) ([]string, error) {
	resp, err := upstream.Do(ctx, upstream.Request{
		Provider: p.name, Client: p.client, Method: http.MethodGet, URL: p.server.URL("/models"),
		Header: p.server.RequestHeader(), ParseError: p.parseError, Hint: p.hint,
	})
	if err != nil {
		return nil, p.sendError(err, "/models")
	}
	defer resp.Cancel()
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, &sluice.Error{Kind: sluice.KindConnection, Provider: p.name, Message: "reading the model list: " + err.Error(), Err: err}
	}
	list, ok := jsonwire.Lookup(data, "data")
	it, isArr := jsonwire.ArrayElements(list)
	if !jsonwire.ValidObject(data) || !ok || !isArr {
		return nil, p.withProvider(protocolError("the model list is not {\"data\":[…]}", data))
	}
	var ids []string
	var scratch []byte
	for el, ok := it.Next(); ok; el, ok = it.Next() {
		if v, ok := jsonwire.Lookup(el, "id"); ok {
			if id := stringValue(v, &scratch); id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids, nil
}

// parseError is ParseError with hints that name this provider's settings.
func (p *Provider) parseError(status int, h http.Header, body []byte) *sluice.Error {
	e := ParseError(status, h, body)
	e.Provider = p.name
	switch e.Kind {
	case sluice.KindAuth:
		if p.name == Protocol {
			e.Hint = "check OPENAI_API_KEY"
		} else {
			e.Hint = fmt.Sprintf("check the API key of endpoint %q", p.name)
		}
	case sluice.KindNotFound:
		e.Hint = fmt.Sprintf("check the model name and %s; Models lists what it serves", p.server.SafeBase())
	}
	return e
}

func (p *Provider) connHint() string {
	if p.name == Protocol {
		return fmt.Sprintf("check OPENAI_BASE_URL (now %s)", p.server.SafeBase())
	}
	return fmt.Sprintf("check the base URL of endpoint %q (now %s)", p.name, p.server.SafeBase())
}

// sendError makes sure a failure to send names the setting to check and
// does not quote a query string (where a key may sit) from the URL.
func (p *Provider) sendError(err error, path string) error {
	e := sluice.AsError(err)
	if e.Status != 0 {
		return e
	}
	if e.Hint == "" && (e.Kind == sluice.KindConnection || e.Kind == sluice.KindTimeout) {
		e.Hint = p.hint
	}
	if u, perr := url.Parse(p.server.URL(path)); perr == nil && (u.RawQuery != "" || u.User != nil) {
		e.Message = strings.ReplaceAll(e.Message, u.String(), p.server.SafeBase()+path)
	}
	return p.withProvider(e)
}

func (p *Provider) withProvider(err error) error {
	e := sluice.AsError(err)
	if e.Provider == "" {
		e.Provider = p.name
	}
	return e
}
