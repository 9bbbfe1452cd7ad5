package sse

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/bufpool"
)

// Errors returned by an Encoder for input it refuses to write. Nothing of a
// refused call is buffered.
var (
	// ErrInvalidType means an event type contains CR or LF, which would end
	// the event field early and let the rest forge fields or events.
	ErrInvalidType = errors.New("sse: event type contains CR or LF")

	// ErrInvalidID means an event ID contains CR or LF (which would forge
	// fields) or NUL (which makes every receiver ignore the id field).
	ErrInvalidID = errors.New("sse: event ID contains CR, LF or NUL")

	// ErrInvalidLineEnd means Encoder.LineEnd is not "", "\n", "\r\n" or "\r".
	ErrInvalidLineEnd = errors.New(`sse: Encoder.LineEnd must be "", "\n", "\r\n" or "\r"`)

	// ErrNegativeRetry means Encoder.Retry was given a negative duration.
	ErrNegativeRetry = errors.New("sse: negative retry duration")

	// errBadWrite reports an io.Writer that broke the io.Writer contract.
	errBadWrite = errors.New("sse: writer returned an invalid count from Write")
)

// An Encoder writes events to an io.Writer in the text/event-stream format.
//
// [Encoder.Encode], [Encoder.Comment], [Encoder.Retry] and
// [Encoder.EncodeRaw] only append to an internal buffer; [Encoder.Flush] writes all of it with one Write call and then flushes the writer, so
// a caller controls how events are batched into writes and packets:
//
//	enc := sse.NewEncoder(w) // w: an http.ResponseWriter
//	for ev := range events {
//		if err := enc.Encode(ev); err != nil { ... }
//		if err := enc.Flush(); err != nil { return err } // client gone
//	}
//
// After a write or flush error every later call returns that error. The
// buffer is borrowed from a pool shared by the process's encoders and given
// back by every Flush that empties it, so an Encoder waiting between events
// holds no buffer: a server with thousands of open streams keeps buffers
// only for the few it is writing to. An Encoder is not safe for use by
// several goroutines at once.
type Encoder struct {
	// LineEnd ends every line the Encoder writes: "\n" (the default, also
	// meant by ""), "\r\n" (Gemini separates events with "\r\n\r\n") or
	// "\r". It may be changed between calls.
	LineEnd string

	w   io.Writer
	f   interface{ Flush() error } // nil if w cannot be flushed
	buf []byte
	scr bufpool.Scratch // lends buf
	err error
}

// NewEncoder returns an Encoder writing to w. It looks once for a way to
// flush w after each write: an http.ResponseWriter is flushed through
// http.ResponseController (which finds Flush behind middleware that
// implements Unwrap, and reports an error if nothing can flush); any other
// writer with a Flush() error or a Flush() method is flushed with it.
func NewEncoder(w io.Writer) *Encoder {
	e := &Encoder{w: w}
	switch f := w.(type) {
	case http.ResponseWriter:
		e.f = http.NewResponseController(f)
	case interface{ Flush() error }:
		e.f = f
	case interface{ Flush() }:
		e.f = flushNoError{f}
	}
	return e
}

// flushNoError adapts a Flush without a result, like http.Flusher.
type flushNoError struct{ f interface{ Flush() } }

func (f flushNoError) Flush() error { f.f.Flush(); return nil }

// Encode appends ev to the buffer; nothing is written until Flush, unless
// the buffer would grow past what its pool keeps (bufpool.MaxKept, 16 KiB):
// then what it holds is written first, without flushing the writer.
//
// Each line of ev.Data (split at CR, LF or CRLF) becomes its own "data: "
// line, so the receiver gets back the same data with every line end turned
// into LF. Empty data is one "data: " line, which a receiver dispatches as
// an event with empty data. An empty Type writes no event field (the
// receiver's default, "message"), and an empty ID writes no id field, so the
// receiver's last event ID stays what it was. Encode refuses a Type with CR or
// LF (ErrInvalidType) and an ID with CR, LF or NUL (ErrInvalidID).
//
// The "data: " prefix always has its space, although the standard does not
// need it, because many LLM clients match the literal prefix "data: ".
func (e *Encoder) Encode(ev Event) error {
	if e.err != nil {
		return e.err
	}
	le, err := e.lineEnd()
	if err != nil {
		return err
	}
	if strings.ContainsAny(ev.Type, "\r\n") {
		return ErrInvalidType
	}
	if strings.ContainsAny(ev.ID, "\r\n\x00") {
		return ErrInvalidID
	}
	if len(e.buf) > 0 && len(e.buf)+len(ev.Data)+len(ev.Type)+len(ev.ID)+spillMargin > bufpool.MaxKept {
		// What is buffered goes out first rather than into an ever larger
		// buffer: a burst of large events (a Responses stream's closing
		// events each repeat the whole answer) is written as it is
		// encoded, in a buffer the pool can take back.
		if err := e.write(); err != nil {
			return err
		}
	}
	b := e.buf
	if b == nil {
		// Room for a few LLM events at once (a relay flushes what one read
		// of its upstream delivered), rather than a regrowth at each.
		b = e.scr.Bytes()
	}
	if ev.Type != "" {
		b = append(b, "event: "...)
		b = append(b, ev.Type...)
		b = append(b, le...)
	}
	if ev.ID != "" {
		b = append(b, "id: "...)
		b = append(b, ev.ID...)
		b = append(b, le...)
	}
	data := ev.Data
	for {
		b = append(b, "data: "...)
		i := indexEOL(data)
		if i < 0 {
			b = append(b, data...)
			b = append(b, le...)
			break
		}
		b = append(b, data[:i]...)
		b = append(b, le...)
		data = data[skipEOL(data, i):]
	}
	e.buf = append(b, le...)
	return nil
}

