// Package bufpool lends byte buffers to the encoders and decoders of an open
// stream for the moments they hold bytes, so that a stream waiting for its
// provider holds none.
//
// A gateway keeps thousands of streams open, and each is idle almost all of
// the time: an LLM sends a token every 10 to 50 ms and relaying it takes a
// few microseconds. A buffer that a stream owns is memory per open stream;
// a buffer it borrows while it works and returns before it waits is memory
// per busy stream, of which there are about as many as cores. `sluice bench
// overhead` measures the difference (docs/benchmarks.md).
//
// Buffers are held through a *[]byte so that lending one back allocates
// nothing; a buffer grown past MaxKept by a large event is left to the
// collector instead, as log/slog does with its own.
package bufpool

import "sync"

// Size is the capacity of a new buffer: room for a few LLM events, which
// are a few hundred bytes each.
const Size = 1 << 10

// MaxKept is the largest capacity a returned buffer may have and still be
// lent again.
const MaxKept = 16 << 10

// pool is shared by every stream of the process, as net/http shares its
// connection buffers: a buffer returned by one stream is lent to the next
// that needs one, on whichever goroutine.
var pool = sync.Pool{New: func() any {
	b := make([]byte, 0, Size)
	return &b
}}

// Get lends a buffer of length 0 and capacity at least Size.
func Get() *[]byte {
	return pool.Get().(*[]byte)
}

// Put takes back a buffer that Get lent, or any buffer the caller owns; its
// contents are not kept. The caller must not use it again, nor any slice of
// it.
func Put(b *[]byte) {
	if b == nil || cap(*b) > MaxKept || cap(*b) < Size {
		return
	}
	*b = (*b)[:0]
	pool.Put(b)
}

// Scratch is one buffer that its owner (an encoder, a decoder) borrows
// while it works and gives back before it waits. The zero value holds
// none.
type Scratch struct{ box *[]byte }

// Bytes returns the buffer, emptied, borrowing one if none is held.
func (s *Scratch) Bytes() []byte {
	if s.box == nil {
		s.box = Get()
	}
	return (*s.box)[:0]
}

// Keep records b, built by appending to what Bytes returned (or a buffer
// the owner made), as the buffer to reuse and give back: appending may have
// grown it. A buffer the pool would not lend again is dropped at once.
func (s *Scratch) Keep(b []byte) {
	if cap(b) < Size || cap(b) > MaxKept {
		s.box = nil
		return
	}
	if s.box == nil {
		s.box = new([]byte)
	}
	*s.box = b[:0]
}

// Release gives the buffer back to the pool; the owner must not use
// anything Bytes returned since.
func (s *Scratch) Release() {
	if s.box != nil {
		Put(s.box)
		s.box = nil
	}
}

// Held reports whether a buffer is borrowed.
func (s *Scratch) Held() bool { return s.box != nil }
