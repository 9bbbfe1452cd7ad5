package jsonwire

import (
	"encoding/json"
	"reflect"
	"testing"
)

// members collects what a walk over obj yields, as "key=value" strings.
func members(obj []byte) (out []string, isObj bool) {
	m, isObj := ObjectMembers(obj)
	for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
		out = append(out, string(k)+"="+string(v))
	}
	return out, isObj
}

func elements(arr []byte) (out []string, isArr bool) {
	e, isArr := ArrayElements(arr)
	for v, ok := e.Next(); ok; v, ok = e.Next() {
		out = append(out, string(v))
	}
	return out, isArr
}

func TestObjectMembers(t *testing.T) {
	tests := []struct {
		name string
		obj  string
		want []string
		ok   bool
	}{
		{"empty", `{}`, nil, true},
		{"spaced", " {\n \"a\" : 1 ,\t\"b\":\"x,}\\\"y\" } ", []string{`a=1`, `b="x,}\"y"`}, true},
		{"nested", `{"o":{"p":[1,{"q":"]"}]},"t":true,"n":null}`, []string{`o={"p":[1,{"q":"]"}]}`, `t=true`, `n=null`}, true},
		{"escaped key kept as written", `{"\u0061":1}`, []string{`\u0061=1`}, true},
		{"backslash runs", `{"k\\":"v\\\"w\\\\","z":["\"]"]}`, []string{`k\\="v\\\"w\\\\"`, `z=["\"]"]`}, true},
		{"not an object", `[1]`, nil, false},
		{"a string", `"{"`, nil, false},
		{"empty input", ``, nil, false},
		// Invalid JSON stops the walk; it never spins.
		{"no colon", `{"a" 1,"b":2}`, nil, true},
		{"no value", `{"a":,"b":2}`, nil, true},
		{"cut", `{"a":1,"b`, []string{`a=1`}, true},
		{"unclosed key", `{"`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := members([]byte(tt.obj))
			if !reflect.DeepEqual(got, tt.want) || ok != tt.ok {
				t.Errorf("members(%s) = %q, %v; want %q, %v", tt.obj, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestArrayElements(t *testing.T) {
	tests := []struct {
		name string
		arr  string
		want []string
		ok   bool
	}{
		{"empty", `[ ]`, nil, true},
		{"mixed", ` [1, "a]" ,{"b":[2]},[],null,-1.5e3 ]`, []string{`1`, `"a]"`, `{"b":[2]}`, `[]`, `null`, `-1.5e3`}, true},
		{"not an array", `{"a":1}`, nil, false},
		{"invalid stops", `[}`, nil, true},
		{"double comma stops", `[1,,2]`, []string{`1`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := elements([]byte(tt.arr))
			if !reflect.DeepEqual(got, tt.want) || ok != tt.ok {
				t.Errorf("elements(%s) = %q, %v; want %q, %v", tt.arr, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestLookupAndIndex(t *testing.T) {
	obj := []byte(`{"a":{"b":1},"c":[10,20,30],"a":2}`)
	if v, ok := Lookup(obj, "a"); !ok || string(v) != `{"b":1}` {
		t.Errorf("Lookup a = %s, %v; want the first", v, ok)
	}
	if _, ok := Lookup(obj, "b"); ok {
		t.Error("Lookup found a nested member")
	}
	if _, ok := Lookup([]byte(`{"\u0061":1}`), "a"); ok {
		t.Error("Lookup decoded an escaped key")
	}
	if v, ok := LookupDecoded([]byte(`{"b":0,"\u0061":1}`), "a"); !ok || string(v) != "1" {
		t.Errorf("LookupDecoded = %s, %v", v, ok)
	}
	if _, ok := Lookup([]byte(`[1]`), "a"); ok {
		t.Error("Lookup in an array")
	}
	c, _ := Lookup(obj, "c")
	if v := Index(c, 2); string(v) != "30" {
		t.Errorf("Index 2 = %s", v)
	}
	if v := Index(c, 3); v != nil {
		t.Errorf("Index past the end = %s", v)
	}
	if v := Index(obj, 0); v != nil {
		t.Errorf("Index of an object = %s", v)
	}
}

func TestPredicates(t *testing.T) {
	if !IsNull([]byte("null")) || IsNull([]byte(" null")) || IsNull([]byte(`"null"`)) {
		t.Error("IsNull")
	}
	if !IsObject([]byte(" \n{}")) || IsObject([]byte("[]")) || IsObject(nil) {
		t.Error("IsObject")
	}
	if !IsString([]byte(`""`)) || IsString([]byte(`"`)) || IsString([]byte(`1`)) {
		t.Error("IsString")
	}
	if !ValidObject([]byte(` {"a":1} `)) || ValidObject([]byte(`{"a":}`)) || ValidObject([]byte(`[]`)) {
		t.Error("ValidObject")
	}
	if got := TrimSpace([]byte(" \t\n\r x \u00a0\r\n")); string(got) != "x \u00a0" {
		t.Errorf("TrimSpace = %q", got)
	}
}

// FuzzWalk checks that the walks never panic or spin on any input, and that
// on a valid object they see the members encoding/json sees.
func FuzzWalk(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":[1,{"c":"}"}],"d":"\"\\"}`, `[1,[2],{"x":[]}]`, `{"a"`, `[}`, `{"a":1,,}`, `"\`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, isObj := members(b)
		elements(b)
		Lookup(b, "a")
		Index(b, 1)
		if !json.Valid(b) {
			return
		}
		var want map[string]json.RawMessage
		if json.Unmarshal(b, &want) != nil || want == nil {
			if isObj {
				t.Fatalf("ObjectMembers took %s for an object", b)
			}
			return
		}
		keys := map[string]bool{}
		for k := range want {
			keys[k] = true
		}
		m, _ := ObjectMembers(b)
		n := 0
		for k, v, ok := m.Next(); ok; k, v, ok = m.Next() {
			n++
			if !keys[KeyString(k)] || !json.Valid(v) {
				t.Fatalf("member %s=%s of %s", k, v, b)
			}
		}
		if n < len(want) || len(got) != n {
			t.Fatalf("%d members of %s, encoding/json has %d keys", n, b, len(want))
		}
	})
}

// FuzzStringEnd checks the eight-bytes-at-a-time stringEnd against a byte
// loop on any input, backslash runs across word boundaries included.
func FuzzStringEnd(f *testing.F) {
	for _, s := range []string{`"`, `""`, `"abcdefghijklmnop"`, `"abcdefg\"hijklmn\\"x`, `"\\\\\\\\\\\\\\\"x"`, `"1234567\`, `"12345678"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		b[0] = '"'
		want := len(b)
	loop:
		for i := 1; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				want = i + 1
				break loop
			}
		}
		if got := stringEnd(b, 0); got != want {
			t.Fatalf("stringEnd(%q) = %d, want %d", b, got, want)
		}
	})
}
