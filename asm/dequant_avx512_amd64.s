//go:build !purego

#include "textflag.h"

// Block dequantisation on zmm registers (Dequantize in quant.go is the Go
// twin, bit for bit for finite scales): per 32-weight block the f16 scale
// widened by VCVTPH2PS, the weights widened to int32, converted exactly and
// multiplied once (one rounding, as d·float32(q) in Go).
//
//	DI  dst    SI  the current block    CX  blocks left

// func dequant8AVX512(dst *float32, b *byte, nb int)
TEXT ·dequant8AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ nb+16(FP), CX
	TESTQ CX, CX
	JZ   q8done
q8loop:
	VPBROADCASTW (SI), Y4
	VCVTPH2PS Y4, Z4
	VPMOVSXBD 2(SI), Z0
	VPMOVSXBD 18(SI), Z1
	VCVTDQ2PS Z0, Z0
	VCVTDQ2PS Z1, Z1
	VMULPS Z4, Z0, Z0
	VMULPS Z4, Z1, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $34, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  q8loop
q8done:
	VZEROUPPER
	RET

// func dequant4AVX512(dst *float32, b *byte, nb int)
TEXT ·dequant4AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ nb+16(FP), CX
	TESTQ CX, CX
	JZ   q4done
	MOVL $15, AX
	VPBROADCASTD AX, Z5
	MOVL $8, AX
	VPBROADCASTD AX, Z6
q4loop:
	VPBROADCASTW (SI), Y4
	VCVTPH2PS Y4, Z4
	VPMOVZXBD 2(SI), Z0
	VPSRLD $4, Z0, Z1
	VPANDD Z5, Z0, Z0
	VPSUBD Z6, Z0, Z0
	VPSUBD Z6, Z1, Z1
	VCVTDQ2PS Z0, Z0
	VCVTDQ2PS Z1, Z1
	VMULPS Z4, Z0, Z0
	VMULPS Z4, Z1, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $18, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  q4loop
q4done:
	VZEROUPPER
	RET
