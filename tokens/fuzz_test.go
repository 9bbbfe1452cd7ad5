package tokens

import (
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"", "Hello, world!", "\r\n\t\r\n", " \r\n \r\n", "don't WE'LL 'ſ", "AあいBCDe",
	"日本語のテキスト 👨‍👩‍👧‍👦", "<|endoftext|>x<|endo", "\xff\xe6\x97", "   \n  x", "1234567",
}

// FuzzEncode checks that encoding never panics on any bytes, that every
// id decodes, and that Decode(Encode(s)) == s: for valid UTF-8 as the
// contract, and for invalid bytes too, which are encoded as raw bytes.
func FuzzEncode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, e := range allEncodings() {
			ids := e.Encode(s)
			if n := e.Count(s); n != len(ids) {
				t.Fatalf("%s: Count %d, len(Encode) %d", encodingName(e), n, len(ids))
			}
			back, err := e.Decode(ids)
			if err != nil {
				t.Fatalf("%s: Decode: %v", encodingName(e), err)
			}
			if back != s {
				t.Fatalf("%s: Decode(Encode(%q)) = %q (valid UTF-8: %v)", encodingName(e), s, back, utf8.ValidString(s))
			}
		}
	})
}

// FuzzCounter splits fuzzed text at a fuzzed point and checks the
// streaming count against the whole count, after each half; then again in
// three parts. It runs each counter also with tiny long-piece thresholds,
// so the anchor and run fast path see fuzzed input.
func FuzzCounter(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, uint(i*3))
	}
	f.Fuzz(func(t *testing.T, s string, cut uint) {
		k := int(cut % uint(len(s)+1))
		for _, e := range allEncodings() {
			for _, small := range []bool{false, true} {
				c := e.NewCounter()
				if small { // reach the long-piece paths with short input
					c.longPiece, c.anchorWindow = 4+int(cut%16), 1+int(cut%7)
				}
				if got, want := c.Add(s[:k]), e.Count(s[:k]); got != want {
					t.Fatalf("%s: first part %q: %d, want %d", encodingName(e), s[:k], got, want)
				}
				if got, want := c.Add(s[k:]), e.Count(s); got != want {
					t.Fatalf("%s: %q cut at %d: %d, want %d", encodingName(e), s, k, got, want)
				}
				third := k + (len(s)-k)/2
				c = e.NewCounter()
				if small {
					c.longPiece, c.anchorWindow = 4+int(cut%16), 1+int(cut%7)
				}
				for _, part := range []string{s[:k], s[k:third], s[third:]} {
					c.Add(part)
				}
				if got, want := c.Count(), e.Count(s); got != want {
					t.Fatalf("%s: %q in three parts (%d, %d): %d, want %d", encodingName(e), s, k, third, got, want)
				}
			}
		}
	})
}
