package responses

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func addStreamSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.sse"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(len(name)*7))
	}
}

// FuzzDecoder checks that the decoder never panics and that its events do
// not depend on where the input is cut.
func FuzzDecoder(f *testing.F) {
	addStreamSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		want := transcript(decodeAll(bytes.NewReader(data)))
		i := int(cut) % (len(data) + 1)
		got := transcript(decodeAll(io.MultiReader(bytes.NewReader(data[:i]), bytes.NewReader(data[i:]))))
		if got != want {
			t.Fatalf("cut at %d:\n%s\nwhole:\n%s", i, got, want)
		}
	})
}

// FuzzRelay checks that whatever decodes cleanly, re-encoded, passes the
// grammar check.
func FuzzRelay(f *testing.F) {
	addStreamSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, _ uint16) {
		evs, err := decodeAll(bytes.NewReader(data))
		if err != nil {
			return
		}
		out := encode(t, EncoderOptions{Native: true}, evs, true)
		if _, err := Check(bytes.NewReader(out)); err != nil {
			t.Fatalf("%v\ninput:\n%s\nwritten:\n%s", err, data, out)
		}
	})
}

// FuzzParseRequest checks that the request parser never panics and that
// what it accepts builds a request that parses again.
func FuzzParseRequest(f *testing.F) {
	for _, tt := range parseTests {
		f.Add([]byte(tt.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, _, err := ParseRequest(body)
		if err != nil {
			return
		}
		b, err := BuildRequest(req, true)
		if err != nil {
			return // a message role the builder refuses
		}
		if _, _, err := ParseRequest(b); err != nil {
			t.Fatalf("the built request does not parse: %v\n%s", err, b)
		}
	})
}
