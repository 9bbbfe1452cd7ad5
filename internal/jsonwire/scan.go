package jsonwire

import (
	"encoding/binary"
	"math/bits"
)

// This file walks JSON text without decoding it: the members of an object,
// the elements of an array, one member by name. Every value it returns is a
// sub-slice of its input, so nothing is allocated.

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// TrimSpace returns b without leading and trailing JSON whitespace (space,
// tab, newline, carriage return). Unlike bytes.TrimSpace it leaves other
// Unicode spaces, which are not JSON whitespace, in place.
func TrimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

func isSpace(c byte) bool { return c <= ' ' && (c == ' ' || c == '\t' || c == '\n' || c == '\r') }

// stringEnd returns the index just past the string starting at b[i] == '"',
// or len(b) when it is not closed. It looks at eight bytes at a time for a
// quote or a backslash (measured: faster than a byte loop on keys and
// tokens, and than bytes.IndexByte on text with escaped quotes).
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		if i+8 <= len(b) {
			m := quoteOrBackslash(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 7
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// quoteOrBackslash returns x, eight bytes of a string, with the high bit set
// in the lowest byte that is a quote or a backslash, if any (the bits above
// it may be wrong: only the lowest counts).
func quoteOrBackslash(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	s := x ^ (ones * '\\')
	return ((q-ones)&^q | (s-ones)&^s) & highs
}

// valueEnd returns the index just past the JSON value starting at b[i], or i
// when no value starts there. It tracks only strings and nesting: the value
// must be valid.
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

// Members walks the members of a JSON object in order; get one with
// [ObjectMembers]. The zero Members yields nothing.
type Members struct {
	b []byte
	i int
}

// ObjectMembers returns a walk over obj's members; ok is false, and the walk
// empty, when obj is not an object. obj must be valid JSON ([Valid]).
func ObjectMembers(obj []byte) (m Members, ok bool) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return Members{}, false
	}
	return Members{b: obj, i: i + 1}, true
}

// Next returns the next member: its key as written between the quotes
// (escapes not decoded: see [KeyEquals] and [KeyString]) and its raw value,
// both sub-slices of the object. ok is false after the last member.
func (m *Members) Next() (key, val []byte, ok bool) {
	i := skipSpace(m.b, m.i)
	if i < len(m.b) && m.b[i] == ',' {
		i = skipSpace(m.b, i+1)
	}
	// A quote as the last byte is a key left open: not valid JSON.
	if i+1 >= len(m.b) || m.b[i] != '"' {
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
	if ve == i { // no value: not valid JSON
		m.i = len(m.b)
		return nil, nil, false
	}
	m.i = ve
	return key, m.b[i:ve], true
}

// Elements walks the elements of a JSON array in order; get one with
// [ArrayElements]. The zero Elements yields nothing.
type Elements struct {
	b []byte
	i int
}

// ArrayElements returns a walk over arr's elements; ok is false, and the walk
// empty, when arr is not an array. arr must be valid JSON ([Valid]).
func ArrayElements(arr []byte) (e Elements, ok bool) {
	i := skipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return Elements{}, false
	}
	return Elements{b: arr, i: i + 1}, true
}

// Next returns the next element's raw value, a sub-slice of the array. ok is
// false after the last element.
func (e *Elements) Next() (val []byte, ok bool) {
	b := e.b
	i := skipSpace(b, e.i)
	if i < len(b) && b[i] == ',' {
		i = skipSpace(b, i+1)
	}
	if i >= len(b) || b[i] == ']' {
		e.i = len(b)
		return nil, false
	}
	end := valueEnd(b, i)
	if end == i { // not valid JSON; stop rather than spin
		e.i = len(b)
		return nil, false
	}
	e.i = end
	return b[i:end], true
}

// Lookup returns the raw value of obj's first member named key, compared as
// written: a key spelled with escapes does not match (see [LookupDecoded]).
// found is false when there is none or obj is not an object.
func Lookup(obj []byte, key string) (val []byte, found bool) {
	m, ok := ObjectMembers(obj)
	if !ok { // the common case of an empty overlay, without a call to Next
		return nil, false
	}
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		if string(k) == key {
			return v, true
		}
	}
	return nil, false
}

// LookupDecoded is [Lookup] with keys compared as encoding/json compares
// them, after decoding their escapes, so "\u0074ype" is found as "type". It
// costs a little more per member; it is for reading objects an upstream
// wrote, where [Lookup] serves objects this module wrote or whose escaped
// keys should stay unknown members.
func LookupDecoded(obj []byte, key string) (val []byte, found bool) {
	m, ok := ObjectMembers(obj)
	if !ok {
		return nil, false
	}
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		if KeyEquals(k, key) {
			return v, true
		}
	}
	return nil, false
}

// Index returns the raw value of the i-th element (from 0) of the array arr,
// or nil when there is no such element or arr is not an array.
func Index(arr []byte, i int) []byte {
	e, ok := ArrayElements(arr)
	if !ok {
		return nil
	}
	for n := 0; ; n++ {
		v, ok := e.Next()
		if !ok {
			return nil
		}
		if n == i {
			return v
		}
	}
}

// IsNull reports whether the raw value v is JSON null, as the walks return
// it (without surrounding space).
func IsNull(v []byte) bool { return string(v) == "null" }

// IsString reports whether the raw value v is a JSON string.
func IsString(v []byte) bool { return len(v) >= 2 && v[0] == '"' }

// IsObject reports whether the raw value v, surrounding space allowed, is a
// JSON object. Like the walks it only looks at the first byte: v must be
// valid JSON.
func IsObject(v []byte) bool {
	v = TrimSpace(v)
	return len(v) > 0 && v[0] == '{'
}

// ValidObject reports whether b is valid JSON and an object: the check a
// request body or an overlay gets before the walks are trusted with it.
func ValidObject(b []byte) bool { return Valid(b) && IsObject(b) }
