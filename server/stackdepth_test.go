package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

// maxRelayStack is the stack a relayed stream's handler goroutine must fit
// in. Goroutine stacks grow by doubling and a grown stack is kept while the
// goroutine is parked deep in it, so a handler that once needs more than
// 8 KiB holds 16 KiB for the whole stream: at 1,000 open streams that was
// 8 MB, an eighth of sluice's memory per stream (docs/benchmarks.md).
const maxRelayStack = 8 << 10

// Every API's whole request (parse, route, open upstream, relay, finish)
// runs within maxRelayStack, through a real net/http server. The check runs
// in a child process, because a goroutine that outgrows the limit set by
// debug.SetMaxStack ends its process; the child prints the call stack that
// went too deep.
func TestRelayStackDepth(t *testing.T) {
	if os.Getenv("SLUICE_STACK_CHILD") == "1" {
		relayWithinStack(t)
		return
	}
	if testing.Short() {
		t.Skip("runs a child test process")
	}
	if raceEnabled {
		t.Skip("the race detector's instrumentation deepens every frame")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRelayStackDepth$", "-test.count=1")
	// Goroutines start at the minimum stack, not the average the runtime
	// learns, so each grows only as far as it must.
	cmd.Env = append(os.Environ(), "SLUICE_STACK_CHILD=1", "GODEBUG=adaptivestackstart=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("a relayed request needs more than %d KiB of stack: %v\n%s", maxRelayStack>>10, err, stackReport(out))
	}
}

// relayWithinStack relays one stream through each API with every
// goroutine's stack capped at maxRelayStack.
func relayWithinStack(t *testing.T) {
	for _, api := range relayAPIs {
		p := newRelayPath(t, 64, api.method, api.path, api.body)
		hs := httptest.NewServer(p.srv)
		// A new connection for each request: its server goroutine starts
		// with a fresh stack, not one an earlier request grew.
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		do := func() {
			var body io.Reader
			if api.body != "" {
				body = strings.NewReader(api.body)
			}
			req, _ := http.NewRequest(api.method, hs.URL+api.path, body)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || n == 0 {
				t.Fatalf("%s: status %d, %d bytes", api.path, resp.StatusCode, n)
			}
		}
		do() // warm up: the first request fills caches, as in a running server
		old := debug.SetMaxStack(maxRelayStack)
		do()
		debug.SetMaxStack(old)
		hs.Close()
	}
}

// stackReport keeps the part of a child's output that says what went too
// deep: the fatal error and the goroutine that raised it.
func stackReport(out []byte) string {
	s := string(out)
	if i := strings.Index(s, "runtime: goroutine stack exceeds"); i >= 0 {
		s = s[i:]
		if j := strings.Index(s, "\n\ngoroutine "); j >= 0 {
			if k := strings.Index(s[j+2:], "\n\n"); k >= 0 {
				s = s[:j+2+k]
			}
		}
	}
	return s
}
