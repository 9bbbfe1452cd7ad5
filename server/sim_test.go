package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/gateway"
	"github.com/sluicehq/sluice/provider/anthropic"
	"github.com/sluicehq/sluice/provider/openai"
	"github.com/sluicehq/sluice/sim"
)

// simEnv serves two simulators through the server: "simoai" speaks OpenAI
// upstream and "simant" Anthropic, so a request to one API for the other's
// model crosses protocols.
type simEnv struct {
	url      string
	srv      *Server
	oai, ant *sim.Provider
}

func newSimEnv(t *testing.T, cfg sim.Config) *simEnv {
	t.Helper()
	reg := gateway.NewRegistry(nil)
	oai := sim.NewProvider(sim.ProviderConfig{Protocol: "openai", Name: "simoai", Sim: cfg})
	ant := sim.NewProvider(sim.ProviderConfig{Protocol: "anthropic", Name: "simant", Sim: cfg})
	t.Cleanup(func() { oai.Close(); ant.Close() })
	reg.Add("simoai", oai)
	reg.Add("simant", ant)
	srv, err := New(Config{Router: reg, DefaultModel: "simoai/text", Heartbeat: -1})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &simEnv{url: hs.URL, srv: srv, oai: oai, ant: ant}
}

// A client that goes away cancels the upstream request: the simulator sees
// its connection close.
func TestDisconnectClosesSimulatorStream(t *testing.T) {
	for _, tt := range []struct{ name, path string }{
		{"stream", "/stream?prompt=hi&model=" + url.QueryEscape("simant/tokens=100000")},
		{"stream openai upstream", "/stream?prompt=hi&model=" + url.QueryEscape("simoai/tokens=100000")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newSimEnv(t, sim.Config{ITL: time.Millisecond})
			r, disconnect := openStream(t, e.url+tt.path)
			readUntil(t, r, `"type":"token"`)
			disconnect()
			p := e.oai
			if strings.Contains(tt.path, "simant") {
				p = e.ant
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err := p.Server().WaitFor(ctx, func(s sim.Stats) bool { return s.Disconnected == 1 && s.Active == 0 })
			if err != nil {
				t.Fatalf("the simulator did not see the client go: %v (stats %+v)", err, p.Server().Stats())
			}
			e.srv.active.Wait()
			if n := e.srv.metrics.activeCount(); n != 0 {
				t.Errorf("%d streams still active", n)
			}
		})
	}
}

// doURL POSTs a JSON body and returns the status and the body.
func doURL(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// Each API reaches a model behind the other protocol.
func TestCrossProtocol(t *testing.T) {
	e := newSimEnv(t, sim.Config{Tokens: 8})
	const tools = `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`
	const anthTools = `"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]`
	for _, tt := range []struct {
		name, path, body string
		decoder          func([]byte) sluice.Decoder
		wantErr          bool
		check            func(t *testing.T, text string, calls []string, usage *sluice.Usage)
	}{
		{
			name: "openai API to anthropic upstream", path: "/v1/chat/completions",
			body:    `{"model":"simant/text","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`,
			decoder: func(b []byte) sluice.Decoder { return openai.NewDecoder(bytes.NewReader(b)) },
			check: func(t *testing.T, text string, _ []string, u *sluice.Usage) {
				if len(strings.Fields(text)) != 8 || u == nil || u.Output.N == 0 {
					t.Errorf("text %q usage %+v", text, u)
				}
			},
		},
		{
			name: "anthropic API to openai upstream", path: "/v1/messages",
			body:    `{"model":"simoai/text","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			decoder: func(b []byte) sluice.Decoder { return anthropic.NewDecoder(bytes.NewReader(b)) },
			check: func(t *testing.T, text string, _ []string, u *sluice.Usage) {
				if len(strings.Fields(text)) != 8 || u == nil || u.Output.N == 0 {
					t.Errorf("text %q usage %+v", text, u)
				}
			},
		},
		{
			name: "openai tools to anthropic upstream", path: "/v1/chat/completions",
			body:    `{"model":"simant/tools","stream":true,"messages":[{"role":"user","content":"weather?"}],` + tools + `}`,
			decoder: func(b []byte) sluice.Decoder { return openai.NewDecoder(bytes.NewReader(b)) },
			check: func(t *testing.T, _ string, calls []string, _ *sluice.Usage) {
				if len(calls) != 1 || calls[0] != "get_weather" {
					t.Errorf("tool calls %v", calls)
				}
			},
		},
		{
			name: "anthropic tools to openai upstream", path: "/v1/messages",
			body:    `{"model":"simoai/tools","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"weather?"}],` + anthTools + `}`,
			decoder: func(b []byte) sluice.Decoder { return anthropic.NewDecoder(bytes.NewReader(b)) },
			check: func(t *testing.T, _ string, calls []string, _ *sluice.Usage) {
				if len(calls) != 1 || calls[0] != "get_weather" {
					t.Errorf("tool calls %v", calls)
				}
			},
		},
		{
			name: "openai API, anthropic upstream fails midstream", path: "/v1/chat/completions",
			body:    `{"model":"simant/text+midstream_error@3","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			decoder: func(b []byte) sluice.Decoder { return openai.NewDecoder(bytes.NewReader(b)) },
			wantErr: true,
		},
		{
			name: "anthropic API, openai upstream truncated", path: "/v1/messages",
			body:    `{"model":"simoai/text+truncate@3","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			decoder: func(b []byte) sluice.Decoder { return anthropic.NewDecoder(bytes.NewReader(b)) },
			wantErr: true,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := doURL(t, e.url+tt.path, tt.body)
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			d := tt.decoder(body)
			var text strings.Builder
			var calls []string
			var usage *sluice.Usage
			var err error
			for {
				var ev sluice.Event
				ev, err = d.Next()
				if err != nil {
					break
				}
				switch ev.Type {
				case sluice.EventText:
					text.WriteString(ev.Text)
				case sluice.EventItemStart:
					if ev.Kind == sluice.ItemToolCall {
						calls = append(calls, ev.Name)
					}
				case sluice.EventUsage:
					u := *ev.Usage
					usage = &u
				}
			}
			clean := err == nil || errors.Is(err, io.EOF)
			if tt.wantErr {
				if clean || strings.Contains(string(body), "\ndata: [DONE]") || strings.Contains(string(body), "event: message_stop") {
					t.Errorf("a failed upstream ended cleanly:\n%s", body)
				}
				if text.Len() == 0 {
					t.Errorf("the partial text did not arrive before the error:\n%s", body)
				}
				return
			}
			if !clean {
				t.Fatalf("decode: %v\n%s", err, body)
			}
			tt.check(t, text.String(), calls, usage)
		})
	}
}
