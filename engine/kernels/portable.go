package kernels

import "encoding/binary"

// The portable kernels are plain Go. Four independent accumulators let the
// compiler keep several multiplies in flight, which roughly doubles their
// speed over a single running sum.

func dotF32Go(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x, y := a[i:i+4:i+4], b[i:i+4:i+4]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func dotF16Go(w []byte, x []float32) float32 {
	var s float32
	for i, v := range x {
		s += HalfToFloat(binary.LittleEndian.Uint16(w[2*i:])) * v
	}
	return s
}

func dotQ8Go(w []byte, x *Q8) float32 {
	var s float32
	for b, dx := range x.D {
		blk := w[b*q8BlockBytes : (b+1)*q8BlockBytes]
		q := x.Q[b*QK : b*QK+QK]
		var sum int32
		for i := range QK {
			sum += int32(int8(blk[2+i])) * int32(q[i])
		}
		s += float32(sum) * HalfToFloat(binary.LittleEndian.Uint16(blk)) * dx
	}
	return s
}

func dotQ4Go(w []byte, x *Q8) float32 {
	var s float32
	for b, dx := range x.D {
		blk := w[b*q4BlockBytes : (b+1)*q4BlockBytes]
		q := x.Q[b*QK : b*QK+QK]
		var sum int32
		for i := range QK / 2 {
			sum += (int32(blk[2+i]&0x0f) - 8) * int32(q[i])
			sum += (int32(blk[2+i]>>4) - 8) * int32(q[i+QK/2])
		}
		s += float32(sum) * HalfToFloat(binary.LittleEndian.Uint16(blk)) * dx
	}
	return s
}
