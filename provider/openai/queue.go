package openai

import (
	"sync"

	"github.com/sluicehq/sluice"
)

// The Decoder's workspace: the events one chunk gives, handed out one by
// one, and the buffers the chunk is taken apart in, all borrowed only
// while the chunk is decoded and its events handed out.

// add queues a zero event described by m and returns it to be filled in,
// valid until the next add. Events are built in place rather than passed by
// value: an Event literal is a few hundred bytes of the caller's frame, and
// the decoder's frames are on the stack of every relayed stream for its
// whole life (see server.TestRelayStackDepth).
func (d *Decoder) add(m evMeta) *sluice.Event {
	d.borrow()
	d.queue = append(d.queue, sluice.Event{})
	d.metas = append(d.metas, m)
	return &d.queue[len(d.queue)-1]
}

// workspace is the memory a Decoder borrows per chunk.
type workspace struct {
	events []sluice.Event
	metas  []evMeta
	// The scratch buffers of the Decoder's fields of the same names.
	top, chs, tres, fields, str []byte
}

// Limits of what is given back for reuse: a chunk with many choices or
// tool calls, or long unmodelled fields, grows a workspace past them now
// and then, and that one is left to the collector.
const (
	maxQueueKept   = 32
	maxScratchKept = 4 << 10
)

// workspaces lends workspaces to decoders. A gateway keeps thousands of
// streams open and each waits for its next chunk almost all of the time;
// a queue and scratch buffers per stream were a kilobyte or two per open
// stream (Event is a few hundred bytes), one per busy stream is a few
// kilobytes per process. It is shared by every decoder of the process, as
// bufpool's buffers are.
var workspaces = sync.Pool{New: func() any {
	// A chunk gives up to four events in the common cases (start, item
	// start, delta, and a finish or an item end).
	return &workspace{events: make([]sluice.Event, 0, 4), metas: make([]evMeta, 0, 4)}
}}

// borrow takes a workspace if the decoder holds none.
func (d *Decoder) borrow() {
	if d.ws != nil {
		return
	}
	ws := workspaces.Get().(*workspace)
	d.ws = ws
	d.queue, d.metas = ws.events, ws.metas
	d.top, d.chs, d.tres, d.fields, d.str = ws.top, ws.chs, ws.tres, ws.fields, ws.str
}

// release gives the drained workspace back; the next chunk borrows one
// again.
func (d *Decoder) release() {
	d.qi = 0
	ws := d.ws
	if ws == nil {
		return
	}
	clear(d.queue)
	clear(d.metas)
	if cap(d.queue) <= maxQueueKept && max(cap(d.top), cap(d.chs), cap(d.tres), cap(d.fields), cap(d.str)) <= maxScratchKept {
		ws.events, ws.metas = d.queue[:0], d.metas[:0]
		ws.top, ws.chs, ws.tres, ws.fields, ws.str = d.top[:0], d.chs[:0], d.tres[:0], d.fields[:0], d.str[:0]
		workspaces.Put(ws)
	}
	d.ws, d.queue, d.metas = nil, nil, nil
	d.top, d.chs, d.tres, d.fields, d.str = nil, nil, nil, nil, nil
}
