// Package upstream opens HTTP requests to providers the one way every adapter
// shares: eager send, typed errors for non-2xx replies with Retry-After and the
// provider's own message kept, and timestamps for TTFB.
package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/sluicehq/sluice"
)

// maxErrorBody bounds how much of an error reply is read.
const maxErrorBody = 1 << 20

// Request describes one upstream call.
type Request struct {
	// Provider names the provider in errors.
	Provider string
	// Client sends the request; nil means DefaultClient(), whose requests
	// go straight to its Transport (see send).
	Client *http.Client
	// Method defaults to POST.
	Method string
	URL    string
	// Header becomes the request's own header, as it is (Do may add
	// Content-Type to it): pass a map made for this request.
	Header http.Header
	Body   []byte
	// ParseError builds the provider's typed error from a non-2xx reply. It
	// may leave Kind, Status, Provider and RetryAfter zero: Do fills them from
	// the status and headers. Nil means a generic error with the body as
	// message.
	ParseError func(status int, h http.Header, body []byte) *sluice.Error
	// Hint is added to connection errors, e.g. "check OPENAI_BASE_URL".
	Hint string
}

// Response is an open 2xx upstream response. Its Body must be closed, which
// NewStream arranges.
type Response struct {
	*http.Response
	// Ctx is the request's context and Cancel cancels it.
	Ctx    context.Context
	Cancel context.CancelFunc
	// Start is when the request was sent; Header when its headers arrived.
	Start, Header time.Time

	wait *sluice.WaitReader // Body's
}

// Do sends r and returns the open response when its status is 2xx. Any other
// status becomes an *sluice.Error before a byte of the body is streamed.
func Do(ctx context.Context, r Request) (*Response, error) {
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		cancel()
		return nil, &sluice.Error{Kind: sluice.KindBadRequest, Provider: r.Provider,
			Message: fmt.Sprintf("bad upstream URL %q: %v", r.URL, err), Hint: r.Hint, Err: err}
	}
	if r.Header != nil {
		req.Header = r.Header
	}
	if r.Body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := send(r.Client, req)
	if err != nil {
		cancel()
		return nil, connError(parent, r, err)
	}
	header := time.Now()
	if resp.StatusCode/100 != 2 {
		defer cancel()
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, statusError(r, resp, body, header)
	}
	// The body tells the Stream when its decoder is about to wait for the
	// network (sluice.Stream.OnWait).
	wr := sluice.NewWaitReader(resp.Body)
	resp.Body = waitBody{WaitReader: wr, Closer: resp.Body}
	return &Response{Response: resp, Ctx: ctx, Cancel: cancel, Start: start, Header: header, wait: wr}, nil
}

// send sends req with client, nil meaning DefaultClient. The default
// client has no cookie jar, no timeout and no redirect policy, so its
// requests go straight to its Transport, as a reverse proxy's do: that
// spares each request the copies http.Client makes to be able to follow a
// redirect (the header map, the URL), and a redirect reaches the caller
// as the error it is (following one would turn the POST into a GET). A
// client of the caller's own is used as a client.
func send(client *http.Client, req *http.Request) (*http.Response, error) {
	if client == nil || client == DefaultClient() {
		return DefaultClient().Transport.RoundTrip(req)
	}
	return client.Do(req)
}

// waitBody is a response body read through a sluice.WaitReader.
type waitBody struct {
	*sluice.WaitReader
	io.Closer
}

// NewStream wraps the response body, read by dec, in a sluice.Stream.
func (r *Response) NewStream(provider, model string, dec sluice.Decoder) *sluice.Stream {
	cfg := sluice.StreamConfig{
		Provider: provider, Model: model, Decoder: dec,
		Body: r.Body, Cancel: r.Cancel, Start: r.Start, Header: r.Header,
		ResponseHeader: r.Response.Header,
	}
	if r.wait != nil {
		cfg.OnWait = r.wait.OnWait
	}
	return sluice.NewStream(r.Ctx, cfg)
}

func statusError(r Request, resp *http.Response, body []byte, now time.Time) *sluice.Error {
	var e *sluice.Error
	if r.ParseError != nil {
		e = r.ParseError(resp.StatusCode, resp.Header, body)
	}
	if e == nil {
		msg := string(bytes.TrimSpace(body))
		if msg == "" {
			msg = resp.Status
		}
		e = &sluice.Error{Message: msg}
	}
	if e.Kind == sluice.KindUnknown {
		e.Kind = sluice.KindForStatus(resp.StatusCode)
	}
	if e.Status == 0 {
		e.Status = resp.StatusCode
	}
	if e.Provider == "" {
		e.Provider = r.Provider
	}
	if e.RetryAfter == 0 {
		e.RetryAfter = sluice.RetryAfter(resp.Header, now)
	}
	if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" && e.Hint == "" {
		if resp.Request != nil && resp.Request.URL != nil {
			if u, err := resp.Request.URL.Parse(loc); err == nil {
				loc = u.String()
			}
		}
		e.Hint = fmt.Sprintf("the upstream redirects to %s; use that address as the base URL (sluice does not follow redirects)", redactURL(loc))
	}
	return e
}

// connError classifies a failed send. ctx is the caller's context: when it is
// done the caller gave up (canceled or timeout); otherwise the network failed.
func connError(ctx context.Context, r Request, err error) *sluice.Error {
	e := sluice.AsError(err)
	if ctx.Err() == nil {
		var ne net.Error
		kind := sluice.KindConnection
		if errors.As(err, &ne) && ne.Timeout() {
			kind = sluice.KindTimeout
		}
		e = &sluice.Error{Kind: kind, Message: fmt.Sprintf("cannot reach %s: %v", redactURL(r.URL), unwrapURL(err)), Hint: r.Hint, Err: err}
	}
	if e.Provider == "" {
		e.Provider = r.Provider
	}
	return e
}

// redactURL drops the query and user info of u: some providers put keys
// there, and errors end up in logs.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "the upstream"
	}
	p.RawQuery, p.User, p.Fragment = "", nil, ""
	return p.String()
}

// unwrapURL drops net/http's "Post \"url\": " prefix, which the message
// already carries.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
