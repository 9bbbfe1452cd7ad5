package sim

import "testing"

// FuzzParseBehavior: the grammar never panics, and a behaviour written back
// with String reads back as itself.
func FuzzParseBehavior(f *testing.F) {
	for _, s := range []string{"", "text", "reasoning+tools+cache", "gpt-4o+429", "status=503*2", "stall@5:2s",
		"midstream_error@3:529", "truncate@0+malformed@1", "unknown_event@9*1", "tokens=5,echo", "signed", "a@b:c*d=e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBehavior(s)
		if err != nil {
			return
		}
		again, err := ParseBehavior(b.String())
		if err != nil {
			t.Fatalf("%q parsed as %q, which does not parse: %v", s, b.String(), err)
		}
		if again.String() != b.String() {
			t.Fatalf("%q parsed as %q, which reads back as %q", s, b.String(), again.String())
		}
	})
}
