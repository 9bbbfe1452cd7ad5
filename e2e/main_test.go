package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the sluice binary TestMain builds.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sluice-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "sluice")
	build := exec.Command("go", "build", "-o", binary, "github.com/sluicehq/sluice/cmd/sluice")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building sluice:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the module's root directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// Fake keys: the server gets them, and they must never come back out.
const (
	fakeOpenAIKey    = "sk-e2e-openai-FAKE-KEY-0123456789"
	fakeAnthropicKey = "sk-ant-e2e-FAKE-KEY-9876543210"
)

// output collects a process's output safely while it runs.
type output struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// proc is a running sluice process.
type proc struct {
	URL            string
	stdout, stderr *output
	cmd            *exec.Cmd
	done           chan error
}

// start runs the binary with args in dir and environment env, and waits
// for its first line of output, which ends with the address it listens on.
func start(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = env
	p := &proc{cmd: cmd, stdout: &output{}, stderr: &output{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	line, err := br.ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("sluice %s printed no address: %v; stderr:\n%s", args[0], err, p.stderr.String())
	}
	p.stdout.Write([]byte(line))
	go func() {
		io.Copy(p.stdout, br)
		p.done <- cmd.Wait()
	}()
	f := strings.Fields(line)
	p.URL = f[len(f)-1]
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		cmd.Process.Kill()
		t.Fatalf("first line %q does not end with a loopback address", line)
	}
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop sends SIGTERM and waits for the process to exit.
func (p *proc) stop(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.done: // already exited
		p.done <- err
		return err
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		t.Errorf("%s did not stop after SIGTERM", p.cmd.Args[1])
		return <-p.done
	}
}

// stack is a simulator and a sluice server whose OpenAI and Anthropic
// providers point at it.
type stack struct {
	sim, serve *proc
	dir        string
}

// startStack starts `sluice sim` with simArgs and `sluice serve` in front of
// it with a config holding aliases the tests use.
func startStack(t *testing.T, simArgs ...string) *stack {
	t.Helper()
	dir := t.TempDir()
	// SLUICE_NO_PULL: no test downloads a model, whatever the default becomes.
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "SLUICE_NO_PULL=1"}
	sim := start(t, dir, base, append([]string{"sim", "--addr", "127.0.0.1:0"}, simArgs...)...)
	config := filepath.Join(dir, "sluice.yaml")
	err := os.WriteFile(config, []byte(`
aliases:
  slow: openai/tokens=100000
  flaky: anthropic/text+midstream_error@8
  fast: anthropic/claude-sonnet-4-5
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	env := append(base,
		"OPENAI_API_KEY="+fakeOpenAIKey, "OPENAI_BASE_URL="+sim.URL+"/v1",
		"ANTHROPIC_API_KEY="+fakeAnthropicKey, "ANTHROPIC_BASE_URL="+sim.URL,
		"OLLAMA_HOST=http://127.0.0.1:1", // no Ollama here: fail at once
	)
	serve := start(t, dir, env, "serve", "--addr", "127.0.0.1:0", "--config", config,
		"--db", filepath.Join(dir, "requests.db"), "--grace", "1s", "--log-json")
	return &stack{sim: sim, serve: serve, dir: dir}
}

// noSecrets fails the test if a fake key appears in what the server wrote.
func (s *stack) noSecrets(t *testing.T, more ...string) {
	t.Helper()
	all := s.serve.stdout.String() + s.serve.stderr.String() + strings.Join(more, "")
	for _, k := range []string{fakeOpenAIKey, fakeAnthropicKey} {
		if strings.Contains(all, k) {
			t.Errorf("the key %s… appears in the server's output", k[:12])
		}
	}
}
