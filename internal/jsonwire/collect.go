package jsonwire

import "encoding/json"

// MemberMap returns obj's members by name (escapes decoded), each value a
// sub-slice of obj, and the last of a repeated name winning as
// encoding/json keeps it; ok is false when obj is not an object. obj must
// be valid JSON ([Valid]): a body checked once is read level by level
// without checking or copying it again. Copy what is kept beyond obj.
func MemberMap(obj []byte) (m map[string]json.RawMessage, ok bool) {
	it, ok := ObjectMembers(obj)
	if !ok {
		return nil, false
	}
	m = map[string]json.RawMessage{}
	for k, v, more := it.Next(); more; k, v, more = it.Next() {
		m[KeyString(k)] = v
	}
	return m, true
}

// ElementList returns arr's elements, each a sub-slice of arr; ok is false
// when arr is not an array. arr must be valid JSON ([Valid]), as for
// [MemberMap].
func ElementList(arr []byte) (list []json.RawMessage, ok bool) {
	it, ok := ArrayElements(arr)
	if !ok {
		return nil, false
	}
	for el, more := it.Next(); more; el, more = it.Next() {
		list = append(list, el)
	}
	return list, true
}
