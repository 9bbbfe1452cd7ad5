package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice"
)

// maxBody bounds a request body; agent conversations are large, not this large.
const maxBody = 32 << 20

// Server is the simulator: one http.Handler speaking every protocol on its
// real paths. It is safe for concurrent use; each request is served by its
// own goroutine with no lock held while streaming.
type Server struct {
	cfg    Config
	mux    *http.ServeMux
	signer signer
	seq    atomic.Uint64
	stats  stats
	// slack is the mean lateness of the simulator's timers, in
	// nanoseconds. Where the kernel's timers have millisecond resolution a
	// timer fires half a millisecond late on average; waiting that much less
	// keeps the mean TTFT and inter-token latency on target.
	slack atomic.Int64

	timesMu sync.Mutex
	times   map[string]int // requests seen per limited fault term
}

// New returns a simulator configured by cfg. New does not modify cfg.
func New(cfg Config) *Server {
	s := &Server{
		cfg:   cfg.withDefaults(),
		mux:   http.NewServeMux(),
		times: make(map[string]int),
	}
	s.cfg.SignatureKey = append([]byte(nil), cfg.SignatureKey...)
	s.signer = newSigner(s.cfg.SignatureKey)
	s.routes()
	return s
}

// ServeHTTP serves the simulator's paths.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// routes registers the simulator's own paths and each protocol's, which
// its file (openai.go, anthropic.go, …) lists.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /sim/stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Stats())
	})
	s.mux.HandleFunc("GET /sim/transcripts", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Transcripts())
	})
	s.routeOpenAI()
	s.routeAnthropic()
	s.routeOllama()
	s.routeGemini()
	s.routeResponses()
}

// stream serves one generation request in dialect d. model is the model named
// in the path (Gemini), "" otherwise.
func (s *Server) stream(d *dialect, w http.ResponseWriter, r *http.Request, model string) {
	arrived := time.Now()
	s.stats.update(func(st *Stats) { st.Requests++ })
	tr := Transcript{Protocol: d.name, Model: model}
	// One generator per request, seeded with Config.Seed and the request's
	// sequence number, makes its ids and its jitter reproducible.
	rng := rand.New(rand.NewPCG(s.cfg.Seed, s.seq.Add(1)))
	id := d.respPrefix + randomID(rng, 24)
	reqID := "req_" + randomID(rng, 24) // the request-id header, distinct as the APIs make it

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		s.reject(d, w, &tr, reqID, badRequest("sim: cannot read the request body: "+err.Error()), nil)
		return
	}
	c, err := d.parse(&s.cfg, body, model)
	if err != nil {
		s.reject(d, w, &tr, reqID, asBadRequest(err), nil)
		return
	}
	tr.Model = c.req.Model
	b, err := behaviorFor(c.req.Model, r.Header, s.cfg.RequireSignature)
	if err != nil {
		s.reject(d, w, &tr, reqID, asBadRequest(err), nil)
		return
	}
	faults := s.applicable(b.Faults)
	if f, ok := findFault(faults, FaultStatus); ok {
		tr.Fault = f.String()
		e := d.coded(statusError(f.Status))
		h := s.retryHeaders(f.Status)
		if h.Get("Retry-After-Ms") != "" {
			e.RetryAfter = s.cfg.RetryAfter // Gemini writes it as RetryInfo in the body
		}
		s.reject(d, w, &tr, reqID, e, h)
		return
	}
	if b.RequireSignature {
		if e := s.signer.checkSignatures(c.req, d.opaque); e != nil {
			s.reject(d, w, &tr, reqID, e, nil)
			return
		}
	}
	p := &plan{cfg: &s.cfg, b: b, req: c.req, d: d, rng: rng, signer: s.signer, faults: faults, respID: id}
	sc := newScript(p)
	tr.Fault = sc.fault
	if !c.stream {
		s.whole(r.Context(), d, w, c, sc, arrived, &tr, reqID)
		return
	}

	s.stats.update(func(st *Stats) { st.Streams++; st.Active++ })
	tr.Status = http.StatusOK
	// The transcript and counters of a stream that gets to its end are
	// published just before its last frame, so a client that has read the
	// whole response finds them; one whose client left is published then.
	ended := false
	s.send(r.Context(), d, w, c, sc, arrived, &tr, reqID, func() {
		ended, tr.Complete = true, true
		s.stats.end(tr, func(st *Stats) { st.Active--; st.Completed++ })
	})
	if !ended {
		s.stats.end(tr, func(st *Stats) { st.Active--; st.Disconnected++ })
	}
}

