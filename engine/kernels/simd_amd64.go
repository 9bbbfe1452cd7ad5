package kernels

import (
	"unsafe"

	"github.com/sluicehq/sluice/engine/gguf"
	"golang.org/x/sys/cpu"
)

// simdSet returns the AVX2 kernels when the CPU and OS support AVX2, FMA
// and F16C (every x86-64 CPU since 2013's Haswell does), or nil.
func simdSet() *Set {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA || !cpu.X86.HasF16C {
		return nil
	}
	return &Set{name: "avx2", dotF32: dotF32AVX2, dotF16: dotF16AVX2, dotQ8: dotQ8AVX2, dotQ4: dotQ4AVX2, rows: rowsAVX2, scratch: newScratch()}
}

// The assembly computes out[r] = row r · x for rows rows, rowBytes apart.

//go:noescape
func matVecF32asm(w *float32, rowBytes int, x *float32, n int, out *float32, rows int)

//go:noescape
func matVecF16asm(w *byte, rowBytes int, x *float32, n int, out *float32, rows int)

//go:noescape
func matVecQ8asm(w *byte, rowBytes int, xq *int8, xd *float32, nb int, out *float32, rows int)

//go:noescape
func matVecQ4asm(w *byte, rowBytes int, xq *int8, xd *float32, nb int, out *float32, rows int)

func dotF32AVX2(a, b []float32) float32 {
	var r float32
	if len(a) > 0 {
		matVecF32asm(unsafe.SliceData(a), 0, unsafe.SliceData(b), len(a), &r, 1)
	}
	return r
}

func dotF16AVX2(w []byte, x []float32) float32 {
	var r float32
	if len(x) > 0 {
		matVecF16asm(unsafe.SliceData(w), 0, unsafe.SliceData(x), len(x), &r, 1)
	}
	return r
}

func dotQ8AVX2(w []byte, x *Q8) float32 {
	var r float32
	if len(x.D) > 0 {
		matVecQ8asm(unsafe.SliceData(w), 0, unsafe.SliceData(x.Q), unsafe.SliceData(x.D), len(x.D), &r, 1)
	}
	return r
}

func dotQ4AVX2(w []byte, x *Q8) float32 {
	var r float32
	if len(x.D) > 0 {
		matVecQ4asm(unsafe.SliceData(w), 0, unsafe.SliceData(x.Q), unsafe.SliceData(x.D), len(x.D), &r, 1)
	}
	return r
}

// rowsAVX2 is MatVec in assembly. The caller has checked the bounds.
func rowsAVX2(out []float32, m *Matrix, x []float32, xq *Q8, lo, hi int) {
	if hi <= lo {
		return
	}
	n := hi - lo
	w := unsafe.Pointer(&m.Data[lo*m.RowBytes])
	o := &out[0]
	switch m.Type {
	case gguf.F32:
		matVecF32asm((*float32)(w), m.RowBytes, unsafe.SliceData(x), m.Cols, o, n)
	case gguf.F16:
		matVecF16asm((*byte)(w), m.RowBytes, unsafe.SliceData(x), m.Cols, o, n)
	case gguf.Q8_0:
		matVecQ8asm((*byte)(w), m.RowBytes, unsafe.SliceData(xq.Q), unsafe.SliceData(xq.D), len(xq.D), o, n)
	case gguf.Q4_0:
		matVecQ4asm((*byte)(w), m.RowBytes, unsafe.SliceData(xq.Q), unsafe.SliceData(xq.D), len(xq.D), o, n)
	}
}
