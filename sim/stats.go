package sim

import (
	"context"
	"sync"

	"github.com/sluicehq/sluice"
)

// Stats counts what the simulator has served. Tests watch it to assert that a
// client going away cancels the upstream stream: Disconnected grows and Active
// falls back to 0.
type Stats struct {
	// Requests counts requests on the simulator's API paths.
	Requests int64 `json:"requests"`
	// Rejected counts requests answered with an HTTP error before any byte of
	// a stream: injected status faults, bad requests, missing signatures.
	Rejected int64 `json:"rejected"`
	// Streams counts responses that began streaming; Active those still
	// streaming.
	Streams int64 `json:"streams"`
	Active  int64 `json:"active"`
	// Completed counts responses that ran to their planned end, including a
	// planned injected fault; non-streaming replies count here too.
	Completed int64 `json:"completed"`
	// Disconnected counts responses whose client went away (the request's
	// context was cancelled or a write failed) before their planned end.
	Disconnected int64 `json:"disconnected"`
}

// Transcript is what the simulator sent for one request, as a decoder of that
// protocol should report it: the text, reasoning and tool calls actually
// flushed before the response ended (a fault cuts them short), and the usage
// with only the buckets the protocol carries.
type Transcript struct {
	Protocol string `json:"protocol"`
	Model    string `json:"model"`
	// Status is the HTTP status: 200 for a stream, the error's otherwise.
	Status    int               `json:"status"`
	Text      string            `json:"text"`
	Reasoning string            `json:"reasoning,omitempty"`
	Signature string            `json:"signature,omitempty"`
	ToolCalls []sluice.ToolCall `json:"tool_calls,omitempty"`
	// Usage is the usage sent; it is zero if the stream ended before it.
	Usage  sluice.Usage        `json:"usage"`
	Finish sluice.FinishReason `json:"finish,omitempty"`
	// Fault is the fault injected, in the grammar's syntax, or "".
	Fault string `json:"fault,omitempty"`
	// Unknown holds the wire names of the unknown events sent (unknown_event).
	Unknown []string `json:"unknown,omitempty"`
	// Complete is true when the stream ended as planned (with its end marker,
	// or at its injected fault), false when the client left first.
	Complete bool `json:"complete"`
}

// stats holds the counters under one lock, with a channel closed at every
// change so WaitFor needs no polling. The lock is taken a few times per
// request, never per event.
type stats struct {
	mu      sync.Mutex
	s       Stats
	changed chan struct{}
	last    []Transcript // ring of the latest transcripts, newest last
}

const keepTranscripts = 32

func (st *stats) update(f func(*Stats)) {
	st.mu.Lock()
	f(&st.s)
	st.notify()
	st.mu.Unlock()
}

// end records a response's transcript and updates the counters in one step,
// so a waiter who sees the counters of a finished response also finds its
// transcript.
func (st *stats) end(t Transcript, f func(*Stats)) {
	st.mu.Lock()
	if len(st.last) == keepTranscripts {
		copy(st.last, st.last[1:])
		st.last = st.last[:keepTranscripts-1]
	}
	st.last = append(st.last, t)
	f(&st.s)
	st.notify()
	st.mu.Unlock()
}

// notify wakes the waiters; st.mu is held.
func (st *stats) notify() {
	if st.changed != nil {
		close(st.changed)
		st.changed = nil
	}
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.s
}

// Transcripts returns the transcripts of the latest requests (at most 32),
// oldest first. A response's transcript and counters are recorded just
// before its last frame is written (or when its client left), so a client
// that has read a whole response finds them without waiting.
func (s *Server) Transcripts() []Transcript {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return append([]Transcript(nil), s.stats.last...)
}

// Last returns the transcript of the latest response that ended (see
// Transcripts), and false if none has.
func (s *Server) Last() (Transcript, bool) {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	if len(s.stats.last) == 0 {
		return Transcript{}, false
	}
	return s.stats.last[len(s.stats.last)-1], true
}

// WaitFor blocks until cond holds for the counters, or ctx ends, in which case
// it returns ctx's error. It checks cond at once and again at each change, so
// a test waits on what it observes instead of sleeping.
func (s *Server) WaitFor(ctx context.Context, cond func(Stats) bool) error {
	for {
		s.stats.mu.Lock()
		if cond(s.stats.s) {
			s.stats.mu.Unlock()
			return nil
		}
		if s.stats.changed == nil {
			s.stats.changed = make(chan struct{})
		}
		ch := s.stats.changed
		s.stats.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
