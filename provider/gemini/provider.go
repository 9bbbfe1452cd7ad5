package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/upstream"
)

// DefaultBaseURL is the Gemini API's v1beta endpoint.
const DefaultBaseURL = "https://generativelanguage.googleapis.com/v1beta"

// Config configures a [Provider]. New never modifies it.
type Config struct {
	// Name names the provider in errors and results; "" means "gemini".
	Name string
	// APIKey is the Gemini API key, sent as the x-goog-api-key header and
	// never in the URL. Required.
	APIKey string
	// BaseURL is the API's base, up to the version: "" means
	// DefaultBaseURL. Requests go to BaseURL + "/models/…".
	BaseURL string
	// HTTPClient sends the requests; nil means the client shared by every
	// provider of the process (see openai.Config.HTTPClient). Its
	// Timeout, if any, bounds the whole stream, so leave it zero and use the
	// context for streaming.
	HTTPClient *http.Client
}

// Provider streams responses from the Gemini API. It implements
// [sluice.Provider] and [sluice.ModelLister], and is safe for concurrent
// use.
type Provider struct {
	name   string
	key    string
	base   string
	client *http.Client
}

// New returns a Provider for cfg.
func New(cfg Config) *Provider {
	p := &Provider{name: cfg.Name, key: cfg.APIKey, base: strings.TrimRight(cfg.BaseURL, "/"), client: cfg.HTTPClient}
	if p.name == "" {
		p.name = Protocol
	}
	if p.base == "" {
		p.base = DefaultBaseURL
	}
	return p
}

// FromEnv returns a Provider configured from GEMINI_API_KEY (or, as the
// Google SDKs also accept, GOOGLE_API_KEY) and GEMINI_BASE_URL. getenv is
// usually os.Getenv (nil means os.Getenv). A missing key is a *sluice.Error
// of KindAuth whose Hint names the variable to set.
func FromEnv(getenv func(string) string) (*Provider, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	key := strings.TrimSpace(getenv("GEMINI_API_KEY"))
	if key == "" {
		key = strings.TrimSpace(getenv("GOOGLE_API_KEY"))
	}
	if key == "" {
		return nil, &sluice.Error{Kind: sluice.KindAuth, Provider: Protocol,
			Message: "no Gemini API key",
			Hint:    "set GEMINI_API_KEY (get a key at https://aistudio.google.com/apikey)"}
	}
	base := strings.TrimSpace(getenv("GEMINI_BASE_URL"))
	if base != "" {
		if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, &sluice.Error{Kind: sluice.KindBadRequest, Provider: Protocol,
				Message: fmt.Sprintf("GEMINI_BASE_URL %q is not an http(s) URL", base),
				Hint:    "set GEMINI_BASE_URL to a URL such as " + DefaultBaseURL + ", or unset it"}
		}
	}
	return New(Config{APIKey: key, BaseURL: base}), nil
}

// Name returns the provider's name.
func (p *Provider) Name() string { return p.name }

func (p *Provider) header(req *sluice.Request) (http.Header, error) {
	if p.key == "" {
		return nil, &sluice.Error{Kind: sluice.KindAuth, Provider: p.name, Message: "no Gemini API key",
			Hint: "set GEMINI_API_KEY or Config.APIKey"}
	}
	h := http.Header{}
	if req != nil {
		for k, v := range req.Header {
			switch strings.ToLower(k) {
			case "authorization", "x-api-key", "x-goog-api-key", "proxy-authorization":
				continue
			}
			h.Set(k, v)
		}
	}
	h.Set("x-goog-api-key", p.key)
	return h, nil
}

// modelPath returns the URL path of a model name, with or without its
// "models/" prefix; a tuned model ("tunedModels/x") keeps its own
// collection.
func modelPath(model string) string {
	if rest, ok := strings.CutPrefix(model, "tunedModels/"); ok {
		return "/tunedModels/" + url.PathEscape(rest)
	}
	return "/models/" + url.PathEscape(strings.TrimPrefix(model, "models/"))
}

// Stream sends req to POST /models/{model}:streamGenerateContent?alt=sse
// and returns the response stream once its headers arrived. An error reply
// is a *sluice.Error before any event, with RetryAfter from Gemini's
// RetryInfo.
func (p *Provider) Stream(ctx context.Context, req *sluice.Request) (*sluice.Stream, error) {
	if err := req.Validate(); err != nil {
		e := *sluice.AsError(err)
		e.Provider = p.name
		return nil, &e
	}
	h, err := p.header(req)
	if err != nil {
		return nil, err
	}
	body, err := BuildRequest(req, true)
	if err != nil {
		e := *sluice.AsError(err)
		e.Provider = p.name
		return nil, &e
	}
	h.Set("Accept", "text/event-stream")
	resp, err := upstream.Do(ctx, upstream.Request{
		Provider: p.name, Client: p.client,
		URL:    p.base + modelPath(req.Model) + ":streamGenerateContent?alt=sse",
		Header: h, Body: body, ParseError: ParseError, Hint: p.hint(),
	})
	if err != nil {
		return nil, p.withHint(err)
	}
	return resp.NewStream(p.name, req.Model, NewDecoder(resp.Body)), nil
}

func (p *Provider) hint() string {
	return fmt.Sprintf("check the network and GEMINI_BASE_URL (now %s)", p.base)
}

// withHint adds the base-URL hint to a connection or timeout error that has
// none (upstream.Do cancels its context before classifying a failed dial,
// so it leaves them without one).
func (p *Provider) withHint(err error) error {
	var e *sluice.Error
	if errors.As(err, &e) && e.Hint == "" && (e.Kind == sluice.KindConnection || e.Kind == sluice.KindTimeout) {
		e.Hint = p.hint()
	}
	return err
}

// Models lists the models the key can generate content with (GET /models,
// all pages), by name without the "models/" prefix ("gemini-2.5-flash").
// Models that do not list generateContent among their methods, such as
// embedding models, are left out.
func (p *Provider) Models(ctx context.Context) ([]string, error) {
	h, err := p.header(nil)
	if err != nil {
		return nil, err
	}
	var names []string
	token := ""
	for range 100 {
		u := p.base + "/models?pageSize=1000"
		if token != "" {
			u += "&pageToken=" + url.QueryEscape(token)
		}
		page, err := p.modelsPage(ctx, u, h)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Models {
			if len(m.Methods) > 0 && !contains(m.Methods, "generateContent") && !contains(m.Methods, "streamGenerateContent") {
				continue
			}
			names = append(names, strings.TrimPrefix(m.Name, "models/"))
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	return names, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

type modelsPage struct {
	Models []struct {
		Name    string   `json:"name"`
		Methods []string `json:"supportedGenerationMethods"`
	} `json:"models"`
	NextPageToken string `json:"nextPageToken"`
}

func (p *Provider) modelsPage(ctx context.Context, u string, h http.Header) (*modelsPage, error) {
	resp, err := upstream.Do(ctx, upstream.Request{
		Provider: p.name, Client: p.client, Method: http.MethodGet, URL: u,
		Header: h, ParseError: ParseError, Hint: p.hint(),
	})
	if err != nil {
		return nil, p.withHint(err)
	}
	defer resp.Cancel()
	defer resp.Body.Close()
	var page modelsPage
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(&page); err != nil {
		return nil, &sluice.Error{Kind: sluice.KindProtocol, Provider: p.name, Status: resp.StatusCode,
			Message: "GET /models did not return a model list: " + err.Error(), Err: err}
	}
	return &page, nil
}
