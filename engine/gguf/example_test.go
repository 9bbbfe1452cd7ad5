package gguf_test

import (
	"bytes"
	"fmt"

	"github.com/sluicehq/sluice/engine/gguf"
)

// A file written with Writer reads back with Parse.
func Example() {
	var w gguf.Writer
	w.AddKV("general.architecture", gguf.NewValue("llama"))
	w.AddKV("llama.block_count", gguf.NewValue(uint32(6)))
	w.AddTensor("output_norm.weight", gguf.F32, []uint64{4}, make([]byte, 16))
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		panic(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		panic(err)
	}
	t, _ := f.Tensor("output_norm.weight")
	fmt.Println(f.Architecture(), f.Int("llama.block_count", 0), t.Type, t.Dims, len(f.TensorData(t)))
	// Output: llama 6 F32 [4] 16
}
