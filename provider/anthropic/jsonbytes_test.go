package anthropic

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzUnquote checks unquote against encoding/json on every valid string
// literal, escapes, surrogates and invalid UTF-8 included.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`""`, `"plain"`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u00e9\u4e16"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00x"`, `"\ud83d\u0041"`, "\"\xff\xfe\"", `"é"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		raw = bytes.TrimSpace(raw) // a literal as members returns it
		var want string
		if !json.Valid(raw) || json.Unmarshal(raw, &want) != nil {
			return
		}
		var scratch []byte
		got, ok := unquote(raw, &scratch)
		if !ok || got != want {
			t.Fatalf("unquote(%q) = %q, %v; encoding/json says %q", raw, got, ok, want)
		}
	})
}

func TestEditObject(t *testing.T) {
	tests := []struct {
		obj  string
		set  []field
		add  bool
		keep func(string) bool
		want string
	}{
		{`{"a":1, "b" : {"c":[1,"}"]} ,"d":"x"}`, []field{{"b", []byte(`2`)}}, false, nil, `{"a":1,"b":2,"d":"x"}`},
		{`{"a":1}`, []field{{"z", []byte(`true`)}, {"a", nil}}, true, nil, `{"z":true}`},
		{`{}`, []field{{"k", []byte(`"v"`)}}, true, nil, `{"k":"v"}`},
		{`{"\u0061":1,"b":2}`, []field{{"a", []byte(`3`)}}, false, nil, `{"\u0061":3,"b":2}`},
		{`{"a":1,"b":2,"c":3}`, nil, false, func(k string) bool { return k != "b" }, `{"a":1,"c":3}`},
	}
	for _, tt := range tests {
		got, err := editObject(nil, []byte(tt.obj), tt.set, tt.add, tt.keep)
		if err != nil || string(got) != tt.want {
			t.Errorf("editObject(%s) = %s, %v; want %s", tt.obj, got, err, tt.want)
		}
	}
	for _, bad := range []string{`[1]`, `{"a":`, `"s"`} {
		if _, err := editObject(nil, []byte(bad), nil, false, nil); err == nil {
			t.Errorf("editObject(%s) gave no error", bad)
		}
	}
	if v, ok := objectField([]byte(`{"x":{"y":[1,2]},"z":null}`), "z"); !ok || string(v) != "null" {
		t.Errorf("objectField = %s, %v", v, ok)
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\s", "\n\r\t\x00\x1f", "<&>", "é世😀", "bad\xffutf8", "\u2028"} {
		var back string
		if err := json.Unmarshal(appendString(nil, s), &back); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		want := string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD")))
		if back != want {
			t.Errorf("%q came back as %q", s, back)
		}
	}
}
