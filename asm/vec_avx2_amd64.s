//go:build !purego

#include "textflag.h"
#include "vec_amd64.h"

// AVX2+FMA vector kernels. The Go reference of each is in its stub's doc
// comment in vec_amd64.go. Ends are handled with VMASKMOVPS (masked-off lanes
// are neither read nor written) or scalar loops, never by touching memory
// past a slice.

F32ROW(S_ONE, 0x3f800000)
F32ROW(S_HALF, 0x3f000000)
F32ROW(S_LOG2E, 0x3fb8aa3b)
F32ROW(S_LN2HI, 0x3f317218)
F32ROW(S_LN2LO, 0xb102e308)
F32ROW(S_EXPHI, 0x42c80000)
F32ROW(S_EXPLO, 0xc2dc0000)
F32ROW(S_Q3, 0x3e2aaa6f)
F32ROW(S_Q4, 0x3d2aaa8d)
F32ROW(S_Q5, 0x3c0905b1)
F32ROW(S_Q6, 0x3ab6887e)
F32ROW(S_NEGINF, 0xff800000)
F32ROW(S_I127, 0x0000007f)
F32ROW(S_I1, 0x00000001)
F32ROW(S_I7FFF, 0x00007fff)
F32ROW(S_I40, 0x00000040)
F32ROW(S_NAN, 0x7fc00000)
F64ROW(D_ONE, 0x3ff0000000000000)
F64ROW(D_TWO, 0x4000000000000000)
F64ROW(D_HALF, 0x3fe0000000000000)
F64ROW(D_LOG2E, 0x3ff71547652b82fe)
F64ROW(D_MAGIC, 0x4338000000000000)
F64ROW(D_LN2HI, 0x3fe62e42fefa39ef)
F64ROW(D_LN2LO, 0x3c7abc9e3b39803f)
F64ROW(D_BIAS, 0x3ff0000000000000)
F64ROW(D_ARGHI, 0x4085e00000000000)
F64ROW(D_ARGLO, 0xc085e00000000000)
F64ROW(D_RSQRT2, 0x3fe6a09e667f3bcd)
F64ROW(D_ZMAX, 0x4025000000000000)
F64ROW(D_UA, 0x40030c30c30c30c3)
F64ROW(D_UB, 0xbff6186186186186)
F64ROW(D_P2, 0x3fe0000000000000)
F64ROW(D_P3, 0x3fc5555555555555)
F64ROW(D_P4, 0x3fa5555555555555)
F64ROW(D_P5, 0x3f81111111111111)
F64ROW(D_P6, 0x3f56c16c16c16c17)
F64ROW(D_P7, 0x3f2a01a01a01a01a)
F64ROW(D_P8, 0x3efa01a01a01a01a)
F64ROW(D_P9, 0x3ec71de3a556c734)
F64ROW(D_P10, 0x3e927e4fb7789f5c)
F64ROW(D_E0, 0xbfe2056161149819)
F64ROW(D_E1, 0x3fe2633475201475)
F64ROW(D_E2, 0x3f911e03a426e920)
F64ROW(D_E3, 0xbf9edf08028f45d5)
F64ROW(D_E4, 0xbf5429d9b3c0b778)
F64ROW(D_E5, 0x3f6fc34b2496e000)
F64ROW(D_E6, 0xbf3187f1dbb13bbb)
F64ROW(D_E7, 0xbf4341dc06be2222)
F64ROW(D_E8, 0x3f244207e890cccc)
F64ROW(D_E9, 0x3f139e1fb0d33333)
F64ROW(D_E10, 0xbf07d1d333fdddde)
F64ROW(D_E11, 0xbed382c6fa222222)
F64ROW(D_E12, 0x3ee2c95ce9555555)
F64ROW(D_E13, 0xbe951e2644444444)
F64ROW(D_E14, 0xbeb01b020ccccccd)
F64ROW(D_SIGN, 0x8000000000000000)
F64ROW(D_X2MAX, 0x46293e5939a08cea)
F32ROW(MASKTAB, 0xffffffff)
F32ROW(MASKTAB+32, 0x00000000)
GLOBL ·vecConst(SB), RODATA|NOPTR, $VECCONST_SIZE

