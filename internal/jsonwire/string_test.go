package jsonwire

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

var stringSeeds = []string{
	"", "hello", "a\"b\\c", "\n\r\t\x00\x1f", "\b\f\x7f", "<script>&", "\u2028\u2029",
	"\xff\xfe", "bad\xffutf8", "é日本🙂", "\xed\xa0\x80", // a UTF-8-encoded surrogate is invalid
}

// marshalNoHTML is what a json.Encoder with SetEscapeHTML(false) writes.
func marshalNoHTML(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// FuzzAppendString checks AppendString and AppendEscaped against a
// json.Encoder with SetEscapeHTML(false) on every input.
func FuzzAppendString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := marshalNoHTML(t, s)
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Fatalf("AppendString(%q) = %s, encoding/json gives %s", s, got[1:], want)
		}
		if got := AppendEscaped(nil, s); string(got) != string(want[1:len(want)-1]) {
			t.Fatalf("AppendEscaped(%q) = %s, encoding/json gives %s", s, got, want)
		}
	})
}

// FuzzAppendHTMLString checks AppendHTMLString against json.Marshal on
// every input.
func FuzzAppendHTMLString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendHTMLString(nil, s)
		want, _ := json.Marshal(s)
		if string(got) != string(want) {
			t.Fatalf("AppendHTMLString(%q) = %s, encoding/json gives %s", s, got, want)
		}
	})
}

func TestAppendStringEscapes(t *testing.T) {
	tests := []struct {
		in, want, html string
	}{
		{"plain", `"plain"`, `"plain"`},
		{"<a&b>", `"<a&b>"`, `"\u003ca\u0026b\u003e"`},
		{"\b\f\n\r\t\x01", `"\b\f\n\r\t\u0001"`, `"\b\f\n\r\t\u0001"`},
		{"\u2028x\u2029", `"\u2028x\u2029"`, `"\u2028x\u2029"`},
		{"a\xffb", `"a\ufffdb"`, `"a\ufffdb"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := AppendString(nil, tt.in); string(got) != tt.want {
				t.Errorf("AppendString = %s, want %s", got, tt.want)
			}
			if got := AppendHTMLString(nil, tt.in); string(got) != tt.html {
				t.Errorf("AppendHTMLString = %s, want %s", got, tt.html)
			}
		})
	}
}

// FuzzUnquote checks Unquote against encoding/json on every valid string
// literal, escapes, surrogates and invalid UTF-8 included, and the
// functions built on the same decoding with it.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`""`, `"plain"`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u00e9\u4e16"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00x"`, `"\ud83d\u0041"`, `"\ud83d\ud83d\ude00"`, "\"\xff\xfe\"", `"é"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		raw = bytes.TrimSpace(raw) // a literal as the walks return it
		var want string
		if !json.Valid(raw) || json.Unmarshal(raw, &want) != nil {
			return
		}
		var scratch []byte
		got, ok := Unquote(raw, &scratch)
		if string(raw) == "null" {
			if ok || got != "" {
				t.Fatalf("Unquote(null) = %q, %v", got, ok)
			}
			return
		}
		if !ok || got != want {
			t.Fatalf("Unquote(%s) = %q, %v; encoding/json says %q", raw, got, ok, want)
		}
		if s, err := UnmarshalString(raw); err != nil || s != want {
			t.Fatalf("UnmarshalString(%s) = %q, %v", raw, s, err)
		}
		body := raw[1 : len(raw)-1]
		// KeyEquals and StringEquals take invalid UTF-8 as written.
		asWritten := !utf8.Valid(body)
		if !StringEquals(raw, want) && !asWritten {
			t.Fatalf("StringEquals(%s, %q) is false", raw, want)
		}
		if KeyString(body) != want {
			t.Fatalf("KeyString(%s) = %q, want %q", body, KeyString(body), want)
		}
		if !KeyEquals(body, want) && !asWritten {
			t.Fatalf("KeyEquals(%s, %q) is false", body, want)
		}
	})
}

func TestUnquote(t *testing.T) {
	tests := []struct {
		raw  string
		want string
		ok   bool
	}{
		{`"plain"`, "plain", true},
		{`"a\nb"`, "a\nb", true},
		{`"\u0041\ud83d\ude00"`, "A😀", true},
		{`"\ud83d x"`, "\ufffd x", true},
		{`null`, "", false},
		{`12`, "", false},
		{`"`, "", false},
		{`"\x"`, "", false},   // not valid JSON: an unknown escape
		{`"\u12"`, "", false}, // nor a short one
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			scratch := []byte("reused")
			got, ok := Unquote([]byte(tt.raw), &scratch)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Unquote(%s) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
			}
			if got, ok := Unquote([]byte(tt.raw), nil); got != tt.want || ok != tt.ok {
				t.Errorf("Unquote(%s, nil) = %q, %v", tt.raw, got, ok)
			}
		})
	}
}

