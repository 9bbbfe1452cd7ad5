package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench"
	"github.com/sluicehq/sluice/bench/overhead"
	"github.com/sluicehq/sluice/sim"
)

func TestBenchTwoModels(t *testing.T) {
	_, env := simEnv(t, sim.Config{TTFT: 5 * time.Millisecond, ITL: time.Millisecond, Tokens: 8})
	dir := t.TempDir()
	jsonPath, csvPath, htmlPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.csv"), filepath.Join(dir, "r.html")
	code, out, errOut := runWith(t.Context(), env, "", "bench", "--model", "openai/alpha", "--model", "openai/beta+tokens=4",
		"--runs", "4", "--concurrency", "2", "--warmup", "1", "--slo", "ttft=1s", "--quiet",
		"--json", jsonPath, "--csv", csvPath, "--html", htmlPath)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Logf("\n%s", out)
	for _, want := range []string{"openai/alpha", "openai/beta+tokens=4", "TTFT", "TPOT", "★", "usage", "goodput"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table has no %q", want)
		}
	}

	f, err := os.Open(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := bench.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Models) != 2 || len(rep.Samples) != 8 {
		t.Fatalf("%d models, %d requests in the JSON; want 2 and 8", len(rep.Models), len(rep.Samples))
	}
	for _, m := range rep.Models {
		want := 8.0
		if strings.Contains(m.Model, "beta") {
			want = 4
		}
		if m.OK != 4 || m.OutputTokens.P50 != want || m.TokenSource != "usage" || m.GoodFraction == nil || *m.GoodFraction != 1 {
			t.Errorf("%s: ok %d, tokens %v from %q, good %v", m.Model, m.OK, m.OutputTokens.P50, m.TokenSource, m.GoodFraction)
		}
	}
	c, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if rows, err := bench.ReadCSV(c); err != nil || len(rows) != 8 {
		t.Errorf("CSV: %d rows, %v", len(rows), err)
	}
	page, err := os.ReadFile(htmlPath)
	if err != nil || !strings.Contains(string(page), "<svg") || strings.Contains(string(page), "https://") {
		t.Errorf("HTML report: %v", err)
	}
}

func TestBenchRejects(t *testing.T) {
	env := func(k string) string { return map[string]string{"SLUICE_NO_PULL": "1", "HOME": t.TempDir()}[k] }
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"rate and concurrency", []string{"--rate", "2", "--concurrency", "3"}, 2, "not both"},
		{"bad SLO", []string{"--slo", "speed=1"}, 2, "unknown SLO"},
		{"prompt and prompts", []string{"--prompt", "a", "--prompts", "b"}, 2, "not both"},
		{"missing prompts file", []string{"--prompts", "/nonexistent/prompts.txt"}, 1, "reading prompts"},
		{"unknown provider", []string{"--model", "nosuch/model", "--runs", "1"}, 1, "nosuch"},
		{"overhead with bad streams", []string{"overhead", "--streams", "1,x"}, 2, "--streams"},
		{"relay without upstream", []string{"relay"}, 2, "--upstream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runWith(t.Context(), env, "", append([]string{"bench"}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}

func TestBenchHelpDefinesMetrics(t *testing.T) {
	code, _, errOut := runApp(t, "bench", "-h")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"TTFB", "TTFT", "ITL", "TPOT", "E2E TPS", "goodput", "vLLM", "GenAI-Perf", "GuideLLM", "llmperf", "monotonic"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("bench -h does not mention %q", want)
		}
	}
}

func TestBenchOverheadInProcess(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runApp(t, "bench", "overhead", "--in-process", "--streams", "1,4", "--deltas", "6",
		"--pace", "5ms", "--search", "0", "--json", filepath.Join(dir, "o.json"))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	t.Logf("\n%s%s", errOut, out)
	for _, want := range []string{"added TTFT p50", "sluice/relay", "largest stall-free"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table has no %q", want)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "o.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res overhead.Result
	if err := json.Unmarshal(b, &res); err != nil || len(res.Phases) != 6 {
		t.Errorf("JSON: %d phases, %v", len(res.Phases), err)
	}
}

// TestBenchOverheadProcesses builds sluice and measures `sluice serve` and
// `sluice bench relay` as the processes the command starts by default.
func TestBenchOverheadProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sluice binary; skipped with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build sluice with")
	}
	bin := filepath.Join(t.TempDir(), "sluice")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	code, out, errOut := runApp(t, "bench", "overhead", "--binary", bin, "--streams", "1,4", "--deltas", "6",
		"--pace", "5ms", "--search", "0", "--json", filepath.Join(dir, "o.json"))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	t.Logf("\n%s%s", errOut, out)
	b, err := os.ReadFile(filepath.Join(dir, "o.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res overhead.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Phases {
		if p.Errors != 0 || p.Chunks != 6*p.Streams {
			t.Errorf("%s at %d: %d errors (%s), %d chunks", p.Target, p.Streams, p.Errors, p.FirstError, p.Chunks)
		}
		if runtime.GOOS == "linux" && p.Target != "direct" && (p.CPUPerEvent == nil || *p.CPUPerEvent <= 0) {
			t.Errorf("%s at %d: no CPU per event", p.Target, p.Streams)
		}
	}
}
