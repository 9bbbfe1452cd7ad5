package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// This file edits JSON objects in place, keeping their key order, which
// encoding/json's maps cannot do: a relayed message_start or request body
// comes out with its fields where the provider put them, with only the values
// sluice owns replaced.

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
