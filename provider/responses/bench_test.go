package responses

import (
	"bytes"
	"io"
	"testing"

	"github.com/sluicehq/sluice"
)

// BenchmarkEncodeText measures the relay's cost per text delta.
func BenchmarkEncodeText(b *testing.B) {
	ev := sluice.Event{Type: sluice.EventText, Text: " token"}
	e := NewEncoder(io.Discard, EncoderOptions{ID: "resp_1"})
	b.ReportAllocs()
	for b.Loop() {
		e.Encode(&ev)
		e.Flush()
	}
}

// BenchmarkDecodeText measures the decoder's cost per text delta.
func BenchmarkDecodeText(b *testing.B) {
	var buf bytes.Buffer
	e := NewEncoder(&buf, EncoderOptions{ID: "resp_1"})
	ev := sluice.Event{Type: sluice.EventText, Text: " token"}
	const n = 1000
	for range n {
		e.Encode(&ev)
	}
	e.End()
	e.Flush()
	data := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(data))
		for {
			if _, err := d.Next(); err != nil {
				break
			}
		}
	}
}
