package sim_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/sim"
	"github.com/sluicehq/sluice/sse"
)

// writeTimes wraps the simulator and records, for each response, when its
// handler began and when each write that carries content happened: the
// simulator's own timing, apart from the network and the client.
type writeTimes struct {
	h  http.Handler
	mu sync.Mutex
	// at holds one slice of content write offsets per response.
	at [][]time.Duration
}

type timedResponse struct {
	http.ResponseWriter
	start time.Time
	at    []time.Duration
}

func (w *timedResponse) Write(p []byte) (int, error) {
	if strings.Contains(string(p), `"content":"`) && !strings.Contains(string(p), `"content":""`) {
		w.at = append(w.at, time.Since(w.start))
	}
	return w.ResponseWriter.Write(p)
}

func (w *timedResponse) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (wt *writeTimes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tw := &timedResponse{ResponseWriter: w, start: time.Now()}
	wt.h.ServeHTTP(tw, r)
	wt.mu.Lock()
	wt.at = append(wt.at, tw.at)
	wt.mu.Unlock()
}

// TestTimingUnderLoad runs 100 concurrent streams over loopback and checks
// the mean TTFT and inter-token latency the simulator produced (measured at
// its writes) are within a millisecond of the configuration, and the mean
// inter-token latency the clients saw too. The simulator schedules each
// event at an absolute offset from the request's arrival, so a busy machine
// delays single events but not the ones after them.
func TestTimingUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("a timing measurement; skipped with -short")
	}
	const (
		streams = 100
		tokens  = 20
		ttft    = 60 * time.Millisecond
		itl     = 15 * time.Millisecond
	)
	wt := &writeTimes{h: sim.New(sim.Config{TTFT: ttft, ITL: itl, Tokens: tokens})}
	hs := httptest.NewServer(wt)
	defer hs.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: streams}}
	defer client.CloseIdleConnections()
	body := `{"model":"text","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	var (
		mu   sync.Mutex
		gaps []time.Duration
		wg   sync.WaitGroup
	)
	for range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Post(hs.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var at []time.Time
			d := sse.NewDecoder(resp.Body)
			for d.Next() {
				if data := string(d.Event().Data); strings.Contains(data, `"content":"`) && !strings.Contains(data, `"content":""`) {
					at = append(at, time.Now())
				}
			}
			io.Copy(io.Discard, resp.Body)
			mu.Lock()
			for i := 1; i < len(at); i++ {
				gaps = append(gaps, at[i].Sub(at[i-1]))
			}
			mu.Unlock()
		}()
	}
	wg.Wait()

	var ttfts, serverGaps []time.Duration
	for _, at := range wt.at {
		if len(at) != tokens {
			t.Fatalf("a response made %d content writes, want %d", len(at), tokens)
		}
		ttfts = append(ttfts, at[0])
		for i := 1; i < len(at); i++ {
			serverGaps = append(serverGaps, at[i]-at[i-1])
		}
	}
	if len(wt.at) != streams || len(gaps) != streams*(tokens-1) {
		t.Fatalf("%d responses, %d client gaps", len(wt.at), len(gaps))
	}
	t.Logf("%d streams: simulator TTFT %v, ITL %v; clients' ITL %v (configured %v, %v)",
		streams, mean(ttfts), mean(serverGaps), mean(gaps), ttft, itl)
	within := func(what string, got, want time.Duration) {
		if d := (got - want).Abs(); d > time.Millisecond {
			t.Errorf("mean %s %v, want %v within 1ms", what, got, want)
		}
	}
	within("TTFT at the simulator", mean(ttfts), ttft)
	within("ITL at the simulator", mean(serverGaps), itl)
	within("ITL at the clients", mean(gaps), itl)
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}
