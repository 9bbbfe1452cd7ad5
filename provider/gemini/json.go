package gemini

// This file holds the small JSON tools the decoder and encoder share: an
// allocation-free walk over the members of an object or the elements of an
// array that json.Valid has accepted, string (un)quoting, and a writer that
// restores the wire fields an Event does not model (the "overlay" kept in
// Event.Extra). provider/ollama holds the same file; both would move to one
// internal package if a third protocol needs them.

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// stringEnd returns the index just past the string starting at b[i] == '"'.
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// valueEnd returns the index just past the JSON value starting at b[i]. The
// input must be valid JSON: the walk only tracks strings and nesting.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// members walks the members of a valid JSON object without allocating.
type members struct {
	b []byte
	i int
}

// objectMembers returns a walk over obj's members; it yields nothing when obj
// is not an object.
func objectMembers(obj []byte) members {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return members{}
	}
	return members{b: obj, i: i + 1}
}

// next returns the next member's key (the raw bytes between the quotes) and
// value (raw JSON).
func (m *members) next() (key, val []byte, ok bool) {
	i := skipSpace(m.b, m.i)
	if i < len(m.b) && m.b[i] == ',' {
		i = skipSpace(m.b, i+1)
	}
	if i >= len(m.b) || m.b[i] != '"' {
		m.i = len(m.b)
		return nil, nil, false
	}
	ke := stringEnd(m.b, i)
	key = m.b[i+1 : ke-1]
	i = skipSpace(m.b, ke)
	if i >= len(m.b) || m.b[i] != ':' {
		m.i = len(m.b)
		return nil, nil, false
	}
	i = skipSpace(m.b, i+1)
	ve := valueEnd(m.b, i)
	m.i = ve
	return key, m.b[i:ve], true
}

// elements walks the elements of a valid JSON array without allocating.
type elements struct {
	b []byte
	i int
}

func arrayElements(arr []byte) elements {
	i := skipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return elements{}
	}
	return elements{b: arr, i: i + 1}
}

func (e *elements) next() (val []byte, ok bool) {
	i := skipSpace(e.b, e.i)
	if i < len(e.b) && e.b[i] == ',' {
		i = skipSpace(e.b, i+1)
	}
	if i >= len(e.b) || e.b[i] == ']' {
		e.i = len(e.b)
		return nil, false
	}
	ve := valueEnd(e.b, i)
	e.i = ve
	return e.b[i:ve], true
}

// lookup returns the value of obj's member k.
func lookup(obj []byte, k string) ([]byte, bool) {
	m := objectMembers(obj)
	for key, val, ok := m.next(); ok; key, val, ok = m.next() {
		if string(key) == k {
			return val, true
		}
	}
	return nil, false
}

// index returns the i-th element of the array arr.
func index(arr []byte, i int) []byte {
	e := arrayElements(arr)
	for n := 0; ; n++ {
		v, ok := e.next()
		if !ok {
			return nil
		}
		if n == i {
			return v
		}
	}
}

func isNull(v []byte) bool { return string(v) == "null" }

func isObject(v []byte) bool {
	v = trimSpace(v)
	return len(v) > 0 && v[0] == '{'
}

// unquote decodes a JSON string. Strings without escapes, the common case in
// a token stream, are converted with one allocation and no reflection.
func unquote(raw []byte) (string, error) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' &&
		bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does: <, >
