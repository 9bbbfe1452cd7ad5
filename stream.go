package sluice

import (
	"context"
	"errors"
	"io"
	"iter"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Decoder reads one provider's wire protocol and returns its events one at a
// time. Next returns io.EOF after the protocol's end marker and only then; a
// stream that ends without it returns an *Error of KindTruncated, and an
// in-stream error from the provider is returned as an *Error, never as an
// EventError. The Event's Raw may alias the decoder's buffers until the next
// call.
type Decoder interface {
	Next() (Event, error)
}

// TokenCounter counts output tokens exactly as text streams in, for
// estimates when a provider reports no usage. Add appends a fragment and
// returns the token count of all text so far.
type TokenCounter interface {
	Add(fragment string) int
}

// StreamConfig is what a provider adapter hands to [NewStream].
type StreamConfig struct {
	// Provider names the provider in errors and results.
	Provider string
	// Model is the requested model; the provider's EventStart may refine it.
	Model   string
	Decoder Decoder
	// Body is closed when the stream ends or is closed.
	Body io.Closer
	// Cancel cancels the upstream request; called on Close.
	Cancel context.CancelFunc
	// Start is when the request was sent and Header when its response
	// headers arrived (both on the monotonic clock; zero Header = unknown).
	Start, Header time.Time
	// ResponseHeader is the upstream's HTTP response header, nil for a
	// provider without one (in process). A gateway passes its rate-limit
	// headers on to the client.
	ResponseHeader http.Header
	// OnWait, when the Decoder reads from the network, registers a
	// function to be called each time it is about to read, and so may wait
	// (see [Stream.OnWait]); [WaitReader] provides it. Nil for a provider
	// that produces events in process.
	OnWait func(f func())
}

// Stream is one response in flight. Provider.Stream returns it after the
// response headers arrived; range over [Stream.Events] once to read it.
//
// Stream is not safe for concurrent use, except Close, which may be called
// from any goroutine to stop it.
type Stream struct {
	ctx     context.Context
	cfg     StreamConfig
	counter TokenCounter

	used      bool
	ended     bool
	closeOnce sync.Once
	closed    atomic.Bool

	acc    accumulator
	meter  meter
	err    *Error
	counts int // tokens counted by counter

	// budget, when positive, is the output token limit set by StopAfter;
	// count measures whole texts and output is all content text so far.
	budget     int
	count      func(string) int
	output     strings.Builder
	overBudget bool
}

// NewStream wraps a decoder in a Stream. ctx must be the context of the
// upstream request, so its cancellation is reported as KindCanceled.
func NewStream(ctx context.Context, cfg StreamConfig) *Stream {
	if cfg.Start.IsZero() {
		cfg.Start = time.Now()
	}
	s := &Stream{ctx: ctx, cfg: cfg}
	s.acc.res.Provider, s.acc.res.Model = cfg.Provider, cfg.Model
	if !cfg.Header.IsZero() {
		s.meter.ttfb = cfg.Header.Sub(cfg.Start)
	}
	return s
}

// CountWith makes the stream count output tokens with c, so that when the
// provider reports no output usage the Result carries an exact estimate
// rather than the number of content events. Call it before Events.
func (s *Stream) CountWith(c TokenCounter) { s.counter = c }

// OnWait makes the stream call f each time its decoder is about to read
// from the network, which may wait for the provider. A relay writes each
// event into its buffer and flushes in f, so the events one network read
// delivered reach its client in one write, as a byte relay would send them,
// and yet no event waits in the buffer for the next one to arrive. Under
// load, when events queue up, that is one write where a flush per event
// would make several. f runs on the goroutine ranging over Events. OnWait
// reports false, and never calls f, for a stream whose events do not come
// from a network reader (an in-process model): flush after every event
// then. Call it before Events.
func (s *Stream) OnWait(f func()) bool {
	if s.cfg.OnWait == nil {
		return false
	}
	s.cfg.OnWait(f)
	return true
}

// Elapsed returns the time since the request was sent, on the clock every
// Event.At is measured on, so a caller can tell how long ago an event
// arrived without reading the clock at each one.
func (s *Stream) Elapsed() time.Duration { return time.Since(s.cfg.Start) }

// OnGap makes the stream pass each gap between consecutive content events
// (ITL) to f as it is measured, instead of keeping it in [Metrics.ITL],
// which then stays empty. A gateway that feeds the gaps to a histogram so
// holds nothing per token: a long answer's gaps would be 8 bytes each for
// as long as the stream is open. f runs on the goroutine ranging over
// Events. Call it before Events.
func (s *Stream) OnGap(f func(time.Duration)) { s.meter.onGap = f }

// StopAfter makes the stream stop once its output reaches n tokens, as
// counted by the TokenCounter given to [Stream.CountWith], which must be set.
// The fragment that crosses the budget is cut exactly at it (count measures
// whole texts to find the cut, and is called only then), the upstream
// request is cancelled at once, and the stream ends without an error with
// [FinishBudget]: a budget is the caller's decision, not a failure. The
// Result's output usage is then sluice's count, marked estimated, since the
// provider's final usage never arrives. Call it before Events.
func (s *Stream) StopAfter(n int, count func(string) int) {
	s.budget, s.count = n, count
}

var errConsumed = &Error{Kind: KindBadRequest, Message: "Stream.Events was called twice", Hint: "a stream can be ranged over only once; keep its Result"}

// Events returns the stream's events as a single-use sequence. Breaking out of
// the loop, returning, or cancelling the request's context closes the body and
// cancels the upstream request at once. An error is never yielded with an
// event and is always the last item; it is an *Error whose Streamed field says
// whether content had already arrived. An Event's Raw aliases the decoder's
// buffer and is valid only until the next iteration: copy it to keep it. No
// other field is reused.
func (s *Stream) Events() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		if s.used {
			yield(Event{}, errConsumed)
			return
		}
		s.used = true
		defer s.Close()
		if s.closed.Load() {
			s.fail(context.Canceled)
			yield(Event{}, s.err)
			return
		}
		for {
			ev, err := s.cfg.Decoder.Next()
			at := time.Since(s.cfg.Start)
			if err != nil {
				if errors.Is(err, io.EOF) && !s.closed.Load() && s.ctx.Err() == nil {
					s.end(at)
					return
				}
				s.meter.end = at
				s.fail(err)
				yield(Event{}, s.err)
				return
			}
			ev.At = at
			s.observe(&ev)
			if s.overBudget {
				if ev.Text != "" && !yield(ev, nil) {
					s.meter.end = time.Since(s.cfg.Start)
					s.fail(context.Canceled)
					return
				}
				s.stopBudget(at)
				return
			}
			if !yield(ev, nil) {
				s.meter.end = time.Since(s.cfg.Start)
				s.fail(context.Canceled)
				return
			}
		}
	}
}