func TestUnmarshalString(t *testing.T) {
	tests := []struct {
		raw, want string
		err       bool
	}{
		{`"a\tb"`, "a\tb", false},
		{`null`, "", false}, // as json.Unmarshal: null leaves the string alone
		{`1`, "", true},
		{`{"a":1}`, "", true},
	}
	for _, tt := range tests {
		got, err := UnmarshalString([]byte(tt.raw))
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("UnmarshalString(%s) = %q, %v", tt.raw, got, err)
		}
	}
}

func TestKeys(t *testing.T) {
	if !KeyEquals([]byte(`\u0074ype`), "type") || KeyEquals([]byte(`typ`), "type") || !KeyEquals([]byte("type"), "type") {
		t.Error("KeyEquals")
	}
	// Invalid UTF-8 is compared as written, with or without escapes.
	if KeyEquals([]byte("\xff"), "\ufffd") || !KeyEquals([]byte("a\\u0062\xff"), "ab\xff") || !KeyEquals([]byte("\xff"), "\xff") {
		t.Error("KeyEquals on invalid UTF-8")
	}
	if got := KeyString([]byte(`a\"b`)); got != `a"b` {
		t.Errorf("KeyString = %q", got)
	}
	if !StringEquals([]byte(`"x\u0079"`), "xy") || StringEquals([]byte(`"xy"`), "x") || StringEquals([]byte(`null`), "") {
		t.Error("StringEquals")
	}
}

// The string functions allocate nothing but the strings they return.
func TestStringAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	scratch := make([]byte, 0, 64)
	s := strings.Repeat("héllo <world> ", 4)
	escaped := []byte(`"a\nb\u00e9"`)
	for name, fn := range map[string]func(){
		"AppendString":     func() { buf = AppendString(buf[:0], s) },
		"AppendHTMLString": func() { buf = AppendHTMLString(buf[:0], s) },
		"StringEquals":     func() { _ = StringEquals(escaped, "a\nbé") },
		"KeyEquals":        func() { _ = KeyEquals([]byte("type"), "type") },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = Unquote(escaped, &scratch) }); n != 1 {
		t.Errorf("Unquote: %v allocations, want 1 (the string)", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = UnmarshalString(escaped) }); n != 1 {
		t.Errorf("UnmarshalString: %v allocations, want 1 (the string)", n)
	}
}

func BenchmarkAppendString(b *testing.B) {
	s := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 4) + "\n"
	buf := make([]byte, 0, 512)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendString(buf[:0], s)
	}
}

func BenchmarkUnquote(b *testing.B) {
	raw := []byte(`"The quick brown fox jumps over the lazy dog.\nIt says \"hi\" \u00e9."`)
	var scratch []byte
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Unquote(raw, &scratch)
	}
}

// A long string is appended with one allocation at most, not a chain of
// doublings of dst: a Responses stream's closing events each carry the
// whole answer.
func TestAppendStringGrowsOnce(t *testing.T) {
	long := strings.Repeat("token ", 2000)
	dst := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(20, func() { AppendString(dst, long) }); n != 1 {
		t.Errorf("%v allocations to append a %d-byte string, want 1", n, len(long))
	}
}
