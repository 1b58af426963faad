//go:build !purego

#include "textflag.h"

// The AdamW update (asm/adamw.go) on 8 (ymm) or 16 (zmm) lanes, each step
// rounded as adamwGeneric rounds it. Registers: 8–15 hold the constants
// decay, β1, 1−β1, β2, 1−β2, step size, √(1−β2ᵗ), eps.

// ADAMW_ARGS loads w, its length, g, m, v and k into DI, CX, SI, R8, R9
// and AX.
#define ADAMW_ARGS MOVQ w_base+0(FP), DI; MOVQ w_len+8(FP), CX; MOVQ g_base+24(FP), SI; MOVQ m_base+48(FP), R8; MOVQ v_base+72(FP), R9; MOVQ k+96(FP), AX

// func adamwAVX2(w, g, m, v []float32, k *[8]float32)
TEXT ·adamwAVX2(SB), NOSPLIT, $0-104
	ADAMW_ARGS
	VBROADCASTSS 0(AX), Y8
	VBROADCASTSS 4(AX), Y9
	VBROADCASTSS 8(AX), Y10
	VBROADCASTSS 12(AX), Y11
	VBROADCASTSS 16(AX), Y12
	VBROADCASTSS 20(AX), Y13
	VBROADCASTSS 24(AX), Y14
	VBROADCASTSS 28(AX), Y15

loop8:
	CMPQ CX, $8
	JB   done
	VMOVUPS (SI), Y0
	VMULPS  (R8), Y9, Y1  // β1·m
	VMULPS  Y0, Y10, Y2   // (1−β1)·g
	VADDPS  Y2, Y1, Y1    // m
	VMOVUPS Y1, (R8)
	VMULPS  (R9), Y11, Y3 // β2·v
	VMULPS  Y0, Y12, Y4   // (1−β2)·g
	VMULPS  Y0, Y4, Y4    // ·g
	VADDPS  Y4, Y3, Y3    // v
	VMOVUPS Y3, (R9)
	VSQRTPS Y3, Y3
	VDIVPS  Y14, Y3, Y3   // √v/√(1−β2ᵗ)
	VADDPS  Y15, Y3, Y3   // + eps
	VMULPS  Y1, Y13, Y1   // step·m
	VDIVPS  Y3, Y1, Y1    // / denominator
	VMULPS  (DI), Y8, Y5  // w·decay
	VSUBPS  Y1, Y5, Y5
	VMOVUPS Y5, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R8
	ADDQ    $32, R9
	SUBQ    $8, CX
	JMP     loop8

done:
	VZEROUPPER
	RET

// func adamwAVX512(w, g, m, v []float32, k *[8]float32)
TEXT ·adamwAVX512(SB), NOSPLIT, $0-104
	ADAMW_ARGS
	VBROADCASTSS 0(AX), Z8
	VBROADCASTSS 4(AX), Z9
	VBROADCASTSS 8(AX), Z10
	VBROADCASTSS 12(AX), Z11
	VBROADCASTSS 16(AX), Z12
	VBROADCASTSS 20(AX), Z13
	VBROADCASTSS 24(AX), Z14
	VBROADCASTSS 28(AX), Z15

loop16:
	CMPQ CX, $16
	JB   done
	VMOVUPS (SI), Z0
	VMULPS  (R8), Z9, Z1
	VMULPS  Z0, Z10, Z2
	VADDPS  Z2, Z1, Z1
	VMOVUPS Z1, (R8)
	VMULPS  (R9), Z11, Z3
	VMULPS  Z0, Z12, Z4
	VMULPS  Z0, Z4, Z4
	VADDPS  Z4, Z3, Z3
	VMOVUPS Z3, (R9)
	VSQRTPS Z3, Z3
	VDIVPS  Z14, Z3, Z3
	VADDPS  Z15, Z3, Z3
	VMULPS  Z1, Z13, Z1
	VDIVPS  Z3, Z1, Z1
	VMULPS  (DI), Z8, Z5
	VSUBPS  Z1, Z5, Z5
	VMOVUPS Z5, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, R8
	ADDQ    $64, R9
	SUBQ    $16, CX
	JMP     loop16

done:
	VZEROUPPER
	RET
