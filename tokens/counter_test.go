package tokens

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// atoms are the building blocks of randomText: each is chosen to sit on
// an edge of some pattern alternative.
var atoms = []string{
	"hello", " world", "The", " QUICK", "bRoWn", "x", "I", " a",
	"'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'LL", "'S", "'ſ", "'", "don't", "WE'RE",
	"0", "7", "42", "123", "4567", " 89", "3.14", "½", "²", "Ⅻ", "٣",
	".", ",", "!", "?!", "...", "--", "/", "//", "(", ")", "{", "}", "\"", ":", ";", "<", ">", "|",
	"<|", "|>", "<|endoftext|>", "<|endofprompt|>", "<|fim_prefix|>", "<|endo",
	" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", "\r", " \n", "\n ", "\r\n\t\r\n", " \r\n \r\n",
	"\u00a0", "\u3000", "\u0085", "\u2028", "\v", "\f",
	"日本語", "のテキスト", "中文", "한국어", "漢字", "カタカナ",
	"Привет", " мир", "ЁЖИК", "Ελληνικά", "ΣΟΦΙΑ", "ABCDEFGHIJKL", "ǅ", "ǈemo", "ʰ", "ʼ", "ª",
	"\u0301", "e\u0301", "A\u0308", "\u0915\u093f", "हिन्दी", "עברית", "العربية",
	"👋", "🌍", "👨‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "🇯🇵", "\ufe0f",
	"\xff", "\xe6\x97", "\xc3", "\x80", "\xf0\x9f\x91",
	"func main() {", "\t\treturn nil\n", `{"id":1,"ok":true}`, "data: {}\n\n", "http://x.io/a/b",
}

// randomText joins n random atoms.
func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(atoms[r.IntN(len(atoms))])
	}
	return b.String()
}

// allEncodings returns the four encodings and their special-token views.
func allEncodings() []*Encoding {
	var es []*Encoding
	for _, name := range Names() {
		e := mustGet(name)
		es = append(es, e, e.WithSpecialTokens())
	}
	return es
}

func encodingName(e *Encoding) string {
	if e.special {
		return e.Name() + "+special"
	}
	return e.Name()
}

// TestCounterProperty feeds random texts in random fragments (cutting
// UTF-8 sequences too) and checks after every fragment that the streaming
// count equals Count of the whole text so far.
func TestCounterProperty(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	for _, e := range allEncodings() {
		t.Run(encodingName(e), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(len(encodingName(e)))))
			for round := range rounds {
				text := randomText(r, 1+r.IntN(60))
				c := e.NewCounter()
				if round%2 == 1 {
					// Exercise the long-piece paths on short text too.
					c.longPiece, c.anchorWindow = 4+r.IntN(8), 1+r.IntN(6)
				}
				for at := 0; at < len(text); {
					end := min(len(text), at+1+r.IntN(12))
					got := c.Add(text[at:end])
					if want := e.Count(text[:end]); got != want {
						t.Fatalf("round %d: after %q (of %q): Counter %d, Count %d", round, text[:end], text, got, want)
					}
					at = end
				}
			}
		})
	}
}

// runawayText returns text like a runaway generation: long runs of one
// unit, entered and left in the ways the pre-tokenizers treat specially.
func runawayText(r *rand.Rand, runLen int) string {
	units := []string{"a", "ab", "Ab", "aB", "A", "哈", "哈A", "!", "!?", "<|", " ", "  \t", "\n", " \n", "\r\n",
		"1", "12", "Ёж", "ʰ", "e\u0301", "/", "\t", "'s", "\xff", "😀", "\u3000"}
	joins := []string{"", " ", "x", "X", "!", "\n", "'", "1", "哈", "\u0301", "/", "<|endoftext|>"}
	var b strings.Builder
	for range 1 + r.IntN(3) {
		b.WriteString(joins[r.IntN(len(joins))])
		u := units[r.IntN(len(units))]
		b.WriteString(strings.Repeat(u, 1+runLen/len(u)))
	}
	b.WriteString(joins[r.IntN(len(joins))])
	return b.String()
}

// TestCounterRunaway streams runaway-like texts through counters whose
// long-piece thresholds are small, so the anchor and the run fast path do
// most of the work, and checks the count after every fragment.
func TestCounterRunaway(t *testing.T) {
	rounds := 150
	if testing.Short() {
		rounds = 30
	}
	for _, e := range allEncodings() {
		t.Run(encodingName(e), func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, uint64(len(encodingName(e)))))
			misses := 0
			for round := range rounds {
				text := runawayText(r, 40+r.IntN(200))
				c := e.NewCounter()
				c.longPiece, c.anchorWindow = 8+r.IntN(32), 1+r.IntN(16)
				for at := 0; at < len(text); {
					end := min(len(text), at+1+r.IntN(6))
					got := c.Add(text[at:end])
					if want := e.Count(text[:end]); got != want {
						t.Fatalf("round %d: after %q: Counter %d, Count %d", round, text[:end], got, want)
					}
					at = end
				}
				misses += c.anchorMisses
			}
			t.Logf("anchor dropped %d times in %d streams", misses, rounds)
		})
	}
}

