package tokens

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// pieces splits s with the pre-tokenizer of f.
func pieces(f family, s string) []string {
	next := f.splitter()
	var out []string
	for i := 0; i < len(s); {
		j := next(s, i)
		out = append(out, s[i:j])
		i = j
	}
	return out
}

func TestPieces(t *testing.T) {
	tests := []struct {
		f    family
		text string
		want []string
	}{
		{familyGPT2, "Hello  world's\n\n x", []string{"Hello", " ", " world", "'s", "\n\n", " x"}},
		{familyGPT2, "a\t\tb   ", []string{"a", "\t", "\t", "b", "   "}},
		{familyGPT2, "I'LL 12345 ?!", []string{"I", "'", "LL", " 12345", " ?!"}},
		{familyCL100K, "\r\n\t\r\nx", []string{"\r\n\t\r\n", "x"}},
		{familyCL100K, " \r\n \r\n", []string{" \r\n \r\n"}},
		{familyCL100K, "\r\n    \r\nx", []string{"\r\n    \r\n", "x"}},
		{familyCL100K, "x\n  ", []string{"x", "\n  "}}, // \s++$ comes before \s*[\r\n]
		{familyCL100K, "I'LL 12345 ?!\n", []string{"I", "'LL", " ", "123", "45", " ?!\n"}},
		{familyCL100K, "'ſ .word\tword", []string{"'ſ", " .", "word", "\tword"}},
		{familyO200K, "\r\n\t\r\nx", []string{"\r\n\t\r\n", "x"}},
		{familyO200K, "x\n  ", []string{"x", "\n", "  "}},
		{familyO200K, "HelloWORLDThere don't", []string{"Hello", "WORLDThere", " don't"}},
		{familyO200K, "AあいBCD", []string{"Aあい", "BCD"}},
		{familyO200K, "AあいBCDe", []string{"AあいBCDe"}},
		{familyO200K, "//x\n/a", []string{"//", "x", "\n", "/a"}},
		{familyO200K, "a/\n/b", []string{"a", "/\n/", "b"}},
		{familyO200K, "\u0301ABC.", []string{"\u0301", "ABC", "."}},
	}
	for _, tt := range tests {
		if got := pieces(tt.f, tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("family %d: %q\n got %q\nwant %q", tt.f, tt.text, got, tt.want)
		}
	}
}

// referencePatterns are tiktoken's patterns in the dialect of regexp2, a
// backtracking engine: possessive quantifiers become greedy ones (the same
// matches here) except \s++$, which becomes an atomic group anchored with
// \z. The (?:...) wrapper keeps regexp2 from picking the generated matcher
// that tiktoken-go/tokenizer registers for the bare patterns.
var referencePatterns = map[family]string{
	familyGPT2:   `(?:'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|(?>\s+)\z|\s+(?!\S)|\s)`,
	familyCL100K: `(?:'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|(?>\s+)\z|\s*[\r\n]|\s+(?!\S)|\s)`,
	familyO200K:  `(?:[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)`,
}

// TestPiecesMatchRegexp compares the scanners with a runtime backtracking
// regexp engine on random valid text. (The engine works on runes, so
// invalid UTF-8 stays out; its (?i) also lacks the ſ/s folding.)
func TestPiecesMatchRegexp(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	for f, pat := range referencePatterns {
		re := regexp2.MustCompile(pat, regexp2.None)
		compared := 0
		r := rand.New(rand.NewPCG(3, uint64(f)))
		for range n {
			text := randomText(r, 1+r.IntN(40))
			if !utf8.ValidString(text) || strings.ContainsRune(text, 'ſ') {
				continue
			}
			idx, err := re.FindAllStringIndex(text, -1)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, m := range idx {
				want = append(want, text[m[0]:m[1]])
			}
			compared++
			if got := pieces(f, text); !slices.Equal(got, want) {
				t.Fatalf("family %d: %q\n got %q\nwant %q", f, text, got, want)
			}
		}
		t.Logf("family %d: %d random texts split as regexp2 splits them", f, compared)
	}
}