// Comment appends a comment block, ": text" and a blank line, which every
// receiver ignores: send one every 15 seconds or so on an idle stream so
// proxies and clients do not time it out. Each line of a multi-line text
// becomes its own comment line; an empty text writes ":".
func (e *Encoder) Comment(text string) error {
	if e.err != nil {
		return e.err
	}
	le, err := e.lineEnd()
	if err != nil {
		return err
	}
	b := e.buf
	for {
		i := strings.IndexAny(text, "\r\n")
		line := text
		if i >= 0 {
			line = text[:i]
		}
		b = append(b, ':')
		if line != "" {
			b = append(b, ' ')
			b = append(b, line...)
		}
		b = append(b, le...)
		if i < 0 {
			break
		}
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		text = text[i+1:]
	}
	e.buf = append(b, le...)
	return nil
}

// Retry appends a "retry:" block telling a receiver how long to wait before
// reconnecting, in whole milliseconds (d is truncated). A negative d is
// refused with ErrNegativeRetry.
func (e *Encoder) Retry(d time.Duration) error {
	if e.err != nil {
		return e.err
	}
	le, err := e.lineEnd()
	if err != nil {
		return err
	}
	if d < 0 {
		return ErrNegativeRetry
	}
	b := append(e.buf, "retry: "...)
	b = strconv.AppendInt(b, d.Milliseconds(), 10)
	b = append(b, le...)
	e.buf = append(b, le...)
	return nil
}

// EncodeRaw appends p exactly as given. It is for fault injection (the
// simulator writing deliberately malformed streams) and bypasses all
// escaping: p can end, merge or forge events. If p leaves an event open
// (no blank line at its end), the next Encode adds its fields to that event.
func (e *Encoder) EncodeRaw(p []byte) error {
	if e.err != nil {
		return e.err
	}
	e.buf = append(e.buf, p...)
	return nil
}

// Flush writes everything buffered with one Write call, then flushes the
// writer if NewEncoder found a way to. With nothing buffered it only
// flushes. On a failed or short write the unwritten bytes stay buffered
// (see Buffered) and the error sticks.
func (e *Encoder) Flush() error {
	if e.err != nil {
		return e.err
	}
	if len(e.buf) > 0 {
		if err := e.write(); err != nil {
			return err
		}
		e.release()
	}
	if e.f != nil {
		if err := e.f.Flush(); err != nil {
			e.err = err
			return err
		}
	}
	return nil
}

// spillMargin is room for an event's field names and line ends, in the
// estimate of its size that decides whether the buffer is written first.
const spillMargin = 64

// write writes the buffer with one Write call and empties it, keeping its
// memory. On a failed or short write the unwritten bytes stay buffered and
// the error sticks.
func (e *Encoder) write() error {
	n, err := e.w.Write(e.buf)
	if n < 0 || n > len(e.buf) {
		n = 0
		if err == nil {
			err = errBadWrite
		}
	}
	if err == nil && n < len(e.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		e.buf = e.buf[:copy(e.buf, e.buf[n:])]
		e.err = err
		return err
	}
	e.buf = e.buf[:0]
	return nil
}

// release gives the written buffer back to the pool (which drops one that a
// large event grew past bufpool.MaxKept).
func (e *Encoder) release() {
	e.scr.Keep(e.buf)
	e.scr.Release()
	e.buf = nil
}

// Buffered returns the number of bytes appended and not yet written.
func (e *Encoder) Buffered() int {
	return len(e.buf)
}

// lineEnd returns the line terminator to use.
func (e *Encoder) lineEnd() (string, error) {
	switch e.LineEnd {
	case "", "\n":
		return "\n", nil
	case "\r\n", "\r":
		return e.LineEnd, nil
	}
	return "", ErrInvalidLineEnd
}

// skipEOL returns the index just past the line end that starts at b[i].
func skipEOL(b []byte, i int) int {
	if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
		return i + 2
	}
	return i + 1
}
