package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sim"
	"github.com/sluicehq/sluice/tokens"
)

// simEnv starts a simulator and returns an environment pointing every
// provider at it.
func simEnv(t *testing.T, cfg sim.Config) (*sim.Server, func(string) string) {
	t.Helper()
	s := sim.New(cfg)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	env := map[string]string{
		"OPENAI_BASE_URL": srv.URL + "/v1", "OPENAI_API_KEY": "sk-test-secret",
		"ANTHROPIC_BASE_URL": srv.URL, "ANTHROPIC_API_KEY": "sk-ant-test-secret",
		"OLLAMA_HOST":     srv.URL,
		"GEMINI_BASE_URL": srv.URL + "/v1beta", "GEMINI_API_KEY": "gm-test-secret",
		"SLUICE_NO_PULL": "1", // never download a model in a test
	}
	return s, func(k string) string { return env[k] }
}

func runWith(ctx context.Context, getenv func(string) string, stdin string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	a := &App{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: getenv}
	code := a.Run(ctx, args)
	return code, out.String(), errb.String()
}

func TestStreamEachProtocol(t *testing.T) {
	_, env := simEnv(t, sim.Config{Tokens: 8, Echo: true})
	for _, p := range []string{"openai", "anthropic", "ollama", "gemini"} {
		t.Run(p, func(t *testing.T) {
			code, out, errs := runWith(t.Context(), env, "", "stream", "--model", p+"/text", "one two three")
			if code != 0 {
				t.Fatalf("exit %d, stderr %s", code, errs)
			}
			if strings.TrimSpace(out) != "one two three" {
				t.Fatalf("stdout = %q", out)
			}
			for _, want := range []string{"TTFT", "tok/s", "output tokens", "finish stop"} {
				if !strings.Contains(errs, want) {
					t.Fatalf("stderr %q lacks %q", errs, want)
				}
			}
			if strings.Contains(out+errs, "secret") {
				t.Fatal("a key leaked into the output")
			}
		})
	}
}

func TestStreamPromptFromStdinAndJSON(t *testing.T) {
	_, env := simEnv(t, sim.Config{Tokens: 4, Echo: true})
	code, out, errs := runWith(t.Context(), env, "from stdin\n", "stream", "--json", "--model", "openai/text")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res sluice.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if res.Text != "from stdin" || res.Finish != sluice.FinishStop || res.Usage.Output.N == 0 {
		t.Fatalf("result = %+v", res)
	}
}

func TestStreamErrors(t *testing.T) {
	_, env := simEnv(t, sim.Config{Tokens: 8})
	tests := []struct {
		name     string
		args     []string
		code     int
		stderr   []string
		stdoutIn string
	}{
		{"unknown provider", []string{"--model", "nope/x", "hi"}, 1, []string{`unknown provider "nope"`, "openai", "sim"}, ""},
		{"missing key", []string{"--model", "openai/gpt-4o", "hi"}, 1, []string{"OPENAI_API_KEY"}, ""},
		{"no prompt", []string{"--model", "sim/text"}, 2, []string{"no prompt"}, ""},
		{"bad model form", []string{"--model", "gpt-4o", "hi"}, 1, []string{"provider/model"}, ""},
		{"negative max tokens", []string{"--max-tokens", "-1", "hi"}, 2, []string{"--max-tokens is -1"}, ""},
		{"rate limited", []string{"--model", "openai/text+status=429", "hi"}, 1, []string{"rate_limit", "429"}, ""},
		{"mid-stream error keeps text", []string{"--model", "openai/text+midstream_error@3", "hi"}, 1, []string{"PARTIAL", "server"}, "Streams"},
		{"length warning", []string{"--model", "anthropic/text", "--max-tokens", "2", "hi"}, 0, []string{"finish length", "warning", "--max-tokens"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env
			if tt.name == "missing key" {
				e = func(string) string { return "" }
			}
			code, out, errs := runWith(t.Context(), e, "", append([]string{"stream"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, errs)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(errs, want) {
					t.Errorf("stderr %q lacks %q", errs, want)
				}
			}
			if !strings.Contains(out, tt.stdoutIn) {
				t.Errorf("stdout %q lacks %q", out, tt.stdoutIn)
			}
		})
	}
}

// TestStreamCancelClosesUpstream is Ctrl-C: the context is cancelled while
// the simulator stalls mid-stream; the simulator must see its client leave,
// and the command must print what arrived and exit 130.
func TestStreamCancelClosesUpstream(t *testing.T) {
	for _, p := range []string{"openai", "anthropic", "ollama", "gemini"} {
		t.Run(p, func(t *testing.T) {
			s, env := simEnv(t, sim.Config{Tokens: 8})
			ctx, cancel := context.WithCancel(t.Context())
			type outcome struct {
				code     int
				out, err string
			}
			done := make(chan outcome, 1)
			stdout := &signalWriter{wrote: make(chan struct{})}
			go func() {
				var errb bytes.Buffer
				a := &App{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: &errb, Getenv: env}
				code := a.Run(ctx, []string{"stream", "--model", p + "/text+stall@3:1h", "hi"})
				done <- outcome{code, stdout.String(), errb.String()}
			}()
			wctx, wcancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer wcancel()
			select {
			case <-stdout.wrote: // tokens are on the screen; the simulator now stalls
			case r := <-done:
				t.Fatalf("ended before streaming: exit %d stderr %q", r.code, r.err)
			case <-wctx.Done():
				t.Fatal("no token arrived")
			}
			cancel()
			if err := s.WaitFor(wctx, func(st sim.Stats) bool { return st.Disconnected == 1 && st.Active == 0 }); err != nil {
				t.Fatalf("the simulator did not see the client leave: %v (stats %+v)", err, s.Stats())
			}
			r := <-done
			if r.code != 130 || r.out == "" || !strings.Contains(r.err, "PARTIAL") || !strings.Contains(r.err, "cancelled") {
				t.Fatalf("exit %d stdout %q stderr %q", r.code, r.out, r.err)
			}
		})
	}
}

// signalWriter is a concurrency-safe buffer that closes wrote at the first
// write, so a test waits on output instead of sleeping.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	once  sync.Once
	wrote chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.once.Do(func() { close(w.wrote) })
	return w.buf.Write(p)
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestStreamBudget: --budget stops at exactly N tokens of the model's
// encoding, reports finish budget, and cancels the upstream.
func TestStreamBudget(t *testing.T) {
	for _, budget := range []int{1, 5, 17} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			s, env := simEnv(t, sim.Config{Tokens: 64, ITL: 10 * time.Millisecond}) // still streaming when the budget is hit
			code, out, errs := runWith(t.Context(), env, "", "stream", "--json", "--budget", fmt.Sprint(budget), "--model", "openai/gpt-4o-mini", "hi")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var res sluice.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatal(err)
			}
			enc, exact := tokens.ForModel("gpt-4o-mini")
			if !exact {
				t.Fatal("gpt-4o-mini should have an exact encoding")
			}
			if n := enc.Count(res.Text); n != budget || res.Finish != sluice.FinishBudget || res.Usage.Output != sluice.EstimatedCount(int64(budget)) {
				t.Fatalf("text %q has %d tokens, finish %s, usage %+v", res.Text, n, res.Finish, res.Usage.Output)
			}
			if strings.Contains(errs, "approximation") {
				t.Fatalf("unexpected note: %s", errs)
			}
			wctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if err := s.WaitFor(wctx, func(st sim.Stats) bool { return st.Disconnected == 1 }); err != nil {
				t.Fatalf("the budget did not cancel the upstream: %+v", s.Stats())
			}
		})
	}
}
