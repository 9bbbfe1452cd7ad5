package sse

import (
	"bytes"
	"errors"
	"io"
	"iter"
	"math"
	"time"

	"github.com/sluicehq/sluice/internal/bufpool"
)

const (
	// readSize is the size of a Decoder's read buffer, and the size it
	// returns to after a long line made it grow past maxRetained: that of
	// the buffers bufpool lends. An HTTP body is already read through the
	// Transport's own buffer, so a larger one only costs memory: an LLM
	// stream's events are a few hundred bytes, and a line that does not fit
	// doubles the buffer. Measured with BenchmarkDecode (OpenAI chunks in
	// bulk): 1 KiB decodes 5% slower than 4 KiB (46 against 44 ns per
	// event), which a relay's 2–3 µs per event does not see (8 KiB did not
	// decode faster than 4).
	readSize = bufpool.Size

	// probeSize is the read a Decoder waits in between events, into an
	// array of its own, so that a stream waiting for its provider holds no
	// borrowed buffer (see Decoder.wait). The rest of the event comes with
	// the next read, from the Transport's buffer, without waiting.
	probeSize = 128

	// maxRetained bounds the buffers a Decoder keeps once the
	// event that needed them is done, so one huge event does not pin its
	// memory for the rest of a long stream.
	maxRetained = 256 << 10

	// maxEmptyReads is how many (0, nil) reads in a row a Decoder accepts
	// before it gives up with io.ErrNoProgress, as bufio does.
	maxEmptyReads = 100

	// typeCacheSize is how many distinct event types a Decoder keeps as
	// strings, so a stream cycling through a few types (Anthropic's
	// message_start, content_block_delta, ...) allocates none per event.
	typeCacheSize = 8

	// maxCachedType is the longest event type kept in that cache.
	maxCachedType = 64

	// bom is the UTF-8 byte order mark, stripped once at stream start.
	bom = "\xEF\xBB\xBF"

	// maxRetryMillis is the largest retry value a time.Duration holds.
	maxRetryMillis = math.MaxInt64 / int64(time.Millisecond)
)

// errBadRead reports an io.Reader that broke the io.Reader contract.
var errBadRead = errors.New("sse: reader returned an invalid count from Read")

// Event is one dispatched event.
//
// The zero Type means the default type, "message"; an explicit "event:
// message" line gives Type "message", and neither is rewritten into the
// other.
type Event struct {
	// Type is the event field; "" means the default, "message".
	Type string
	// Data holds the event's data lines joined by "\n", without a final
	// "\n". From a Decoder it aliases an internal buffer and is valid only
	// until the next call to [Decoder.Next]; copy it to keep it.
	Data []byte
	// ID is the last event ID in force when the event was dispatched: the
	// value of the most recent valid id field, which persists across events
	// as the standard requires, or "" if there was none. To an Encoder, ""
	// means "write no id field".
	ID string
}

// A Decoder reads events from an io.Reader. Use it as a scanner:
//
//	d := sse.NewDecoder(r)
//	for d.Next() {
//		ev := d.Event()
//		...
//	}
//	if err := d.Err(); err != nil { ... }
//
// A Decoder reads r through a buffer (1 KiB to start) and asks r for all the
// free space in it, except between events: with nothing left to parse it
// gives its buffers back to a pool shared by the process's decoders and
// encoders and waits for the next bytes in a read of 128 bytes into an array
// of its own, so that a stream waiting for its next event holds no buffer.
// The buffer, like the one that collects an event's data, grows to the
// longest line or event seen: there is no length limit. Decoding allocates
// nothing per event, except a string for an ID that changed, or for an event
// type not among the last eight seen. A buffer grown past 256 KiB is dropped
// once its line or event is done.
//
// Next does not return before it has a whole event, and it returns as soon as
// it has one, without waiting for more input. A Decoder is not safe for use by
// several goroutines at once.
type Decoder struct {
	r io.Reader

	buf        []byte // read buffer; buf[start:end] is not yet parsed
	start, end int
	// bufScr and dataScr lend buf and data; probe is what a read between
	// events goes into (see wait).
	bufScr, dataScr bufpool.Scratch
	probe           [probeSize]byte
	scanned         int   // buf[start:start+scanned] is known to hold no CR or LF
	skipLF          bool  // the last line ended with a CR that was the last byte read
	bomDone         bool  // the start of the stream has been checked for a BOM
	rerr            error // first error from r, io.EOF included; no read after it
	done            bool  // Next has returned false for good
	truncated       bool
	err             error

	data   []byte // data buffer: every data value followed by "\n"
	typ    []byte // event type buffer
	id     []byte // last event ID buffer
	lastID string // last event ID string, set from id at each blank line

	types    [typeCacheSize]string
	typeNext int

	retry    time.Duration
	hasRetry bool

	ev Event
}

