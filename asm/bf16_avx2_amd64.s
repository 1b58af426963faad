//go:build !purego

#include "textflag.h"

// The fused bf16 matvec on ymm registers (AVX2 + FMA), over k a multiple of
// 8 (the Go wrapper in bf16_amd64.go adds the last k mod 8 terms). The
// registers are those of bf16_avx512_amd64.s.

// WIDEN8 loads 8 bf16 at off(SI)(AX*2) into Y as float32.
#define WIDEN8(off, Y) VPMOVZXWD off(SI)(AX*2), Y; VPSLLD $16, Y, Y

// func bf16mvAVX2(m, n, k int, x *float32, ldx int, b *uint16, ldb int, c *float32, ldc int)
TEXT ·bf16mvAVX2(SB), NOSPLIT, $0-72
	MOVQ k+16(FP), CX
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
	MOVQ R11, R10
	MOVQ R12, R11
	MOVQ R13, R12
	CMPQ AX, $3
	CMOVQLT R10, R11
	CMPQ AX, $4
	CMOVQLT R11, R12
	MOVQ ldc+64(FP), R13
	SHLQ $2, R13
	MOVQ R13, DX
	LEAQ (DX)(R13*1), BX
	CMPQ AX, $3
	CMOVQLT DX, BX
	LEAQ (BX)(R13*1), R13
	CMPQ AX, $4
	CMOVQLT BX, R13
	MOVQ CX, R14
	SUBQ $8, R14            // AX < R14 ⟺ AX+16 ≤ CX

m4row:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	XORL AX, AX

m4x16:
	CMPQ AX, R14
	JGE  m4x8
	WIDEN8(0, Y4)
	WIDEN8(16, Y9)
	VFMADD231PS (R9)(AX*4), Y4, Y0
	VFMADD231PS (R10)(AX*4), Y4, Y1
	VFMADD231PS (R11)(AX*4), Y4, Y2
	VFMADD231PS (R12)(AX*4), Y4, Y3
	VFMADD231PS 32(R9)(AX*4), Y9, Y5
	VFMADD231PS 32(R10)(AX*4), Y9, Y6
	VFMADD231PS 32(R11)(AX*4), Y9, Y7
	VFMADD231PS 32(R12)(AX*4), Y9, Y8
	ADDQ $16, AX
	JMP  m4x16

m4x8:
	CMPQ AX, CX
	JGE  m4sum
	WIDEN8(0, Y4)
	VFMADD231PS (R9)(AX*4), Y4, Y0
	VFMADD231PS (R10)(AX*4), Y4, Y1
	VFMADD231PS (R11)(AX*4), Y4, Y2
	VFMADD231PS (R12)(AX*4), Y4, Y3

m4sum:
	VADDPS Y5, Y0, Y0
	VADDPS Y6, Y1, Y1
	VADDPS Y7, Y2, Y2
	VADDPS Y8, Y3, Y3
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
	SUBQ $24, R14           // AX < R14 ⟺ AX+32 ≤ CX

m1next:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORL AX, AX

m1x32:
	CMPQ AX, R14
	JGE  m1x8
	WIDEN8(0, Y4)
	WIDEN8(16, Y5)
	WIDEN8(32, Y6)
	WIDEN8(48, Y7)
	VFMADD231PS (R9)(AX*4), Y4, Y0
	VFMADD231PS 32(R9)(AX*4), Y5, Y1
	VFMADD231PS 64(R9)(AX*4), Y6, Y2
	VFMADD231PS 96(R9)(AX*4), Y7, Y3
	ADDQ $32, AX
	JMP  m1x32

m1x8:
	CMPQ AX, CX
	JGE  m1sum
	WIDEN8(0, Y4)
	VFMADD231PS (R9)(AX*4), Y4, Y0
	ADDQ $8, AX
	JMP  m1x8

m1sum:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
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
