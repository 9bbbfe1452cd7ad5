package overhead

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary play a relay process: with
// OVERHEAD_TEST_RELAY set to an upstream URL it serves Relay to it and
// prints its address, as `sluice bench relay` does.
func TestMain(m *testing.M) {
	if up := os.Getenv("OVERHEAD_TEST_RELAY"); up != "" {
		u, err := url.Parse(up)
		if err != nil {
			panic(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		fmt.Printf("relay listening on http://%s\n", ln.Addr())
		http.Serve(ln, Relay(u))
		return
	}
	os.Exit(m.Run())
}

func TestIsContent(t *testing.T) {
	tests := []struct {
		data string
		want bool
	}{
		{`{"choices":[{"index":0,"delta":{"content":"Hi"}}]}`, true},
		{`{"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null}}]}`, false},
		{`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`, false},
		{`{"choices":[{"delta":{"content":"\n"}}]}`, true},
		{`[DONE]`, false},
		{`"content":"`, false},
	}
	for _, tt := range tests {
		if got := isContent([]byte(tt.data), contentMarker()); got != tt.want {
			t.Errorf("isContent(%s) = %v, want %v", tt.data, got, tt.want)
		}
	}
}

// relayProcess runs this test binary as a relay process.
func relayProcess() Target {
	return Process("relay-process", func(upstream string) (*exec.Cmd, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "OVERHEAD_TEST_RELAY="+upstream)
		return cmd, nil
	})
}

func TestRunSmall(t *testing.T) {
	const (
		deltas = 12
		pace   = 10 * time.Millisecond
	)
	var log bytes.Buffer
	var around []string
	res, err := Run(context.Background(), Config{
		Streams: []int{1, 20},
		Deltas:  deltas,
		Pace:    pace,
		Targets: []Target{
			InProcess("relay", RelayHandler),
			InProcess("sluice", SluiceHandler),
			relayProcess(),
		},
		Repeat: 2,
		Search: 1,
		Log:    &log,
		Around: func(target string, n int) func() {
			around = append(around, fmt.Sprint(target, n))
			return func() {}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("phases:\n%s", log.String())
	if len(res.Phases) != 8 || len(around) < 16 {
		t.Fatalf("%d phases (%d runs hooked), want 8 of 2 runs", len(res.Phases), len(around))
	}
	for _, p := range res.Phases {
		if p.Runs != 2 {
			t.Errorf("%s at %d pools %d runs, want 2", p.Target, p.Streams, p.Runs)
		}
		if p.Errors != 0 || p.Chunks != 2*p.Streams*deltas {
			t.Errorf("%s at %d: %d errors, %d chunks; want none and %d", p.Target, p.Streams, p.Errors, p.Chunks, 2*p.Streams*deltas)
		}
		// Loose bounds: the relays add well under a pace; a loaded
		// machine may add more, but not seconds.
		if p.TTFT.P50 < float64(pace)/1e6-1 || p.TTFT.P50 > 500 || p.Gap.P50 < 1 || p.Gap.P50 > 100 {
			t.Errorf("%s at %d: TTFT %+v gap %+v", p.Target, p.Streams, p.TTFT, p.Gap)
		}
		if runtime.GOOS == "linux" && p.Target == "relay-process" && (p.CPUPerEvent == nil || *p.CPUPerEvent <= 0 || p.MemoryPerStream == nil) {
			t.Errorf("%s at %d: CPU per event %v, memory per stream %v", p.Target, p.Streams, p.CPUPerEvent, p.MemoryPerStream)
		}
		if p.Target == "direct" && (p.CPUPerEvent != nil || p.AddedTTFTP50 != 0) {
			t.Errorf("direct has CPU %v and added TTFT %v", p.CPUPerEvent, p.AddedTTFTP50)
		}
	}
	for _, name := range res.Targets {
		if _, ok := res.StallFree[name]; !ok {
			t.Errorf("no stall-free concurrency for %s", name)
		}
	}
	// Every run of the fixed levels is kept as a turn of its own, counted
	// from the direct run of its turn.
	if len(res.Turns) != 16 {
		t.Fatalf("%d turns, want 16 (4 targets, 2 levels, 2 turns)", len(res.Turns))
	}
	for _, p := range res.Turns {
		direct := res.turn("direct", p.Streams, p.Turn)
		if p.Runs != 1 || p.Turn < 1 || p.Turn > 2 || direct == nil {
			t.Fatalf("turn %+v", p)
		}
		if p.Target != "direct" && p.AddedTTFTP50 != round3(p.TTFT.P50-direct.TTFT.P50) {
			t.Errorf("%s at %d, turn %d: added TTFT %v, want its TTFT less direct's of the turn", p.Target, p.Streams, p.Turn, p.AddedTTFTP50)
		}
	}

	var table bytes.Buffer
	if err := WriteTable(&table, res); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", table.String())
	for _, want := range []string{"added TTFT p99", "CPU per event", "memory per stream", "sluice/relay", "relay-process/relay", "per turn", "largest stall-free"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table has no %q", want)
		}
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil || len(back.Phases) != len(res.Phases) {
		t.Errorf("the JSON does not read back: %v", err)
	}
}

// Direct opens every turn; the relays take turns at going first.
func TestTurnOrder(t *testing.T) {
	all := []Target{{Name: "direct"}, {Name: "relay"}, {Name: "sluice"}, {Name: "other"}}
	names := func(ts []Target) string {
		var s []string
		for _, t := range ts {
			s = append(s, t.Name)
		}
		return strings.Join(s, ",")
	}
	for i, want := range []string{
		"direct,relay,sluice,other",
		"direct,sluice,other,relay",
		"direct,other,relay,sluice",
		"direct,relay,sluice,other",
	} {
		if got := names(turnOrder(all, i)); got != want {
			t.Errorf("turn %d: %s, want %s", i, got, want)
		}
	}
	if got := names(turnOrder(all[:2], 1)); got != "direct,relay" {
		t.Errorf("one relay: %s", got)
	}
	if got := names(all); got != "direct,relay,sluice,other" {
		t.Errorf("turnOrder changed its argument: %s", got)
	}
}