// NewDecoder returns a Decoder reading from r. It reads nothing until the
// first call to Next.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: r}
}

// Next advances to the next dispatched event, reading from the underlying
// reader as needed. It returns false when the stream ends or a read fails;
// [Decoder.Err] then tells which. After Next returns false it always returns false.
//
// Per the standard, a final event that is not followed by a blank line is
// discarded at EOF (see [Decoder.Truncated]), and a block without data lines is not an
// event.
func (d *Decoder) Next() bool {
	if d.done {
		return false
	}
	for {
		if !d.bomDone && !d.skipBOM() {
			if !d.fill() {
				return d.finish()
			}
			continue
		}
		line, ok := d.line()
		if !ok {
			if !d.fill() {
				return d.finish()
			}
			continue
		}
		if d.process(line) {
			return true
		}
	}
}

// Event returns the event Next advanced to. Its Data aliases the Decoder's
// buffer and is valid only until the next call to Next.
func (d *Decoder) Event() Event {
	return d.ev
}

// Err returns the error that ended the stream: nil at a clean EOF, otherwise
// the first non-EOF error the reader returned. Events complete before the
// error are all delivered first.
func (d *Decoder) Err() error {
	return d.err
}

// Retry returns the reconnection time from the last valid retry field seen
// so far, and false if there was none. A retry field takes effect when its
// line is read, even in a block that is never dispatched. A value too large
// for a time.Duration is clamped to the largest one.
func (d *Decoder) Retry() (time.Duration, bool) {
	return d.retry, d.hasRetry
}

// LastEventID returns the last event ID string as a browser would send it in
// a Last-Event-ID header on reconnect. It is updated at every blank line,
// including one that dispatches nothing, so an ID sent in a block without
// data counts; an ID in an unterminated block at EOF does not.
func (d *Decoder) LastEventID() string {
	return d.lastID
}

// Truncated reports whether the stream ended inside an event, so that the
// standard made the Decoder discard what it had of it: data lines with no
// blank line after them, or a last line with no line end. It is meaningful
// once Next has returned false; a caller that expects a terminal event uses
// it to tell "the upstream cut the stream" from "the upstream said nothing".
func (d *Decoder) Truncated() bool {
	return d.truncated
}

// Read returns an iterator over the events read from r. Unlike
// [Decoder.Event], each yielded Event's Data is a fresh copy the caller may
// keep; that is one allocation per event.
//
// An error is the last item and comes with a zero Event; a clean EOF ends the
// sequence with no error. Breaking out of the loop stops reading but does not
// close r. The iterator is single-use: it consumes r, and bytes it buffered
// and did not yield are lost when the loop ends.
func Read(r io.Reader) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		d := NewDecoder(r)
		for d.Next() {
			ev := d.Event()
			ev.Data = bytes.Clone(ev.Data)
			if !yield(ev, nil) {
				return
			}
		}
		if err := d.Err(); err != nil {
			yield(Event{}, err)
		}
	}
}