// and & are escaped as \u003c, \u003e and \u0026 (Google's JSON escapes
// them too), as are U+2028 and U+2029, and invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendMember appends "key":val to b, with a comma if b already holds a
// member. key is raw (already valid inside quotes).
func appendMember(b []byte, key []byte, val []byte) []byte {
	if len(b) > 0 {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return append(b, val...)
}

// wrapObject returns a fresh {members} object, or nil when members is empty.
func wrapObject(members []byte) json.RawMessage {
	if len(members) == 0 {
		return nil
	}
	out := make([]byte, 0, len(members)+2)
	out = append(out, '{')
	out = append(out, members...)
	return append(out, '}')
}

// writer builds JSON objects member by member and restores an overlay: a
// JSON object of the wire fields an Event does not model, which a decoder
// stores in Event.Extra. For each member the encoder would write, an overlay
// member of the same name wins (null deletes it); overlay members the
// encoder never asked about are appended before the object closes. Nested
// objects take the overlay's object of the same name as their own overlay.
type writer struct {
	b     []byte
	stack []wframe
}

type wframe struct {
	ov   []byte
	n    int
	seen [24]string
	ns   int
}

func (w *writer) top() *wframe { return &w.stack[len(w.stack)-1] }

func (w *writer) sep() {
	if len(w.stack) > 0 {
		f := w.top()
		if f.n > 0 {
			w.b = append(w.b, ',')
		}
		f.n++
	}
}

// open starts an object whose overlay is ov (nil for none). Inside an array
// call elem first; after key or sub the member's key is already written.
func (w *writer) open(ov []byte) {
	w.b = append(w.b, '{')
	if !isObject(ov) {
		ov = nil
	}
	w.stack = append(w.stack, wframe{ov: ov})
}

// close appends the overlay members nobody asked about and ends the object.
func (w *writer) close() {
	f := w.top()
	m := objectMembers(f.ov)
	for key, val, ok := m.next(); ok; key, val, ok = m.next() {
		if isNull(val) || f.saw(key) {
			continue
		}
		if f.n > 0 {
			w.b = append(w.b, ',')
		}
		f.n++
		w.b = append(w.b, '"')
		w.b = append(w.b, key...)
		w.b = append(w.b, '"', ':')
		w.b = append(w.b, val...)
	}
	w.b = append(w.b, '}')
	w.stack = w.stack[:len(w.stack)-1]
}

func (f *wframe) saw(key []byte) bool {
	for _, s := range f.seen[:f.ns] {
		if s == string(key) {
			return true
		}
	}
	return false
}

func (f *wframe) mark(k string) {
	if f.ns < len(f.seen) {
		f.seen[f.ns] = k
		f.ns++
	}
}

func (w *writer) writeKey(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

// key starts member k and reports whether the caller should write its value.
// It returns false when the overlay supplied the value (already written) or
// deleted the member.
func (w *writer) key(k string) bool {
	f := w.top()
	f.mark(k)
	if v, ok := lookup(f.ov, k); ok {
		if !isNull(v) {
			w.writeKey(k)
			w.b = append(w.b, v...)
		}
		return false
	}
	w.writeKey(k)
	return true
}

// sub starts member k holding an object and returns the overlay for it; ok
// is false when the overlay deleted the member. An overlay value that is not
// an object replaces the member and also returns false.
func (w *writer) sub(k string) (ov []byte, ok bool) {
	f := w.top()
	f.mark(k)
	v, found := lookup(f.ov, k)
	if found && isNull(v) {
		return nil, false
	}
	if found && !isObject(v) {
		w.writeKey(k)
		w.b = append(w.b, v...)
		return nil, false
	}
	w.writeKey(k)
	return v, true
}

// subArray starts member k holding an array and returns the overlay for it:
// an array whose i-th element is the overlay of the i-th element written. ok
// is false when the overlay deleted the member.
func (w *writer) subArray(k string) (ov []byte, ok bool) {
	f := w.top()
	f.mark(k)
	v, found := lookup(f.ov, k)
	if found && isNull(v) {
		return nil, false
	}
	w.writeKey(k)
	return v, true
}

// opt writes member k only if the overlay has it, at the position the real
// API puts it.
func (w *writer) opt(k string) {
	f := w.top()
	f.mark(k)
	if v, ok := lookup(f.ov, k); ok && !isNull(v) {
		w.writeKey(k)
		w.b = append(w.b, v...)
	}
}

// skip marks k as handled without writing it, so close does not append the
// overlay's value.
func (w *writer) skip(k string) { w.top().mark(k) }

// ov returns the current object's overlay.
func (w *writer) ov() []byte { return w.top().ov }

func (w *writer) str(s string) { w.b = appendString(w.b, s) }
func (w *writer) raw(v []byte) { w.b = append(w.b, v...) }
func (w *writer) int(n int64)  { w.b = strconv.AppendInt(w.b, n, 10) }
func (w *writer) bool(v bool)  { w.b = strconv.AppendBool(w.b, v) }
func (w *writer) openArray()   { w.b = append(w.b, '['); w.stack = append(w.stack, wframe{}) }
func (w *writer) elem()        { w.sep() }
func (w *writer) closeArray()  { w.b = append(w.b, ']'); w.stack = w.stack[:len(w.stack)-1] }
func (w *writer) strField(k, v string) {
	if w.key(k) {
		w.str(v)
	}
}
