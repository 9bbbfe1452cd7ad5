package kernels

import (
	"encoding/binary"
	"math"
)

// AppendF32 appends x as little-endian float32, the F32 tensor encoding.
func AppendF32(dst []byte, x []float32) []byte {
	for _, v := range x {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
	}
	return dst
}

// AppendF16 appends x as half precision, the F16 tensor encoding.
func AppendF16(dst []byte, x []float32) []byte {
	for _, v := range x {
		dst = binary.LittleEndian.AppendUint16(dst, FloatToHalf(v))
	}
	return dst
}

// AppendQ8_0 appends x (a multiple of [QK] long) as Q8_0 blocks: a half
// scale and 32 int8 values each, as llama.cpp's quantizer writes them.
func AppendQ8_0(dst []byte, x []float32) []byte {
	var q Q8
	q.Quantize(x)
	for b, d := range q.D {
		dst = binary.LittleEndian.AppendUint16(dst, FloatToHalf(d))
		for _, v := range q.Q[b*QK : b*QK+QK] {
			dst = append(dst, byte(v))
		}
	}
	return dst
}

// AppendQ4_0 appends x (a multiple of [QK] long) as Q4_0 blocks: a half
// scale d and 16 bytes of 4-bit values v, element = (v-8)·d, where the
// block's largest-magnitude element maps to -8 as in llama.cpp.
func AppendQ4_0(dst []byte, x []float32) []byte {
	for b := 0; b < len(x); b += QK {
		blk := x[b : b+QK]
		var amax, vmax float32
		for _, v := range blk {
			if a := float32(math.Abs(float64(v))); a > amax {
				amax, vmax = a, v
			}
		}
		d := vmax / -8
		inv := float32(0)
		if d != 0 {
			inv = 1 / d
		}
		dst = binary.LittleEndian.AppendUint16(dst, FloatToHalf(d))
		nib := func(v float32) byte {
			return byte(min(15, max(0, int(math.Round(float64(v*inv)))+8)))
		}
		for i := range QK / 2 {
			dst = append(dst, nib(blk[i])|nib(blk[i+QK/2])<<4)
		}
	}
	return dst
}
