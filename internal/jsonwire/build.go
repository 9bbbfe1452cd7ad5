package jsonwire

import "encoding/json"

// This file builds objects member by member from raw keys and values, as a
// decoder does when it sets aside the members it does not model.

// Comma appends a comma to dst unless dst is empty or ends with an opening
// brace or bracket or a comma, that is, unless nothing precedes the member
// or element about to be appended.
func Comma(dst []byte) []byte {
	if n := len(dst); n > 0 && dst[n-1] != '{' && dst[n-1] != '[' && dst[n-1] != ',' {
		dst = append(dst, ',')
	}
	return dst
}

// AppendKey appends "key": to dst. key is written as it is: it must need no
// escaping (a constant name, or a key [Members.Next] returned).
func AppendKey(dst []byte, key string) []byte {
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

// AppendMember appends "key":val to dst, after a comma where [Comma] puts
// one, so it serves both a buffer of bare members (for [WrapObject]) and an
// object being written. key is written as it is (as [Members.Next] returns
// it) and val is raw JSON.
func AppendMember(dst, key, val []byte) []byte {
	dst = Comma(dst)
	dst = append(dst, '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return append(dst, val...)
}

// WrapObject returns members, a comma-separated list as [AppendMember]
// builds it, as a new object {members}, or nil when members is empty: the
// form of Event.Extra's fields, where nil means nothing to restore. The
// result does not share memory with members, so the caller may reuse its
// buffer.
func WrapObject(members []byte) json.RawMessage {
	if len(members) == 0 {
		return nil
	}
	out := make([]byte, 0, len(members)+2)
	out = append(out, '{')
	out = append(out, members...)
	return append(out, '}')
}