// TestCounterRunawayCost streams a long runaway piece of each kind in
// 4-byte fragments, the size of one streamed token, and logs the
// time: linear, where re-encoding the piece on each fragment took minutes
// for 64 KB.
func TestCounterRunawayCost(t *testing.T) {
	size := 256 << 10 // 1 MB takes 0.5 to 9 s a kind on a loaded 2-core machine
	if testing.Short() {
		size = 64 << 10
	}
	for _, name := range []string{"cl100k_base", "o200k_base"} {
		e := mustGet(name)
		for _, unit := range []string{"a", "ab", "!", " ", "\n", "哈", "Ab"} {
			text := strings.Repeat(unit, size/len(unit))
			c := e.NewCounter()
			start := time.Now()
			for i := 0; i < len(text); i += 4 {
				c.Add(text[i:min(len(text), i+4)])
			}
			took := time.Since(start)
			if want := e.Count(text); c.Count() != want {
				t.Errorf("%s %q: Counter %d, Count %d", name, unit, c.Count(), want)
			}
			t.Logf("%-11s %6q x %d KB: %v, anchor dropped %d times", name, unit, size>>10, took.Round(time.Millisecond), c.anchorMisses)
		}
	}
}

// TestCounterEveryCut cuts fixed texts at every byte, the way STYLE.md asks
// of every decoder.
func TestCounterEveryCut(t *testing.T) {
	texts := []string{
		"Hello, world! Don't stop\r\n\t\r\n   now.",
		"AあいBCDe 日本語のテキスト   \n  x AあいBCDEFGHIJKLMNOPe",
		"we'LL see'ſ 1234567 ½² <|endoftext|>x<|endo",
		"👨‍👩‍👧‍👦 Привет\u3000мир\u00a0\u0301e\xff\xe6\x97",
	}
	for _, e := range allEncodings() {
		for _, text := range texts {
			want := e.Count(text)
			for cut := range len(text) + 1 {
				c := e.NewCounter()
				c.Add(text[:cut])
				if got := c.Add(text[cut:]); got != want {
					t.Errorf("%s: %q cut at %d: %d, want %d", encodingName(e), text, cut, got, want)
				}
			}
		}
	}
}

// TestCounterKeepsTailShort checks that the counter does not re-encode
// the whole text: after a long stream of ordinary prose its tail is short.
func TestCounterKeepsTailShort(t *testing.T) {
	e := mustGet("o200k_base")
	c := e.NewCounter()
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 2000)
	for i := 0; i < len(text); i += 7 {
		c.Add(text[i:min(len(text), i+7)])
	}
	if c.Count() != e.Count(text) {
		t.Fatalf("Count %d, want %d", c.Count(), e.Count(text))
	}
	if len(c.tail) > 16 {
		t.Errorf("tail is %d bytes (%q); want only the last word or so", len(c.tail), c.tail)
	}
}

func TestSpecialTokens(t *testing.T) {
	tests := []struct {
		enc, text string
		ordinary  int // tokens without special tokens (at least)
		special   []int
	}{
		{"cl100k_base", "<|endoftext|>", 7, []int{100257}},
		{"cl100k_base", "a<|fim_prefix|>b<|endofprompt|>", 9, []int{64, 100258, 65, 100276}},
		{"o200k_base", "<|endoftext|>", 7, []int{199999}},
		{"r50k_base", "<|endoftext|><|endoftext|>", 12, []int{50256, 50256}},
		{"p50k_base", "x<|endoftext", 6, []int{87, 27, 91, 437, 1659, 5239}},
	}
	for _, tt := range tests {
		e := mustGet(tt.enc)
		if n := e.Count(tt.text); n < tt.ordinary {
			t.Errorf("%s: Count(%q) = %d, want plain text (%d or more)", tt.enc, tt.text, n, tt.ordinary)
		}
		s := e.WithSpecialTokens()
		got := s.Encode(tt.text)
		if !equalInts(got, tt.special) {
			t.Errorf("%s special: Encode(%q) = %v, want %v", tt.enc, tt.text, got, tt.special)
		}
		if back, err := s.Decode(got); err != nil || back != tt.text {
			t.Errorf("%s: Decode = %q, %v", tt.enc, back, err)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReachIsSafe checks the claim Counter rests on, piece by piece rather
// than through counts (which can agree by chance): every leading piece of
// a prefix that reach calls settled is a piece of every longer text.
func TestReachIsSafe(t *testing.T) {
	for _, name := range Names() {
		e := mustGet(name)
		next := e.def.family.splitter()
		r := rand.New(rand.NewPCG(2, uint64(len(name))))
		for range 2000 {
			text := randomText(r, 1+r.IntN(30))
			whole := map[[2]int]bool{}
			for i := 0; i < len(text); {
				j := next(text, i)
				whole[[2]int{i, j}] = true
				i = j
			}
			cut := r.IntN(len(text) + 1)
			prefix := text[:cut]
			for i := 0; i < len(prefix); {
				j := next(prefix, i)
				if reach(e.def.family, prefix, i, j) > len(prefix) {
					break
				}
				if !whole[[2]int{i, j}] {
					t.Fatalf("%s: piece %q of %q is not a piece of %q", name, prefix[i:j], prefix, text)
				}
				i = j
			}
		}
	}
}
