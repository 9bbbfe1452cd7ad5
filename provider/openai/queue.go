package openai

import (
	"sync"

	"github.com/sluicehq/sluice"
)

// The Decoder's event queue: the events one chunk gives, handed out one by
// one, and borrowed only while they are.

// add queues a zero event described by m and returns it to be filled in,
// valid until the next add. Events are built in place rather than passed by
// value: an Event literal is a few hundred bytes of the caller's frame, and
// the decoder's frames are on the stack of every relayed stream for its
// whole life (see server.TestRelayStackDepth).
func (d *Decoder) add(m evMeta) *sluice.Event {
	if d.q == nil {
		d.q = queues.Get().(*eventQueue)
		d.queue, d.metas = d.q.events, d.q.metas
	}
	d.queue = append(d.queue, sluice.Event{})
	d.metas = append(d.metas, m)
	return &d.queue[len(d.queue)-1]
}

// eventQueue is the memory of a Decoder's queue.
type eventQueue struct {
	events []sluice.Event
	metas  []evMeta
}

// maxQueueKept is the largest queue given back for reuse: a chunk with many
// choices or tool calls grows one past it now and then.
const maxQueueKept = 32

// queues lends event queues to decoders. A gateway keeps thousands of
// streams open and each waits for its next chunk almost all of the time;
// one queue per stream was a kilobyte per open stream (Event is a few
// hundred bytes), one per busy stream is a few kilobytes per process. It is
// shared by every decoder of the process, as bufpool's buffers are.
var queues = sync.Pool{New: func() any {
	// A chunk gives up to four events in the common cases (start, item
	// start, delta, and a finish or an item end).
	return &eventQueue{events: make([]sluice.Event, 0, 4), metas: make([]evMeta, 0, 4)}
}}

// release gives the drained queue back; the next add borrows one again.
func (d *Decoder) release() {
	d.qi = 0
	if d.q == nil {
		return
	}
	clear(d.queue)
	clear(d.metas)
	if cap(d.queue) <= maxQueueKept {
		d.q.events, d.q.metas = d.queue[:0], d.metas[:0]
		queues.Put(d.q)
	}
	d.q, d.queue, d.metas = nil, nil, nil
}
