package ollama

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecoder checks that no input panics the decoder and that an input cut
// in two at any point decodes to the same events and error as uncut. Every
// stream it decodes cleanly must also survive the encoder.
func FuzzDecoder(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.ndjson"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(len(b)/2))
	}
	f.Add([]byte(`{"error":"boom"}`+"\n"), uint16(3))
	f.Add([]byte(`{"model":"m","message":{"content":"a","tool_calls":[{"function":{"name":"f","arguments":"{}"}}]},"done":true}`), uint16(10))
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		want, wantErr := decodeAll(bytes.NewReader(in))
		i := int(cut) % (len(in) + 1)
		got, err := decodeAll(io.MultiReader(bytes.NewReader(in[:i]), bytes.NewReader(in[i:])))
		if errString(err) != errString(wantErr) || !equalEvents(got, want) {
			t.Fatalf("cut at %d: %v / %v\n got: %s\nwant: %s", i, err, wantErr, dump(got), dump(want))
		}
		if wantErr != nil {
			return
		}
		var out bytes.Buffer
		enc := NewEncoder(&out, EncoderOptions{})
		for k := range want {
			if err := enc.Encode(&want[k]); err != nil {
				t.Fatal(err)
			}
		}
		if err := enc.End(); err != nil {
			t.Fatal(err)
		}
		// What the encoder writes, the decoder reads.
		if _, err := decodeAll(&out); err != nil {
			t.Fatalf("re-decoding the encoder's output: %v\n%s", err, out.Bytes())
		}
	})
}

// FuzzParseRequest checks that no body panics ParseRequest, and that what it
// accepts BuildRequest can send.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"hi","images":["iVBORw0KGgo="]}],"options":{"temperature":0.1,"num_predict":5}}`))
	f.Add([]byte(`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":{"a":1}}}]},{"role":"tool","content":"x"}],"think":"high","stream":false}`))
	f.Add([]byte(`{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"u"}],"tools":[{"type":"function","function":{"name":"f"}}],"format":{"type":"object"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, info, err := ParseRequest(body)
		if err != nil {
			return
		}
		out, err := BuildRequest(req, info.Stream)
		if err != nil {
			t.Fatalf("BuildRequest of a parsed request: %v", err)
		}
		if _, _, err := ParseRequest(out); err != nil {
			t.Fatalf("ParseRequest of BuildRequest's output: %v\n%s", err, out)
		}
	})
}