// fill reads more bytes into buf, first moving the unparsed bytes to the
// front and growing buf if it is full. It reports whether any bytes arrived;
// false means the stream is over (d.rerr says why).
func (d *Decoder) fill() bool {
	if d.rerr != nil {
		return false
	}
	if d.start > 0 {
		d.end = copy(d.buf, d.buf[d.start:d.end])
		d.start = 0
	}
	if d.end == 0 && len(d.data) == 0 {
		// Between events, or before the first: nothing to hold on to.
		return d.wait()
	}
	switch {
	case d.buf == nil:
		d.borrow()
	case len(d.buf) > maxRetained && d.end <= readSize/2:
		// The long line that grew buf is done; go back to the small size.
		old := d.buf[:d.end]
		d.buf = nil
		d.borrow()
		d.end = copy(d.buf, old)
	case d.end == len(d.buf):
		// One line fills the buffer: no limit, so double it.
		nb := make([]byte, 2*len(d.buf))
		copy(nb, d.buf[:d.end])
		d.buf = nb
	}
	n := d.read(d.buf[d.end:])
	d.end += n
	return n > 0
}

// read reads into p until a read returns bytes or an error, as bufio does,
// and returns how many arrived; an error is recorded in d.rerr.
func (d *Decoder) read(p []byte) int {
	for range maxEmptyReads {
		n, err := d.r.Read(p)
		if n < 0 || n > len(p) {
			d.rerr = errBadRead
			return 0
		}
		if err != nil {
			d.rerr = err
			return n
		}
		if n > 0 {
			return n
		}
	}
	d.rerr = io.ErrNoProgress
	return 0
}

// wait reads between events: nothing is left to parse and no event is half
// read, so the buffers go back to bufpool and the read, which waits for the
// provider's next event, goes into the Decoder's small probe array. A
// gateway's thousands of open streams wait almost all of the time; this way
// they hold no buffers while they do. The bytes that arrive are copied into
// a borrowed buffer, and the rest of the event follows with the next read.
func (d *Decoder) wait() bool {
	d.release()
	n := d.read(d.probe[:])
	if n > 0 {
		d.borrow()
		d.end = copy(d.buf, d.probe[:n])
	}
	return n > 0
}

// borrow lends buf and data buffers from bufpool to a Decoder that has
// none.
func (d *Decoder) borrow() {
	if d.buf == nil {
		b := d.bufScr.Bytes()
		d.buf = b[:cap(b)]
	}
	if d.data == nil {
		d.data = d.dataScr.Bytes()
	}
}

// release gives buf and data back to bufpool (which drops those a long
// line or event grew past bufpool.MaxKept); their bytes must all be parsed
// and dispatched.
func (d *Decoder) release() {
	d.bufScr.Keep(d.buf)
	d.bufScr.Release()
	d.dataScr.Keep(d.data)
	d.dataScr.Release()
	d.buf, d.data = nil, nil
	d.start, d.end, d.scanned = 0, 0, 0
}

// finish ends the stream: it records whether an event was cut off and turns
// io.EOF into a clean end.
func (d *Decoder) finish() bool {
	d.done = true
	d.truncated = d.end > d.start || len(d.data) > 0
	if d.rerr != io.EOF {
		d.err = d.rerr
	}
	d.ev = Event{}
	d.release()
	return false
}

// skipBOM strips a UTF-8 BOM at the very start of the stream. It reports
// false while too few bytes have arrived to tell.
func (d *Decoder) skipBOM() bool {
	b := d.buf[d.start:d.end]
	if len(b) < len(bom) && d.rerr == nil && string(b) == bom[:len(b)] {
		return false
	}
	if len(b) >= len(bom) && string(b[:len(bom)]) == bom {
		d.start += len(bom)
	}
	d.bomDone = true
	return true
}

