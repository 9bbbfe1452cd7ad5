package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file reads and edits JSON at the byte level. Editing objects in place
// keeps their key order, which encoding/json's maps cannot do: a relayed
// message_start or request body comes out with its fields where the provider
// put them, with only the values sluice owns replaced. Reading a delta's few
// fields this way costs no allocation but its text.

var errNotObject = errors.New("not a JSON object")

// field is one key and its new raw JSON value.
type field struct {
	key   string
	value []byte
}

// members calls fn with each top-level key (still quoted) and raw value of
// the JSON object obj, in order, until fn returns false. obj must be valid
// JSON; members reports errNotObject when it is not an object.
func members(obj []byte, fn func(key, value []byte) bool) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errNotObject
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for i < len(obj) {
		ks := i
		ke := skipValue(obj, ks)
		i = skipSpace(obj, ke)
		if i >= len(obj) || obj[i] != ':' {
			return errNotObject
		}
		vs := skipSpace(obj, i+1)
		ve := skipValue(obj, vs)
		if !fn(obj[ks:ke], obj[vs:ve]) {
			return nil
		}
		i = skipSpace(obj, ve)
		if i >= len(obj) || obj[i] != ',' {
			break
		}
		i = skipSpace(obj, i+1)
	}
	return nil
}

// keyIs reports whether the quoted key spells name.
func keyIs(quoted []byte, name string) bool {
	if len(quoted) == len(name)+2 && string(quoted[1:len(quoted)-1]) == name {
		return true
	}
	if bytes.IndexByte(quoted, '\\') < 0 {
		return false
	}
	var s string
	return json.Unmarshal(quoted, &s) == nil && s == name
}

// objectField returns the raw value of key in the JSON object obj.
func objectField(obj []byte, key string) ([]byte, bool) {
	var v []byte
	found := false
	_ = members(obj, func(k, val []byte) bool {
		if keyIs(k, key) {
			v, found = val, true
			return false
		}
		return true
	})
	return v, found
}

// editObject appends obj to dst with each field of set replacing the value of
// its key where the key stands; keys obj lacks are appended when add is true.
// A field with a nil value removes its key. keep, when not nil, drops every
// key it rejects. Whitespace between members is dropped; values are copied
// as they are.
func editObject(dst, obj []byte, set []field, add bool, keep func(key string) bool) ([]byte, error) {
	if !json.Valid(obj) {
		return dst, errNotObject
	}
	var used uint64 // bit i: set[i] was placed (set is always short)
	start := len(dst)
	dst = append(dst, '{')
	n := 0
	sep := func() {
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
	}
	err := members(obj, func(k, v []byte) bool {
		if keep != nil {
			var name string
			if json.Unmarshal(k, &name) != nil || !keep(name) {
				return true
			}
		}
		for i, f := range set {
			if keyIs(k, f.key) {
				used |= 1 << i
				if f.value != nil {
					sep()
					dst = append(dst, k...)
					dst = append(dst, ':')
					dst = append(dst, f.value...)
				}
				return true
			}
		}
		sep()
		dst = append(dst, k...)
		dst = append(dst, ':')
		dst = append(dst, v...)
		return true
	})
	if err != nil {
		return dst[:start], err
	}
	if add {
		for i, f := range set {
			if used&(1<<i) != 0 || f.value == nil {
				continue
			}
			sep()
			dst = appendString(dst, f.key)
			dst = append(dst, ':')
			dst = append(dst, f.value...)
		}
	}
	return append(dst, '}'), nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value starting at b[i],
// which must be valid.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		for i++; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return i
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipValue(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. It escapes what JSON requires,
// leaves <, > and & alone (as the API does), and replaces invalid UTF-8 with
// U+FFFD so the output is always valid JSON.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
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
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendInt appends n in decimal.
func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// unquote returns the JSON string literal raw as a Go string, using scratch
// for unescaping; the string is the only allocation. raw must be valid JSON.
// It decodes as encoding/json does: invalid UTF-8 and unpaired surrogates
// become U+FFFD.
func unquote(raw []byte, scratch *[]byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	s := raw[1 : len(raw)-1]
	if bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		return string(s), true
	}
	b := (*scratch)[:0]
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i += 2
			switch s[i-1] {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := hex4(s[i:])
				if !ok {
					return "", false
				}
				i += 4
				if utf16.IsSurrogate(r) {
					r2, ok := rune(-1), false
					if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						r2, ok = hex4(s[i+2:])
					}
					if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default: // '"', '\\', '/'
				b = append(b, s[i-1])
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			b = utf8.AppendRune(b, r) // RuneError for invalid bytes
			i += size
		}
	}
	*scratch = b
	return string(b), true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// parseIndex reads a non-negative JSON integer such as a block index.
func parseIndex(raw []byte) (int, bool) {
	if len(raw) == 0 || len(raw) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
