package openai

import (
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The decoder splits every chunk into the members it models and the members
// it keeps verbatim, and the encoder merges the kept ones back in. Doing that
// with encoding/json would mean a map per object per chunk (and losing member
// order); these helpers walk JSON text that json.Valid has already accepted,
// returning sub-slices of it, so the hot path allocates nothing but the
// strings it hands out.

// members iterates over the members of a JSON object.
type members struct {
	b []byte
	i int
}

// objectMembers returns an iterator over v's members; ok is false when v is
// not an object. v must be valid JSON.
func objectMembers(v []byte) (it members, ok bool) {
	i := skipSpace(v, 0)
	if i >= len(v) || v[i] != '{' {
		return members{}, false
	}
	return members{b: v, i: i + 1}, true
}

// next returns the next member's raw key (without quotes, escapes kept) and
// raw value.
func (it *members) next() (key, val []byte, ok bool) {
	b := it.b
	i := skipSpace(b, it.i)
	if i < len(b) && b[i] == ',' {
		i = skipSpace(b, i+1)
	}
	if i >= len(b) || b[i] != '"' {
		it.i = len(b)
		return nil, nil, false
	}
	end := skipString(b, i)
	key = b[i+1 : end-1]
	i = skipSpace(b, end)
	if i < len(b) && b[i] == ':' {
		i = skipSpace(b, i+1)
	}
	end = skipValue(b, i)
	if end == i { // no value: not valid JSON; stop rather than spin
		it.i = len(b)
		return nil, nil, false
	}
	val = b[i:end]
	it.i = end
	return key, val, true
}

// elements iterates over the elements of a JSON array.
type elements struct {
	b []byte
	i int
}

// arrayElements returns an iterator over v's elements; ok is false when v is
// not an array. v must be valid JSON.
func arrayElements(v []byte) (it elements, ok bool) {
	i := skipSpace(v, 0)
	if i >= len(v) || v[i] != '[' {
		return elements{}, false
	}
	return elements{b: v, i: i + 1}, true
}

// next returns the next element's raw value.
func (it *elements) next() (val []byte, ok bool) {
	b := it.b
	i := skipSpace(b, it.i)
	if i < len(b) && b[i] == ',' {
		i = skipSpace(b, i+1)
	}
	if i >= len(b) || b[i] == ']' {
		it.i = len(b)
		return nil, false
	}
	end := skipValue(b, i)
	if end == i { // not valid JSON; stop rather than spin
		it.i = len(b)
		return nil, false
	}
	it.i = end
	return b[i:end], true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
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

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
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

// isNull reports whether the raw value is JSON null.
func isNull(v []byte) bool { return string(v) == "null" }

// isString reports whether the raw value is a JSON string.
func isString(v []byte) bool { return len(v) >= 2 && v[0] == '"' }

// isEmptyString reports whether the raw value is "".
func isEmptyString(v []byte) bool { return string(v) == `""` }

// rawStringEquals reports whether the raw JSON string v holds exactly s. It
// compares escape-free strings without allocating and unescapes the others.
func rawStringEquals(v []byte, s string) bool {
	if !isString(v) {
		return false
	}
	inner := v[1 : len(v)-1]
	if !hasEscape(inner) {
		return string(inner) == s
	}
	u, ok := unquote(v, nil)
	return ok && string(u) == s
}

func hasEscape(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

// stringValue returns the JSON string v as a Go string ("" for null or a
// non-string). It allocates the string and nothing else: scratch is reused
// for escaped strings.
func stringValue(v []byte, scratch *[]byte) string {
	if !isString(v) {
		return ""
	}
	inner := v[1 : len(v)-1]
	if !hasEscape(inner) && utf8.Valid(inner) {
		return string(inner)
	}
	u, ok := unquote(v, (*scratch)[:0])
	if !ok {
		return ""
	}
	*scratch = u
	return string(u)
}

// unquote appends the decoded contents of the JSON string v to dst. Invalid
// UTF-8 and lone surrogates become U+FFFD, as encoding/json does.
func unquote(v []byte, dst []byte) ([]byte, bool) {
	if !isString(v) {
		return dst, false
	}
	s := v[1 : len(v)-1]
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			if c < utf8.RuneSelf {
				dst = append(dst, c)
				i++
				continue
			}
			r, n := utf8.DecodeRune(s[i:])
			dst = utf8.AppendRune(dst, r)
			i += n
			continue
		}
		if i+1 >= len(s) {
			return dst, false
		}
		switch s[i+1] {
		case '"', '\\', '/':
			dst = append(dst, s[i+1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				return dst, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(s, i+2); ok && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, false
		}
		i += 2
	}
	return dst, true
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// intValue parses a JSON number as an int64. Fractions are truncated; ok is
// false for anything that is not a number or does not fit.
func intValue(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 19 {
		return floatInt(v)
	}
	var n int64
	neg := v[0] == '-'
	i := 0
	if neg {
		i = 1
	}
	if i == len(v) {
		return 0, false
	}
	for ; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return floatInt(v)
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func floatInt(v []byte) (int64, bool) {
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || f > 1<<62 || f < -(1<<62) {
		return 0, false
	}
	return int64(f), true
}

// appendString appends s as a JSON string. Only what JSON requires is
// escaped (quote, backslash, control characters), plus U+2028 and U+2029 as
// encoding/json does; invalid UTF-8 becomes U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigit[c>>4], hexDigit[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigit[r&0xf])
			i += n
			start = i
			continue
		}
		i += n
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const hexDigit = "0123456789abcdef"

// appendKey appends "key": to dst.
func appendKey(dst []byte, key string) []byte {
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

// appendMember appends ,"key":raw (or without the comma after '{' or '[').
func appendMember(dst []byte, key, raw []byte) []byte {
	dst = comma(dst)
	dst = append(dst, '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return append(dst, raw...)
}

// comma appends a comma unless dst ends with an opening brace or bracket or
// a comma.
func comma(dst []byte) []byte {
	if n := len(dst); n > 0 && dst[n-1] != '{' && dst[n-1] != '[' && dst[n-1] != ',' {
		dst = append(dst, ',')
	}
	return dst
}

// lookup returns the value of member key in the object obj.
func lookup(obj []byte, key string) ([]byte, bool) {
	it, ok := objectMembers(obj)
	if !ok {
		return nil, false
	}
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		if string(k) == key {
			return v, true
		}
	}
	return nil, false
}

// validObject reports whether b is a valid JSON object.
func validObject(b []byte) bool {
	if !json.Valid(b) {
		return false
	}
	_, ok := objectMembers(b)
	return ok
}
