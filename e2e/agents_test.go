package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The real agent clients, installed from npm (@openai/codex,
// @anthropic-ai/claude-code), complete a task that needs one shell call
// through sluice serve, over simulator targets of other protocols, with no
// network beyond loopback.

// Fake keys of the agent stack, which must never come back out.
const (
	fakeGeminiKey = "gm-e2e-FAKE-KEY-5555555555"
	fakeAgentKey  = "sk-e2e-agent-FAKE-KEY-77777777"
)

// agentModels are the aliases the agent stack serves: one simulated model
// per upstream protocol, reasoning and calling the shell. Those whose
// protocol has reasoning signatures reject a turn that lost them.
const agentModels = `
aliases:
  agent-anthropic: anthropic/reasoning+tools+signed
  agent-chat: openai/reasoning+tools
  agent-ollama: ollama/reasoning+tools
  agent-gemini: gemini/reasoning+tools+signed
`

// startAgentStack starts `sluice sim` and `sluice serve` with every
// protocol's provider pointed at the simulator.
func startAgentStack(t *testing.T) *stack {
	t.Helper()
	dir := t.TempDir()
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	sim := start(t, dir, base, append([]string{"sim", "--addr", "127.0.0.1:0", "--reasoning-tokens", "6"}, simArgs()...)...)
	config := filepath.Join(dir, "sluice.yaml")
	if err := os.WriteFile(config, []byte(agentModels), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(base,
		"OPENAI_API_KEY="+fakeOpenAIKey, "OPENAI_BASE_URL="+sim.URL+"/v1",
		"ANTHROPIC_API_KEY="+fakeAnthropicKey, "ANTHROPIC_BASE_URL="+sim.URL,
		"GEMINI_API_KEY="+fakeGeminiKey, "GEMINI_BASE_URL="+sim.URL+"/v1beta",
		"OLLAMA_HOST="+sim.URL,
	)
	serve := start(t, dir, env, "serve", "--addr", "127.0.0.1:0", "--config", config,
		"--db", filepath.Join(dir, "requests.db"), "--grace", "1s", "--log-json", "--no-pull")
	return &stack{sim: sim, serve: serve, dir: dir}
}

// needAgent returns the path of an agent CLI installed in e2e/node_modules,
// or skips the test saying how to install it.
func needAgent(t *testing.T, bin, pkg string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: install Node.js 20 or later (apt-get install -y nodejs npm) to run the agent tests")
	}
	path := filepath.Join(repoRoot(t), "e2e", "node_modules", ".bin", bin)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s is not installed: run npm ci --prefix e2e", pkg)
	}
	return path
}

// runAgent runs an agent CLI in an empty folder with exactly env, stdin
// closed, and returns its stdout and stderr.
func runAgent(t *testing.T, env []string, name string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(name), err, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

// The shell output the simulator's tool loop asks for, which the answer
// must quote.
const shellOutput = "hello from sluice sim"

func TestCodexExec(t *testing.T) {
	codex := needAgent(t, "codex", "@openai/codex")
	s := startAgentStack(t)
	for _, tt := range []struct {
		model string
		ws    bool
	}{
		{"agent-anthropic", false},
		{"agent-chat", false},
		{"agent-anthropic", true},
		{"agent-chat", true},
	} {
		name := tt.model + "/http"
		if tt.ws {
			name = tt.model + "/websocket"
		}
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			codexHome := filepath.Join(home, ".codex")
			if err := os.MkdirAll(codexHome, 0o700); err != nil {
				t.Fatal(err)
			}
			config := `model = "` + tt.model + `"
model_provider = "sluice"
check_for_update_on_startup = false

[model_providers.sluice]
name = "sluice"
base_url = "` + s.serve.URL + `/v1"
wire_api = "responses"
env_key = "SLUICE_API_KEY"
supports_websockets = ` + map[bool]string{false: "false", true: "true"}[tt.ws] + `
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[features]
plugins = false
`
			if err := os.WriteFile(filepath.Join(codexHome, "config.toml"), []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "CODEX_HOME=" + codexHome, "SLUICE_API_KEY=" + fakeAgentKey}
			stdout, stderr := runAgent(t, env, codex, "exec", "--skip-git-repo-check", "--ephemeral", "--json", "-s", "read-only",
				"Run `echo hello` in the shell, then tell me what it printed.")
			if strings.Contains(stdout+stderr, "Falling back") {
				t.Errorf("codex fell back from the WebSocket:\n%s\n%s", stdout, stderr)
			}
			var answer string
			ran := false
			for _, line := range strings.Split(stdout, "\n") {
				var ev struct {
					Type string
					Item struct {
						Type, Text       string
						AggregatedOutput string `json:"aggregated_output"`
					}
				}
				if json.Unmarshal([]byte(line), &ev) != nil || ev.Type != "item.completed" {
					continue
				}
				switch ev.Item.Type {
				case "agent_message":
					answer = ev.Item.Text
				case "command_execution":
					ran = ran || strings.Contains(ev.Item.AggregatedOutput, shellOutput)
				}
			}
			if !ran || !strings.Contains(answer, shellOutput) {
				t.Fatalf("codex ran the shell: %v; answered %q\nstdout:\n%s\nstderr:\n%s", ran, answer, stdout, stderr)
			}
			api := `"api":"responses"`
			if tt.ws {
				api = `"api":"responses.ws"`
			}
			if !strings.Contains(s.serve.stdout.String()+s.serve.stderr.String(), api) {
				t.Errorf("the server logged no request of %s", api)
			}
		})
	}
	noAgentSecrets(t, s)
}

func TestClaudeCode(t *testing.T) {
	claude := needAgent(t, "claude", "@anthropic-ai/claude-code")
	s := startAgentStack(t)
	for _, model := range []string{"agent-chat", "agent-ollama"} {
		t.Run(model, func(t *testing.T) {
			home := t.TempDir()
			env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
				"ANTHROPIC_BASE_URL=" + s.serve.URL, "ANTHROPIC_API_KEY=" + fakeAgentKey,
				"ANTHROPIC_MODEL=" + model, "ANTHROPIC_SMALL_FAST_MODEL=" + model, "ANTHROPIC_DEFAULT_HAIKU_MODEL=" + model,
				"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DISABLE_TELEMETRY=1", "CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK=1",
				"DISABLE_AUTOUPDATER=1"}
			stdout, stderr := runAgent(t, env, claude, "-p", "Run `echo hello` in the shell, then tell me what it printed.",
				"--allowedTools", "Bash(echo *)", "--output-format", "json")
			var res struct {
				IsError  bool   `json:"is_error"`
				Result   string `json:"result"`
				NumTurns int    `json:"num_turns"`
			}
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatalf("the output is not JSON: %v\n%s\n%s", err, stdout, stderr)
			}
			if res.IsError || !strings.Contains(res.Result, shellOutput) || res.NumTurns < 2 {
				t.Fatalf("claude: %+v\nstderr:\n%s", res, stderr)
			}
		})
	}
	noAgentSecrets(t, s)
}

// noAgentSecrets fails the test if a key the agent stack handed out
// appears in what the server wrote.
func noAgentSecrets(t *testing.T, s *stack) {
	t.Helper()
	s.noSecrets(t)
	all := s.serve.stdout.String() + s.serve.stderr.String()
	for _, k := range []string{fakeAgentKey, fakeGeminiKey} {
		if strings.Contains(all, k) {
			t.Errorf("the key %s… appears in the server's output", k[:12])
		}
	}
}
