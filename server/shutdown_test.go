package server

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// serveReal runs srv.Serve on a loopback listener and returns its URL, a
// function that starts the shutdown (as SIGTERM does) and Serve's result.
func serveReal(t *testing.T, srv *Server) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx, ln) }()
	t.Cleanup(cancel)
	return "http://" + ln.Addr().String(), cancel, errc
}

func TestShutdownEndsStreamsAfterGrace(t *testing.T) {
	e := newTestEnv(t, func(c *Config) {
		c.ShutdownGrace = 20 * time.Millisecond
		c.Heartbeat = -1
	})
	url, shutdown, errc := serveReal(t, e.srv)
	r, _ := openStream(t, url+"/stream?prompt=x&model=fake/hang")
	d := <-e.fake.openedC
	readUntil(t, r, `"text":"first"`)
	<-d.hung

	shutdown()
	rest := readUntil(t, r, `"type":"error"`)
	if !strings.Contains(rest, `"kind":"overloaded"`) || !strings.Contains(rest, `"partial_text":"first"`) ||
		!strings.Contains(rest, "shutting down") {
		t.Errorf("after the grace period the stream got:\n%s\nwant an overloaded error carrying the partial text", rest)
	}
	waitClosed(t, d)
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Serve returned %v after a requested shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the streams ended")
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "draining") {
		t.Errorf("healthz after shutdown = %d %s", rec.Code, rec.Body)
	}
}

// A stream that ends within the grace period ends cleanly, and Serve
// returns without waiting for the rest of the grace period.
func TestShutdownLetsStreamsFinish(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.ShutdownGrace = time.Hour })
	url, shutdown, errc := serveReal(t, e.srv)
	r, _ := openStream(t, url+"/stream?prompt=x&model=fake/gate")
	d := <-e.fake.openedC
	readUntil(t, r, `"text":"first"`)
	<-d.hung
	shutdown()
	<-e.srv.draining
	select {
	case err := <-errc:
		t.Fatalf("Serve returned %v while a stream was running", err)
	default:
	}
	close(d.gate)
	rest := readUntil(t, r, `"type":"done"`)
	if !strings.Contains(rest, `"text":" second"`) || strings.Contains(rest, `"type":"error"`) {
		t.Errorf("the stream did not end cleanly:\n%s", rest)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return once the last stream ended")
	}
}

// A request Serve accepted streams under its own context, which derives
// from the server's stopping context already; any other request gets a
// context that shutdown cancels.
func TestRequestContext(t *testing.T) {
	e := newTestEnv(t, nil)
	served := httptest.NewRequest("GET", "/stream", nil)
	served = served.WithContext(e.srv.baseContext(nil))
	if ctx, cancel := e.srv.requestContext(served); ctx != served.Context() {
		cancel()
		t.Error("a request accepted by Serve got a context of its own")
	}
	other := httptest.NewRequest("GET", "/stream", nil)
	ctx, cancel := e.srv.requestContext(other)
	defer cancel()
	e.srv.Close()
	select {
	case <-ctx.Done():
		if !isShutdown(ctx) {
			t.Errorf("cause %v, want the shutdown error", context.Cause(ctx))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not cancel a request served by another http.Server")
	}
}

// A Server mounted under another http.Server ends its streams on Close.
func TestCloseEndsStreamsUnderAnotherServer(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.Heartbeat = -1 })
	hs := httptest.NewServer(e.srv)
	defer hs.Close()
	r, _ := openStream(t, hs.URL+"/stream?prompt=x&model=fake/hang")
	d := <-e.fake.openedC
	readUntil(t, r, `"text":"first"`)
	<-d.hung
	e.srv.Close()
	rest := readUntil(t, r, `"type":"error"`)
	if !strings.Contains(rest, `"kind":"overloaded"`) || !strings.Contains(rest, "shutting down") {
		t.Errorf("after Close the stream got:\n%s\nwant the shutdown error", rest)
	}
	waitClosed(t, d)
}
