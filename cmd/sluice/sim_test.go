package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startSim runs `sluice sim` in-process on a free port and returns its base URL
// and a function that interrupts it and returns its exit code.
func startSim(t *testing.T, args ...string) (base string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr strings.Builder
	a := &App{Stdin: strings.NewReader(""), Stdout: pw, Stderr: &stderr, Getenv: func(string) string { return "" }}
	code := make(chan int, 1)
	go func() {
		code <- a.Run(ctx, append([]string{"sim", "--addr", "127.0.0.1:0"}, args...))
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("reading the address: %v (stderr %q)", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	f := strings.Fields(line)
	base = f[len(f)-1]
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		cancel()
		t.Fatalf("first line %q does not end with the address", line)
	}
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case c := <-code:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("sluice sim did not stop after its context was cancelled")
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

func TestSimServesAndStops(t *testing.T) {
	base, stop := startSim(t, "--ttft", "0", "--itl", "0", "--jitter", "0", "--tokens", "3")
	resp, err := http.Get(base + "/sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Requests int64 }
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /sim/stats: %d %v", resp.StatusCode, err)
	}

	body := `{"model":"text","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	resp, err = http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"content":" tokens"`) || !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
		t.Errorf("stream:\n%s", b)
	}

	// An interrupt ends the streams still open, even one told to stall for
	// an hour.
	body = `{"model":"stall@1:1h","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	resp, err = http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatalf("the stream sent nothing: %v", err)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit code %d after interrupt, want 0", code)
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		// Ending the handler ends the chunked body cleanly; either way the
		// read returned instead of waiting an hour.
		t.Log("the stalled stream ended at the interrupt")
	}
}

func TestSimFlags(t *testing.T) {
	code, _, errs := runApp(t, "sim", "--addr", "127.0.0.1:0", "extra")
	if code != 1 || !strings.Contains(errs, "unexpected argument") {
		t.Errorf("code %d, stderr %q", code, errs)
	}
	code, _, errs = runApp(t, "sim", "--ttft", "soon")
	if code == 0 || !strings.Contains(errs, "invalid value") {
		t.Errorf("code %d, stderr %q", code, errs)
	}
	code, _, errs = runApp(t, "sim", "--addr", "256.0.0.1:0")
	if code != 1 || !strings.Contains(errs, "cannot listen") {
		t.Errorf("code %d, stderr %q", code, errs)
	}
}