func (s *Stream) observe(ev *Event) {
	if ev.Type.IsContent() && ev.Text != "" {
		if s.counter != nil {
			s.counts = s.counter.Add(ev.Text)
		}
		if s.budget > 0 && s.count != nil {
			if s.counts > s.budget {
				ev.Text = s.fit(ev.Text)
				s.overBudget = true
			}
			s.output.WriteString(ev.Text)
		}
		if ev.Text != "" {
			s.meter.content(ev.At)
		}
	} else if ev.Type.IsContent() {
		s.meter.content(ev.At)
	}
	s.acc.add(s.cfg.Provider, ev)
}

// fit returns the longest prefix of fragment, cut at a rune boundary, that
// keeps the output within the budget, and sets counts to its total. Token
// counts grow with the text, so a binary search over the cut points finds
// it with a logarithmic number of whole-text counts.
func (s *Stream) fit(fragment string) string {
	base := s.output.String()
	cuts := []int{0}
	for i := range fragment {
		if i > 0 {
			cuts = append(cuts, i)
		}
	}
	lo, hi := 0, len(cuts)-1 // cuts[lo] fits; the whole fragment does not
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if s.count(base+fragment[:cuts[mid]]) <= s.budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	out := fragment[:cuts[lo]]
	s.counts = s.count(base + out)
	return out
}

// stopBudget ends the stream at the budget: cleanly, with FinishBudget, and
// with the upstream request cancelled.
func (s *Stream) stopBudget(at time.Duration) {
	s.ended = true
	s.meter.end = at
	s.acc.res.Finish, s.acc.res.RawFinish = FinishBudget, ""
	s.acc.res.Usage.Output = EstimatedCount(int64(s.counts))
	s.Close()
}

func (s *Stream) end(at time.Duration) {
	s.ended = true
	s.meter.end = at
	if s.acc.res.Finish == "" {
		s.acc.res.Finish = FinishStop
	}
}

