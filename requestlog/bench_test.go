package requestlog

import (
	"testing"
)

// BenchmarkRecord is the cost of logging one response: queued by Record
// and written by the Store's writer, as a gateway's streams end in bursts.
func BenchmarkRecord(b *testing.B) {
	for _, tt := range []struct {
		name  string
		burst int
	}{{"one at a time", 1}, {"bursts of 100", 100}} {
		b.Run(tt.name, func(b *testing.B) {
			s, err := Open(Memory, Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			e := entry(1)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s.Record(e)
				if i++; i%tt.burst == 0 {
					s.Sync(b.Context())
				}
			}
			s.Sync(b.Context())
			if d := s.Dropped(); d > 0 {
				b.Fatalf("%d entries dropped", d)
			}
		})
	}
}
