package server

import (
	"io"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sse"
)

// The per-token path of /stream allocates nothing.
func TestSeedEncodeAllocations(t *testing.T) {
	enc := newSeedEncoder(sse.NewEncoder(io.Discard), "s_0123456789abcdef")
	ev := sluice.Event{Type: sluice.EventText, Text: "a token with \"quotes\" and\nnewlines"}
	seq := uint64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		seq++
		enc.Encode(&ev, seq)
		enc.Flush()
	})
	if allocs > 0 {
		t.Errorf("%.1f allocations per token, want none", allocs)
	}
}

func BenchmarkSeedEncode(b *testing.B) {
	enc := newSeedEncoder(sse.NewEncoder(io.Discard), "s_0123456789abcdef")
	ev := sluice.Event{Type: sluice.EventText, Text: " token"}
	b.ReportAllocs()
	for i := range b.N {
		enc.Encode(&ev, uint64(i))
		enc.Flush()
	}
}
