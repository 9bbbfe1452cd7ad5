package jsonwire

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestAppendCompact(t *testing.T) {
	for _, in := range []string{
		`{}`, ` { "a" : [ 1 , 2 , { "b" : "x y" } ] , "c":"\" } " }`,
		"\t[\n\"a\\\\\",\r\n null ]\n", `"  spaces  inside  "`, `{"k":"é \u2028 <>&"}`,
	} {
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(in)); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := AppendCompact([]byte("prefix:"), []byte(in)); string(got) != "prefix:"+want.String() {
			t.Errorf("AppendCompact(%q) = %q, want %q", in, got, "prefix:"+want.String())
		}
	}
	compact := []byte(`{"messages":[{"role":"user","content":"hi there"}]}`)
	if n := testing.AllocsPerRun(100, func() { AppendCompact(make([]byte, 0, 64), compact) }); n > 1 {
		t.Errorf("%v allocations", n)
	}
}

// FuzzAppendCompact checks AppendCompact against json.Compact on valid JSON
// and that it never panics on anything else.
func FuzzAppendCompact(f *testing.F) {
	f.Add([]byte(` { "a" : [ 1 , "b c" ] } `))
	f.Add([]byte(`"\"\\ "`))
	f.Add([]byte(`[1, {"x":null}, "\u00e9"]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		got := AppendCompact(nil, in)
		if !json.Valid(in) {
			return
		}
		var want bytes.Buffer
		if err := json.Compact(&want, in); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("AppendCompact(%q) = %q, want %q", in, got, want.Bytes())
		}
	})
}