#define K(off) ·vecConst+off(SB)

// TAILMASK sets M to a lane mask enabling the first CX (1..7) lanes.
#define TAILMASK(M) LEAQ K(MASKTAB+32), R8; MOVQ CX, R9; NEGQ R9; VMOVDQU (R8)(R9*4), M

// HSUM leaves the sum of the eight lanes of Y in the low lane of X (Y's
// low half); T is a scratch xmm.
#define HSUM(Y, X, T) VEXTRACTF128 $1, Y, T; VADDPS T, X, X; VMOVHLPS X, X, T; VADDPS T, X, X; VMOVSHDUP X, T; VADDSS T, X, X

// EXPPS computes X = e^X for eight float32 lanes: clamp to [LO, HI]
// (registers holding -110 and 100; NaN passes through), n = round(x·log2 e),
// r = x - n·ln2 in two FMA steps (the first exact), e^r by a degree-6
// polynomial, then ·2^n as two factors 2^(n>>1)·2^(n-(n>>1)) so that
// overflow gives +Inf and underflow rounds once into the subnormals.
#define EXPPS(X, HI, LO, N, P, S) \
	VMINPS X, HI, X; \
	VMAXPS X, LO, X; \
	VMULPS K(S_LOG2E), X, N; \
	VROUNDPS $0, N, N; \
	VFNMADD231PS K(S_LN2HI), N, X; \
	VFNMADD231PS K(S_LN2LO), N, X; \
	VMOVUPS K(S_Q6), P; \
	VFMADD213PS K(S_Q5), X, P; \
	VFMADD213PS K(S_Q4), X, P; \
	VFMADD213PS K(S_Q3), X, P; \
	VFMADD213PS K(S_HALF), X, P; \
	VMULPS X, X, S; \
	VFMADD213PS X, S, P; \
	VADDPS K(S_ONE), P, P; \
	VCVTPS2DQ N, N; \
	VPSRAD $1, N, S; \
	VPSUBD S, N, N; \
	VPADDD K(S_I127), S, S; \
	VPSLLD $23, S, S; \
	VPADDD K(S_I127), N, N; \
	VPSLLD $23, N, N; \
	VMULPS S, P, P; \
	VMULPS N, P, X

// EXPPD computes A = e^A for four float64 lanes, A ∈ [-700, 700] (or NaN):
// n = round(a·log2 e) via the 1.5·2⁵² trick (which leaves n in the low
// mantissa bits of B), r = a - n·ln2, e^r by its Taylor series to r¹⁰
// (relative error < 1e-11 on |r| ≤ ln2/2), times 2^n built from B's bits.
#define EXPPD(A, B, C) \
	VMOVUPD K(D_MAGIC), B; \
	VFMADD231PD K(D_LOG2E), A, B; \
	VSUBPD K(D_MAGIC), B, C; \
	VFNMADD231PD K(D_LN2HI), C, A; \
	VFNMADD231PD K(D_LN2LO), C, A; \
	VPSLLQ $52, B, B; \
	VPADDQ K(D_BIAS), B, B; \
	VMOVUPD K(D_P10), C; \
	VFMADD213PD K(D_P9), A, C; \
	VFMADD213PD K(D_P8), A, C; \
	VFMADD213PD K(D_P7), A, C; \
	VFMADD213PD K(D_P6), A, C; \
	VFMADD213PD K(D_P5), A, C; \
	VFMADD213PD K(D_P4), A, C; \
	VFMADD213PD K(D_P3), A, C; \
	VFMADD213PD K(D_P2), A, C; \
	VFMADD213PD K(D_ONE), A, C; \
	VFMADD213PD K(D_ONE), A, C; \
	VMULPD B, C, A

