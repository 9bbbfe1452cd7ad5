package tokenizer

import "testing"

// FuzzRoundTrip checks that byte-level BPE gives back any input, and that
// SentencePiece with byte fallback gives back any valid text without "▁".
func FuzzRoundTrip(f *testing.F) {
	for _, s := range roundTripInputs {
		f.Add(s)
	}
	bpe := bpeVocab(f, "llama3")
	gpt2 := bpeVocab(f, "gpt2")
	spm := spmVocab(f, nil)
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range []*Tokenizer{bpe, gpt2} {
			if got := tok.Decode(tok.Encode(s, false)); got != s {
				t.Fatalf("BPE: %q -> %q", s, got)
			}
		}
		if got := spm.Decode(spm.Encode(s, false)); got != s && validNoMarker(s) {
			t.Fatalf("SentencePiece: %q -> %q", s, got)
		}
	})
}

func validNoMarker(s string) bool {
	for _, r := range s {
		if r == '▁' || r == '\uFFFD' {
			return false
		}
	}
	return true
}
