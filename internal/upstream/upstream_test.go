package upstream

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

func TestDoErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/429":
			w.Header().Set("Retry-After-Ms", "250")
			http.Error(w, `{"error":"slow down"}`, http.StatusTooManyRequests)
		case "/hang":
			<-r.Context().Done()
		default:
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()

	// A closed port: the connection is refused at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	ln.Close()

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		req    Request
		kind   sluice.Kind
		status int
		retry  time.Duration
		hint   bool
	}{
		{"status", context.Background(), Request{URL: srv.URL + "/429"}, sluice.KindRateLimit, 429, 250 * time.Millisecond, false},
		{"refused", context.Background(), Request{URL: closedURL + "/v1?key=SECRET", Hint: "check FOO_BASE_URL"}, sluice.KindConnection, 0, 0, true},
		{"timeout", context.Background(), Request{URL: srv.URL + "/hang", Hint: "check FOO_BASE_URL", Client: &http.Client{Timeout: 20 * time.Millisecond}}, sluice.KindTimeout, 0, 0, true},
		{"caller canceled", canceled, Request{URL: srv.URL}, sluice.KindCanceled, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Provider = "foo"
			_, err := Do(tt.ctx, tt.req)
			e := sluice.AsError(err)
			if e == nil || e.Kind != tt.kind || e.Status != tt.status || e.RetryAfter != tt.retry || e.Provider != "foo" {
				t.Fatalf("err = %#v", err)
			}
			if strings.Contains(e.Error(), "SECRET") {
				t.Fatalf("the URL's query leaked: %v", e)
			}
			if tt.hint != strings.Contains(e.Error(), "FOO_BASE_URL") {
				t.Fatalf("hint missing or unexpected: %v", e)
			}
		})
	}
	resp, err := Do(context.Background(), Request{URL: srv.URL, Method: http.MethodGet})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp.Cancel()
	if resp.Header.Sub(resp.Start) < 0 {
		t.Fatal("header time before start")
	}
}

// The shared client sends a request as it is and reports a redirect, with
// where it points, instead of following it (which would turn a POST into a
// GET); a client of the caller's own keeps its redirect policy.
func TestDoRedirect(t *testing.T) {
	var moved atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old/chat" {
			http.Redirect(w, r, "/new/chat?key=SECRET", http.StatusMovedPermanently)
			return
		}
		moved.Add(1)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()

	_, err := Do(context.Background(), Request{Provider: "foo", URL: srv.URL + "/old/chat", Body: []byte("{}")})
	e := sluice.AsError(err)
	if e == nil || e.Status != http.StatusMovedPermanently || !strings.Contains(e.Hint, srv.URL+"/new/chat") || strings.Contains(e.Error(), "SECRET") {
		t.Fatalf("err = %#v, want the 301 with a hint naming the new address (its query dropped)", err)
	}
	if moved.Load() != 0 {
		t.Fatal("the shared client followed the redirect")
	}

	resp, err := Do(context.Background(), Request{Provider: "foo", URL: srv.URL + "/old/chat", Body: []byte("{}"), Client: &http.Client{}})
	if err != nil {
		t.Fatalf("a caller's client: %v", err)
	}
	resp.Body.Close()
	resp.Cancel()
	if moved.Load() != 1 {
		t.Fatal("a caller's own client did not follow the redirect")
	}
}

// The caller's header map is the request's own: it is not copied into
// another map for each request.
func TestDoSendsTheCallersHeader(t *testing.T) {
	var sent http.Header
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = r.Header
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})}
	h := http.Header{"X-Test": {"1"}}
	resp, err := Do(context.Background(), Request{Provider: "foo", URL: "http://upstream.test/v1", Header: h, Body: []byte("{}"), Client: client})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp.Cancel()
	if reflect.ValueOf(sent).UnsafePointer() != reflect.ValueOf(h).UnsafePointer() {
		t.Error("the header was copied into a map of the request's")
	}
	if sent.Get("X-Test") != "1" || sent.Get("Content-Type") != "application/json" {
		t.Errorf("header sent %v", sent)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
