package jsonwire

import "strconv"

// Writer writes JSON objects member by member, in the order the caller
// chooses (the order of the real API), while restoring an overlay: a JSON
// object of the wire members an Event does not model, which a decoder keeps
// in Event.Extra so that a relay loses nothing.
//
// For each member the caller would write, an overlay member of the same name
// wins (null deletes it); overlay members the caller never asked about are
// appended before the object closes, in the overlay's order. A nested object
// takes the overlay's object of the same name as its own overlay, and an
// array the overlay's array, element by element.
//
// Strings are written as json.Marshal writes them ([AppendHTMLString]), <, >
// and & escaped: the protocols whose relays restore overlays, Ollama's and
// Gemini's, are served by Go's and Google's JSON encoders, which do so.
//
// The output is appended to Buf, which the caller sets (to reuse a buffer)
// and takes back when done; between calls it may append raw bytes to Buf
// itself. Up to 24 names per object are remembered as written; past that,
// an overlay member of a name already written would be appended again, so
// objects with more members than that should not be given overlays. A Writer
// is reusable once every Open is closed, and not safe for concurrent use.
type Writer struct {
	// Buf is the output.
	Buf []byte

	stack []frame
}

// frame is one open object or array.
type frame struct {
	ov   []byte     // the overlay (nil for none and for arrays)
	n    int        // members or elements written
	seen [24]string // names written or skipped, for Close
	ns   int        // used entries of seen
}

func (w *Writer) top() *frame { return &w.stack[len(w.stack)-1] }

// sep writes the comma before a member or element, if one is due.
func (w *Writer) sep() {
	if len(w.stack) > 0 {
		f := w.top()
		if f.n > 0 {
			w.Buf = append(w.Buf, ',')
		}
		f.n++
	}
}

// Open starts an object whose overlay is ov; nil, or anything that is not an
// object, means none. ov must be valid JSON. Inside an array call [Writer.Elem]
// first; after [Writer.Sub] the member's key is already written.
func (w *Writer) Open(ov []byte) {
	w.Buf = append(w.Buf, '{')
	if !IsObject(ov) {
		ov = nil
	}
	w.stack = append(w.stack, frame{ov: ov})
}

// Close appends the overlay members nobody asked about (but nulls) and ends
// the object.
func (w *Writer) Close() {
	f := w.top()
	m, _ := ObjectMembers(f.ov)
	for key, val, ok := m.Next(); ok; key, val, ok = m.Next() {
		if IsNull(val) || f.saw(key) {
			continue
		}
		if f.n > 0 {
			w.Buf = append(w.Buf, ',')
		}
		f.n++
		w.Buf = append(w.Buf, '"')
		w.Buf = append(w.Buf, key...)
		w.Buf = append(w.Buf, '"', ':')
		w.Buf = append(w.Buf, val...)
	}
	w.Buf = append(w.Buf, '}')
	w.stack = w.stack[:len(w.stack)-1]
}

func (f *frame) saw(key []byte) bool {
	for _, s := range f.seen[:f.ns] {
		if s == string(key) {
			return true
		}
	}
	return false
}

func (f *frame) mark(k string) {
	if f.ns < len(f.seen) {
		f.seen[f.ns] = k
		f.ns++
	}
}

func (w *Writer) writeKey(k string) {
	w.sep()
	w.Buf = AppendKey(w.Buf, k)
}

// Key starts member k (a name that needs no escaping) and reports whether
// the caller should now write its value. It is false when the overlay
// supplied the value, which is then already written, or deleted the member.
func (w *Writer) Key(k string) bool {
	f := w.top()
	f.mark(k)
	if v, ok := Lookup(f.ov, k); ok {
		if !IsNull(v) {
			w.writeKey(k)
			w.Buf = append(w.Buf, v...)
		}
		return false
	}
	w.writeKey(k)
	return true
}

// Sub starts member k holding an object and returns the overlay for it, to
// pass to [Writer.Open]. ok is false when the overlay deleted the member, or
// replaced it with a value that is not an object (then already written).
func (w *Writer) Sub(k string) (ov []byte, ok bool) {
	f := w.top()
	f.mark(k)
	v, found := Lookup(f.ov, k)
	if found && IsNull(v) {
		return nil, false
	}
	if found && !IsObject(v) {
		w.writeKey(k)
		w.Buf = append(w.Buf, v...)
		return nil, false
	}
	w.writeKey(k)
	return v, true
}

// SubArray starts member k holding an array and returns the overlay for it:
// an array whose i-th element is the overlay of the i-th element written (see
// [Index]). ok is false when the overlay deleted the member.
func (w *Writer) SubArray(k string) (ov []byte, ok bool) {
	f := w.top()
	f.mark(k)
	v, found := Lookup(f.ov, k)
	if found && IsNull(v) {
		return nil, false
	}
	w.writeKey(k)
	return v, true
}

// Opt writes member k only if the overlay has it (and not as null), at the
// position the real API puts it.
func (w *Writer) Opt(k string) {
	f := w.top()
	f.mark(k)
	if v, ok := Lookup(f.ov, k); ok && !IsNull(v) {
		w.writeKey(k)
		w.Buf = append(w.Buf, v...)
	}
}

// Str writes s as a JSON string, as [AppendHTMLString] does.
func (w *Writer) Str(s string) { w.Buf = AppendHTMLString(w.Buf, s) }

// StrField writes member k with the string value v, unless the overlay
// supplies or deletes it.
func (w *Writer) StrField(k, v string) {
	if w.Key(k) {
		w.Str(v)
	}
}

// Raw writes v, which must be valid JSON, as it is.
func (w *Writer) Raw(v []byte) { w.Buf = append(w.Buf, v...) }

// Int writes n.
func (w *Writer) Int(n int64) { w.Buf = strconv.AppendInt(w.Buf, n, 10) }

// Bool writes v.
func (w *Writer) Bool(v bool) { w.Buf = strconv.AppendBool(w.Buf, v) }

// OpenArray starts an array, as a member's value (after [Writer.SubArray] or
// [Writer.Key]) or as an element. Call [Writer.Elem] before each element.
func (w *Writer) OpenArray() {
	w.Buf = append(w.Buf, '[')
	w.stack = append(w.stack, frame{})
}

// Elem starts an element of the open array.
func (w *Writer) Elem() { w.sep() }

// CloseArray ends the open array.
func (w *Writer) CloseArray() {
	w.Buf = append(w.Buf, ']')
	w.stack = w.stack[:len(w.stack)-1]
}
