package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/sim"
)

// lockedBuffer collects a command's output for inspection while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// served is a `sluice serve` running in-process.
type served struct {
	base           string
	stdout, stderr *lockedBuffer
	stop           func() int
}

// startServe runs `sluice serve` in-process on a free port with getenv as
// its environment.
func startServe(t *testing.T, getenv func(string) string, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &served{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	a := &App{Stdin: strings.NewReader(""), Stdout: pw, Stderr: s.stderr, Getenv: getenv}
	code := make(chan int, 1)
	go func() {
		code <- a.Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", ":memory:"}, args...))
		pw.Close()
	}()
	br := bufio.NewReader(pr)
	line, err := br.ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("reading the address: %v (stderr %q)", err, s.stderr.String())
	}
	s.stdout.Write([]byte(line))
	go io.Copy(s.stdout, br)
	f := strings.Fields(line)
	s.base = f[len(f)-1]
	if !strings.HasPrefix(s.base, "http://127.0.0.1:") {
		cancel()
		t.Fatalf("first line %q does not end with the address", line)
	}
	stopped, exit := false, 0
	s.stop = func() int {
		if stopped {
			return exit
		}
		stopped = true
		cancel()
		select {
		case exit = <-code:
			return exit
		case <-time.After(20 * time.Second):
			t.Fatal("sluice serve did not stop after its context was cancelled")
			return -1
		}
	}
	t.Cleanup(func() { s.stop() })
	return s
}

func httpDo(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	_, getenv := simEnv(t, sim.Config{Tokens: 6})
	s := startServe(t, getenv)
	if !strings.Contains(s.stdout.String(), "sluice serving on") {
		t.Errorf("stdout %q", s.stdout.String())
	}
	var all strings.Builder
	check := func(name, method, path, body string, status int, contains ...string) {
		t.Helper()
		got, b := httpDo(t, method, s.base+path, body)
		all.WriteString(b)
		if got != status {
			t.Errorf("%s: status %d, want %d: %s", name, got, status, b)
		}
		for _, c := range contains {
			if !strings.Contains(b, c) {
				t.Errorf("%s: body lacks %q:\n%s", name, c, b)
			}
		}
	}
	check("health", "GET", "/healthz", "", 200, `"status":"ok"`)
	check("page", "GET", "/", "", 200, "<title>sluice</title>")
	check("models", "GET", "/v1/models", "", 200, `"default":"openai/gpt-4o-mini"`, `"sim/text"`)
	check("stream default", "GET", "/stream?prompt=hi", "", 200, `"type":"done"`, `"model":"openai/gpt-4o-mini"`)
	check("stream failing", "GET", "/stream?prompt=hi&model="+url.QueryEscape("anthropic/claude+midstream_error@2"), "", 200, `"type":"error"`, `"partial_text":"`)
	check("stream upstream 401", "GET", "/stream?prompt=hi&model="+url.QueryEscape("openai/gpt-4o+401"), "", 401, `"kind":"auth"`)
	check("chat", "POST", "/v1/chat/completions", `{"model":"anthropic/claude-x","messages":[{"role":"user","content":"hi"}]}`, 200, `"object": "chat.completion"`)
	check("messages", "POST", "/v1/messages", `{"model":"openai/gpt-4o","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, 200, "event: message_stop")
	check("bad", "POST", "/v1/messages", `{"model":"openai/gpt-4o","max_tokens":-5,"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error")

	// The request log is written after each stream, off the hot path; the
	// entries appear as soon as the writer gets to them.
	var logs struct {
		Data []struct{ API, Model string }
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(logs.Data) < 4 && time.Now().Before(deadline) {
		_, b := httpDo(t, "GET", s.base+"/v1/logs", "")
		json.Unmarshal([]byte(b), &logs)
		if len(logs.Data) < 4 {
			time.Sleep(5 * time.Millisecond) // polling an observable state, not waiting a fixed time
		}
	}
	if len(logs.Data) < 4 {
		t.Errorf("the request log has %d entries, want the 4 streamed responses", len(logs.Data))
	}
	check("metrics", "GET", "/metrics", "", 200, `sluice_requests_total{model="gpt-4o-mini",outcome="ok",provider="openai"} 1`,
		"gen_ai_server_time_to_first_token_seconds_bucket")
	check("logs", "GET", "/v1/logs", "", 200, `"api":"chat.completions"`)

	if code := s.stop(); code != 0 {
		t.Errorf("exit code %d; stderr:\n%s", code, s.stderr.String())
	}
	all.WriteString(s.stdout.String())
	all.WriteString(s.stderr.String())
	if !strings.Contains(s.stderr.String(), "msg=request") {
		t.Errorf("no request log lines on stderr:\n%s", s.stderr.String())
	}
	for _, secret := range []string{"sk-test-secret", "sk-ant-test-secret", "gm-test-secret"} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("the key %s appears in the server's output", secret)
		}
	}
}