// func dotAVX2(x, y []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ y_base+24(FP), DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

loop64:
	CMPQ CX, $64
	JB   loop8
	VMOVUPS 0(SI), Y8
	VMOVUPS 32(SI), Y9
	VMOVUPS 64(SI), Y10
	VMOVUPS 96(SI), Y11
	VFMADD231PS 0(DX), Y8, Y0
	VFMADD231PS 32(DX), Y9, Y1
	VFMADD231PS 64(DX), Y10, Y2
	VFMADD231PS 96(DX), Y11, Y3
	VMOVUPS 128(SI), Y8
	VMOVUPS 160(SI), Y9
	VMOVUPS 192(SI), Y10
	VMOVUPS 224(SI), Y11
	VFMADD231PS 128(DX), Y8, Y4
	VFMADD231PS 160(DX), Y9, Y5
	VFMADD231PS 192(DX), Y10, Y6
	VFMADD231PS 224(DX), Y11, Y7
	ADDQ $256, SI
	ADDQ $256, DX
	SUBQ $64, CX
	JMP  loop64

loop8:
	CMPQ CX, $8
	JB   tail
	VMOVUPS (SI), Y8
	VFMADD231PS (DX), Y8, Y0
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $8, CX
	JMP  loop8

tail:
	TESTQ CX, CX
	JZ    reduce
	TAILMASK(Y15)
	VMASKMOVPS (SI), Y15, Y8
	VMASKMOVPS (DX), Y15, Y9
	VFMADD231PS Y9, Y8, Y1

reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y2, Y0, Y0
	VADDPS Y6, Y4, Y4
	VADDPS Y4, Y0, Y0
	HSUM(Y0, X0, X1)
	VZEROUPPER
	VMOVSS X0, ret+48(FP)
	RET

