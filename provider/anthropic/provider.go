package anthropic

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/upstream"
)

// DefaultBaseURL is the API's address when Config.BaseURL and
// ANTHROPIC_BASE_URL are empty.
const DefaultBaseURL = "https://api.anthropic.com"

// DefaultVersion is the anthropic-version header sent when Config.Version is
// empty.
const DefaultVersion = "2023-06-01"

// Config configures a [Provider]. Its zero value talks to the public API
// without a key, which the API refuses: set APIKey (or use [FromEnv]).
type Config struct {
	// Name is the provider's name in errors, results and opaque data;
	// "anthropic" when empty. Another name serves an Anthropic-compatible
	// endpoint (the simulator, a proxy) under its own name.
	Name string
	// APIKey is sent as x-api-key.
	APIKey string
	// AuthToken is sent as "Authorization: Bearer …" when APIKey is empty,
	// for gateways and OAuth tokens (ANTHROPIC_AUTH_TOKEN).
	AuthToken string
	// BaseURL is where the API lives, without /v1; DefaultBaseURL when empty.
	BaseURL string
	// Version is the anthropic-version header; DefaultVersion when empty.
	Version string
	// HTTPClient sends the requests; nil means the client shared by every
	// provider of the process (see openai.Config.HTTPClient).
	HTTPClient *http.Client
}

var (
	_ sluice.Provider    = (*Provider)(nil)
	_ sluice.ModelLister = (*Provider)(nil)
	_ sluice.Decoder     = (*Decoder)(nil)
	_ sluice.Encoder     = (*Encoder)(nil)
)

// Provider streams from the Anthropic Messages API. It implements
// [sluice.Provider] and [sluice.ModelLister] and is safe for concurrent use.
type Provider struct {
	cfg Config
}

// New returns a Provider for cfg, whose empty fields take their defaults.
// cfg is copied.
func New(cfg Config) *Provider {
	if cfg.Name == "" {
		cfg.Name = Protocol
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	return &Provider{cfg: cfg}
}

// FromEnv returns a Provider configured from the standard variables, read
// with getenv (os.Getenv, or a .env lookup): ANTHROPIC_API_KEY,
// ANTHROPIC_AUTH_TOKEN when there is no key, and ANTHROPIC_BASE_URL. With
// neither key nor token it returns a *sluice.Error of KindAuth naming the
// variable to set.
func FromEnv(getenv func(string) string) (*Provider, error) {
	cfg := Config{
		APIKey:    strings.TrimSpace(getenv("ANTHROPIC_API_KEY")),
		AuthToken: strings.TrimSpace(getenv("ANTHROPIC_AUTH_TOKEN")),
		BaseURL:   strings.TrimSpace(getenv("ANTHROPIC_BASE_URL")),
	}
	if cfg.APIKey == "" && cfg.AuthToken == "" {
		return nil, &sluice.Error{Kind: sluice.KindAuth, Provider: Protocol,
			Message: "no Anthropic API key is set",
			Hint:    "set ANTHROPIC_API_KEY (create a key at https://console.anthropic.com/settings/keys)"}
	}
	return New(cfg), nil
}

// Name returns the provider's name.
func (p *Provider) Name() string { return p.cfg.Name }

// Stream sends req to POST /v1/messages with "stream": true and returns the
// stream once the response headers have arrived; a non-2xx reply is a
// *sluice.Error (see [ParseError]) before any event. req.Header is sent as
// extra headers (anthropic-beta, for example), except credentials. Opaque
// reasoning data is sent back when its Provider is this provider's Name or
// "anthropic" (see [BuildRequest]).
func (p *Provider) Stream(ctx context.Context, req *sluice.Request) (*sluice.Stream, error) {
	body, err := buildRequest(req, true, []string{p.cfg.Name})
	if err != nil {
		return nil, p.own(err)
	}
	resp, err := p.do(ctx, http.MethodPost, "/v1/messages", body, req.Header, "text/event-stream")
	if err != nil {
		return nil, err
	}
	return resp.NewStream(p.cfg.Name, req.Model, NewDecoder(resp.Body)), nil
}

// Models lists the model ids of GET /v1/models, newest first as the API
// orders them, following its pages.
func (p *Provider) Models(ctx context.Context) ([]string, error) {
	var ids []string
	after := ""
	for range 100 {
		path := "/v1/models?limit=1000"
		if after != "" {
			path += "&after_id=" + url.QueryEscape(after)
		}
		var page struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
			HasMore bool   `json:"has_more"`
			LastID  string `json:"last_id"`
		}
		if err := p.getJSON(ctx, http.MethodGet, path, nil, &page); err != nil {
			return nil, err
		}
		for _, m := range page.Data {
			ids = append(ids, m.ID)
		}
		if !page.HasMore || page.LastID == "" || page.LastID == after {
			break
		}
		after = page.LastID
	}
	return ids, nil
}

