package ollama

import (
	"bytes"
	"io"
)

// lineReader splits an NDJSON stream into lines through one reusable buffer.
// Unlike bufio.Scanner it has no line-length limit: the buffer doubles until
// the longest line fits (a tool call with a large argument object arrives as
// one line), and a buffer grown past maxRetainedLine is dropped once the line
// that needed it is consumed.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int // buf[start:end] is unread
	scanned    int // buf[start:start+scanned] holds no '\n'
	err        error
	big        bool // the buffer was grown past maxRetainedLine
}

const (
	initialLineBuf  = 4 << 10
	maxRetainedLine = 256 << 10
	maxEmptyReads   = 100
)

// next returns the next line without its line end ("\n" or "\r\n"). The line
// aliases the buffer and is valid until the next call. At EOF a last line
// without a line end is returned with partial set; after that next returns
// io.EOF, or the reader's error.
func (l *lineReader) next() (line []byte, partial bool, err error) {
	if l.big && l.start == l.end {
		l.buf, l.start, l.end, l.big = nil, 0, 0, false
	}
	for {
		if i := bytes.IndexByte(l.buf[l.start+l.scanned:l.end], '\n'); i >= 0 {
			j := l.start + l.scanned + i
			line = l.buf[l.start:j]
			l.start, l.scanned = j+1, 0
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return line, false, nil
		}
		l.scanned = l.end - l.start
		if l.err != nil {
			if l.start < l.end {
				line = l.buf[l.start:l.end]
				l.start, l.scanned = l.end, 0
				return line, true, nil
			}
			return nil, false, l.err
		}
		l.fill()
	}
}

// fill reads more input, making room first.
func (l *lineReader) fill() {
	if l.start > 0 {
		n := copy(l.buf, l.buf[l.start:l.end])
		l.start, l.end = 0, n
	}
	if l.end == len(l.buf) {
		size := max(2*len(l.buf), initialLineBuf)
		if size > maxRetainedLine {
			l.big = true
		}
		nb := make([]byte, size)
		copy(nb, l.buf[:l.end])
		l.buf = nb
	}
	for range maxEmptyReads {
		n, err := l.r.Read(l.buf[l.end:])
		if n < 0 || n > len(l.buf)-l.end {
			l.err = io.ErrNoProgress
			return
		}
		l.end += n
		if err != nil {
			l.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	l.err = io.ErrNoProgress
}
