//go:build !purego

#include "textflag.h"

// The fused bf16 matvec on NEON over k a multiple of 8 (the Go wrapper in
// bf16_arm64.go adds the rest). Registers:
//
//	R0..R3  rows 0..3 of x (rows ≥ m repeat row m-1)
//	R4  current row of b    R5  ldb in bytes    R6  c element of this row
//	R7..R9  byte offsets of C rows 1..3 from row 0 (likewise repeated)
//	R10 rows of b left      R11 k
//	R12 b, R13..R16 x rows, R17 elements left: this row's running pointers
//	V31 zero; V20..V27 accumulators

// FADD Vd.4S, Vn.4S, Vm.4S
#define FADD4(d, n, m) WORD $(0x4E20D400 | (m)<<16 | (n)<<5 | (d))
// FADDP Vd.4S, Vn.4S, Vm.4S (pairwise: n's pairs, then m's)
#define FADDP4(d, n, m) WORD $(0x6E20D400 | (m)<<16 | (n)<<5 | (d))
// FADDP Sd, Vn.2S
#define FADDP2S(d, n) WORD $(0x7E30D800 | (n)<<5 | (d))

// WIDEN8 widens the 8 bf16 in V0 into lo (elements 0..3) and hi (4..7).
#define WIDEN8(lo, hi) VZIP1 V0.H8, V31.H8, lo.H8; VZIP2 V0.H8, V31.H8, hi.H8

// func bf16mvNEON(m, n, k int, x *float32, ldx int, b *uint16, ldb int, c *float32, ldc int)
TEXT ·bf16mvNEON(SB), NOSPLIT, $0-72
	MOVD m+0(FP), R19
	MOVD n+8(FP), R10
	MOVD k+16(FP), R11
	MOVD x+24(FP), R0
	MOVD b+40(FP), R4
	MOVD ldb+48(FP), R5
	LSL  $1, R5, R5
	MOVD c+56(FP), R6
	VEOR V31.B16, V31.B16, V31.B16
	CMP  $1, R19
	BEQ  m1row

	// m = 2..4: row pointers and C offsets, repeating the last row.
	MOVD ldx+32(FP), R20
	LSL  $2, R20, R20
	ADD  R20, R0, R1
	ADD  R20, R1, R2
	ADD  R20, R2, R3
	CMP  $3, R19
	CSEL LT, R1, R2, R2
	CMP  $4, R19
	CSEL LT, R2, R3, R3
	MOVD ldc+64(FP), R21
	LSL  $2, R21, R21
	MOVD R21, R7
	ADD  R21, R7, R8
	CMP  $3, R19
	CSEL LT, R7, R8, R8
	ADD  R21, R8, R9
	CMP  $4, R19
	CSEL LT, R8, R9, R9

m4row:
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	VEOR V24.B16, V24.B16, V24.B16
	VEOR V25.B16, V25.B16, V25.B16
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	MOVD R4, R12
	MOVD R0, R13
	MOVD R1, R14
	MOVD R2, R15
	MOVD R3, R16
	MOVD R11, R17

m4x8:
	CBZ    R17, m4sum
	VLD1.P 16(R12), [V0.H8]
	WIDEN8(V4, V5)
	VLD1.P 32(R13), [V16.S4, V17.S4]
	VLD1.P 32(R14), [V18.S4, V19.S4]
	VLD1.P 32(R15), [V1.S4, V2.S4]
	VLD1.P 32(R16), [V6.S4, V7.S4]
	VFMLA  V4.S4, V16.S4, V20.S4
	VFMLA  V5.S4, V17.S4, V24.S4
	VFMLA  V4.S4, V18.S4, V21.S4
	VFMLA  V5.S4, V19.S4, V25.S4
	VFMLA  V4.S4, V1.S4, V22.S4
	VFMLA  V5.S4, V2.S4, V26.S4
	VFMLA  V4.S4, V6.S4, V23.S4
	VFMLA  V5.S4, V7.S4, V27.S4
	SUB    $8, R17
	B      m4x8

m4sum:
	FADD4(20, 20, 24)
	FADD4(21, 21, 25)
	FADD4(22, 22, 26)
	FADD4(23, 23, 27)
	FADDP4(20, 20, 21)      // row 0 pairs, row 1 pairs
	FADDP4(22, 22, 23)      // row 2 pairs, row 3 pairs
	FADDP4(20, 20, 22)      // rows 0..3
	FMOVS  F20, (R6)
	VMOV   V20.S[1], R22
	MOVW   R22, (R6)(R7)
	VMOV   V20.S[2], R22
	MOVW   R22, (R6)(R8)
	VMOV   V20.S[3], R22
	MOVW   R22, (R6)(R9)
	ADD    $4, R6
	ADD    R5, R4
	SUB    $1, R10
	CBNZ   R10, m4row
	RET

m1row:
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	MOVD R4, R12
	MOVD R0, R13
	MOVD R11, R17

m1x16:
	CMP    $16, R17
	BLT    m1x8
	VLD1.P 32(R12), [V0.H8, V1.H8]
	WIDEN8(V4, V5)
	VZIP1  V1.H8, V31.H8, V6.H8
	VZIP2  V1.H8, V31.H8, V7.H8
	VLD1.P 64(R13), [V16.S4, V17.S4, V18.S4, V19.S4]
	VFMLA  V4.S4, V16.S4, V20.S4
	VFMLA  V5.S4, V17.S4, V21.S4
	VFMLA  V6.S4, V18.S4, V22.S4
	VFMLA  V7.S4, V19.S4, V23.S4
	SUB    $16, R17
	B      m1x16

m1x8:
	CBZ    R17, m1sum
	VLD1.P 16(R12), [V0.H8]
	WIDEN8(V4, V5)
	VLD1.P 32(R13), [V16.S4, V17.S4]
	VFMLA  V4.S4, V16.S4, V20.S4
	VFMLA  V5.S4, V17.S4, V21.S4

m1sum:
	FADD4(20, 20, 21)
	FADD4(22, 22, 23)
	FADD4(20, 20, 22)
	FADDP4(20, 20, 20)
	FADDP2S(20, 20)
	FMOVS  F20, (R6)
	ADD    $4, R6
	ADD    R5, R4
	SUB    $1, R10
	CBNZ   R10, m1row
	RET