func TestServeConfigFile(t *testing.T) {
	srv, getenv := simEnv(t, sim.Config{Tokens: 4})
	env := func(k string) string {
		if k == "COMPAT_KEY" {
			return "compat-secret-key"
		}
		return getenv(k)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "sluice.yaml")
	base := strings.TrimSuffix(getenv("OPENAI_BASE_URL"), "/v1")
	os.WriteFile(path, []byte(`
default_model: fast
aliases:
  fast: compat/some-model
endpoints:
  - name: compat
    base_url: `+base+`/v1
    api_key_env: COMPAT_KEY
    models: [some-model]
server:
  heartbeat: 1s
  db: `+filepath.Join(dir, "log.db")+`
`), 0o600)
	s := startServe(t, env, "--config", path, "--db", filepath.Join(dir, "flag.db"))
	_, b := httpDo(t, "GET", s.base+"/v1/models", "")
	for _, want := range []string{`"id":"fast"`, `"alias_for":"compat/some-model"`, `"id":"compat/some-model"`, `"default":"fast"`} {
		if !strings.Contains(b, want) {
			t.Errorf("models lack %s: %s", want, b)
		}
	}
	code, b := httpDo(t, "GET", s.base+"/stream?prompt=hi", "")
	if code != 200 || !strings.Contains(b, `"type":"done"`) || !strings.Contains(b, `"model":"compat/some-model"`) {
		t.Errorf("stream through the alias: %d %s", code, b)
	}
	if last, ok := srv.Last(); !ok || last.Model != "some-model" {
		t.Errorf("the simulator got %+v", last)
	}
	s.stop()
	if _, err := os.Stat(filepath.Join(dir, "flag.db")); err != nil {
		t.Errorf("--db on the command line did not win over the file: %v", err)
	}
	if strings.Contains(s.stdout.String()+s.stderr.String(), "compat-secret-key") {
		t.Error("the endpoint's key appears in the output")
	}
}

func TestServeBadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	os.WriteFile(path, []byte("server:\n  hearbeat: 1s\n"), 0o600)
	code, _, stderr := runWith(t.Context(), func(string) string { return "" }, "", "serve", "--no-pull", "--config", path, "--db", ":memory:", "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "line 2: unknown field hearbeat") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runWith(t.Context(), func(string) string { return "" }, "", "serve", "extra")
	if code != 2 || !strings.Contains(stderr, "unexpected argument") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// SIGTERM (here: the context) lets streams run for the grace period, then
// ends them with an error event, and the command exits cleanly.
func TestServeGracefulShutdown(t *testing.T) {
	_, getenv := simEnv(t, sim.Config{ITL: 5 * time.Millisecond})
	s := startServe(t, getenv, "--grace", "100ms")
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.base+"/stream?prompt=hi&model="+url.QueryEscape("openai/tokens=100000"), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(line, `"type":"token"`) {
			break
		}
	}
	code := make(chan int, 1)
	go func() { code <- s.stop() }()
	rest, _ := io.ReadAll(r)
	if !strings.Contains(string(rest), `"type":"error"`) || !strings.Contains(string(rest), "shutting down") {
		t.Errorf("the stream did not end with the shutdown error; its tail:\n%s", tail(string(rest), 600))
	}
	if c := <-code; c != 0 {
		t.Errorf("exit code %d", c)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
