//go:build !purego

#include "textflag.h"

// The fused bf16 matvec on zmm registers; the Go stub (bf16_amd64.go) holds
// the reference loop. Registers:
//
//	SI  current row of b          R8  ldb in bytes
//	DI  c element of this row     AX  p (element index into the row)
//	CX  k rounded down to 16      R14 loop bound of the unrolled loop
//	R9..R12  rows 0..3 of x (rows ≥ m repeat row m-1)
//	DX, BX, R13  byte offsets of C rows 1..3 from row 0 (likewise repeated)
//	K1  the first k mod 16 lanes (the tail)
//	n+8(FP) counts the rows of b left.

// WIDEN loads 16 bf16 at off(SI)(AX*2) into Z as float32.
#define WIDEN(off, Z) VPMOVZXWD off(SI)(AX*2), Z; VPSLLD $16, Z, Z

// func bf16mvAVX512(m, n, k int, x *float32, ldx int, b *uint16, ldb int, c *float32, ldc int)
TEXT ·bf16mvAVX512(SB), NOSPLIT, $0-72
	MOVQ k+16(FP), CX
	ANDQ $15, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	MOVQ k+16(FP), CX
	ANDQ $-16, CX
	MOVQ x+24(FP), R9
	MOVQ b+40(FP), SI
	MOVQ ldb+48(FP), R8
	SHLQ $1, R8
	MOVQ c+56(FP), DI
	MOVQ m+0(FP), AX
	CMPQ AX, $1
	JEQ  m1row

	// m = 2..4: row pointers and C offsets, repeating the last row.
	MOVQ ldx+32(FP), R10
	SHLQ $2, R10
	LEAQ (R9)(R10*1), R11
	LEAQ (R11)(R10*1), R12
	LEAQ (R12)(R10*1), R13
	MOVQ R11, R10           // x1
	MOVQ R12, R11           // x2
	MOVQ R13, R12           // x3
	CMPQ AX, $3
	CMOVQLT R10, R11
	CMPQ AX, $4
	CMOVQLT R11, R12
	MOVQ ldc+64(FP), R13
	SHLQ $2, R13            // ldc in bytes
	MOVQ R13, DX            // row 1 (m ≥ 2 here)
	LEAQ (DX)(R13*1), BX
	CMPQ AX, $3
	CMOVQLT DX, BX
	LEAQ (BX)(R13*1), R13
	CMPQ AX, $4
	CMOVQLT BX, R13
	MOVQ CX, R14
	SUBQ $16, R14           // AX < R14 ⟺ AX+32 ≤ CX

m4row:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	XORL AX, AX

m4x32:
	CMPQ AX, R14
	JGE  m4x16
	WIDEN(0, Z4)
	WIDEN(32, Z9)
	VFMADD231PS (R9)(AX*4), Z4, Z0
	VFMADD231PS (R10)(AX*4), Z4, Z1
	VFMADD231PS (R11)(AX*4), Z4, Z2
	VFMADD231PS (R12)(AX*4), Z4, Z3
	VFMADD231PS 64(R9)(AX*4), Z9, Z5
	VFMADD231PS 64(R10)(AX*4), Z9, Z6
	VFMADD231PS 64(R11)(AX*4), Z9, Z7
	VFMADD231PS 64(R12)(AX*4), Z9, Z8
	ADDQ $32, AX
	JMP  m4x32

m4x16:
	CMPQ AX, CX
	JGE  m4tail
	WIDEN(0, Z4)
	VFMADD231PS (R9)(AX*4), Z4, Z0
	VFMADD231PS (R10)(AX*4), Z4, Z1
	VFMADD231PS (R11)(AX*4), Z4, Z2
	VFMADD231PS (R12)(AX*4), Z4, Z3
	ADDQ $16, AX

m4tail:
	KORTESTW K1, K1
	JZ       m4sum
	VMOVDQU16.Z (SI)(AX*2), K1, Y4
	VPMOVZXWD   Y4, Z4
	VPSLLD      $16, Z4, Z4
	VFMADD231PS (R9)(AX*4), Z4, K1, Z5
	VFMADD231PS (R10)(AX*4), Z4, K1, Z6
	VFMADD231PS (R11)(AX*4), Z4, K1, Z7
	VFMADD231PS (R12)(AX*4), Z4, K1, Z8

m4sum:
	VADDPS Z5, Z0, Z0
	VADDPS Z6, Z1, Z1
	VADDPS Z7, Z2, Z2
	VADDPS Z8, Z3, Z3
	VEXTRACTF32X8 $1, Z0, Y4
	VADDPS Y4, Y0, Y0
	VEXTRACTF32X8 $1, Z1, Y4
	VADDPS Y4, Y1, Y1
	VEXTRACTF32X8 $1, Z2, Y4
	VADDPS Y4, Y2, Y2
	VEXTRACTF32X8 $1, Z3, Y4
	VADDPS Y4, Y3, Y3
	VHADDPS Y1, Y0, Y0      // per 128-bit lane: row 0 pairs, row 1 pairs
	VHADDPS Y3, Y2, Y2      // row 2 pairs, row 3 pairs
	VHADDPS Y2, Y0, Y0      // per 128-bit lane: rows 0..3
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVSS X0, (DI)
	VEXTRACTPS $1, X0, (DI)(DX*1)
	VEXTRACTPS $2, X0, (DI)(BX*1)
	VEXTRACTPS $3, X0, (DI)(R13*1)
	ADDQ $4, DI
	ADDQ R8, SI
	DECQ n+8(FP)
	JNZ  m4row
	VZEROUPPER
	RET

m1row:
	MOVQ CX, R14
	SUBQ $48, R14           // AX < R14 ⟺ AX+64 ≤ CX

m1next:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	XORL AX, AX

m1x64:
	CMPQ AX, R14
	JGE  m1x16
	WIDEN(0, Z4)
	WIDEN(32, Z5)
	WIDEN(64, Z6)
	WIDEN(96, Z7)
	VFMADD231PS (R9)(AX*4), Z4, Z0
	VFMADD231PS 64(R9)(AX*4), Z5, Z1
	VFMADD231PS 128(R9)(AX*4), Z6, Z2
	VFMADD231PS 192(R9)(AX*4), Z7, Z3
	ADDQ $64, AX
	JMP  m1x64

m1x16:
	CMPQ AX, CX
	JGE  m1tail
	WIDEN(0, Z4)
	VFMADD231PS (R9)(AX*4), Z4, Z0
	ADDQ $16, AX
	JMP  m1x16

m1tail:
	KORTESTW K1, K1
	JZ       m1sum
	VMOVDQU16.Z (SI)(AX*2), K1, Y4
	VPMOVZXWD   Y4, Z4
	VPSLLD      $16, Z4, Z4
	VFMADD231PS (R9)(AX*4), Z4, K1, Z1

m1sum:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	VEXTRACTF32X8 $1, Z0, Y1
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R8, SI
	DECQ n+8(FP)
	JNZ  m1next
	VZEROUPPER
	RET
