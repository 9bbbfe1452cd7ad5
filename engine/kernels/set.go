package kernels

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/sluicehq/sluice/engine/gguf"
)

// Set is one implementation of the kernels. Make it with [Detect] or
// [Portable]; it is immutable and safe for concurrent use.
type Set struct {
	name   string
	dotF32 func(a, b []float32) float32
	dotF16 func(w []byte, x []float32) float32
	dotQ8  func(w []byte, x *Q8) float32
	dotQ4  func(w []byte, x *Q8) float32
	rows   func(out []float32, m *Matrix, x []float32, xq *Q8, lo, hi int)
	// scratch holds *[]float32 row buffers for the dequantising kernels.
	scratch *sync.Pool
}

func newScratch() *sync.Pool {
	return &sync.Pool{New: func() any { return new([]float32) }}
}

// Portable returns the pure Go kernels, which every platform runs.
func Portable() *Set {
	s := &Set{name: "portable", dotF32: dotF32Go, dotF16: dotF16Go, dotQ8: dotQ8Go, dotQ4: dotQ4Go, scratch: newScratch()}
	s.rows = s.rowDots
	return s
}

// Detect returns the fastest kernels this CPU supports: AVX2+FMA+F16C
// assembly on amd64 when present, otherwise [Portable].
func Detect() *Set {
	if s := simdSet(); s != nil {
		return s
	}
	return Portable()
}

// Name says which implementation this is, such as "avx2" or "portable".
func (s *Set) Name() string { return s.name }

// DotF32 returns the dot product of a and b, which must have equal lengths.
func (s *Set) DotF32(a, b []float32) float32 {
	if len(a) != len(b) {
		panic("kernels: DotF32 length mismatch")
	}
	return s.dotF32(a, b)
}

// DotF16 returns the dot product of the half-precision row w (2 bytes per
// element, little-endian) with x.
func (s *Set) DotF16(w []byte, x []float32) float32 {
	if len(w) != 2*len(x) {
		panic("kernels: DotF16 length mismatch")
	}
	return s.dotF16(w, x)
}

// DotQ8_0 returns the dot product of a Q8_0 row w with the quantised vector
// x. w holds len(x.D) blocks of 34 bytes.
func (s *Set) DotQ8_0(w []byte, x *Q8) float32 {
	if len(w) != len(x.D)*q8BlockBytes || len(x.Q) != len(x.D)*QK {
		panic("kernels: DotQ8_0 length mismatch")
	}
	return s.dotQ8(w, x)
}

// DotQ4_0 returns the dot product of a Q4_0 row w with the quantised vector
// x. w holds len(x.D) blocks of 18 bytes.
func (s *Set) DotQ4_0(w []byte, x *Q8) float32 {
	if len(w) != len(x.D)*q4BlockBytes || len(x.Q) != len(x.D)*QK {
		panic("kernels: DotQ4_0 length mismatch")
	}
	return s.dotQ4(w, x)
}

// QK is the number of elements in a Q8_0 or Q4_0 block.
const QK = 32

const (
	q8BlockBytes = 34 // f16 scale + 32 int8
	q4BlockBytes = 18 // f16 scale + 16 bytes of nibbles
)

// Q8 is a vector quantised to blocks of [QK] int8 values with one float32
// scale per block: element i is Q[i] * D[i/QK]. The integer kernels take
// their activations in this form. Reuse a Q8 across calls to avoid
// allocation.
type Q8 struct {
	Q []int8
	D []float32
}

