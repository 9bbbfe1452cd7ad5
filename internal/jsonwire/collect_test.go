package jsonwire

import (
	"encoding/json"
	"reflect"
	"testing"
)

// MemberMap and ElementList read what encoding/json reads into a
// map[string]json.RawMessage and a []json.RawMessage, as slices of the
// input.
func TestMemberMapAndElementList(t *testing.T) {
	obj := []byte(` {"a":1, "b" : [ 2 , "x" ] ,"\u0063":null,"a":{"d":true}} `)
	var want map[string]json.RawMessage
	if err := json.Unmarshal(obj, &want); err != nil {
		t.Fatal(err)
	}
	got, ok := MemberMap(obj)
	if !ok || len(got) != len(want) {
		t.Fatalf("MemberMap = %q, %v; want %q", got, ok, want)
	}
	for k, v := range want {
		if string(got[k]) != string(v) {
			t.Errorf("member %q = %s, want %s", k, got[k], v)
		}
	}
	list, ok := ElementList(got["b"])
	if !ok || !reflect.DeepEqual(list, []json.RawMessage{json.RawMessage("2"), json.RawMessage(`"x"`)}) {
		t.Errorf("ElementList = %q, %v", list, ok)
	}
	if _, ok := MemberMap([]byte(`[1]`)); ok {
		t.Error("MemberMap took an array")
	}
	if _, ok := ElementList([]byte(`null`)); ok {
		t.Error("ElementList took null")
	}
}
