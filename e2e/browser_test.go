package e2e

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "also write docs/screenshot.png for the README")

// The page in headless Chromium: stream, metrics, Stop, errors, compare
// mode, history, dark mode and phone width. Screenshots are kept in
// artifacts/ (not committed); -update-screenshot refreshes the README's.
func TestBrowser(t *testing.T) {
	node, dir := needNode(t)
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("Chromium is not installed at %s: run apt-get install -y chromium (or set CHROMIUM)", chromium)
	}
	root := repoRoot(t)
	artifacts := filepath.Join(root, "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	s := startStack(t, "--ttft", "150ms", "--itl", "20ms", "--jitter", "5ms", "--tokens", "40")
	env := []string{"SLUICE_URL=" + s.serve.URL, "ARTIFACTS=" + artifacts, "SIM_TOKENS=40", "CHROMIUM=" + chromium}
	if *updateScreenshot {
		env = append(env, "DOCS_SCREENSHOT="+filepath.Join(root, "docs", "screenshot.png"))
	}
	out := runNode(t, node, dir, "browser.mjs", 3*time.Minute, env...)
	for _, line := range strings.Split(out, "\n") {
		if p, ok := strings.CutPrefix(line, "screenshot "); ok {
			t.Logf("screenshot kept at %s", p)
		}
	}

	// Stop in the page aborted the fetch; the server cancelled the upstream
	// request, which the simulator saw.
	var stats struct{ Disconnected int }
	deadline := time.Now().Add(10 * time.Second)
	for stats.Disconnected == 0 && time.Now().Before(deadline) {
		resp, err := http.Get(s.sim.URL + "/sim/stats")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&stats)
		resp.Body.Close()
		if stats.Disconnected == 0 {
			time.Sleep(10 * time.Millisecond) // polling an observable count
		}
	}
	if stats.Disconnected == 0 {
		t.Error("Stop in the page did not cancel the upstream stream")
	}
	s.noSecrets(t)
}