// countFields are the request fields POST /v1/messages/count_tokens accepts.
var countFields = []string{"model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers"}

// CountTokens returns the input tokens req would use, from POST
// /v1/messages/count_tokens. The body is the one Stream would send, less
// the fields the endpoint refuses (max_tokens, sampling, stream, metadata).
func (p *Provider) CountTokens(ctx context.Context, req *sluice.Request) (int, error) {
	body, err := buildRequest(req, false, []string{p.cfg.Name})
	if err != nil {
		return 0, p.own(err)
	}
	body, err = editObject(nil, body, nil, false, func(k string) bool {
		for _, f := range countFields {
			if f == k {
				return true
			}
		}
		return false
	})
	if err != nil {
		return 0, p.own(badRequest("count_tokens body: %v", err))
	}
	var out struct {
		InputTokens *int `json:"input_tokens"`
	}
	if err := p.getJSON(ctx, http.MethodPost, "/v1/messages/count_tokens", body, &out); err != nil {
		return 0, err
	}
	if out.InputTokens == nil {
		return 0, &sluice.Error{Kind: sluice.KindProtocol, Provider: p.cfg.Name, Message: "count_tokens replied without input_tokens"}
	}
	return *out.InputTokens, nil
}

// own names this provider in an error from request building.
func (p *Provider) own(err error) error {
	if e, ok := err.(*sluice.Error); ok && e.Provider == "" {
		e.Provider = p.cfg.Name
	}
	return err
}

// maxReply bounds a non-streaming reply (model lists, counts).
const maxReply = 16 << 20

func (p *Provider) getJSON(ctx context.Context, method, path string, body []byte, v any) error {
	resp, err := p.do(ctx, method, path, body, nil, "application/json")
	if err != nil {
		return err
	}
	defer resp.Cancel()
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return &sluice.Error{Kind: sluice.KindConnection, Provider: p.cfg.Name, Message: fmt.Sprintf("read %s: %v", path, err), Err: err}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &sluice.Error{Kind: sluice.KindProtocol, Provider: p.cfg.Name, Message: fmt.Sprintf("decode %s: %v", path, err), Err: err}
	}
	return nil
}

func (p *Provider) do(ctx context.Context, method, path string, body []byte, extra map[string]string, accept string) (*upstream.Response, error) {
	if p.cfg.APIKey == "" && p.cfg.AuthToken == "" && p.cfg.BaseURL == DefaultBaseURL {
		return nil, &sluice.Error{Kind: sluice.KindAuth, Provider: p.cfg.Name,
			Message: "no Anthropic API key is configured", Hint: "set ANTHROPIC_API_KEY"}
	}
	h := make(http.Header, 4+len(extra))
	for k, v := range extra {
		switch strings.ToLower(k) {
		case "authorization", "proxy-authorization", "x-api-key":
			continue
		}
		h.Set(k, v)
	}
	h.Set("Anthropic-Version", p.cfg.Version)
	h.Set("Accept", accept)
	if p.cfg.APIKey != "" {
		h.Set("X-Api-Key", p.cfg.APIKey)
	} else if p.cfg.AuthToken != "" {
		h.Set("Authorization", "Bearer "+p.cfg.AuthToken)
	}
	return upstream.Do(ctx, upstream.Request{
		Provider: p.cfg.Name,
		Client:   p.cfg.HTTPClient,
		Method:   method,
		URL:      p.cfg.BaseURL + path,
		Header:   h,
		Body:     body,
		ParseError: func(status int, h http.Header, body []byte) *sluice.Error {
			e := ParseError(status, h, body)
			e.Provider = p.cfg.Name
			return e
		},
		Hint: "check ANTHROPIC_BASE_URL (now " + p.cfg.BaseURL + ")",
	})
}
