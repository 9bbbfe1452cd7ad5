package sim_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sim"
)

func TestProvider(t *testing.T) {
	for _, protocol := range []string{"openai", "anthropic", "ollama", "gemini"} {
		t.Run(protocol, func(t *testing.T) {
			p := sim.NewProvider(sim.ProviderConfig{Protocol: protocol, Sim: sim.Config{Tokens: 4, ReasoningTokens: 3}})
			defer p.Close()
			s, err := p.Stream(t.Context(), &sluice.Request{Model: "reasoning", Messages: []sluice.Message{sluice.UserMessage("Hi")}})
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range s.Events() {
				if err != nil {
					t.Fatal(err)
				}
			}
			res := s.Result()
			if res.Provider != "sim" || res.Text != sim.Text(4) || res.Reasoning != sim.ReasoningText(3) || res.Finish != sluice.FinishStop {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestProviderCancelClosesTheUpstream(t *testing.T) {
	p := sim.NewProvider(sim.ProviderConfig{Sim: sim.Config{Tokens: 100, ITL: time.Hour}})
	defer p.Close()
	s, err := p.Stream(t.Context(), &sluice.Request{Model: "text", Messages: []sluice.Message{sluice.UserMessage("Hi")}})
	if err != nil {
		t.Fatal(err)
	}
	for ev, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == sluice.EventText {
			break // the second token is an hour away
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := p.Server().WaitFor(ctx, func(st sim.Stats) bool { return st.Disconnected == 1 && st.Active == 0 }); err != nil {
		t.Fatalf("the simulator did not see the client leave: %v (%+v)", err, p.Server().Stats())
	}
	if res := s.Result(); !res.Partial || res.Finish != sluice.FinishCanceled || res.Text != sim.Text(1) {
		t.Errorf("result %+v", res)
	}
}

func TestProviderClose(t *testing.T) {
	p := sim.NewProvider(sim.ProviderConfig{})
	u, err := p.URL()
	if err != nil || !strings.HasPrefix(u, "http://127.0.0.1:") {
		t.Fatalf("URL = %q, %v", u, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = p.Stream(t.Context(), &sluice.Request{Model: "text", Messages: []sluice.Message{sluice.UserMessage("Hi")}})
	var e *sluice.Error
	if !errors.As(err, &e) {
		t.Fatalf("Stream after Close: %v", err)
	}
	if _, err := http.Get(u + "/sim/stats"); err == nil {
		t.Error("the simulator still answers after Close")
	}
	if err := sim.NewProvider(sim.ProviderConfig{Protocol: "smoke-signals"}).Close(); err != nil {
		t.Error(err)
	}
	bad := sim.NewProvider(sim.ProviderConfig{Protocol: "smoke-signals"})
	defer bad.Close()
	if _, err := bad.Stream(t.Context(), &sluice.Request{Model: "text"}); err == nil || !strings.Contains(err.Error(), "openai, anthropic") {
		t.Errorf("unknown protocol: %v", err)
	}
}

func TestStatsEndpoint(t *testing.T) {
	_, base := startSim(t, sim.Config{})
	resp, err := http.Post(base+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"text","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp, err = http.Get(base + "/sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"requests":1`) || !strings.Contains(string(b), `"completed":1`) {
		t.Errorf("GET /sim/stats = %s", b)
	}
}

// ExampleProvider streams from the simulator in-process, through the real
// OpenAI adapter, as "sim/text" in the CLI does.
func ExampleProvider() {
	p := sim.NewProvider(sim.ProviderConfig{Sim: sim.Config{Tokens: 5}})
	defer p.Close()
	s, err := p.Stream(context.Background(), &sluice.Request{Model: "text", Messages: []sluice.Message{sluice.UserMessage("Hi")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for ev, err := range s.Events() {
		if err != nil {
			fmt.Println(err)
			return
		}
		if ev.Type == sluice.EventText {
			fmt.Print(ev.Text)
		}
	}
	res := s.Result()
	fmt.Printf("\n%s, %d tokens\n", res.Finish, res.Usage.Output.N)
	// Output:
	// Streams carry tokens from the
	// stop, 5 tokens
}

// ExampleNew serves the simulator and asks it for a fault: a 429 with
// retry-after-ms, in OpenAI's error format.
func ExampleNew() {
	srv := httptest.NewServer(sim.New(sim.Config{}))
	defer srv.Close()
	body := `{"model":"gpt-4o-mini+429","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After-Ms"))
	// Output:
	// 429 1
}
