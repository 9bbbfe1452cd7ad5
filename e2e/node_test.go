package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needNode skips the test unless node and the e2e packages are installed,
// saying how to install what is missing.
func needNode(t *testing.T) (node, dir string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: install Node.js 20 or later (apt-get install -y nodejs npm) to run the npm SDK and browser tests")
	}
	dir = filepath.Join(repoRoot(t), "e2e")
	for _, pkg := range []string{"openai", "@anthropic-ai/sdk", "playwright-core"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			t.Skipf("the e2e node packages are not installed (%s is missing): run npm ci --prefix e2e", pkg)
		}
	}
	return node, dir
}

// runNode runs a script of e2e/node with env added and reports each of its
// "FAIL name: why" lines as a test error.
func runNode(t *testing.T, node, dir, script string, timeout time.Duration, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("node", script))
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "FAIL ") {
			t.Error(strings.TrimPrefix(line, "FAIL "))
		}
	}
	if err != nil && !t.Failed() {
		t.Errorf("node %s: %v\n%s", script, err, out.String())
	}
	t.Logf("node %s:\n%s", script, out.String())
	return out.String()
}

// The npm openai and @anthropic-ai/sdk packages stream through sluice:
// text, usage, tool calls and errors, each against models behind both
// protocols.
func TestNodeSDKs(t *testing.T) {
	node, dir := needNode(t)
	s := startStack(t, simArgs()...)
	out := runNode(t, node, dir, "sdk.mjs", 2*time.Minute, "SLUICE_URL="+s.serve.URL)
	if !strings.Contains(out, " passed, 0 failed") {
		t.Errorf("the node checks did not all pass")
	}
	s.noSecrets(t)
}
