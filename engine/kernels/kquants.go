package kernels

import (
	"encoding/binary"
	"math"
)

// The k-quants store 256-element super-blocks. Q4_K (4.5 bits a weight) and
// Q6_K (6.56 bits) are what llama.cpp's popular Q4_K_M files are made of.
// They are computed by dequantising a row into float32 and using the float
// dot product, which is simple and exact, if slower than an integer kernel.
const (
	// QKK is the number of elements of a k-quant super-block.
	QKK          = 256
	q4kBlockSize = 144 // d, dmin (f16), 12 bytes of 6-bit scales and mins, 128 bytes of nibbles
	q6kBlockSize = 210 // 128 bytes low nibbles, 64 bytes high bits, 16 int8 scales, d (f16)
)

// scaleMinK4 unpacks the 6-bit scale and min of sub-block j of a Q4_K block.
func scaleMinK4(j int, q []byte) (sc, m byte) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xF | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// dequantQ4K writes the 256 values of one Q4_K block to y. Each 32-element
// sub-block j is d·sc_j·q − dmin·m_j; sub-blocks 2i and 2i+1 share 32 bytes,
// low and high nibbles.
func dequantQ4K(y []float32, b []byte) {
	d := HalfToFloat(binary.LittleEndian.Uint16(b))
	dmin := HalfToFloat(binary.LittleEndian.Uint16(b[2:]))
	scales, qs := b[4:16], b[16:144]
	for i := range 4 {
		sc1, m1 := scaleMinK4(2*i, scales)
		sc2, m2 := scaleMinK4(2*i+1, scales)
		d1, o1 := d*float32(sc1), dmin*float32(m1)
		d2, o2 := d*float32(sc2), dmin*float32(m2)
		q := qs[32*i : 32*i+32]
		out := y[64*i : 64*i+64]
		for l, v := range q {
			out[l] = d1*float32(v&0xF) - o1
			out[l+32] = d2*float32(v>>4) - o2
		}
	}
}

// dequantQ6K writes the 256 values of one Q6_K block to y: each element is
// d·sc·(q−32) with a 6-bit q split into a low nibble and two high bits, and
// one int8 scale per 16 elements.
func dequantQ6K(y []float32, b []byte) {
	d := HalfToFloat(binary.LittleEndian.Uint16(b[208:]))
	for n := range 2 {
		ql, qh := b[64*n:64*n+64], b[128+32*n:128+32*n+32]
		sc := b[192+8*n : 192+8*n+8]
		out := y[128*n : 128*n+128]
		for l := range 32 {
			is := l / 16
			q1 := int(ql[l]&0xF|(qh[l]&3)<<4) - 32
			q2 := int(ql[l+32]&0xF|(qh[l]>>2&3)<<4) - 32
			q3 := int(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
			q4 := int(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
			out[l] = d * float32(int8(sc[is])) * float32(q1)
			out[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
			out[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
			out[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
		}
	}
}

// AppendQ4_K appends x (a multiple of [QKK] long) as Q4_K blocks. It is a
// plain reference quantiser (no search for the best scales, unlike
// llama.cpp's), for tests and benchmarks.
func AppendQ4_K(dst []byte, x []float32) []byte {
	for b := 0; b < len(x); b += QKK {
		blk := x[b : b+QKK]
		var scale, mins [8]float32
		for j := range 8 {
			lo, hi := float32(0), float32(0)
			for _, v := range blk[32*j : 32*j+32] {
				lo, hi = min(lo, v), max(hi, v)
			}
			scale[j], mins[j] = (hi-lo)/15, -lo
		}
		maxSc, maxMin := float32(0), float32(0)
		for j := range 8 {
			maxSc, maxMin = max(maxSc, scale[j]), max(maxMin, mins[j])
		}
		d, dmin := maxSc/63, maxMin/63
		var sc6, m6 [8]byte
		for j := range 8 {
			sc6[j], m6[j] = quant6(scale[j], d), quant6(mins[j], dmin)
		}
		// Round-trip the super-scales through f16, so the quants are
		// computed against what the reader will see.
		dh, dminh := FloatToHalf(d), FloatToHalf(dmin)
		d, dmin = HalfToFloat(dh), HalfToFloat(dminh)
		dst = binary.LittleEndian.AppendUint16(dst, dh)
		dst = binary.LittleEndian.AppendUint16(dst, dminh)
		var scales [12]byte
		for j := range 4 {
			scales[j] = sc6[j] | (sc6[j+4]>>4)<<6
			scales[j+4] = m6[j] | (m6[j+4]>>4)<<6
			scales[j+8] = sc6[j+4]&0xF | (m6[j+4]&0xF)<<4
		}
		dst = append(dst, scales[:]...)
		var q [QKK]byte
		for j := range 8 {
			step, off := d*float32(sc6[j]), dmin*float32(m6[j])
			for l, v := range blk[32*j : 32*j+32] {
				if step > 0 {
					q[32*j+l] = byte(min(15, max(0, math.Round(float64((v+off)/step)))))
				}
			}
		}
		for i := range 4 {
			for l := range 32 {
				dst = append(dst, q[64*i+l]|q[64*i+32+l]<<4)
			}
		}
	}
	return dst
}

func quant6(v, d float32) byte {
	if d == 0 {
		return 0
	}
	return byte(min(63, max(0, math.Round(float64(v/d)))))
}

// AppendQ6_K appends x (a multiple of [QKK] long) as Q6_K blocks, with a
// plain reference quantiser, for tests and benchmarks.
func AppendQ6_K(dst []byte, x []float32) []byte {
	for b := 0; b < len(x); b += QKK {
		blk := x[b : b+QKK]
		var scale [16]float32
		maxSc := float32(0)
		for j := range 16 {
			amax := float32(0)
			for _, v := range blk[16*j : 16*j+16] {
				amax = max(amax, float32(math.Abs(float64(v))))
			}
			scale[j] = amax / 31
			maxSc = max(maxSc, scale[j])
		}
		dh := FloatToHalf(maxSc / 127)
		d := HalfToFloat(dh)
		var sc [16]int8
		var q [QKK]byte
		for j := range 16 {
			if d > 0 {
				sc[j] = int8(min(127, math.Round(float64(scale[j]/d))))
			}
			step := d * float32(sc[j])
			for l, v := range blk[16*j : 16*j+16] {
				qv := 32.0
				if step > 0 {
					qv = min(63, max(0, math.Round(float64(v/step))+32))
				}
				q[16*j+l] = byte(qv)
			}
		}
		var ql [128]byte
		var qh [64]byte
		for n := range 2 {
			for l := range 32 {
				q1, q2, q3, q4 := q[128*n+l], q[128*n+l+32], q[128*n+l+64], q[128*n+l+96]
				ql[64*n+l] = q1&0xF | (q3&0xF)<<4
				ql[64*n+l+32] = q2&0xF | (q4&0xF)<<4
				qh[32*n+l] = q1>>4 | (q2>>4)<<2 | (q3>>4)<<4 | (q4>>4)<<6
			}
		}
		dst = append(dst, ql[:]...)
		dst = append(dst, qh[:]...)
		for _, s := range sc {
			dst = append(dst, byte(s))
		}
		dst = binary.LittleEndian.AppendUint16(dst, dh)
	}
	return dst
}
