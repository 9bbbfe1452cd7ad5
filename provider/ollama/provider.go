package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/upstream"
)

// DefaultBaseURL is where a local Ollama server listens.
const DefaultBaseURL = "http://127.0.0.1:11434"

// Config configures a [Provider]. The zero value talks to a local Ollama
// server at DefaultBaseURL with the shared client. New never modifies it.
type Config struct {
	// Name names the provider in errors and results; "" means "ollama".
	Name string
	// APIKey, when set, is sent as "Authorization: Bearer <key>". A local
	// Ollama needs none; ollama.com and authenticating proxies do.
	APIKey string
	// BaseURL is the server's address, as OLLAMA_HOST takes it: "" means
	// DefaultBaseURL, and a host without a scheme gets http:// (with port
	// 11434 if it names none). A path is kept, for servers behind a prefix.
	BaseURL string
	// HTTPClient sends the requests; nil means the client shared by every
	// provider of the process (see openai.Config.HTTPClient). Its
	// Timeout, if any, bounds the whole stream, so leave it zero and use the
	// context for streaming.
	HTTPClient *http.Client
}

// Provider streams chat responses from an Ollama server's native API. It
// implements [sluice.Provider] and [sluice.ModelLister], and is safe for
// concurrent use.
type Provider struct {
	name   string
	key    string
	base   string
	client *http.Client
	urlErr error
}

// New returns a Provider for cfg. An invalid BaseURL is reported by the
// first call to Stream or Models.
func New(cfg Config) *Provider {
	p := &Provider{name: cfg.Name, key: cfg.APIKey, client: cfg.HTTPClient}
	if p.name == "" {
		p.name = Protocol
	}
	p.base, p.urlErr = BaseURL(cfg.BaseURL)
	return p
}

// FromEnv returns a Provider configured from OLLAMA_HOST and, for
// ollama.com or a proxy, OLLAMA_API_KEY. getenv is usually os.Getenv (nil
// means os.Getenv). Ollama needs no key, so the only error is an
// OLLAMA_HOST that is not a host or URL.
func FromEnv(getenv func(string) string) (*Provider, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	host := getenv("OLLAMA_HOST")
	if _, err := BaseURL(host); err != nil {
		return nil, err
	}
	return New(Config{BaseURL: host, APIKey: getenv("OLLAMA_API_KEY")}), nil
}

// BaseURL turns an OLLAMA_HOST value into the server's base URL the way the
// ollama CLI does: "" is DefaultBaseURL; "host", "host:port" and ":port" get
// http:// and the default port 11434 (an empty host is 127.0.0.1); an
// explicit http:// or https:// URL defaults to port 80 or 443. Quotes and
// spaces around the value and a trailing slash are dropped.
func BaseURL(host string) (string, error) {
	s := strings.TrimSpace(strings.Trim(strings.TrimSpace(host), `"'`))
	if s == "" {
		return DefaultBaseURL, nil
	}
	bad := func(err error) (string, error) {
		return "", &sluice.Error{Kind: sluice.KindBadRequest, Provider: Protocol,
			Message: fmt.Sprintf("OLLAMA_HOST %q is not a host or URL: %v", host, err),
			Hint:    "set OLLAMA_HOST to host:port or a URL such as http://127.0.0.1:11434", Err: err}
	}
	scheme, rest, ok := strings.Cut(s, "://")
	port := "11434"
	switch {
	case !ok:
		scheme, rest = "http", s
	case scheme == "http":
		port = "80"
	case scheme == "https":
		port = "443"
	default:
		return bad(fmt.Errorf("unsupported scheme %q", scheme))
	}
	hostport, path, _ := strings.Cut(rest, "/")
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		h = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
		p = ""
	}
	if p == "" {
		p = port
	}
	if h == "" {
		h = "127.0.0.1"
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(h, p)}
	if path = strings.Trim(path, "/"); path != "" {
		u.Path = "/" + path
	}
	if _, err := url.Parse(u.String()); err != nil {
		return bad(err)
	}
	return u.String(), nil
}

// Name returns the provider's name.
func (p *Provider) Name() string { return p.name }

func (p *Provider) hint() string {
	return fmt.Sprintf("check OLLAMA_HOST (now %s) and that `ollama serve` is running", p.base)
}

// withHint adds the OLLAMA_HOST hint to a connection or timeout error that
// has none (upstream.Do cancels its context before classifying a failed
// dial, so it leaves them without one).
func (p *Provider) withHint(err error) error {
	var e *sluice.Error
	if errors.As(err, &e) && e.Hint == "" && (e.Kind == sluice.KindConnection || e.Kind == sluice.KindTimeout) {
		e.Hint = p.hint()
	}
	return err
}

func (p *Provider) header(req *sluice.Request) http.Header {
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
	if p.key != "" {
		h.Set("Authorization", "Bearer "+p.key)
	}
	return h
}

// Stream sends req to POST /api/chat and returns the response stream once
// its headers arrived. An error reply is a *sluice.Error before any event: a
// model that is not pulled is KindNotFound with the `ollama pull` command in
// its Hint.
func (p *Provider) Stream(ctx context.Context, req *sluice.Request) (*sluice.Stream, error) {
	if p.urlErr != nil {
		return nil, p.urlErr
	}
	if err := req.Validate(); err != nil {
		e := *sluice.AsError(err)
		e.Provider = p.name
		return nil, &e
	}
	body, err := BuildRequest(req, true)
	if err != nil {
		e := *sluice.AsError(err)
		e.Provider = p.name
		return nil, &e
	}
	h := p.header(req)
	h.Set("Accept", "application/x-ndjson")
	resp, err := upstream.Do(ctx, upstream.Request{
		Provider: p.name, Client: p.client, URL: p.base + "/api/chat",
		Header: h, Body: body, ParseError: ParseError, Hint: p.hint(),
	})
	if err != nil {
		var e *sluice.Error
		if errors.As(err, &e) && e.Kind == sluice.KindNotFound && !strings.Contains(e.Hint, "ollama pull ") {
			e.Hint = "pull the model first: ollama pull " + req.Model
		}
		return nil, p.withHint(err)
	}
	return resp.NewStream(p.name, req.Model, NewDecoder(resp.Body)), nil
}

// Models lists the models the server has pulled (GET /api/tags), by name
// ("llama3.2:latest").
func (p *Provider) Models(ctx context.Context) ([]string, error) {
	if p.urlErr != nil {
		return nil, p.urlErr
	}
	resp, err := upstream.Do(ctx, upstream.Request{
		Provider: p.name, Client: p.client, Method: http.MethodGet, URL: p.base + "/api/tags",
		Header: p.header(nil), ParseError: ParseError, Hint: p.hint(),
	})
	if err != nil {
		return nil, p.withHint(err)
	}
	defer resp.Cancel()
	defer resp.Body.Close()
	var tags struct {
		Models []struct {
			Name  string `json:"name"`
			Model string `json:"model"`
		} `json:"models"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(&tags); err != nil {
		return nil, &sluice.Error{Kind: sluice.KindProtocol, Provider: p.name, Status: resp.StatusCode,
			Message: "GET /api/tags did not return a model list: " + err.Error(), Err: err}
	}
	names := make([]string, 0, len(tags.Models))
	for _, m := range tags.Models {
		n := m.Name
		if n == "" {
			n = m.Model
		}
		names = append(names, n)
	}
	return names, nil
}