// send writes the script, each step when due. When it gets to the script's
// end before the client leaves, it calls ended with the transcript filled,
// then writes the last frame.
func (s *Server) send(ctx context.Context, d *dialect, w http.ResponseWriter, c *call, sc *script, arrived time.Time, tr *Transcript, reqID string, ended func()) {
	h := w.Header()
	h.Set("Content-Type", d.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	if d.headers != nil {
		d.headers(h, reqID, http.StatusOK)
	}
	w.WriteHeader(http.StatusOK)
	out := &wire{w: w, rc: http.NewResponseController(w)}
	enc := c.newEncoder(out)
	rec := recorder{tr: tr, noUsage: c.noUsage}
	defer rec.done()

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	last := arrived
	for _, st := range sc.steps {
		if !s.wait(ctx, timer, arrived.Add(st.at), &last, st.quiet, d, out) {
			return
		}
		at := time.Since(arrived)
		for i := range st.events {
			ev := &st.events[i]
			ev.At = at // encoders derive durations from it (Ollama's eval_duration)
			if err := enc.Encode(ev); err != nil {
				return
			}
			rec.add(ev)
		}
		if err := enc.Flush(); err != nil {
			return
		}
		if st.raw != nil {
			if _, err := out.Write(st.raw); err != nil {
				return
			}
			tr.Unknown = append(tr.Unknown, st.rawName)
		}
		if out.flush() != nil {
			return
		}
		last = time.Now()
	}
	if ctx.Err() != nil {
		return
	}
	rec.done()
	ended()
	// A client that leaves during the last frame has had the whole stream
	// but its end; it still counts as complete.
	var err error
	switch sc.end {
	case endMarker:
		if err = enc.End(); err == nil {
			err = enc.Flush()
		}
	case endError:
		if err = enc.Encode(&sluice.Event{Type: sluice.EventError, Err: sc.err}); err == nil {
			err = enc.Flush()
		}
	case endMalformed:
		_, err = out.Write(d.malformed)
	}
	if err == nil {
		out.flush()
	}
}

// wait blocks until due, writing keep-alive comments when the stream has
// been silent for Config.KeepAlive, and reports false if the client left.
// Waiting for an absolute time rather than sleeping a gap is what keeps a long
// stream's timing free of drift; waking the timers' mean lateness early (see
// Server.slack) keeps the mean on time as well.
func (s *Server) wait(ctx context.Context, t *time.Timer, due time.Time, last *time.Time, quiet bool, d *dialect, out *wire) bool {
	ka := s.cfg.KeepAlive
	keepAlive := ka > 0 && !quiet && d.comment != nil
	for {
		if ctx.Err() != nil {
			return false
		}
		now := time.Now()
		early := time.Duration(s.slack.Load())
		if !due.Add(-early).After(now) {
			return true
		}
		next, comment := due.Add(-early), false
		if keepAlive && last.Add(ka).Before(next) {
			next, comment = last.Add(ka), true
		}
		t.Reset(next.Sub(now))
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		s.timerLate(time.Since(next))
		if comment {
			if _, err := out.Write(d.comment); err != nil || out.flush() != nil {
				return false
			}
			*last = time.Now()
		}
	}
}

// maxSlack bounds the timer compensation, so a stalled machine cannot teach
// the simulator to send everything early.
const maxSlack = 2 * time.Millisecond

// timerLate folds one timer's lateness into the running mean, with weight
// 1/16. Updates may race and lose one another; the mean does not need them
// all.
func (s *Server) timerLate(late time.Duration) {
	late = min(max(late, 0), maxSlack)
	old := s.slack.Load()
	s.slack.Store(old + (int64(late)-old)/16)
}

// whole answers a non-streaming request, after the time the stream would
// have taken, with the protocol's JSON reply built from the script's events.
func (s *Server) whole(ctx context.Context, d *dialect, w http.ResponseWriter, c *call, sc *script, arrived time.Time, tr *Transcript, reqID string) {
	if c.nonStream == nil {
		s.reject(d, w, tr, reqID, badRequest(fmt.Sprintf(
			"sim: the %s simulator only streams; send \"stream\": true (non-streaming replies need a response builder in provider/%s)", d.name, d.name)), nil)
		return
	}
	if n := len(sc.steps); n > 0 {
		t := time.NewTimer(time.Until(arrived.Add(sc.steps[n-1].at)))
		select {
		case <-ctx.Done():
			t.Stop()
			s.stats.end(*tr, func(st *Stats) { st.Disconnected++ })
			return
		case <-t.C:
		}
	}
	var evs []sluice.Event
	for _, st := range sc.steps {
		evs = append(evs, st.events...)
	}
	if sc.end != endMarker {
		e := sc.err
		if e == nil {
			e = midstreamError(http.StatusInternalServerError)
		}
		s.reject(d, w, tr, reqID, e, nil)
		return
	}
	res := replay(d.name, tr.Model, evs)
	out, err := c.nonStream(&res)
	if err != nil {
		s.reject(d, w, tr, reqID, &sluice.Error{Kind: sluice.KindServer, Message: "sim: " + err.Error()}, nil)
		return
	}
	rec := recorder{tr: tr}
	for i := range evs {
		rec.add(&evs[i])
	}
	rec.done()
	tr.Status, tr.Complete = http.StatusOK, true
	s.stats.end(*tr, func(st *Stats) { st.Completed++ }) // before the reply, as for streams
	w.Header().Set("Content-Type", "application/json")
	if d.headers != nil {
		d.headers(w.Header(), reqID, http.StatusOK)
	}
	w.Write(out)
}

// reject answers with e in the protocol's error shape, with extra headers.
func (s *Server) reject(d *dialect, w http.ResponseWriter, tr *Transcript, reqID string, e *sluice.Error, extra http.Header) {
	if e.Status == 0 {
		e.Status = http.StatusBadRequest
	}
	h := w.Header()
	if d.headers != nil {
		d.headers(h, reqID, e.Status)
	}
	for k, v := range extra {
		h[k] = v
	}
	tr.Status, tr.Complete = e.Status, true
	s.stats.end(*tr, func(st *Stats) { st.Rejected++ }) // before the reply, as for streams
	d.writeError(w, e)
}

// applicable drops the faults limited to the first N requests whose N have
// been used up, counting this request.
func (s *Server) applicable(fs []Fault) []Fault {
	out := fs[:0:0]
	for _, f := range fs {
		if f.Times > 0 {
			s.timesMu.Lock()
			s.times[f.term]++
			n := s.times[f.term]
			s.timesMu.Unlock()
			if n > f.Times {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

// statusError is the error of a status fault, with the message the real APIs
// send for that status.
func statusError(status int) *sluice.Error {
	e := &sluice.Error{Kind: sluice.KindForStatus(status), Status: status}
	switch status {
	case http.StatusUnauthorized:
		e.Message = "sim: injected fault: invalid API key"
	case http.StatusTooManyRequests:
		e.Message = "sim: injected fault: rate limit reached, please try again later"
	case http.StatusInternalServerError:
		e.Message = "sim: injected fault: the server had an error while processing your request"
	case http.StatusServiceUnavailable:
		e.Message = "sim: injected fault: the service is unavailable"
	case 529:
		e.Message = "Overloaded"
	default:
		e.Message = "sim: injected fault: HTTP " + strconv.Itoa(status)
	}
	return e
}

// retryHeaders are the headers of a status fault: retry-after-ms and
// retry-after on 429, 503 and 529, and x-should-retry on the latter two.
func (s *Server) retryHeaders(status int) http.Header {
	h := http.Header{}
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, 529:
		ra := s.cfg.RetryAfter
		h.Set("Retry-After-Ms", strconv.FormatInt(max(ra.Milliseconds(), 1), 10))
		h.Set("Retry-After", strconv.FormatInt(int64((ra+time.Second-1)/time.Second), 10))
		if status != http.StatusTooManyRequests {
			h.Set("X-Should-Retry", "true")
		}
	}
	return h
}

func badRequest(msg string) *sluice.Error {
	return &sluice.Error{Kind: sluice.KindBadRequest, Status: http.StatusBadRequest, Message: msg}
}

// asBadRequest turns a parse error into the 400 the protocol writes.
func asBadRequest(err error) *sluice.Error {
	e := sluice.AsError(err)
	if e.Kind == sluice.KindConnection || e.Kind == sluice.KindUnknown {
		e = &sluice.Error{Kind: sluice.KindBadRequest, Message: err.Error(), Err: err}
	}
	if e.Status == 0 {
		c := *e
		c.Status = http.StatusBadRequest
		e = &c
	}
	return e
}

// wire is the writer the encoders write to: the response with its Flush
// hidden, so an encoder's Flush is exactly one Write, and the simulator
// flushes the response itself after each step, whichever encoder wrote it.
type wire struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (o *wire) Write(p []byte) (int, error) { return o.w.Write(p) }

// flush writes the response's buffered bytes to the connection.
func (o *wire) flush() error { return o.rc.Flush() }

// recorder fills a transcript from the events sent. Text goes through
// builders, one growing buffer each rather than a string per delta; done
// copies them into the transcript.
type recorder struct {
	tr              *Transcript
	text, reasoning strings.Builder
	calls           map[int]int // item → index in tr.ToolCalls
	noUsage         bool
}

func (r *recorder) add(ev *sluice.Event) {
	tr := r.tr
	switch ev.Type {
	case sluice.EventText:
		r.text.WriteString(ev.Text)
	case sluice.EventReasoning:
		r.reasoning.WriteString(ev.Text)
	case sluice.EventReasoningData:
		tr.Signature = ev.Text
	case sluice.EventItemStart:
		if ev.Kind == sluice.ItemToolCall {
			if r.calls == nil {
				r.calls = make(map[int]int)
			}
			r.calls[ev.Item] = len(tr.ToolCalls)
			tr.ToolCalls = append(tr.ToolCalls, sluice.ToolCall{ID: ev.CallID, Name: ev.Name})
		}
	case sluice.EventToolCall:
		if i, ok := r.calls[ev.Item]; ok {
			tr.ToolCalls[i].Arguments += ev.Text
		}
	case sluice.EventUsage:
		if !r.noUsage {
			tr.Usage = tr.Usage.Merge(*ev.Usage)
		}
	case sluice.EventFinish:
		tr.Finish = ev.Finish
	case sluice.EventPassthrough:
		tr.Unknown = append(tr.Unknown, ev.Name)
	}
}

// done copies the collected text into the transcript.
func (r *recorder) done() {
	r.tr.Text, r.tr.Reasoning = r.text.String(), r.reasoning.String()
}
