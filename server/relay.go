package server

import (
	"context"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
)

// frontend is one wire protocol's side of a relay: it turns sluice events
// into that protocol's SSE events. Every method only buffers; the relay
// calls Flush after each batch.
type frontend interface {
	// Encode buffers ev, the seq-th event of the stream (counted from 1).
	// A protocol that cannot express ev drops it.
	Encode(ev *sluice.Event, seq uint64) error
	// Heartbeat buffers an idle keep-alive.
	Heartbeat() error
	// Finish buffers the end of a clean stream: the protocol's end marker,
	// with the usage and metrics of res where the protocol carries them.
	Finish(res *sluice.Result, seq uint64) error
	// Fail buffers the protocol's terminal error for err; res holds what was
	// streamed before it.
	Fail(res *sluice.Result, err *sluice.Error, seq uint64) error
	Flush() error
}

// relay carries one response from a provider's Stream to one client. It is
// the one place a stream's events pass through in order with their sequence
// numbers, which is where a journal for resumable streams will record them.
//
// One goroutine does the work: the handler's, which ranges over the Stream
// and encodes each event as it is decoded, so an Event's Raw (which aliases
// the decoder's buffer) is used before the next one is read. What it encodes
// is flushed when the stream is about to wait for the network
// (Stream.OnWait), or after every event for a stream that cannot tell. The upstream
// request's context is the client's (see requestContext), so a client that
// leaves or a server that shuts down ends the decoder's read, and with it the
// loop. Heartbeats come from a timer that re-arms itself while the stream is
// idle; a per-stream mutex makes it and the loop take turns at the writer.
// An earlier version handed each event from a pump goroutine to the writer
// over a channel and waited for an acknowledgement: the benchmark of
// sluice's overhead measured that hand-off as half the excess stalls at
// 1,000 streams, and it cost a goroutine stack per stream.
type relay struct {
	enc       frontend
	heartbeat time.Duration // <= 0: none
	// scrub removes secrets from an error before it is written.
	scrub func(*sluice.Error) *sluice.Error

	seq uint64
	// cur holds the event being written: the loop's own variable would
	// move to the heap with every event, as its address goes to the
	// frontend.
	cur sluice.Event
}

// relayResult is how a relayed stream ended.
type relayResult struct {
	res sluice.Result
	// clientGone is true when the client went away (or could no longer be
	// written to) before the end.
	clientGone bool
	// shutdown is true when the server ended the stream.
	shutdown bool
}

// run relays s until it ends, the client goes away (ctx is cancelled) or the
// server shuts down (ctx is cancelled with errShutdown). It always closes s.
// ctx must be the context s's upstream request was opened with.
//
// The result is returned by pointer, as every stack frame on the way from
// the handler to the socket counts: the handler's goroutine holds this
// path for the whole stream, and keeping it shallow keeps its stack small
// (see TestRelayStackDepth).
func (rl *relay) run(ctx context.Context, s *sluice.Stream) *relayResult {
	defer s.Close()
	w := &relayWriter{enc: rl.enc, stream: s}
	// Events are flushed when the stream is about to wait for the network,
	// not one by one: what one read delivered goes out in one write.
	w.batch = s.OnWait(w.flushPending)
	if rl.heartbeat > 0 {
		w.startHeartbeat(rl.heartbeat)
		defer w.stopHeartbeat()
	}
	// The loop holds only what each event needs; how the stream ended is
	// handled apart (failed, gone, ended), off the path every event takes.
	for ev, err := range s.Events() {
		if err != nil {
			return rl.failed(ctx, s, w, err)
		}
		rl.cur = ev
		if w.write(&rl.cur, rl.next()) != nil {
			return rl.gone(s, w)
		}
	}
	return rl.ended(s, w)
}

// failed ends a stream whose upstream failed, or was cancelled because the
// client left or the server is shutting down.
func (rl *relay) failed(ctx context.Context, s *sluice.Stream, w *relayWriter, err error) *relayResult {
	w.stopHeartbeat()
	out := &relayResult{res: s.Result()}
	switch {
	case isShutdown(ctx):
		out.shutdown = true
		rl.fail(out, errShutdown)
	case ctx.Err() != nil || w.broken:
		out.clientGone = true
	default:
		rl.fail(out, sluice.AsError(err))
	}
	return out
}

