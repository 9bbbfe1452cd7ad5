package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// simdSet returns the AVX2 kernels when the CPU and OS support AVX2, FMA
// and F16C (every x86-64 CPU since 2013's Haswell does), or nil.
func simdSet() *Set {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA || !cpu.X86.HasF16C {
		return nil
	}
	return &Set{name: "avx2", dotF32: dotF32AVX2, dotF16: dotF16AVX2, dotQ8: dotQ8AVX2, dotQ4: dotQ4AVX2}
}

//go:noescape
func dotF32asm(a, b *float32, n int) float32

//go:noescape
func dotF16asm(w *byte, x *float32, n int) float32

//go:noescape
func dotQ8asm(w *byte, xq *int8, xd *float32, nb int) float32

//go:noescape
func dotQ4asm(w *byte, xq *int8, xd *float32, nb int) float32

func dotF32AVX2(a, b []float32) float32 {
	if len(a) == 0 {
		return 0
	}
	return dotF32asm(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
}

func dotF16AVX2(w []byte, x []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return dotF16asm(unsafe.SliceData(w), unsafe.SliceData(x), len(x))
}

func dotQ8AVX2(w []byte, x *Q8) float32 {
	if len(x.D) == 0 {
		return 0
	}
	return dotQ8asm(unsafe.SliceData(w), unsafe.SliceData(x.Q), unsafe.SliceData(x.D), len(x.D))
}

func dotQ4AVX2(w []byte, x *Q8) float32 {
	if len(x.D) == 0 {
		return 0
	}
	return dotQ4asm(unsafe.SliceData(w), unsafe.SliceData(x.Q), unsafe.SliceData(x.D), len(x.D))
}
