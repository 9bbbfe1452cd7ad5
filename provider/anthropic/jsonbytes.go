package anthropic

import (
	"errors"
	"strconv"

	"github.com/sluicehq/sluice/internal/jsonwire"
)

// This file edits JSON objects at the byte level, on top of
// internal/jsonwire's walk. Editing objects in place keeps their key order,
// which encoding/json's maps cannot do: a relayed message_start or request
// body comes out with its fields where the provider put them, with only the
// values sluice owns replaced.

var errNotObject = errors.New("not a JSON object")

// field is one key and its new raw JSON value.
type field struct {
	key   string
	value []byte
}

// editObject appends obj to dst with each field of set replacing the value of
// its key where the key stands (keys compared after decoding their escapes);
// keys obj lacks are appended when add is true. A field with a nil value
// removes its key. keep, when not nil, drops every key it rejects. Whitespace
// between members is dropped; keys and values are copied as they are.
func editObject(dst, obj []byte, set []field, add bool, keep func(key string) bool) ([]byte, error) {
	if !jsonwire.Valid(obj) {
		return dst, errNotObject
	}
	m, ok := jsonwire.ObjectMembers(obj)
	if !ok {
		return dst, errNotObject
	}
	var used uint64 // bit i: set[i] was placed (set is always short)
	dst = append(dst, '{')
	n := 0
	member := func(k, v []byte) {
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, '"', ':')
		dst = append(dst, v...)
	}
next:
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		if keep != nil && !keep(jsonwire.KeyString(k)) {
			continue
		}
		for i, f := range set {
			if jsonwire.KeyEquals(k, f.key) {
				used |= 1 << i
				if f.value != nil {
					member(k, f.value)
				}
				continue next
			}
		}
		member(k, v)
	}
	if add {
		for i, f := range set {
			if used&(1<<i) != 0 || f.value == nil {
				continue
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = jsonwire.AppendString(dst, f.key)
			dst = append(dst, ':')
			dst = append(dst, f.value...)
		}
	}
	return append(dst, '}'), nil
}

// appendInt appends n in decimal.
func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

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