// fail records err as the reason the stream ended.
func (s *Stream) fail(err error) {
	if s.ended || s.err != nil {
		return
	}
	s.ended = true
	e := AsError(err)
	if (s.closed.Load() || s.ctx.Err() != nil) && e.Kind != KindBudget {
		cause := context.Cause(s.ctx)
		if cause == nil {
			cause = context.Canceled
		}
		kind := KindCanceled
		if errors.Is(cause, context.DeadlineExceeded) {
			kind = KindTimeout
		}
		if e.Kind != kind {
			e = &Error{Kind: kind, Message: cause.Error(), Err: err}
		}
	}
	if e.Provider == "" {
		c := *e
		c.Provider = s.cfg.Provider
		e = &c
	}
	e.Streamed = s.meter.n > 0
	s.err = e
	s.acc.res.Partial = true
	s.acc.res.Err = e
	switch e.Kind {
	case KindCanceled:
		s.acc.res.Finish = FinishCanceled
	case KindBudget:
		s.acc.res.Finish = FinishBudget
	case KindContentFilter:
		s.acc.res.Finish = FinishContentFilter
	default:
		s.acc.res.Finish = FinishError
	}
}

// Close stops the stream: it cancels the upstream request and closes the
// response body. It is safe to call more than once and from any goroutine. A
// stream closed before its end is marked Partial with FinishCanceled.
func (s *Stream) Close() error {
	s.closed.Store(true)
	var err error
	s.closeOnce.Do(func() {
		if s.cfg.Cancel != nil {
			s.cfg.Cancel()
		}
		if s.cfg.Body != nil {
			err = s.cfg.Body.Close()
		}
	})
	return err
}

// ResponseHeader returns the upstream's HTTP response header, nil when the
// provider has none. It must not be modified.
func (s *Stream) ResponseHeader() http.Header { return s.cfg.ResponseHeader }

// Err returns the error that ended the stream, or nil; it repeats the final
// item of Events for a caller who dropped it.
func (s *Stream) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err
}

// Result returns everything received so far. It is always valid; after the
// stream has ended it is complete, with Partial set if an error or a cancel
// ended it. Output tokens missing from the provider's usage are filled in as
// estimates.
func (s *Stream) Result() Result {
	if !s.ended && s.closed.Load() {
		s.fail(context.Canceled)
	}
	r := s.acc.result()
	counted := int64(s.meter.n)
	if s.counter != nil {
		counted = int64(s.counts)
	}
	// The provider's count wins when it is final. A stream cut short never
	// got the final one, and an early report (Anthropic's message_start says
	// output_tokens: 1) must not hide what was streamed after it.
	if s.meter.n > 0 && (!r.Usage.Output.Known() || (r.Partial && counted > r.Usage.Output.N)) {
		r.Usage.Output = EstimatedCount(counted)
	}
	tokens, estimated := r.Usage.Output.N, r.Usage.Output.Source == Estimated
	if !r.Usage.Output.Known() {
		tokens, estimated = counted, true
	}
	r.Metrics = s.meter.metrics(tokens, estimated)
	return r
}

// WaitReader wraps the body a Decoder reads so that a [Stream] can tell when
// it is about to read from the network: pass the wrapped reader to the
// Decoder and OnWait to [StreamConfig].
type WaitReader struct {
	r    io.Reader
	wait func()
}

// NewWaitReader returns r wrapped.
func NewWaitReader(r io.Reader) *WaitReader { return &WaitReader{r: r} }

// Read calls the function registered with OnWait, if any, then reads.
func (w *WaitReader) Read(p []byte) (int, error) {
	if w.wait != nil {
		w.wait()
	}
	return w.r.Read(p)
}

// OnWait registers f; it is StreamConfig.OnWait.
func (w *WaitReader) OnWait(f func()) { w.wait = f }

// EventsDecoder returns a Decoder that yields evs in order and then io.EOF:
// a Stream over an answer already in memory, such as a provider's
// non-streaming reply, a cached response, or a test's script.
func EventsDecoder(evs []Event) Decoder { return &eventsDecoder{evs: evs} }

type eventsDecoder struct{ evs []Event }

func (d *eventsDecoder) Next() (Event, error) {
	if len(d.evs) == 0 {
		return Event{}, io.EOF
	}
	ev := d.evs[0]
	d.evs = d.evs[1:]
	return ev, nil
}
