package jsonwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
	"unicode/utf8"
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// replace is the simplest merge rule: the caller's value wins.
func replace(_, x []byte) []byte { return TrimSpace(x) }

func TestMergeMembers(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		extra map[string]json.RawMessage
		merge func(old, extra []byte) []byte
		want  string
		bad   string // the key of the InvalidValueError, "" for none
	}{
		{name: "no extra", body: `{ "a" : 1 }`, merge: MergeDeep, want: `{ "a" : 1 }`},
		{name: "new members after the body's in key order",
			body:  `{"b":1,"a":2}`,
			extra: map[string]json.RawMessage{"z": raw(" 3\n"), "c": raw(`"x"`)},
			merge: MergeDeep, want: `{"b":1,"a":2,"c":"x","z":3}`},
		{name: "deep merge where the member stands",
			body: `{"tools":[{"a":1}],"cfg":{"x":1,"y":{"p":1}},"n":1}`,
			extra: map[string]json.RawMessage{"tools": raw(`[{"b":2}]`), "cfg": raw(`{"y":{"q":2},"z":3}`),
				"n": raw(`2`)},
			merge: MergeDeep, want: `{"tools":[{"a":1},{"b":2}],"cfg":{"x":1,"y":{"p":1,"q":2},"z":3},"n":2}`},
		{name: "shallow merge where the member stands",
			body: `{"tools":[{"a":1}],"cfg":{"x":1,"y":{"p":1}},"n":1}`,
			extra: map[string]json.RawMessage{"tools": raw(`[{"b":2}]`), "cfg": raw(`{"y":{"q":2},"z":3}`),
				"n": raw(`2`)},
			merge: MergeShallow, want: `{"tools":[{"b":2}],"cfg":{"x":1,"y":{"q":2},"z":3},"n":2}`},
		{name: "replace keeps the member's place",
			body:  `{"a":1,"b":2,"c":3}`,
			extra: map[string]json.RawMessage{"b": raw(` {"x":true} `), "d": raw(`[]`)},
			merge: replace, want: `{"a":1,"b":{"x":true},"c":3,"d":[]}`},
		{name: "keys quoted as json.Marshal quotes them",
			body:  `{}`,
			extra: map[string]json.RawMessage{"<a&b>": raw(`1`), "q\"": raw(`2`)},
			merge: MergeDeep, want: `{"\u003ca\u0026b\u003e":1,"q\"":2}`},
		{name: "into an empty body", body: `{}`, extra: map[string]json.RawMessage{"a": raw(`null`)},
			merge: MergeShallow, want: `{"a":null}`},
		{name: "first invalid value in key order",
			body:  `{"a":1}`,
			extra: map[string]json.RawMessage{"c": raw(`{`), "b": raw(`nope`), "a": raw(`1`)},
			merge: MergeDeep, bad: "b"},
		{name: "empty value", body: `{"a":1}`, extra: map[string]json.RawMessage{"a": nil},
			merge: MergeShallow, bad: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MergeMembers([]byte(tt.body), tt.extra, tt.merge)
			if tt.bad != "" {
				var e *InvalidValueError
				if !errors.As(err, &e) || e.Key != tt.bad || got != nil {
					t.Fatalf("MergeMembers = %s, %v; want nil and an InvalidValueError for %q", got, err, tt.bad)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("MergeMembers = %s, %v\nwant %s", got, err, tt.want)
			}
		})
	}
}

func TestInvalidValueError(t *testing.T) {
	err := error(&InvalidValueError{Key: "tools"})
	if got, want := err.Error(), `jsonwire: the value of "tools" is not valid JSON`; got != want {
		t.Errorf("Error() = %s, want %s", got, want)
	}
}