// func sumAVX2(x []float32) float32
TEXT ·sumAVX2(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

loop64:
	CMPQ CX, $64
	JB   loop8
	VADDPS 0(SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	VADDPS 128(SI), Y4, Y4
	VADDPS 160(SI), Y5, Y5
	VADDPS 192(SI), Y6, Y6
	VADDPS 224(SI), Y7, Y7
	ADDQ $256, SI
	SUBQ $64, CX
	JMP  loop64

loop8:
	CMPQ CX, $8
	JB   tail
	VADDPS (SI), Y0, Y0
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  loop8

tail:
	TESTQ CX, CX
	JZ    reduce
	TAILMASK(Y15)
	VMASKMOVPS (SI), Y15, Y8
	VADDPS Y8, Y1, Y1

reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y2, Y0, Y0
	VADDPS Y6, Y4, Y4
	VADDPS Y4, Y0, Y0
	HSUM(Y0, X0, X1)
	VZEROUPPER
	VMOVSS X0, ret+24(FP)
	RET

// func maxAVX2(x []float32) float32
//
// VMAXPS drops NaNs, so a second chain tracks them: UNORD(acc, x) is true
// (all-ones, itself a NaN) once any x lane was NaN, and stays true.
TEXT ·maxAVX2(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VBROADCASTSS K(S_NEGINF), Y0
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	CMPQ CX, $8
	JB   small

loop32:
	CMPQ CX, $32
	JB   loop8
	VMAXPS 0(SI), Y0, Y0
	VCMPPS $3, 0(SI), Y4, Y4
	VMAXPS 32(SI), Y1, Y1
	VCMPPS $3, 32(SI), Y5, Y5
	VMAXPS 64(SI), Y2, Y2
	VCMPPS $3, 64(SI), Y6, Y6
	VMAXPS 96(SI), Y3, Y3
	VCMPPS $3, 96(SI), Y7, Y7
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  loop32

loop8:
	CMPQ CX, $8
	JB   last
	VMAXPS (SI), Y0, Y0
	VCMPPS $3, (SI), Y4, Y4
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  loop8

last:
	// 1..7 left and at least 8 seen: max is idempotent, so redo the
	// last eight elements.
	TESTQ CX, CX
	JZ    reduce
	LEAQ  -32(SI)(CX*4), AX
	VMAXPS (AX), Y1, Y1
	VCMPPS $3, (AX), Y5, Y5
	JMP   reduce

small:
	TESTQ CX, CX
	JZ    reduce
	TAILMASK(Y15)
	VMASKMOVPS (SI), Y15, Y8
	VBLENDVPS Y15, Y8, Y0, Y8
	VMAXPS Y8, Y1, Y1
	VCMPPS $3, Y8, Y5, Y5

reduce:
	VORPS Y5, Y4, Y4
	VORPS Y7, Y6, Y6
	VORPS Y6, Y4, Y4
	VMOVMSKPS Y4, AX
	TESTL AX, AX
	JNZ   nan
	VMAXPS Y1, Y0, Y0
	VMAXPS Y3, Y2, Y2
	VMAXPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VMAXPS X1, X0, X0
	VMOVSHDUP X0, X1
	VMAXSS X1, X0, X0
	VZEROUPPER
	VMOVSS X0, ret+24(FP)
	RET

nan:
	VZEROUPPER
	MOVL $0x7fc00000, AX
	MOVL AX, ret+24(FP)
	RET

// func axpyAVX2(alpha float32, x, y []float32)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Y14
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ y_base+32(FP), DX

loop32:
	CMPQ CX, $32
	JB   loop8
	VMOVUPS 0(DX), Y0
	VMOVUPS 32(DX), Y1
	VMOVUPS 64(DX), Y2
	VMOVUPS 96(DX), Y3
	VFMADD231PS 0(SI), Y14, Y0
	VFMADD231PS 32(SI), Y14, Y1
	VFMADD231PS 64(SI), Y14, Y2
	VFMADD231PS 96(SI), Y14, Y3
	VMOVUPS Y0, 0(DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	ADDQ $128, SI
	ADDQ $128, DX
	SUBQ $32, CX
	JMP  loop32

loop8:
	CMPQ CX, $8
	JB   tail
	VMOVUPS (DX), Y0
	VFMADD231PS (SI), Y14, Y0
	VMOVUPS Y0, (DX)
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $8, CX
	JMP  loop8

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK(Y15)
	VMASKMOVPS (DX), Y15, Y0
	VMASKMOVPS (SI), Y15, Y1
	VFMADD231PS Y1, Y14, Y0
	VMASKMOVPS Y0, Y15, (DX)

done:
	VZEROUPPER
	RET

// func scaleAVX2(alpha float32, x []float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y14
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX

loop32:
	CMPQ CX, $32
	JB   loop8
	VMULPS 0(SI), Y14, Y0
	VMULPS 32(SI), Y14, Y1
	VMULPS 64(SI), Y14, Y2
	VMULPS 96(SI), Y14, Y3
	VMOVUPS Y0, 0(SI)
	VMOVUPS Y1, 32(SI)
	VMOVUPS Y2, 64(SI)
	VMOVUPS Y3, 96(SI)
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  loop32

loop8:
	CMPQ CX, $8
	JB   tail
	VMULPS (SI), Y14, Y0
	VMOVUPS Y0, (SI)
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  loop8

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK(Y15)
	VMASKMOVPS (SI), Y15, Y0
	VMULPS Y0, Y14, Y0
	VMASKMOVPS Y0, Y15, (SI)

done:
	VZEROUPPER
	RET

// BINOP is the body of add and mul: dst[i] = x[i] OP y[i] with DI = dst,
// SI = x, DX = y, CX = len(dst).
#define BINOP(OP) \
loop32: \
	CMPQ CX, $32; \
	JB   loop8; \
	VMOVUPS 0(SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	VMOVUPS 64(SI), Y2; \
	VMOVUPS 96(SI), Y3; \
	OP 0(DX), Y0, Y0; \
	OP 32(DX), Y1, Y1; \
	OP 64(DX), Y2, Y2; \
	OP 96(DX), Y3, Y3; \
	VMOVUPS Y0, 0(DI); \
	VMOVUPS Y1, 32(DI); \
	VMOVUPS Y2, 64(DI); \
	VMOVUPS Y3, 96(DI); \
	ADDQ $128, SI; \
	ADDQ $128, DX; \
	ADDQ $128, DI; \
	SUBQ $32, CX; \
	JMP  loop32; \
loop8: \
	CMPQ CX, $8; \
	JB   tail; \
	VMOVUPS (SI), Y0; \
	OP (DX), Y0, Y0; \
	VMOVUPS Y0, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DX; \
	ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP  loop8; \
tail: \
	TESTQ CX, CX; \
	JZ    done; \
	TAILMASK(Y15); \
	VMASKMOVPS (SI), Y15, Y0; \
	VMASKMOVPS (DX), Y15, Y1; \
	OP Y1, Y0, Y0; \
	VMASKMOVPS Y0, Y15, (DI); \
done: \
	VZEROUPPER; \
	RET

// func addAVX2(dst, x, y []float32)
TEXT ·addAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	BINOP(VADDPS)

// func mulAVX2(dst, x, y []float32)
TEXT ·mulAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	BINOP(VMULPS)

// func expAVX2(dst, x []float32)
TEXT ·expAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VMOVUPS K(S_EXPHI), Y13
	VMOVUPS K(S_EXPLO), Y12

loop16:
	CMPQ CX, $16
	JB   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y4
	EXPPS(Y0, Y13, Y12, Y1, Y2, Y3)
	EXPPS(Y4, Y13, Y12, Y5, Y6, Y7)
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y4, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop16

loop8:
	CMPQ CX, $8
	JB   tail
	VMOVUPS (SI), Y0
	EXPPS(Y0, Y13, Y12, Y1, Y2, Y3)
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK(Y15)
	VMASKMOVPS (SI), Y15, Y0
	EXPPS(Y0, Y13, Y12, Y1, Y2, Y3)
	VMASKMOVPS Y0, Y15, (DI)

done:
	VZEROUPPER
	RET

// SIGMUL4 computes H = H / (1 + e^(H·(k1 + k2·H²))) on four float64 lanes
// (K1, K2 hold k1, k2; HI, LO the exp clamp); A, B, C are scratch.
#define SIGMUL4(H, A, B, C) \
	VMULPD H, H, A; \
	VMINPD K(D_X2MAX), A, A; \
	VFMADD213PD Y14, Y13, A; \
	VMULPD H, A, A; \
	VMINPD A, Y11, A; \
	VMAXPD A, Y10, A; \
	EXPPD(A, B, C); \
	VADDPD K(D_ONE), A, A; \
	VDIVPD A, H, H

// SIGMUL8 applies SIGMUL4 to the eight float32 lanes of Y0, leaving the
// float32 result in Y1. -Inf inputs give NaN, as x/(1+e^-x) does in Go.
#define SIGMUL8 \
	VCVTPS2PD X0, Y1; \
	VEXTRACTF128 $1, Y0, X2; \
	VCVTPS2PD X2, Y2; \
	SIGMUL4(Y1, Y3, Y4, Y5); \
	SIGMUL4(Y2, Y6, Y7, Y8); \
	VCVTPD2PSY Y1, X1; \
	VCVTPD2PSY Y2, X2; \
	VINSERTF128 $1, X2, Y1, Y1; \
	VCMPPS $0, K(S_NEGINF), Y0, Y3; \
	VORPS Y3, Y1, Y1

// func sigmulAVX2(dst, x []float32, k1, k2 float64)
TEXT ·sigmulAVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSD k1+48(FP), Y14
	VBROADCASTSD k2+56(FP), Y13
	VMOVUPD K(D_ARGHI), Y11
	VMOVUPD K(D_ARGLO), Y10

loop8:
	CMPQ CX, $8
	JB   tail
	VMOVUPS (SI), Y0
	SIGMUL8
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK(Y15)
	VMASKMOVPS (SI), Y15, Y0
	SIGMUL8
	VMASKMOVPS Y1, Y15, (DI)

done:
	VZEROUPPER
	RET

// GELU4 computes H = ½H·erfc(-H/√2) on four float64 lanes (Y13 = zmax,
// Y14 = sign mask); A..E are scratch. With z = |H|/√2 clamped to zmax,
// t = 2/(2+z) and u = UA·t + UB ∈ [-1, 1]: E = erfc(z) = t·e^(P(u) - z²),
// zeroed where z > zmax; erfc(-H/√2) is E for H ≤ 0 and 2 - E for H > 0.
#define GELU4(H, A, B, C, D, E) \
	VANDNPD H, Y14, A; \
	VMULPD K(D_RSQRT2), A, A; \
	VMINPD A, Y13, B; \
	VADDPD K(D_TWO), B, C; \
	VMOVUPD K(D_TWO), D; \
	VDIVPD C, D, C; \
	VMOVUPD K(D_UA), D; \
	VFMADD213PD K(D_UB), C, D; \
	VMOVUPD K(D_E14), E; \
	VFMADD213PD K(D_E13), D, E; \
	VFMADD213PD K(D_E12), D, E; \
	VFMADD213PD K(D_E11), D, E; \
	VFMADD213PD K(D_E10), D, E; \
	VFMADD213PD K(D_E9), D, E; \
	VFMADD213PD K(D_E8), D, E; \
	VFMADD213PD K(D_E7), D, E; \
	VFMADD213PD K(D_E6), D, E; \
	VFMADD213PD K(D_E5), D, E; \
	VFMADD213PD K(D_E4), D, E; \
	VFMADD213PD K(D_E3), D, E; \
	VFMADD213PD K(D_E2), D, E; \
	VFMADD213PD K(D_E1), D, E; \
	VFMADD213PD K(D_E0), D, E; \
	VFNMADD231PD B, B, E; \
	EXPPD(E, B, D); \
	VMULPD C, E, E; \
	VCMPPD $2, Y13, A, B; \
	VANDPD B, E, E; \
	VMOVUPD K(D_TWO), D; \
	VSUBPD E, D, D; \
	VBLENDVPD H, E, D, D; \
	VMULPD K(D_HALF), H, H; \
	VMULPD D, H, H

#define GELU8 \
	VCVTPS2PD X0, Y1; \
	VEXTRACTF128 $1, Y0, X2; \
	VCVTPS2PD X2, Y2; \
	GELU4(Y1, Y3, Y4, Y5, Y6, Y7); \
	GELU4(Y2, Y8, Y9, Y10, Y11, Y12); \
	VCVTPD2PSY Y1, X1; \
	VCVTPD2PSY Y2, X2; \
	VINSERTF128 $1, X2, Y1, Y1

// func geluAVX2(dst, x []float32)
TEXT ·geluAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VMOVUPD K(D_ZMAX), Y13
	VMOVUPD K(D_SIGN), Y14

loop8:
	CMPQ CX, $8
	JB   tail
	VMOVUPS (SI), Y0
	GELU8
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK(Y15)
	VMASKMOVPS (SI), Y15, Y0
	GELU8
	VMASKMOVPS Y1, Y15, (DI)

done:
	VZEROUPPER
	RET

// func bf16ToF32AVX2(dst []float32, src []uint16)
TEXT ·bf16ToF32AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI

loop16:
	CMPQ CX, $16
	JB   loop8
	VPMOVZXWD 0(SI), Y0
	VPMOVZXWD 16(SI), Y1
	VPSLLD $16, Y0, Y0
	VPSLLD $16, Y1, Y1
	VMOVDQU Y0, 0(DI)
	VMOVDQU Y1, 32(DI)
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop16

loop8:
	CMPQ CX, $8
	JB   tail
	VPMOVZXWD (SI), Y0
	VPSLLD $16, Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX

tail:
	TESTQ CX, CX
	JZ    done
	MOVWLZX (SI), AX
	SHLL  $16, AX
	MOVL  AX, (DI)
	ADDQ  $2, SI
	ADDQ  $4, DI
	DECQ  CX
	JMP   tail

done:
	VZEROUPPER
	RET

// func f32ToBF16AVX2(dst []uint16, src []float32)
TEXT ·f32ToBF16AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI

loop8:
	CMPQ CX, $8
	JB   tail
	VMOVDQU (SI), Y0
	VPSRLD $16, Y0, Y1
	VPAND K(S_I1), Y1, Y1
	VPADDD K(S_I7FFF), Y1, Y1
	VPADDD Y0, Y1, Y1
	VPSRLD $16, Y1, Y1
	VPSRLD $16, Y0, Y2
	VPOR K(S_I40), Y2, Y2
	VCMPPS $3, Y0, Y0, Y3
	VBLENDVPS Y3, Y2, Y1, Y1
	VEXTRACTI128 $1, Y1, X2
	VPACKUSDW X2, X1, X1
	VMOVDQU X1, (DI)
	ADDQ $32, SI
	ADDQ $16, DI
	SUBQ $8, CX
	JMP  loop8

tail:
	TESTQ CX, CX
	JZ    done
	MOVL (SI), AX
	MOVL AX, BX
	ANDL $0x7fffffff, BX
	CMPL BX, $0x7f800000
	JA   tailnan
	MOVL AX, BX
	SHRL $16, BX
	ANDL $1, BX
	ADDL $0x7fff, BX
	ADDL AX, BX
	SHRL $16, BX
	MOVW BX, (DI)
	JMP  next

tailnan:
	SHRL $16, AX
	ORL  $0x40, AX
	MOVW AX, (DI)

next:
	ADDQ $4, SI
	ADDQ $2, DI
	DECQ CX
	JMP  tail

done:
	VZEROUPPER
	RET

// func expSumAVX2(dst, x []float32, shift float32) float32
TEXT ·expSumAVX2(SB), NOSPLIT, $0-60
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSS shift+48(FP), Y11
	VMOVUPS K(S_EXPHI), Y13
	VMOVUPS K(S_EXPLO), Y12
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9

loop16:
	CMPQ CX, $16
	JB   loop8
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y4
	VSUBPS Y11, Y0, Y0
	VSUBPS Y11, Y4, Y4
	EXPPS(Y0, Y13, Y12, Y1, Y2, Y3)
	EXPPS(Y4, Y13, Y12, Y5, Y6, Y7)
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y4, 32(DI)
	VADDPS Y0, Y8, Y8
	VADDPS Y4, Y9, Y9
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop16

loop8:
	CMPQ CX, $8
	JB   tail
	VMOVUPS (SI), Y0
	VSUBPS Y11, Y0, Y0
	EXPPS(Y0, Y13, Y12, Y1, Y2, Y3)
	VMOVUPS Y0, (DI)
	VADDPS Y0, Y8, Y8
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX

tail:
	TESTQ CX, CX
	JZ    reduce
	TAILMASK(Y15)
	VMASKMOVPS (SI), Y15, Y0
	VSUBPS Y11, Y0, Y0
	EXPPS(Y0, Y13, Y12, Y1, Y2, Y3)
	VMASKMOVPS Y0, Y15, (DI)
	VANDPS Y15, Y0, Y0
	VADDPS Y0, Y9, Y9

reduce:
	VADDPS Y9, Y8, Y0
	HSUM(Y0, X0, X1)
	VZEROUPPER
	VMOVSS X0, ret+56(FP)
	RET
