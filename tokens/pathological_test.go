package tokens

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestPathological encodes inputs that make regexp-based tokenizers
// backtrack or byte-pair merging go quadratic: a megabyte of spaces (one
// piece under \s+(?!\S)), of one letter (one piece to merge), and of
// random bytes. There is no timed assertion, since shared machines make
// time noise; the durations are logged, and a quadratic algorithm would
// not finish in the test's time anyway.
func TestPathological(t *testing.T) {
	const size = 1 << 20
	r := rand.New(rand.NewPCG(9, 9))
	random := make([]byte, size)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	inputs := []struct{ name, text string }{
		{"1MB spaces", strings.Repeat(" ", size)},
		{"1MB spaces then x", strings.Repeat(" ", size) + "x"},
		{"1MB CRLF and tabs", strings.Repeat("\r\n\t", size/3)},
		{"1MB one letter", strings.Repeat("a", size)},
		{"1MB one digit", strings.Repeat("7", size)},
		{"1MB random bytes", string(random)},
		{"1MB CJK", strings.Repeat("語", size/3)},
	}
	for _, name := range Names() {
		e := mustGet(name)
		e.Count("warm up")
		for _, in := range inputs {
			start := time.Now()
			ids := e.Encode(in.text)
			took := time.Since(start)
			if back, err := e.Decode(ids); err != nil || back != in.text {
				t.Errorf("%s %s: Decode(Encode(s)) != s (%v)", name, in.name, err)
			}
			t.Logf("%-11s %-18s %8d tokens in %v", name, in.name, len(ids), took.Round(time.Millisecond))
		}
	}
}
