package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/requestlog"
)

// Router resolves "provider/model" names to providers and lists the models
// that are configured. *gateway.Registry is one.
type Router interface {
	Resolve(name string) (sluice.Provider, string, error)
	Models(ctx context.Context) ([]string, error)
}

// Config configures a [Server]. The zero value of every field but Router is
// the documented default; New never modifies the caller's Config.
type Config struct {
	// Router resolves model names. Required.
	Router Router
	// DefaultModel is used when a /stream request names no model, and is
	// listed first by /v1/models.
	DefaultModel string
	// Aliases map names clients send (an app's hard-coded "gpt-4o-mini") to
	// "provider/model" names. They are listed by /v1/models.
	Aliases map[string]string
	// CORSOrigins lists the origins (scheme://host[:port]) whose browser
	// pages may call the API. "*" allows any origin; empty allows none but
	// the page this server serves itself, which needs no CORS.
	CORSOrigins []string
	// Heartbeat is how long a stream may be silent before the server sends
	// a keep-alive (an SSE comment), so proxies and clients do not time it
	// out. Zero means 15s; negative sends none.
	Heartbeat time.Duration
	// MaxBodyBytes caps a request body; a larger one is answered with 413.
	// Zero means 8 MiB.
	MaxBodyBytes int64
	// ShutdownGrace is how long [Server.Serve] lets running streams finish
	// after its context is cancelled before ending them with an error
	// event. Zero means 10s.
	ShutdownGrace time.Duration
	// RequestLog stores every response, and the Responses API
	// conversations previous_response_id continues (unless a request says
	// store: false); nil stores none, and keeps only the latest
	// conversations, in memory.
	RequestLog *requestlog.Store
	// Logger receives one line per request; nil discards them.
	Logger *slog.Logger
	// Secrets are values (API keys) that must never appear in anything the
	// server writes; each is replaced by "[redacted]". Values shorter than
	// 8 bytes are ignored, as they would redact ordinary words.
	Secrets []string
	// Web is the file system of the page served at /; nil serves none.
	Web fs.FS
}

const (
	defaultHeartbeat     = 15 * time.Second
	defaultMaxBodyBytes  = 8 << 20
	defaultShutdownGrace = 10 * time.Second
)

// Server is sluice's HTTP gateway. Create it with [New]; it is an
// http.Handler, and [Server.Serve] runs it with graceful shutdown.
type Server struct {
	router       Router
	defaultModel string
	aliases      map[string]string
	cors         cors
	heartbeat    time.Duration
	maxBody      int64
	grace        time.Duration
	reqlog       *requestlog.Store
	log          *slog.Logger
	redact       *strings.Replacer
	// hasSecrets is true when redact has anything to replace.
	hasSecrets bool
	metrics    *metrics
	models     modelCache
	mux        *http.ServeMux
	// conversations are the Responses conversations, for
	// previous_response_id: a cache in front of the request log.
	conversations conversations

	// stopping is cancelled (with errShutdown) when the grace period is
	// over; every stream's context derives from it.
	stopping context.Context
	stop     context.CancelCauseFunc
	// draining is closed when shutdown begins.
	draining  chan struct{}
	drainOnce sync.Once
	// active counts responses being streamed or collected, until what is
	// recorded after them (metrics, log line, request log entry) is done.
	active sync.WaitGroup
}

// errShutdown ends the streams still running when the grace period is over.
var errShutdown = &sluice.Error{Kind: sluice.KindOverloaded,
	Message: "sluice is shutting down and ended this stream",
	Hint:    "send the request again; another instance, or this one once restarted, will answer"}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Router == nil {
		return nil, errors.New("server: Config.Router is nil")
	}
	s := &Server{
		router:       cfg.Router,
		defaultModel: cfg.DefaultModel,
		aliases:      make(map[string]string, len(cfg.Aliases)),
		cors:         newCORS(cfg.CORSOrigins),
		heartbeat:    cfg.Heartbeat,
		maxBody:      cfg.MaxBodyBytes,
		grace:        cfg.ShutdownGrace,
		reqlog:       cfg.RequestLog,
		log:          cfg.Logger,
		draining:     make(chan struct{}),
	}
	for k, v := range cfg.Aliases {
		s.aliases[k] = v
	}
	if s.heartbeat == 0 {
		s.heartbeat = defaultHeartbeat
	}
	if s.maxBody <= 0 {
		s.maxBody = defaultMaxBodyBytes
	}
	if s.grace <= 0 {
		s.grace = defaultShutdownGrace
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var pairs []string
	for _, v := range cfg.Secrets {
		if len(v) >= 8 {
			pairs = append(pairs, v, "[redacted]")
		}
	}
	s.redact = strings.NewReplacer(pairs...)
	s.hasSecrets = len(pairs) > 0
	s.conversations.log = s.reqlog
	s.metrics = newMetrics(s.reqlog)
	s.stopping, s.stop = context.WithCancelCause(context.Background())
	s.models.router = cfg.Router

	mux := http.NewServeMux()
	mux.HandleFunc("GET /stream", s.handleStream)
	mux.HandleFunc("POST /stream", s.handleStream)
	mux.HandleFunc("POST /v1/chat/completions", s.handleChatCompletions)
	mux.HandleFunc("POST /v1/messages", s.handleMessages)
	mux.HandleFunc("POST /v1/responses", s.handleResponses)
	mux.HandleFunc("GET /v1/responses", s.handleResponsesWS)
	mux.HandleFunc("POST /v1/messages/count_tokens", s.handleCountTokens)
	mux.HandleFunc("POST /v1/responses/input_tokens", s.handleInputTokens)
	mux.HandleFunc("GET /v1/models", s.handleModels)
	mux.HandleFunc("GET /v1/models/{model...}", s.handleModel)
	mux.HandleFunc("GET /v1/logs", s.handleLogs)
	mux.HandleFunc("/v1/", s.handleAPINotFound)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("GET /healthz", s.handleHealth)
	if cfg.Web != nil {
		mux.Handle("/", pageHandler(http.FileServerFS(cfg.Web)))
	}
	s.mux = mux
	return s, nil
}

