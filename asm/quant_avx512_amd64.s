//go:build !purego

#include "textflag.h"

// The quantised-row dot products on zmm registers (quant_amd64.go has their
// Go references). Two blocks per iteration, each block's 32 products summed
// in one register (VMULPS then VFMADD231PS), then scaled by the block's f16
// scale (VPBROADCASTW + VCVTPH2PS) into one of two accumulators.
//
//	SI  x    DI  the current block    CX  blocks left    Z0, Z1  accumulators

// HSUM adds the 16 lanes of Z0 and Z1 into X0's low lane.
#define HSUM \
	VADDPS Z1, Z0, Z0; \
	VEXTRACTF64X4 $1, Z0, Y1; VADDPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; VADDPS X1, X0, X0; \
	VHADDPS X0, X0, X0; VHADDPS X0, X0, X0

// func qdot8AVX512(x *float32, b *byte, nb int) float32
TEXT ·qdot8AVX512(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	CMPQ CX, $2
	JLT  q8one
q8loop:
	PREFETCHT0 2048(DI)
	VPMOVSXBD 2(DI), Z2
	VPMOVSXBD 18(DI), Z3
	VPMOVSXBD 36(DI), Z4
	VPMOVSXBD 52(DI), Z5
	VCVTDQ2PS Z2, Z2
	VCVTDQ2PS Z3, Z3
	VCVTDQ2PS Z4, Z4
	VCVTDQ2PS Z5, Z5
	VMULPS (SI), Z2, Z2
	VFMADD231PS 64(SI), Z3, Z2
	VMULPS 128(SI), Z4, Z4
	VFMADD231PS 192(SI), Z5, Z4
	VPBROADCASTW (DI), Y6
	VCVTPH2PS Y6, Z6
	VPBROADCASTW 34(DI), Y7
	VCVTPH2PS Y7, Z7
	VFMADD231PS Z6, Z2, Z0
	VFMADD231PS Z7, Z4, Z1
	ADDQ $68, DI
	ADDQ $256, SI
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  q8loop
q8one:
	TESTQ CX, CX
	JZ   q8done
	VPMOVSXBD 2(DI), Z2
	VPMOVSXBD 18(DI), Z3
	VCVTDQ2PS Z2, Z2
	VCVTDQ2PS Z3, Z3
	VMULPS (SI), Z2, Z2
	VFMADD231PS 64(SI), Z3, Z2
	VPBROADCASTW (DI), Y6
	VCVTPH2PS Y6, Z6
	VFMADD231PS Z6, Z2, Z0
q8done:
	HSUM
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// Q4_0: a block's 16 bytes widened to dwords (VPMOVZXBD); the low nibbles
// are weights 0..15, the high ones 16..31; Z30 holds 15s, Z31 8s.
#define Q4BLOCK(off, xoff, ZL, ZH) \
	VPMOVZXBD off+2(DI), ZH; \
	VPANDD Z30, ZH, ZL; \
	VPSRLD $4, ZH, ZH; \
	VPSUBD Z31, ZL, ZL; \
	VPSUBD Z31, ZH, ZH; \
	VCVTDQ2PS ZL, ZL; \
	VCVTDQ2PS ZH, ZH; \
	VMULPS xoff(SI), ZL, ZL; \
	VFMADD231PS xoff+64(SI), ZH, ZL

// func qdot4AVX512(x *float32, b *byte, nb int) float32
TEXT ·qdot4AVX512(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVL $15, AX
	VPBROADCASTD AX, Z30
	MOVL $8, AX
	VPBROADCASTD AX, Z31
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	CMPQ CX, $2
	JLT  q4one
q4loop:
	PREFETCHT0 1024(DI)
	Q4BLOCK(0, 0, Z2, Z3)
	Q4BLOCK(18, 128, Z4, Z5)
	VPBROADCASTW (DI), Y6
	VCVTPH2PS Y6, Z6
	VPBROADCASTW 18(DI), Y7
	VCVTPH2PS Y7, Z7
	VFMADD231PS Z6, Z2, Z0
	VFMADD231PS Z7, Z4, Z1
	ADDQ $36, DI
	ADDQ $256, SI
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  q4loop
q4one:
	TESTQ CX, CX
	JZ   q4done
	Q4BLOCK(0, 0, Z2, Z3)
	VPBROADCASTW (DI), Y6
	VCVTPH2PS Y6, Z6
	VFMADD231PS Z6, Z2, Z0
q4done:
	HSUM
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET
