package jsonwire

import (
	"encoding/json"
	"testing"
)

func TestAppendMemberAndWrapObject(t *testing.T) {
	var b []byte
	if WrapObject(b) != nil {
		t.Error("WrapObject of nothing is not nil")
	}
	b = AppendMember(b, []byte("a"), []byte("1"))
	b = AppendMember(b, []byte("b"), []byte(`{"c":[]}`))
	obj := WrapObject(b)
	if string(obj) != `{"a":1,"b":{"c":[]}}` {
		t.Errorf("WrapObject = %s", obj)
	}
	b[0] = 'x'
	if obj[1] != '"' {
		t.Error("WrapObject shares memory with its input")
	}
	// Inside an object or array being written, no comma after the opener.
	if got := AppendMember([]byte(`[{`), []byte("k"), []byte(`"v"`)); string(got) != `[{"k":"v"` {
		t.Errorf("AppendMember after '{' = %s", got)
	}
	if got := Comma(Comma([]byte(`[1`))); string(got) != `[1,` {
		t.Errorf("Comma twice = %s", got)
	}
	if got := AppendKey(nil, "k"); string(got) != `"k":` {
		t.Errorf("AppendKey = %s", got)
	}
}

// write writes the object an encoder of some protocol would, with ov as
// the overlay.
func write(w *Writer, ov []byte) []byte {
	w.Buf = w.Buf[:0]
	w.Open(ov)
	w.StrField("model", "m<1>")
	w.Opt("remote_host")
	if mov, ok := w.Sub("message"); ok {
		w.Open(mov)
		w.StrField("role", "assistant")
		if tov, ok := w.SubArray("calls"); ok {
			w.OpenArray()
			for i := range 2 {
				w.Elem()
				w.Open(Index(tov, i))
				if w.Key("index") {
					w.Int(int64(i))
				}
				w.Close()
			}
			w.CloseArray()
		}
		w.Close()
	}
	if w.Key("done") {
		w.Bool(true)
	}
	if w.Key("args") {
		w.Raw([]byte(`{"x":1}`))
	}
	w.Close()
	return w.Buf
}

func TestWriterOverlay(t *testing.T) {
	tests := []struct {
		name, ov, want string
	}{
		{"no overlay", ``,
			`{"model":"m\u003c1\u003e","message":{"role":"assistant","calls":[{"index":0},{"index":1}]},"done":true,"args":{"x":1}}`},
		{"null", `null`,
			`{"model":"m\u003c1\u003e","message":{"role":"assistant","calls":[{"index":0},{"index":1}]},"done":true,"args":{"x":1}}`},
		{"restored in place and appended", `{"extra":[1],"remote_host":"h","done":false,"message":{"images":null,"role":"user"}}`,
			`{"model":"m\u003c1\u003e","remote_host":"h","message":{"role":"user","calls":[{"index":0},{"index":1}]},"done":false,"args":{"x":1},"extra":[1]}`},
		{"deleted by null", `{"model":null,"message":null,"args":null}`,
			`{"done":true}`},
		{"array elements", `{"message":{"calls":[{"id":"a"},{"index":7,"id":"b"}]}}`,
			`{"model":"m\u003c1\u003e","message":{"role":"assistant","calls":[{"index":0,"id":"a"},{"index":7,"id":"b"}]},"done":true,"args":{"x":1}}`},
		{"a sub-object replaced", `{"message":"gone"}`,
			`{"model":"m\u003c1\u003e","message":"gone","done":true,"args":{"x":1}}`},
		{"not an object", `[1]`,
			`{"model":"m\u003c1\u003e","message":{"role":"assistant","calls":[{"index":0},{"index":1}]},"done":true,"args":{"x":1}}`},
	}
	w := &Writer{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ov []byte
			if tt.ov != "" {
				ov = []byte(tt.ov)
			}
			got := write(w, ov)
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("invalid JSON %s", got)
			}
		})
	}
}

// A Writer reused with a buffer of its own allocates nothing.
func TestWriterAllocs(t *testing.T) {
	w := &Writer{Buf: make([]byte, 0, 512)}
	ov := []byte(`{"extra":1,"message":{"calls":[{"id":"a"}]}}`)
	write(w, ov) // grow the stack
	if n := testing.AllocsPerRun(100, func() { write(w, ov) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
