//go:build !purego

#include "textflag.h"

// The float32 matvec's four-row dot kernel on AVX-512 (f32mv.go has the Go
// twin, f32DotRowGeneric). Registers:
//
//	SI  x                 DI  row 0 of w     R8, R9, R10  byte offsets of rows 1..3
//	AX  byte offset into the rows            DX  prefetch distance in bytes
//	CX  k in bytes        R13, R14  CX rounded down to 128 and 64 bytes
//	Z0..Z3 and Z4..Z7  the two accumulators of rows 0..3
//	Z8, Z9  x, Z10..Z13  w (the tail); K1 the last k mod 16 elements

// func f32dot4AVX512(x, w *float32, ldw, k int, out *float32, pf int)
TEXT ·f32dot4AVX512(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ w+8(FP), DI
	MOVQ ldw+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	MOVQ pf+40(FP), DX
	MOVQ k+24(FP), CX
	ANDQ $15, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	MOVQ k+24(FP), CX
	SHLQ $2, CX
	MOVQ CX, R13
	ANDQ $-128, R13
	MOVQ CX, R14
	ANDQ $-64, R14
	XORQ AX, AX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
loop32:
	CMPQ AX, R13
	JAE  step16
	VMOVUPS (SI)(AX*1), Z8
	VMOVUPS 64(SI)(AX*1), Z9
	LEAQ (DI)(AX*1), R11
	LEAQ (R11)(DX*1), R12
	PREFETCHT0 (R12)
	PREFETCHT0 64(R12)
	PREFETCHT0 (R12)(R8*1)
	PREFETCHT0 64(R12)(R8*1)
	PREFETCHT0 (R12)(R9*1)
	PREFETCHT0 64(R12)(R9*1)
	PREFETCHT0 (R12)(R10*1)
	PREFETCHT0 64(R12)(R10*1)
	VFMADD231PS (R11), Z8, Z0
	VFMADD231PS 64(R11), Z9, Z4
	VFMADD231PS (R11)(R8*1), Z8, Z1
	VFMADD231PS 64(R11)(R8*1), Z9, Z5
	VFMADD231PS (R11)(R9*1), Z8, Z2
	VFMADD231PS 64(R11)(R9*1), Z9, Z6
	VFMADD231PS (R11)(R10*1), Z8, Z3
	VFMADD231PS 64(R11)(R10*1), Z9, Z7
	ADDQ $128, AX
	JMP  loop32
step16:
	CMPQ AX, R14
	JAE  tail
	VMOVUPS (SI)(AX*1), Z8
	LEAQ (DI)(AX*1), R11
	VFMADD231PS (R11), Z8, Z0
	VFMADD231PS (R11)(R8*1), Z8, Z1
	VFMADD231PS (R11)(R9*1), Z8, Z2
	VFMADD231PS (R11)(R10*1), Z8, Z3
	ADDQ $64, AX
tail:
	CMPQ AX, CX
	JAE  reduce
	// The last k mod 16 elements, the other lanes loaded as zeros (so
	// they add 0·0 to the accumulators, as the twin does).
	VMOVUPS.Z (SI)(AX*1), K1, Z8
	LEAQ (DI)(AX*1), R11
	VMOVUPS.Z (R11), K1, Z10
	VMOVUPS.Z (R11)(R8*1), K1, Z11
	VMOVUPS.Z (R11)(R9*1), K1, Z12
	VMOVUPS.Z (R11)(R10*1), K1, Z13
	VFMADD231PS Z10, Z8, Z0
	VFMADD231PS Z11, Z8, Z1
	VFMADD231PS Z12, Z8, Z2
	VFMADD231PS Z13, Z8, Z3
reduce:
	// Row r: Z(r)+Z(r+4), then halves folded 16 → 8 → 4 lanes, then
	// (l0+l1)+(l2+l3) through two rounds of VHADDPS.
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	VEXTRACTF64X4 $1, Z0, Y8
	VADDPS Y8, Y0, Y0
	VEXTRACTF128 $1, Y0, X8
	VADDPS X8, X0, X0
	VEXTRACTF64X4 $1, Z1, Y8
	VADDPS Y8, Y1, Y1
	VEXTRACTF128 $1, Y1, X8
	VADDPS X8, X1, X1
	VEXTRACTF64X4 $1, Z2, Y8
	VADDPS Y8, Y2, Y2
	VEXTRACTF128 $1, Y2, X8
	VADDPS X8, X2, X2
	VEXTRACTF64X4 $1, Z3, Y8
	VADDPS Y8, Y3, Y3
	VEXTRACTF128 $1, Y3, X8
	VADDPS X8, X3, X3
	VHADDPS X1, X0, X0
	VHADDPS X3, X2, X2
	VHADDPS X2, X0, X0
	MOVQ out+32(FP), BX
	VMOVUPS X0, (BX)
	VZEROUPPER
	RET