func TestMergeDeepAndShallow(t *testing.T) {
	tests := []struct {
		name, a, b    string
		deep, shallow string
	}{
		{"scalars", `1`, ` "x" `, `"x"`, `"x"`},
		{"object over array", `[1]`, `{"a":1}`, `{"a":1}`, `{"a":1}`},
		{"array over object", `{"a":1}`, `[1]`, `[1]`, `[1]`},
		{"null over object", `{"a":1}`, `null`, `null`, `null`},
		{"empty objects", `{}`, ` {} `, `{}`, `{}`},
		{"arrays", `[1,{"a":2}]`, ` [ 3 , [4] ] `, `[1,{"a":2},3,[4]]`, `[ 3 , [4] ]`},
		{"empty arrays", `[]`, `[1]`, `[1]`, `[1]`},
		{"into empty array", `[1]`, `[]`, `[1]`, `[]`},
		{"objects", `{"a":1,"b":{"x":1,"y":[1]},"c":3}`, `{"d":4,"b":{"y":[2],"z":true},"a":null}`,
			`{"a":null,"b":{"x":1,"y":[1,2],"z":true},"c":3,"d":4}`,
			`{"c":3,"d":4,"b":{"y":[2],"z":true},"a":null}`},
		{"spaced objects", ` { "a" : 1 } `, "\n{ \"b\" : [ 2 ] }\t", `{"a":1,"b":[ 2 ]}`, `{"a":1,"b":[ 2 ]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MergeDeep([]byte(tt.a), []byte(tt.b)); string(got) != tt.deep {
				t.Errorf("MergeDeep(%s, %s) = %s, want %s", tt.a, tt.b, got, tt.deep)
			}
			if got := MergeShallow([]byte(tt.a), []byte(tt.b)); string(got) != tt.shallow {
				t.Errorf("MergeShallow(%s, %s) = %s, want %s", tt.a, tt.b, got, tt.shallow)
			}
		})
	}
}

// FuzzMergeMembers merges two members into a body with each rule and checks
// the result against the same merge done on values encoding/json decoded.
func FuzzMergeMembers(f *testing.F) {
	f.Add(`{"a":1,"b":{"x":[1,2],"y":{"z":1}},"c":[1]}`, "b", `{"x":[3],"y":{"w":2},"n":null}`, "c", ` [ {"q":1} ] `)
	f.Add(`{"options":{"a":1,"b":2},"model":"m"}`, "options", `{"b":3}`, "keep_alive", `"5m"`)
	f.Add(`{}`, "<a>", ` 1 `, "a", `{`)
	f.Add(` { "x" : [ ] } `, "x", `[1]`, "x", `[2]`)
	f.Fuzz(func(t *testing.T, body, k1, v1, k2, v2 string) {
		if !json.Valid([]byte(body)) || !IsObject([]byte(body)) {
			return
		}
		extra := map[string]json.RawMessage{k1: raw(v1), k2: raw(v2)}
		bad := ""
		for _, k := range slices.Sorted(maps.Keys(extra)) {
			if !json.Valid(extra[k]) {
				bad = k
				break
			}
		}
		rules := []struct {
			name  string
			merge func(old, extra []byte) []byte
			ref   func(a, b any) any
		}{{"deep", MergeDeep, deepRef}, {"shallow", MergeShallow, shallowRef}}
		for _, r := range rules {
			got, err := MergeMembers([]byte(body), extra, r.merge)
			var e *InvalidValueError
			if bad != "" || err != nil {
				if !errors.As(err, &e) || e.Key != bad || got != nil {
					t.Fatalf("%s: MergeMembers = %s, %v; want nil and an InvalidValueError for %q", r.name, got, err, bad)
				}
				continue
			}
			if !json.Valid(got) {
				t.Fatalf("%s: MergeMembers(%s) = %s, not valid JSON", r.name, body, got)
			}
			// encoding/json compares keys decoded and keeps the last of
			// duplicates; MergeMembers compares them as written. They
			// agree on keys written plainly, once, as this module writes.
			if !utf8.ValidString(k1) || !utf8.ValidString(k2) || !plainKeys([]byte(body)) ||
				!plainKeys([]byte(v1)) || !plainKeys([]byte(v2)) {
				continue
			}
			want := decode(t, []byte(body)).(map[string]any)
			for k, v := range extra {
				x := decode(t, v)
				if old, ok := want[k]; ok {
					x = r.ref(old, x)
				}
				want[k] = x
			}
			if g := decode(t, got); !reflect.DeepEqual(g, want) {
				t.Fatalf("%s: MergeMembers(%s, %s) = %s\ndecoded %v\nwant    %v", r.name, body, extra, got, g, want)
			}
			var order []string
			m, _ := ObjectMembers([]byte(body))
			for k, _, ok := m.Next(); ok; k, _, ok = m.Next() {
				order = append(order, string(k))
			}
			for _, k := range slices.Sorted(maps.Keys(extra)) {
				if !slices.Contains(order, k) {
					order = append(order, k)
				}
			}
			if keys := topKeys(got); !slices.Equal(keys, order) {
				t.Fatalf("%s: MergeMembers(%s, %s) = %s, keys in order %q, want %q", r.name, body, extra, got, keys, order)
			}
		}
	})
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// topKeys returns the keys of obj's members in order, decoded.
func topKeys(obj []byte) []string {
	var keys []string
	m, _ := ObjectMembers(obj)
	for k, _, ok := m.Next(); ok; k, _, ok = m.Next() {
		keys = append(keys, KeyString(k))
	}
	return keys
}

// plainKeys reports whether every object in v, at any depth, has keys
// without escapes, in UTF-8, each once.
func plainKeys(v []byte) bool {
	v = TrimSpace(v)
	if m, ok := ObjectMembers(v); ok {
		seen := map[string]bool{}
		for k, x, ok := m.Next(); ok; k, x, ok = m.Next() {
			if bytes.IndexByte(k, '\\') >= 0 || !utf8.Valid(k) || seen[string(k)] || !plainKeys(x) {
				return false
			}
			seen[string(k)] = true
		}
	}
	if e, ok := ArrayElements(v); ok {
		for x, ok := e.Next(); ok; x, ok = e.Next() {
			if !plainKeys(x) {
				return false
			}
		}
	}
	return true
}

// deepRef is MergeDeep on decoded values.
func deepRef(a, b any) any {
	switch b := b.(type) {
	case map[string]any:
		if a, ok := a.(map[string]any); ok {
			out := maps.Clone(a)
			for k, v := range b {
				if old, ok := out[k]; ok {
					v = deepRef(old, v)
				}
				out[k] = v
			}
			return out
		}
	case []any:
		if a, ok := a.([]any); ok {
			return append(slices.Clone(a), b...)
		}
	}
	return b
}

// shallowRef is MergeShallow on decoded values.
func shallowRef(a, b any) any {
	am, ok := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if !ok || !ok2 {
		return b
	}
	out := maps.Clone(am)
	maps.Copy(out, bm)
	return out
}