// line returns the next complete line from buf, without its line end, and
// false if buf holds no line end yet. The line aliases buf.
//
// A CR that is the last byte read ends its line at once, so an event that
// ends in CR CR (or CRLF CR) is dispatched without waiting for more input;
// skipLF then drops a LF that may arrive first in the next read, which
// belonged to the same CRLF.
func (d *Decoder) line() ([]byte, bool) {
	b := d.buf[d.start:d.end]
	if d.skipLF {
		if len(b) == 0 {
			return nil, false
		}
		d.skipLF = false
		if b[0] == '\n' {
			d.start++
			b = b[1:]
		}
	}
	i := indexEOL(b[d.scanned:])
	if i < 0 {
		// Remember how far we looked, so a long line arriving in many
		// reads is scanned once, not once per read.
		d.scanned = len(b)
		return nil, false
	}
	n := d.scanned + i
	next := n + 1
	if b[n] == '\r' {
		switch {
		case next == len(b):
			d.skipLF = true
		case b[next] == '\n':
			next++
		}
	}
	d.scanned = 0
	d.start += next
	return b[:n], true
}

// process interprets one line and reports whether it dispatched an event.
func (d *Decoder) process(line []byte) bool {
	if len(line) == 0 {
		return d.dispatch()
	}
	if line[0] == ':' {
		return false // comment
	}
	name, value := line, line[:0]
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "data":
		d.data = append(d.data, value...)
		d.data = append(d.data, '\n')
	case "event":
		d.typ = append(d.typ[:0], value...)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			d.id = append(d.id[:0], value...)
		}
	case "retry":
		d.setRetry(value)
	}
	return false
}

// dispatch runs the standard's dispatch steps at a blank line.
func (d *Decoder) dispatch() bool {
	if string(d.id) != d.lastID {
		d.lastID = string(d.id)
	}
	if len(d.data) == 0 {
		d.typ = d.typ[:0]
		return false
	}
	n := len(d.data) - 1 // drop the final "\n"
	d.ev = Event{Type: d.eventType(), Data: d.data[:n:n], ID: d.lastID}
	d.typ = d.typ[:0]
	if cap(d.data) > maxRetained {
		d.data = nil // ev.Data keeps the big array alive only as long as the caller does
	} else {
		d.data = d.data[:0]
	}
	return true
}

// eventType returns the type buffer as a string, from a small cache of
// recent types so that steady streams do not allocate.
func (d *Decoder) eventType() string {
	if len(d.typ) == 0 {
		return ""
	}
	for _, s := range d.types {
		if s == string(d.typ) {
			return s
		}
	}
	s := string(d.typ)
	if len(s) <= maxCachedType {
		d.types[d.typeNext] = s
		d.typeNext = (d.typeNext + 1) % typeCacheSize
	}
	return s
}

// setRetry applies a retry field: ASCII digits only, base ten, in
// milliseconds; anything else (empty, a sign, a space, a suffix) is ignored.
func (d *Decoder) setRetry(value []byte) {
	if len(value) == 0 {
		return
	}
	var ms int64
	for _, c := range value {
		if c < '0' || c > '9' {
			return
		}
		if ms <= maxRetryMillis {
			ms = ms*10 + int64(c-'0')
		}
	}
	if ms > maxRetryMillis {
		d.retry = math.MaxInt64
	} else {
		d.retry = time.Duration(ms) * time.Millisecond
	}
	d.hasRetry = true
}

// indexEOL returns the index of the first CR or LF in b, or -1. Two
// IndexByte calls (vectorised) beat bytes.IndexAny on the LF-terminated
// lines every provider sends.
func indexEOL(b []byte) int {
	lf := bytes.IndexByte(b, '\n')
	if lf < 0 {
		return bytes.IndexByte(b, '\r')
	}
	if cr := bytes.IndexByte(b[:lf], '\r'); cr >= 0 {
		return cr
	}
	return lf
}
