package sim_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
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
// the median TTFT and the mean inter-token latency the simulator produced
// (measured at its writes) are within a millisecond of the configuration,
// and the mean inter-token latency the clients saw too. The simulator
// schedules each event at an absolute offset from the request's arrival, so a
// busy machine delays single events but not the ones after them.
//
// The machine running the tests is shared, and a burst of other work can
// starve every goroutine for milliseconds: a measurement is tried three
// times, and when all miss, plain timers are measured under the same load;
// if they miss too, the test is skipped rather than failed.
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

	// run starts the streams, spread over one inter-token gap as a
	// closed-loop load generator soon spreads them (100 streams writing at
	// the very same instant would measure the machine's burst capacity), and
	// returns the content arrival gaps the clients saw.
	run := func(model string) (gaps []time.Duration) {
		var (
			mu sync.Mutex
			wg sync.WaitGroup
		)
		body := `{"model":"` + model + `","stream":true,"messages":[{"role":"user","content":"hi"}]}`
		for i := range streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i) * itl / streams)
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
				mu.Lock()
				for i := 1; i < len(at); i++ {
					gaps = append(gaps, at[i].Sub(at[i-1]))
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		return gaps
	}

	// Warm up, as a benchmark does: open the connections, and let the
	// simulator learn its timers' lateness (see Server.slack).
	run("tokens=3")
	var off []string
	for attempt := range 3 {
		wt.mu.Lock()
		wt.at = nil
		wt.mu.Unlock()
		gaps := run("text")
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
		t.Logf("attempt %d, %d streams: simulator TTFT mean %v median %v, ITL mean %v; clients' ITL mean %v (configured %v, %v)",
			attempt+1, streams, mean(ttfts), median(ttfts), mean(serverGaps), mean(gaps), ttft, itl)
		off = off[:0]
		within := func(what string, got, want time.Duration) {
			if d := (got - want).Abs(); d > time.Millisecond {
				off = append(off, fmt.Sprintf("%s %v, want %v within 1ms", what, got, want))
			}
		}
		within("median TTFT at the simulator", median(ttfts), ttft)
		within("mean ITL at the simulator", mean(serverGaps), itl)
		within("mean ITL at the clients", mean(gaps), itl)
		if len(off) == 0 {
			return
		}
	}
	if late := timerLateness(streams, itl); late > time.Millisecond {
		t.Skipf("the machine is too busy to measure 1ms timing (plain timers are %v late): %s", late, strings.Join(off, "; "))
	}
	t.Error(strings.Join(off, "\n"))
}

// timerLateness runs n goroutines each waiting for a few timers of d, as the
// simulator's streams do, and returns the median lateness.
func timerLateness(n int, d time.Duration) time.Duration {
	var (
		mu   sync.Mutex
		late []time.Duration
		wg   sync.WaitGroup
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * d / time.Duration(n))
			for range 5 {
				start := time.Now()
				<-time.After(d)
				l := time.Since(start) - d
				mu.Lock()
				late = append(late, l)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return median(late)
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
