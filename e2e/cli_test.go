package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// simStats reads GET /sim/stats of a running `sluice sim`.
func simStats(t *testing.T, url string) (st struct{ Active, Disconnected, Completed int64 }) {
	t.Helper()
	resp, err := http.Get(url + "/sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestStreamAgainstSimProcess runs `sluice stream` against `sluice sim`, both
// as real processes, over every protocol: the text arrives, the metrics are
// printed, and an interrupted stream closes its upstream connection.
func TestStreamAgainstSimProcess(t *testing.T) {
	dir := t.TempDir()
	sim := start(t, dir, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, "sim", "--addr", "127.0.0.1:0", "--ttft", "0s", "--itl", "1ms", "--echo")
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "SLUICE_NO_PULL=1",
		"OPENAI_API_KEY=" + fakeOpenAIKey, "OPENAI_BASE_URL=" + sim.URL + "/v1",
		"ANTHROPIC_API_KEY=" + fakeAnthropicKey, "ANTHROPIC_BASE_URL=" + sim.URL,
		"OLLAMA_HOST=" + sim.URL,
		"GEMINI_API_KEY=gm-fake", "GEMINI_BASE_URL=" + sim.URL + "/v1beta",
	}
	for _, p := range []string{"openai", "anthropic", "ollama", "gemini"} {
		t.Run(p, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, "stream", "--model", p+"/text", "sluice streams every token")
			cmd.Dir, cmd.Env = dir, env
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\nstderr: %s", err, errb.String())
			}
			if strings.TrimSpace(out.String()) != "sluice streams every token" {
				t.Fatalf("stdout %q", out.String())
			}
			for _, want := range []string{"TTFT", "tok/s", "4 output tokens", "finish stop"} {
				if !strings.Contains(errb.String(), want) {
					t.Fatalf("stderr %q lacks %q", errb.String(), want)
				}
			}
		})
	}

	t.Run("interrupt", func(t *testing.T) {
		before := simStats(t, sim.URL).Disconnected
		cmd := exec.Command(binary, "stream", "--model", "anthropic/text+stall@2:1h", "one two three four")
		cmd.Dir, cmd.Env = dir, env
		stdout := &output{}
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = stdout, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until tokens are on stdout: the simulator now stalls.
		deadline := time.Now().Add(30 * time.Second)
		for stdout.String() == "" {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("no token arrived; stderr %s", errb.String())
			}
			time.Sleep(5 * time.Millisecond) // polling output another process writes
		}
		cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
			t.Fatalf("exit %v, want 130; stderr %s", err, errb.String())
		}
		if !strings.Contains(errb.String(), "PARTIAL") || strings.TrimSpace(stdout.String()) != "one two" || !strings.Contains(errb.String(), "2 output tokens (estimated)") {
			t.Fatalf("stdout %q stderr %q", stdout.String(), errb.String())
		}
		for simStats(t, sim.URL).Disconnected != before+1 {
			if time.Now().After(deadline) {
				t.Fatal("the simulator never saw the connection close")
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}