// Quantize sets q to x quantised, growing its buffers as needed. len(x) must
// be a multiple of [QK]. Each block is scaled so its largest magnitude maps
// to 127, and values are rounded to nearest, as llama.cpp's
// quantize_row_q8_0 does.
func (q *Q8) Quantize(x []float32) {
	if len(x)%QK != 0 {
		panic(fmt.Sprintf("kernels: Quantize of %d values, not a multiple of %d", len(x), QK))
	}
	nb := len(x) / QK
	if cap(q.Q) < len(x) {
		q.Q = make([]int8, len(x))
		q.D = make([]float32, nb)
	}
	q.Q, q.D = q.Q[:len(x)], q.D[:nb]
	for b := range nb {
		blk := x[b*QK : b*QK+QK]
		amax := float32(0)
		for _, v := range blk {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		d := amax / 127
		q.D[b] = d
		inv := float32(0)
		if d != 0 {
			inv = 1 / d
		}
		out := q.Q[b*QK : b*QK+QK]
		for i, v := range blk {
			out[i] = int8(math.Round(float64(v * inv)))
		}
	}
}

// Matrix is a weight tensor seen as Rows rows of Cols elements, in one of
// the types the kernels support. It aliases the file's memory.
type Matrix struct {
	Type       gguf.Type
	Rows, Cols int
	// Data holds Rows rows of RowBytes bytes each.
	Data     []byte
	RowBytes int
	f32      []float32
}

// ErrUnsupportedType is wrapped by [NewMatrix] for a tensor type the
// kernels cannot compute with.
var ErrUnsupportedType = errors.New("kernels: unsupported tensor type")

// Supported reports whether the kernels can multiply by a matrix of type t.
func Supported(t gguf.Type) bool {
	switch t {
	case gguf.F32, gguf.F16, gguf.Q8_0, gguf.Q4_0, gguf.Q4_K, gguf.Q6_K:
		return true
	}
	return false
}

// NewMatrix wraps data, which must hold exactly rows×cols elements of type
// t, as a Matrix. It fails for a type the kernels cannot compute with.
func NewMatrix(t gguf.Type, rows, cols int, data []byte) (*Matrix, error) {
	if !Supported(t) {
		return nil, fmt.Errorf("%w %s (F32, F16, Q8_0, Q4_0, Q4_K and Q6_K are); convert the model to one of those, e.g. with llama.cpp's llama-quantize to Q8_0", ErrUnsupportedType, t)
	}
	rb, ok := t.RowBytes(uint64(cols))
	if !ok || rows <= 0 || uint64(len(data)) != rb*uint64(rows) {
		return nil, fmt.Errorf("kernels: %d bytes cannot hold %d×%d %s", len(data), rows, cols, t)
	}
	m := &Matrix{Type: t, Rows: rows, Cols: cols, Data: data, RowBytes: int(rb)}
	if t == gguf.F32 {
		m.f32 = bytesToF32(data)
	}
	return m, nil
}

// NeedsQ8 reports whether products with m take the activations as [Q8].
func (m *Matrix) NeedsQ8() bool { return m.Type == gguf.Q8_0 || m.Type == gguf.Q4_0 }

// Row writes row r of m, dequantised, into dst (len Cols).
func (m *Matrix) Row(dst []float32, r int) {
	row := m.Data[r*m.RowBytes : (r+1)*m.RowBytes]
	switch m.Type {
	case gguf.F32:
		copy(dst, m.f32[r*m.Cols:(r+1)*m.Cols])
	case gguf.F16:
		for i := range dst {
			dst[i] = HalfToFloat(binary.LittleEndian.Uint16(row[2*i:]))
		}
	case gguf.Q8_0:
		for b := range m.Cols / QK {
			blk := row[b*q8BlockBytes:]
			d := HalfToFloat(binary.LittleEndian.Uint16(blk))
			for i := range QK {
				dst[b*QK+i] = float32(int8(blk[2+i])) * d
			}
		}
	case gguf.Q4_0:
		for b := range m.Cols / QK {
			blk := row[b*q4BlockBytes:]
			d := HalfToFloat(binary.LittleEndian.Uint16(blk))
			for i := range QK / 2 {
				dst[b*QK+i] = float32(int(blk[2+i]&0x0f)-8) * d
				dst[b*QK+i+QK/2] = float32(int(blk[2+i]>>4)-8) * d
			}
		}
	case gguf.Q4_K:
		for b := range m.Cols / QKK {
			dequantQ4K(dst[b*QKK:(b+1)*QKK], row[b*q4kBlockSize:])
		}
	case gguf.Q6_K:
		for b := range m.Cols / QKK {
			dequantQ6K(dst[b*QKK:(b+1)*QKK], row[b*q6kBlockSize:])
		}
	}
}

// MatVec sets out[r-lo] = row r of m · x for rows lo ≤ r < hi. xq must hold
// x quantised (see [Q8.Quantize]) when [Matrix.NeedsQ8], and is ignored
// otherwise. It runs on the calling goroutine; spread a product over cores
// by giving each worker of a [Pool] its own range.
func (s *Set) MatVec(out []float32, m *Matrix, x []float32, xq *Q8, lo, hi int) {
	if lo < 0 || hi > m.Rows || len(out) < hi-lo || len(x) != m.Cols {
		panic("kernels: MatVec arguments out of range")
	}
	if m.NeedsQ8() && (xq == nil || len(xq.Q) != m.Cols) {
		panic("kernels: MatVec of a quantised matrix needs x quantised")
	}
	if m.Type == gguf.Q4_K || m.Type == gguf.Q6_K {
		// Dequantise a row at a time into a buffer that stays in L1.
		buf := s.scratch.Get().(*[]float32)
		if cap(*buf) < m.Cols {
			*buf = make([]float32, m.Cols)
		}
		row := (*buf)[:m.Cols]
		for r := lo; r < hi; r++ {
			m.Row(row, r)
			out[r-lo] = s.dotF32(row, x)
		}
		s.scratch.Put(buf)
		return
	}
	s.rows(out, m, x, xq, lo, hi)
}

// rowDots is MatVec one dot product at a time, for kernels without a row
// loop of their own.
func (s *Set) rowDots(out []float32, m *Matrix, x []float32, xq *Q8, lo, hi int) {
	rb := m.RowBytes
	switch m.Type {
	case gguf.F32:
		n := m.Cols
		for r := lo; r < hi; r++ {
			out[r-lo] = s.dotF32(m.f32[r*n:(r+1)*n:(r+1)*n], x)
		}
	case gguf.F16:
		for r := lo; r < hi; r++ {
			out[r-lo] = s.dotF16(m.Data[r*rb:(r+1)*rb], x)
		}
	case gguf.Q8_0:
		for r := lo; r < hi; r++ {
			out[r-lo] = s.dotQ8(m.Data[r*rb:(r+1)*rb], xq)
		}
	case gguf.Q4_0:
		for r := lo; r < hi; r++ {
			out[r-lo] = s.dotQ4(m.Data[r*rb:(r+1)*rb], xq)
		}
	}
}

// bytesToF32 views little-endian float32 data in place. GGUF aligns tensor
// data to at least 32 bytes, so the view is aligned; an unaligned slice (a
// caller's own buffer) is copied instead.
func bytesToF32(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	if uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
