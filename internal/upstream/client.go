package upstream

import (
	"net/http"
	"sync"
	"time"
)

// Settings of the client providers share when they are given none.
const (
	// maxIdlePerHost is how many idle connections to one provider host are
	// kept for the next requests. http.DefaultTransport keeps 2, so a
	// gateway that had 100 streams open to one provider would, at its next
	// burst, dial (and TLS-handshake) 98 connections again, and every one
	// of them adds to that request's time to first token.
	maxIdlePerHost = 256
	// maxIdle bounds the idle connections kept to all hosts together.
	maxIdle = 1024
	// writeBufferSize is the per-connection buffer requests are written
	// through. A connection holds it as long as it is open, idle or
	// streaming, and it only ever carries a request's headers and body
	// (bufio writes a body larger than the buffer straight through), so
	// 1 KiB instead of net/http's 4 KiB saves 3 KiB per open stream at the
	// cost of at most one more write for a request with large headers.
	writeBufferSize = 1 << 10
	// readBufferSize is the per-connection buffer responses are read
	// through, also held as long as the connection is open. A stream's
	// decoder reads the body in its own buffer (sse starts at 1 KiB, and a
	// read larger than this buffer goes straight to the caller), and an
	// LLM stream's events are a few hundred bytes, so 1 KiB instead of
	// 4 KiB saves 3 KiB per open stream; a burst of more than 1 KiB takes
	// one more read for each further KiB.
	readBufferSize = 1 << 10
)

// sharedClient is the one pool of upstream connections of a process: every
// provider built without its own client uses it, so connections to a host
// are reused whichever provider, endpoint or model a request names. It is
// made on first use (a library user who always passes a client never makes
// it), and like http.DefaultClient it is process-wide by nature: a
// connection pool is worth the most when it is shared.
var sharedClient = sync.OnceValue(func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxIdle
	t.MaxIdleConnsPerHost = maxIdlePerHost
	t.IdleConnTimeout = 90 * time.Second
	t.WriteBufferSize = writeBufferSize
	t.ReadBufferSize = readBufferSize
	// No transparent gzip: a compressed event stream would cost every open
	// stream a decompressor (tens of KiB of state) and let no event out
	// before a compressed block fills, and asking for it costs each request
	// a header map of its own (net/http adds Accept-Encoding to a copy).
	// Providers send streams uncompressed when not asked otherwise.
	t.DisableCompression = true
	// No Timeout: a stream lasts as long as the model writes. The request's
	// context bounds it, and a provider's stall detection with it.
	return &http.Client{Transport: t}
})

// DefaultClient returns the client a provider uses when its Config names
// none: http.DefaultTransport's settings (proxy from the environment, dial
// and TLS timeouts, HTTP/2), with a connection pool sized for a gateway (256
// idle connections per host instead of 2) and smaller per-connection
// buffers. Every caller gets the same client.
func DefaultClient() *http.Client { return sharedClient() }
