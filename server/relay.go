package server

import (
	"context"
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
// Two goroutines take part: a pump ranges over the Stream (blocking in the
// provider's decoder) and hands each event over; the handler's goroutine,
// in run, is the only one that writes the response. The pump waits for each
// event to be written before decoding the next, because an Event's Raw
// aliases the decoder's buffer.
type relay struct {
	enc       frontend
	heartbeat time.Duration // <= 0: none
	// scrub removes secrets from an error before it is written.
	scrub func(*sluice.Error) *sluice.Error

	seq uint64
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

// pumped is one item of a Stream handed from the pump to the writer.
type pumped struct {
	ev  sluice.Event
	err error
}

// run relays s until it ends, the client goes away (ctx is cancelled) or the
// server shuts down (ctx is cancelled with errShutdown). It always closes s.
func (rl *relay) run(ctx context.Context, s *sluice.Stream) relayResult {
	items := make(chan pumped)
	ack := make(chan struct{})
	quit := make(chan struct{})
	go func() {
		defer close(items)
		for ev, err := range s.Events() {
			select {
			case items <- pumped{ev, err}:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
			select {
			case <-ack:
			case <-quit:
				return
			}
		}
	}()
	// stopPump ends the upstream request and waits for the pump to finish,
	// after which the Stream (and its Result) belong to this goroutine.
	stopPump := func() {
		s.Close()
		close(quit)
		for range items {
		}
	}

	var tick <-chan time.Time
	var timer *time.Timer
	if rl.heartbeat > 0 {
		timer = time.NewTimer(rl.heartbeat)
		defer timer.Stop()
		tick = timer.C
	}
	var out relayResult
	for {
		select {
		case it, ok := <-items:
			if !ok {
				out.res = s.Result()
				if out.res.Err != nil {
					// The sequence ended with no error item, which the
					// Stream contract rules out; still, never end cleanly.
					rl.fail(&out, out.res.Err)
					return out
				}
				if err := rl.enc.Finish(&out.res, rl.next()); err == nil {
					rl.enc.Flush()
				}
				return out
			}
			if it.err != nil {
				for range items {
				}
				out.res = s.Result()
				switch {
				case isShutdown(ctx):
					out.shutdown = true
					rl.fail(&out, errShutdown)
				case ctx.Err() != nil:
					out.clientGone = true
				default:
					rl.fail(&out, sluice.AsError(it.err))
				}
				return out
			}
			err := rl.enc.Encode(&it.ev, rl.next())
			if err == nil {
				err = rl.enc.Flush()
			}
			if err != nil {
				// The client cannot be written to: it is gone.
				stopPump()
				out.res = s.Result()
				out.clientGone = true
				return out
			}
			ack <- struct{}{}
			if timer != nil {
				timer.Reset(rl.heartbeat)
			}
		case <-tick:
			if err := rl.enc.Heartbeat(); err == nil {
				if rl.enc.Flush() != nil {
					stopPump()
					out.res = s.Result()
					out.clientGone = true
					return out
				}
			}
			timer.Reset(rl.heartbeat)
		case <-ctx.Done():
			stopPump()
			out.res = s.Result()
			if isShutdown(ctx) {
				out.shutdown = true
				rl.fail(&out, errShutdown)
			} else {
				out.clientGone = true
			}
			return out
		}
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
