package upstream

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// A burst of concurrent streams to one host leaves its connections in the
// pool, so the next burst dials none. http.DefaultClient would keep 2 and
// dial the other 38 again.
func TestDefaultClientKeepsConnections(t *testing.T) {
	var dials atomic.Int64
	var inFlight sync.WaitGroup
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Done()
		<-release // hold every request open until the whole burst is in
		w.Write([]byte("data: [DONE]\n\n"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	const burst = 40
	wave := func() {
		inFlight.Add(burst)
		var wg sync.WaitGroup
		for range burst {
			wg.Go(func() {
				resp, err := Do(context.Background(), Request{Provider: "test", URL: srv.URL})
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				resp.Cancel()
			})
		}
		inFlight.Wait()
		for range burst {
			release <- struct{}{}
		}
		wg.Wait()
	}
	wave()
	if got := dials.Load(); got != burst {
		t.Fatalf("first burst dialled %d connections, want %d", got, burst)
	}
	wave()
	if got := dials.Load() - burst; got != 0 {
		t.Errorf("second burst dialled %d new connections, want 0 (all %d kept idle)", got, burst)
	}
	if DefaultClient() != DefaultClient() {
		t.Error("DefaultClient is not shared")
	}
}

// The default client asks for no compression, so a provider streams its
// events as they are written and no open stream holds a decompressor.
func TestDefaultClientAsksForNoCompression(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Accept-Encoding")
		w.Write([]byte("data: [DONE]\n\n"))
	}))
	defer srv.Close()
	resp, err := Do(context.Background(), Request{Provider: "test", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp.Cancel()
	if ae := <-got; ae != "" {
		t.Errorf("Accept-Encoding %q, want none", ae)
	}
}
