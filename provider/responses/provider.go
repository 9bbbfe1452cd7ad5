package responses

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/openaihttp"
	"github.com/sluicehq/sluice/internal/upstream"
	"github.com/sluicehq/sluice/provider/openai"
)

// Config configures a [Provider]. The zero value talks to OpenAI with no
// key; [FromEnv] fills it from the standard variables.
type Config struct {
	// Name names the provider in errors, results, model names and the
	// Provider of the opaque data it issues. Empty means "responses".
	Name string
	// APIKey is sent as "Authorization: Bearer"; empty sends none.
	APIKey string
	// BaseURL is the API root that /responses is appended to. Empty means
	// openai.DefaultBaseURL. A query string is kept.
	BaseURL string
	// HTTPClient sends the requests; nil means the client shared by every
	// provider of the process (see openai.Config.HTTPClient). Give it
	// no overall Timeout: a stream lasts as long as the model writes.
	HTTPClient *http.Client
	// Header is added to every request.
	Header http.Header
}

// Provider streams from a Responses API: OpenAI's, or a server that copies
// it. It is safe for concurrent use.
type Provider struct {
	name   string
	server openaihttp.Server
	client *http.Client
	// hint is added to connection errors: the base URL to check, without
	// what may hold a key. Made once, as it never changes.
	hint string
}

var _ sluice.Provider = (*Provider)(nil)

// New returns a Provider for cfg. It copies cfg.
func New(cfg Config) *Provider {
	p := &Provider{
		name:   cmp.Or(cfg.Name, Protocol),
		server: openaihttp.Server{BaseURL: cmp.Or(cfg.BaseURL, openai.DefaultBaseURL), APIKey: cfg.APIKey, Header: cfg.Header.Clone()},
		client: cfg.HTTPClient,
	}
	if p.client == nil {
		p.client = upstream.DefaultClient()
	}
	p.hint = fmt.Sprintf("check the base URL of provider %q (now %s)", p.name, p.server.SafeBase())
	return p
}

// FromEnv returns a Provider configured by OPENAI_API_KEY (required) and
// OPENAI_BASE_URL, named name ("" means "responses"). A missing key is a
// *sluice.Error of KindAuth that says which variable to set.
func FromEnv(name string, getenv func(string) string) (*Provider, error) {
	key, base, err := openaihttp.Env(Protocol, getenv)
	if err != nil {
		return nil, err
	}
	return New(Config{Name: name, APIKey: key, BaseURL: base}), nil
}

// Name returns the provider's name.
func (p *Provider) Name() string { return p.name }

// Stream sends req to {BaseURL}/responses with "stream": true and returns
// once the response headers have arrived. A non-2xx reply is a
// *sluice.Error (see [ParseError]) before any event; the Stream decodes the
// body with a [Decoder]. A whole response object instead of a stream is
// read with [ParseResponse].
func (p *Provider) Stream(ctx context.Context, req *sluice.Request) (*sluice.Stream, error) {
	if req == nil {
		return nil, &sluice.Error{Kind: sluice.KindBadRequest, Provider: p.name, Message: "nil request"}
	}
	body, err := buildRequest(req, true, p.name)
	if err != nil {
		return nil, p.own(err)
	}
	resp, err := upstream.Do(ctx, upstream.Request{
		Provider: p.name, Client: p.client, URL: p.server.URL("/responses"),
		Header: p.server.StreamHeader(req.Header), Body: body,
		ParseError: func(status int, h http.Header, body []byte) *sluice.Error {
			e := ParseError(status, h, body)
			e.Provider = p.name
			return e
		},
		Hint: p.hint,
	})
	if err != nil {
		return nil, p.own(err)
	}
	if ct := resp.Response.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			resp.Cancel()
			return nil, &sluice.Error{Kind: sluice.KindConnection, Provider: p.name, Message: "reading the reply: " + err.Error(), Err: err}
		}
		evs, err := ParseResponse(data)
		if err != nil {
			resp.Cancel()
			return nil, p.own(err)
		}
		return resp.NewStream(p.name, req.Model, sluice.EventsDecoder(evs)), nil
	}
	return resp.NewStream(p.name, req.Model, NewDecoder(resp.Body)), nil
}

func (p *Provider) own(err error) error {
	e := sluice.AsError(err)
	if e.Provider == "" {
		e.Provider = p.name
	}
	return e
}

// ParseError turns an HTTP error reply into a *sluice.Error. The Responses
// API's error bodies have the Chat Completions shape,
// {"error":{"message","type","param","code"}}, so this is
// [openai.ParseError].
func ParseError(status int, h http.Header, body []byte) *sluice.Error {
	return openai.ParseError(status, h, body)
}

// WriteError writes e as the Responses API writes an HTTP error: the Chat
// Completions shape, see [openai.WriteError].
func WriteError(w http.ResponseWriter, e *sluice.Error) { openai.WriteError(w, e) }

// CountTokens returns the input tokens req would use, from POST
// {BaseURL}/responses/input_tokens, OpenAI's own count. The body is the one
// Stream would send, less stream.
func (p *Provider) CountTokens(ctx context.Context, req *sluice.Request) (int, error) {
	body, err := buildRequest(req, false, p.name)
	if err != nil {
		return 0, p.own(err)
	}
	resp, err := upstream.Do(ctx, upstream.Request{
		Provider: p.name, Client: p.client, URL: p.server.URL("/responses/input_tokens"),
		Header: p.server.RequestHeader(), Body: body,
		ParseError: func(status int, h http.Header, body []byte) *sluice.Error { return ParseError(status, h, body) },
	})
	if err != nil {
		return 0, p.own(err)
	}
	defer resp.Cancel()
	defer resp.Body.Close()
	var out struct {
		InputTokens *int `json:"input_tokens"`
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, &sluice.Error{Kind: sluice.KindConnection, Provider: p.name, Message: "reading the count: " + err.Error(), Err: err}
	}
	if json.Unmarshal(data, &out) != nil || out.InputTokens == nil {
		return 0, p.own(protocolError("the input_tokens reply has no input_tokens", data))
	}
	return *out.InputTokens, nil
}
