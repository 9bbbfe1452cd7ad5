package sim

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/anthropic"
	"github.com/sluicehq/sluice/provider/gemini"
	"github.com/sluicehq/sluice/provider/ollama"
	"github.com/sluicehq/sluice/provider/openai"
	"github.com/sluicehq/sluice/provider/responses"
)

// ProviderConfig configures a [Provider].
type ProviderConfig struct {
	// Sim configures the simulator.
	Sim Config
	// Protocol is the wire protocol between the adapter and the simulator:
	// "openai" (the default), "anthropic", "ollama", "gemini" or
	// "responses".
	Protocol string
	// Name names the provider in results and errors; "" means "sim".
	Name string
}

// Provider is a sluice.Provider for "sim/<behaviour>" model names: the
// request's Model is the behaviour ("text", "reasoning+tools",
// "text+truncate@5", see the package documentation). It starts the
// simulator on a loopback port at the first Stream and streams through the
// real adapter of its protocol, so real bytes go through a real decoder.
// Close stops the simulator. A Provider is safe for concurrent use.
type Provider struct {
	cfg ProviderConfig

	once   sync.Once
	err    error
	srv    *Server
	hs     *http.Server
	ln     net.Listener
	client *http.Client
	p      sluice.Provider

	mu     sync.Mutex
	closed bool
}

// NewProvider returns a Provider; nothing starts until its first Stream.
func NewProvider(cfg ProviderConfig) *Provider {
	if cfg.Protocol == "" {
		cfg.Protocol = "openai"
	}
	if cfg.Name == "" {
		cfg.Name = "sim"
	}
	return &Provider{cfg: cfg}
}

// Stream streams req from the simulator. The first call starts it.
func (p *Provider) Stream(ctx context.Context, req *sluice.Request) (*sluice.Stream, error) {
	if err := p.start(); err != nil {
		return nil, err
	}
	return p.p.Stream(ctx, req)
}

// Models lists the behaviours the simulator names as models.
func (p *Provider) Models(ctx context.Context) ([]string, error) {
	return append([]string(nil), modelNames...), nil
}

// Server returns the simulator, started, for its Stats; nil if it could not
// start.
func (p *Provider) Server() *Server {
	if p.start() != nil {
		return nil
	}
	return p.srv
}

// URL returns the simulator's base URL ("http://127.0.0.1:port"), starting it.
func (p *Provider) URL() (string, error) {
	if err := p.start(); err != nil {
		return "", err
	}
	return "http://" + p.ln.Addr().String(), nil
}

// Close stops the simulator and ends its streams. It is safe to call more
// than once and concurrently with Stream; a Stream after Close fails.
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if p.hs == nil {
		return nil
	}
	p.client.CloseIdleConnections()
	return p.hs.Close()
}

var errClosed = &sluice.Error{Kind: sluice.KindConnection, Provider: "sim", Message: "the simulator provider was closed"}

// start starts the simulator once. It holds mu while starting, so a
// concurrent Close waits for it and then stops what it started.
func (p *Provider) start() error {
	p.once.Do(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed {
			return
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			p.err = &sluice.Error{Kind: sluice.KindConnection, Provider: p.cfg.Name, Message: "cannot start the simulator on a loopback port: " + err.Error(), Err: err}
			return
		}
		p.ln, p.srv = ln, New(p.cfg.Sim)
		p.hs = &http.Server{Handler: p.srv}
		go p.hs.Serve(ln)
		// A client of its own, so Close can drop its idle connections.
		p.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		base := "http://" + ln.Addr().String()
		p.p, p.err = adapter(p.cfg.Protocol, p.cfg.Name, base, p.client)
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errClosed
	}
	return p.err
}

// adapter returns the real adapter of protocol pointed at the simulator.
func adapter(protocol, name, base string, c *http.Client) (sluice.Provider, error) {
	const key = "sim-key"
	switch protocol {
	case "openai":
		return openai.New(openai.Config{Name: name, BaseURL: base + "/v1", APIKey: key, HTTPClient: c}), nil
	case "anthropic":
		return anthropic.New(anthropic.Config{Name: name, BaseURL: base, APIKey: key, HTTPClient: c}), nil
	case "ollama":
		return ollama.New(ollama.Config{Name: name, BaseURL: base, HTTPClient: c}), nil
	case "gemini":
		return gemini.New(gemini.Config{Name: name, BaseURL: base + "/v1beta", APIKey: key, HTTPClient: c}), nil
	case responses.Protocol:
		return responses.New(responses.Config{Name: name, BaseURL: base + "/v1", APIKey: key, HTTPClient: c}), nil
	}
	return nil, &sluice.Error{Kind: sluice.KindBadRequest, Provider: name,
		Message: fmt.Sprintf("the simulator speaks no protocol %q", protocol),
		Hint:    "use openai, anthropic, ollama, gemini or responses"}
}
