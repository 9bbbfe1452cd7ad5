package jsonwire

import (
	"encoding/json"
	"fmt"
	"slices"
)

// This file merges the members a caller adds (a Request's Extra) into the
// object a request builder encoded. How a value merges into one the body
// already has is the protocol's choice: [MergeDeep] or [MergeShallow].

// An InvalidValueError is the error of [MergeMembers] when a value to merge
// is not valid JSON.
type InvalidValueError struct {
	Key string // the value's key in the map given to MergeMembers
}

func (e *InvalidValueError) Error() string {
	return fmt.Sprintf("jsonwire: the value of %q is not valid JSON", e.Key)
}

// MergeMembers returns the object body with the members of extra merged into
// its top level. A member of body whose key extra also has keeps its place,
// its value now merge(body's value, extra's value); the other members of
// extra follow body's, in key order, with their white space trimmed. Every
// value of extra is checked with [Valid] first: the first one, in key order,
// that fails is an *InvalidValueError, and nothing is merged.
//
// body must be a valid object whose keys need no escaping, as one this module
// encoded (keys are compared as written, as [Lookup] compares them); extra's
// keys are quoted as json.Marshal quotes them. body itself is returned when
// extra is empty, otherwise a new slice; merge may return a sub-slice of its
// arguments.
func MergeMembers(body []byte, extra map[string]json.RawMessage, merge func(old, extra []byte) []byte) ([]byte, error) {
	if len(extra) == 0 {
		return body, nil
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !Valid(extra[k]) {
			return nil, &InvalidValueError{Key: k}
		}
	}
	var members []byte
	m, _ := ObjectMembers(body)
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		if x, found := extra[string(k)]; found {
			v = merge(v, x)
		}
		members = AppendMember(members, k, v)
	}
	for _, k := range keys {
		if _, found := Lookup(body, k); found {
			continue
		}
		members = Comma(members)
		members = AppendHTMLString(members, k)
		members = append(members, ':')
		members = append(members, TrimSpace(extra[k])...)
	}
	return WrapObject(members), nil
}

// MergeDeep returns b merged into a: when both are objects, a's members in
// their order with those b also has merged in turn, then b's other members;
// when both are arrays, a's elements then b's; otherwise b. a and b must be
// valid JSON. The result is new where both are objects or arrays, else a
// sub-slice of b, trimmed of white space.
func MergeDeep(a, b []byte) []byte {
	a, b = TrimSpace(a), TrimSpace(b)
	switch {
	case IsObject(a) && IsObject(b):
		out := []byte{'{'}
		m, _ := ObjectMembers(a)
		for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
			if x, found := Lookup(b, string(k)); found {
				v = MergeDeep(v, x)
			}
			out = AppendMember(out, k, v)
		}
		m, _ = ObjectMembers(b)
		for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
			if _, found := Lookup(a, string(k)); !found {
				out = AppendMember(out, k, v)
			}
		}
		return append(out, '}')
	case len(a) > 0 && a[0] == '[' && len(b) > 0 && b[0] == '[':
		out := []byte{'['}
		for _, arr := range [][]byte{a, b} {
			e, _ := ArrayElements(arr)
			for v, ok := e.Next(); ok; v, ok = e.Next() {
				out = append(Comma(out), v...)
			}
		}
		return append(out, ']')
	}
	return b
}

// MergeShallow returns b merged into a one level deep: when both are
// objects, a's members that b lacks, then all of b's, so a member of b
// replaces a's whole; otherwise b. a and b must be valid JSON. The result is
// new where both are objects, else a sub-slice of b, trimmed of white space.
func MergeShallow(a, b []byte) []byte {
	if !IsObject(a) || !IsObject(b) {
		return TrimSpace(b)
	}
	out := []byte{'{'}
	m, _ := ObjectMembers(a)
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		if _, found := Lookup(b, string(k)); !found {
			out = AppendMember(out, k, v)
		}
	}
	m, _ = ObjectMembers(b)
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		out = AppendMember(out, k, v)
	}
	return append(out, '}')
}
