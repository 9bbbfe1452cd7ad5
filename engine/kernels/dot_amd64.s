#include "textflag.h"

// AVX2 + FMA + F16C dot products. Each loop keeps several independent
// accumulators so the FMA latency (4 cycles) is hidden; the caller checks
// lengths, so these trust their arguments.

// func dotF32asm(a, b *float32, n int) float32
TEXT ·dotF32asm(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

f32loop32:
	CMPQ CX, $32
	JL   f32loop8
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
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0

f32tail:
	TESTQ CX, CX
	JE    f32done
	VMOVSS (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  f32tail

f32done:
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotF16asm(w *byte, x *float32, n int) float32
TEXT ·dotF16asm(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
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
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0

f16tail:
	TESTQ CX, CX
	JE    f16done
	MOVWLZX (SI), AX
	VMOVD AX, X4
	VCVTPH2PS X4, X4
	VFMADD231SS (DI), X4, X0
	ADDQ $2, SI
	ADDQ $4, DI
	DECQ CX
	JMP  f16tail

f16done:
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// Q8BLOCK accumulates one block's scaled integer dot product into acc.
// w points at a Q8_0 block (f16 scale, 32 int8), the activations at 32 int8
// in xq with their float32 scale in xd. Y15 holds sixteen int16 ones.
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

// func dotQ8asm(w *byte, xq *int8, xd *float32, nb int) float32
TEXT ·dotQ8asm(SB), NOSPLIT, $0-36
	MOVQ w+0(FP), SI
	MOVQ xq+8(FP), DI
	MOVQ xd+16(FP), R8
	MOVQ nb+24(FP), CX
	MOVL $0x00010001, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

q8loop2:
	CMPQ CX, $2
	JL   q8loop1
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
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+32(FP)
	RET

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

// func dotQ4asm(w *byte, xq *int8, xd *float32, nb int) float32
TEXT ·dotQ4asm(SB), NOSPLIT, $0-36
	MOVQ w+0(FP), SI
	MOVQ xq+8(FP), DI
	MOVQ xd+16(FP), R8
	MOVQ nb+24(FP), CX
	MOVL $0x00010001, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0x0F0F0F0F, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	MOVL $0x08080808, AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

q4loop2:
	CMPQ CX, $2
	JL   q4loop1
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
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+32(FP)
	RET
