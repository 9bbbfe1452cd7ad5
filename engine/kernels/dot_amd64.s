#include "textflag.h"

// AVX2 + FMA + F16C matrix-vector products. Each function computes
// out[r] = row r · x for rows consecutive rows, rowBytes apart; a dot
// product is the case rows = 1. Keeping the row loop in assembly saves a
// call and its bounds checks per row, which is a tenth of the time for the
// short rows of small models. Inner loops keep several accumulators so the
// 4-cycle FMA latency is hidden. The Go callers check every length.
//
// The loops prefetch about 2 KB ahead: a model's weights are read once per
// token, straight from memory, and the hardware prefetcher alone left the
// integer kernels waiting on it (BenchmarkMatVec: Q8_0 from 8-11 to 14-25
// GB/s on one core).
//
// Registers: R9 row pointer, R10 row stride, R11/R12 activations, R13
// elements or blocks per row, DX output pointer, BX rows left; SI, DI, R8
// and CX walk one row.

// Horizontal sum of Y0 into the low lane of X0.
#define HSUM \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS X1, X0, X0 \
	VHADDPS X0, X0, X0 \
	VHADDPS X0, X0, X0

// func matVecF32asm(w *float32, rowBytes int, x *float32, n int, out *float32, rows int)
TEXT ·matVecF32asm(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), R9
	MOVQ rowBytes+8(FP), R10
	MOVQ x+16(FP), R11
	MOVQ n+24(FP), R13
	MOVQ out+32(FP), DX
	MOVQ rows+40(FP), BX

f32row:
	TESTQ BX, BX
	JE    f32done
	MOVQ  R9, SI
	MOVQ  R11, DI
	MOVQ  R13, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

f32loop32:
	CMPQ CX, $32
	JL   f32loop8
	PREFETCHT0 2048(SI)
	PREFETCHT0 2112(SI)
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  f32loop32

f32loop8:
	CMPQ CX, $8
	JL   f32reduce
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  f32loop8

f32reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM

f32tail:
	TESTQ CX, CX
	JE    f32store
	VMOVSS (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  f32tail

f32store:
	VMOVSS X0, (DX)
	ADDQ $4, DX
	ADDQ R10, R9
	DECQ BX
	JMP  f32row

f32done:
	VZEROUPPER
	RET

// func matVecF16asm(w *byte, rowBytes int, x *float32, n int, out *float32, rows int)
TEXT ·matVecF16asm(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), R9
	MOVQ rowBytes+8(FP), R10
	MOVQ x+16(FP), R11
	MOVQ n+24(FP), R13
	MOVQ out+32(FP), DX
	MOVQ rows+40(FP), BX

f16row:
	TESTQ BX, BX
	JE    f16done
	MOVQ  R9, SI
	MOVQ  R11, DI
	MOVQ  R13, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

f16loop32:
	CMPQ CX, $32
	JL   f16loop8
	VCVTPH2PS (SI), Y4
	VCVTPH2PS 16(SI), Y5
	VCVTPH2PS 32(SI), Y6
	VCVTPH2PS 48(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  f16loop32

f16loop8:
	CMPQ CX, $8
	JL   f16reduce
	VCVTPH2PS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  f16loop8

f16reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM

f16tail:
	TESTQ CX, CX
	JE    f16store
	MOVWLZX (SI), AX
	VMOVD AX, X4
	VCVTPH2PS X4, X4
	VFMADD231SS (DI), X4, X0
	ADDQ $2, SI
	ADDQ $4, DI
	DECQ CX
	JMP  f16tail

f16store:
	VMOVSS X0, (DX)
	ADDQ $4, DX
	ADDQ R10, R9
	DECQ BX
	JMP  f16row

f16done:
	VZEROUPPER
	RET

// Q8BLOCK accumulates one block's scaled integer dot product into acc.
// SI+woff is a Q8_0 block (f16 scale, 32 int8), DI+xoff the activations'
// 32 int8 and R8+doff their float32 scale. Y15 holds sixteen int16 ones.
// VPMADDUBSW multiplies unsigned by signed bytes, so the sign of w is moved
// onto x first and |w| is used: |w|·(x·sign w) = w·x. The pair sums fit in
// int16: at most 2·128·127.
#define Q8BLOCK(woff, xoff, doff, acc) \
	VMOVDQU woff+2(SI), Y2 \
	VMOVDQU xoff(DI), Y3 \
	VPSIGNB Y2, Y3, Y3 \
	VPABSB Y2, Y2 \
	VPMADDUBSW Y3, Y2, Y4 \
	VPMADDWD Y15, Y4, Y4 \
	VCVTDQ2PS Y4, Y4 \
	VPBROADCASTW woff(SI), X5 \
	VCVTPH2PS X5, Y5 \
	VBROADCASTSS doff(R8), Y6 \
	VMULPS Y6, Y5, Y5 \
	VFMADD231PS Y5, Y4, acc

// Q4BLOCK is Q8BLOCK for a Q4_0 block (f16 scale, 16 bytes whose low
// nibbles are elements 0-15 and high nibbles 16-31, each biased by 8).
// Y13 holds bytes 0x0F and Y12 bytes 8.
#define Q4BLOCK(woff, xoff, doff, acc) \
	VMOVDQU woff+2(SI), X2 \
	VPSRLW $4, X2, X3 \
	VINSERTI128 $1, X3, Y2, Y2 \
	VPAND Y13, Y2, Y2 \
	VPSUBB Y12, Y2, Y2 \
	VMOVDQU xoff(DI), Y3 \
	VPSIGNB Y2, Y3, Y3 \
	VPABSB Y2, Y2 \
	VPMADDUBSW Y3, Y2, Y4 \
	VPMADDWD Y15, Y4, Y4 \
	VCVTDQ2PS Y4, Y4 \
	VPBROADCASTW woff(SI), X5 \
	VCVTPH2PS X5, Y5 \
	VBROADCASTSS doff(R8), Y6 \
	VMULPS Y6, Y5, Y5 \
	VFMADD231PS Y5, Y4, acc

// func matVecQ8asm(w *byte, rowBytes int, xq *int8, xd *float32, nb int, out *float32, rows int)
TEXT ·matVecQ8asm(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), R9
	MOVQ rowBytes+8(FP), R10
	MOVQ xq+16(FP), R11
	MOVQ xd+24(FP), R12
	MOVQ nb+32(FP), R13
	MOVQ out+40(FP), DX
	MOVQ rows+48(FP), BX
	MOVL $0x00010001, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15

q8row:
	TESTQ BX, BX
	JE    q8done
	MOVQ  R9, SI
	MOVQ  R11, DI
	MOVQ  R12, R8
	MOVQ  R13, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

q8loop2:
	CMPQ CX, $2
	JL   q8loop1
	PREFETCHT0 2048(SI)
	Q8BLOCK(0, 0, 0, Y0)
	Q8BLOCK(34, 32, 4, Y1)
	ADDQ $68, SI
	ADDQ $64, DI
	ADDQ $8, R8
	SUBQ $2, CX
	JMP  q8loop2

q8loop1:
	TESTQ CX, CX
	JE    q8reduce
	Q8BLOCK(0, 0, 0, Y0)

q8reduce:
	VADDPS Y1, Y0, Y0
	HSUM
	VMOVSS X0, (DX)
	ADDQ $4, DX
	ADDQ R10, R9
	DECQ BX
	JMP  q8row

q8done:
	VZEROUPPER
	RET

// func matVecQ4asm(w *byte, rowBytes int, xq *int8, xd *float32, nb int, out *float32, rows int)
TEXT ·matVecQ4asm(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), R9
	MOVQ rowBytes+8(FP), R10
	MOVQ xq+16(FP), R11
	MOVQ xd+24(FP), R12
	MOVQ nb+32(FP), R13
	MOVQ out+40(FP), DX
	MOVQ rows+48(FP), BX
	MOVL $0x00010001, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0x0F0F0F0F, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	MOVL $0x08080808, AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12

q4row:
	TESTQ BX, BX
	JE    q4done
	MOVQ  R9, SI
	MOVQ  R11, DI
	MOVQ  R12, R8
	MOVQ  R13, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

q4loop2:
	CMPQ CX, $2
	JL   q4loop1
	PREFETCHT0 1024(SI)
	Q4BLOCK(0, 0, 0, Y0)
	Q4BLOCK(18, 32, 4, Y1)
	ADDQ $36, SI
	ADDQ $64, DI
	ADDQ $8, R8
	SUBQ $2, CX
	JMP  q4loop2

q4loop1:
	TESTQ CX, CX
	JE    q4reduce
	Q4BLOCK(0, 0, 0, Y0)

q4reduce:
	VADDPS Y1, Y0, Y0
	HSUM
	VMOVSS X0, (DX)
	ADDQ $4, DX
	ADDQ R10, R9
	DECQ BX
	JMP  q4row

q4done:
	VZEROUPPER
	RET