// gone ends a stream whose client can no longer be written to.
func (rl *relay) gone(s *sluice.Stream, w *relayWriter) *relayResult {
	w.stopHeartbeat()
	s.Close()
	return &relayResult{res: s.Result(), clientGone: true}
}

// ended ends a stream that ended cleanly.
func (rl *relay) ended(s *sluice.Stream, w *relayWriter) *relayResult {
	w.stopHeartbeat()
	out := &relayResult{res: s.Result()}
	if out.res.Err != nil {
		// The sequence ended with no error item, which the Stream contract
		// rules out; still, never end cleanly.
		rl.fail(out, out.res.Err)
		return out
	}
	if err := rl.enc.Finish(&out.res, rl.next()); err == nil {
		rl.enc.Flush()
	}
	return out
}

// relayWriter serialises the relay loop's writes with the heartbeat timer's.
type relayWriter struct {
	enc    frontend
	stream *sluice.Stream

	// batch leaves events in the encoder's buffer until flushPending, which
	// the stream calls before it waits for the network (Stream.OnWait).
	batch bool

	mu sync.Mutex
	// last is when the last write was, on the stream's clock (Event.At,
	// Stream.Elapsed): an event carries its time, so a write needs no
	// clock read of its own.
	last    time.Duration
	timer   *time.Timer
	stopped bool
	pending bool // encoded events not yet flushed (batch)
	// broken is set when a heartbeat or a pending flush could not be
	// written; the loop reads it after the stream ended, once the timer is
	// stopped.
	broken bool
}

// write encodes one event and flushes it, or leaves it pending when the
// writer batches.
func (w *relayWriter) write(ev *sluice.Event, seq uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.enc.Encode(ev, seq)
	if err == nil {
		if w.batch {
			w.pending = true
		} else {
			err = w.enc.Flush()
		}
	}
	w.last = ev.At
	return err
}

// flushPending writes the pending events. It runs inside the stream's read,
// so a client that can no longer be written to ends the stream from here,
// as a failed heartbeat does.
func (w *relayWriter) flushPending() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pending {
		w.flushLocked()
	}
}

// flushLocked writes what the encoder holds, pending events included. A
// client that can no longer be written to ends the stream, which ends the
// loop. w.mu is held.
func (w *relayWriter) flushLocked() bool {
	w.pending = false
	if w.enc.Flush() != nil {
		w.broken = true
		w.stream.Close()
		return false
	}
	return true
}

// startHeartbeat arms a timer that writes a keep-alive whenever nothing was
// written for d. Only the timer is touched per event (the time of the last
// write), never reset, so a busy stream pays nothing for its heartbeats.
func (w *relayWriter) startHeartbeat(d time.Duration) {
	// Held while the timer is made: a short d could fire it before the
	// assignment otherwise.
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = w.stream.Elapsed()
	w.timer = time.AfterFunc(d, func() { w.beat(d) })
}

func (w *relayWriter) beat(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	now := w.stream.Elapsed()
	idle := now - w.last
	if idle >= d {
		if err := w.enc.Heartbeat(); err == nil && !w.flushLocked() {
			w.stopped = true
			return
		}
		w.last, idle = now, 0
	}
	w.timer.Reset(d - idle)
}

// stopHeartbeat stops the timer; after it returns no heartbeat is written.
func (w *relayWriter) stopHeartbeat() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
	}
}

// next returns the next event's sequence number.
func (rl *relay) next() uint64 {
	rl.seq++
	return rl.seq
}

// fail writes the terminal error and records it in the result.
func (rl *relay) fail(out *relayResult, e *sluice.Error) {
	e = rl.scrub(e)
	if out.res.Err == nil || out.shutdown {
		out.res.Err = e
		out.res.Partial = true
		out.res.Finish = sluice.FinishError
	}
	if err := rl.enc.Fail(&out.res, e, rl.next()); err == nil {
		rl.enc.Flush()
	}
}