// ServeHTTP routes a request; CORS preflights are answered here.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cors.handle(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// pageHandler adds headers that keep the page from loading anything but its
// own files; the page inserts all text as text, this is a second fence.
func pageHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// Serve accepts connections on ln until ctx is cancelled, then shuts down
// gracefully: it stops accepting, lets running streams go on for the grace
// period, ends the ones still running with the protocol's error event, and
// returns once every handler has returned. It returns nil after a shutdown
// that ctx asked for.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Every request Serve accepts derives from stopping, so shutdown
		// reaches its streams without a context of their own.
		BaseContext: s.baseContext,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.drain()
	done := make(chan error, 1)
	go func() { done <- hs.Shutdown(context.Background()) }()
	grace := time.NewTimer(s.grace)
	defer grace.Stop()
	select {
	case err := <-done:
		s.stop(errShutdown)
		return err
	case <-grace.C:
	}
	// The grace period is over: end every stream with an error event. Each
	// handler writes it and returns, after which Shutdown finishes.
	s.log.Warn("grace period over; ending running streams", "grace", s.grace)
	s.stop(errShutdown)
	hard := time.NewTimer(5 * time.Second)
	defer hard.Stop()
	select {
	case err := <-done:
		return err
	case <-hard.C:
		return hs.Close()
	}
}

// Close ends every running stream at once with an error event. Serve calls
// it when the grace period is over; a caller running the Server under its
// own http.Server calls it on shutdown.
func (s *Server) Close() {
	s.drain()
	s.stop(errShutdown)
}

// drain marks the server as shutting down, which /healthz reports.
func (s *Server) drain() { s.drainOnce.Do(func() { close(s.draining) }) }

// isDraining reports whether shutdown has begun.
func (s *Server) isDraining() bool {
	select {
	case <-s.draining:
		return true
	default:
		return false
	}
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	status, code := "ok", http.StatusOK
	if s.isDraining() {
		status, code = "draining", http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"status": status, "active_streams": s.metrics.activeCount()})
}

// newID returns a random request id with the given prefix.
func newID(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// scrub returns a copy of e with every secret removed from its text.
func (s *Server) scrub(e *sluice.Error) *sluice.Error {
	if e == nil {
		return nil
	}
	c := *e
	c.Message = s.redact.Replace(c.Message)
	c.Hint = s.redact.Replace(c.Hint)
	c.Code = s.redact.Replace(c.Code)
	if c.Message == "" && c.Err != nil {
		c.Message = s.redact.Replace(c.Err.Error())
	}
	c.Err = nil
	return &c
}

// requestContext returns the context of one upstream request: cancelled
// when the client goes away (its parent is the request's context) or, with
// cause errShutdown, when the server ends running streams.
func (s *Server) requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	if r.Context().Value(servedKey{}) == s {
		// Accepted by Serve: the request's context derives from stopping
		// already. A context per request (and a registration with
		// stopping) would cost each open stream about half a kilobyte.
		return r.Context(), func() {}
	}
	ctx, cancel := context.WithCancelCause(r.Context())
	stop := context.AfterFunc(s.stopping, func() { cancel(context.Cause(s.stopping)) })
	return ctx, func() {
		stop()
		cancel(context.Canceled)
	}
}

// servedKey marks the contexts of the connections Serve accepts; its value
// is the Server.
type servedKey struct{}

// baseContext is the context of every connection Serve accepts: stopping,
// marked as the Server's own.
func (s *Server) baseContext(net.Listener) context.Context {
	return context.WithValue(s.stopping, servedKey{}, s)
}

// readAll reads r to its end into a buffer sized for the declared length n
// when it is known and within limit, so an agent's 100 KB prompt is one
// allocation of its size rather than io.ReadAll's dozen doublings from 512
// bytes, twice the body in garbage on every request. The spare byte lets
// the read that reports the end arrive without growing the buffer; a body
// longer than declared (net/http does not allow one) would still be read.
func readAll(r io.Reader, n, limit int64) ([]byte, error) {
	size := int64(512)
	if n > 0 && n <= limit {
		size = n + 1
	}
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// isShutdown reports whether ctx was cancelled by the server's shutdown
// rather than by the client.
func isShutdown(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errShutdown)
}

// readBody reads a request body up to the configured limit. A larger body
// is a *sluice.Error with Status 413.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *sluice.Error) {
	b, err := readAll(http.MaxBytesReader(w, r.Body, s.maxBody), r.ContentLength, s.maxBody)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &sluice.Error{Kind: sluice.KindBadRequest, Status: http.StatusRequestEntityTooLarge,
				Message: "the request body is larger than the server's limit of " + byteSize(mbe.Limit),
				Hint:    "send a smaller request, or raise server.max_body_bytes in the config"}
		}
		return nil, &sluice.Error{Kind: sluice.KindBadRequest, Status: http.StatusBadRequest,
			Message: "reading the request body: " + err.Error()}
	}
	return b, nil
}
