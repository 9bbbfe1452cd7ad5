package gguf

import "testing"

// FuzzParse feeds arbitrary bytes to the header and metadata parser. Parse
// must never panic or allocate without bound, and every tensor it accepts
// must lie inside the input.
func FuzzParse(f *testing.F) {
	f.Add(sample(f))
	f.Add(header(3, 0, 0))
	f.Add(tensorHeader("t", []uint64{4, 2}, F32, 0))
	f.Add([]byte("GGUF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(data)
		if err != nil {
			return
		}
		for i := range g.Tensors {
			d := g.TensorData(&g.Tensors[i])
			if uint64(len(d)) != g.Tensors[i].Size {
				t.Fatalf("tensor %q: %d bytes, want %d", g.Tensors[i].Name, len(d), g.Tensors[i].Size)
			}
		}
		for _, kv := range g.KV {
			_ = kv.Value.String()
		}
	})
}
