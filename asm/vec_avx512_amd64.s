//go:build !purego

#include "textflag.h"
#include "vec_amd64.h"

// AVX-512 vector kernels: the same algorithms as vec_avx2_amd64.s on 16
// float32 (or 8 float64) lanes, constants broadcast from ·vecConst, ends
// handled with k-masked loads and stores (masked-off lanes are not touched).

#define K(off) ·vecConst+off(SB)

// KTAIL sets K1 to enable the first CX (1..15) lanes.
#define KTAIL MOVL $1, AX; SHLL CX, AX; DECL AX; KMOVW AX, K1

// HSUMZ leaves the sum of the 16 lanes of Z0 in X0 (scratch Y1/X1).
#define HSUMZ VEXTRACTF32X8 $1, Z0, Y1; VADDPS Y1, Y0, Y0; VEXTRACTF128 $1, Y0, X1; VADDPS X1, X0, X0; VMOVHLPS X0, X0, X1; VADDPS X1, X0, X0; VMOVSHDUP X0, X1; VADDSS X1, X0, X0

// EXPZ computes X = e^X on 16 float32 lanes (Z13 = 100, Z12 = -110, the
// clamp): as EXPPS, with VSCALEFPS doing the ·2^n (one rounding, so
// subnormal results are correctly rounded from the polynomial's value).
#define EXPZ(X, N, P, S) \
	VMINPS X, Z13, X; \
	VMAXPS X, Z12, X; \
	VMULPS.BCST K(S_LOG2E), X, N; \
	VRNDSCALEPS $0, N, N; \
	VFNMADD231PS.BCST K(S_LN2HI), N, X; \
	VFNMADD231PS.BCST K(S_LN2LO), N, X; \
	VBROADCASTSS K(S_Q6), P; \
	VFMADD213PS.BCST K(S_Q5), X, P; \
	VFMADD213PS.BCST K(S_Q4), X, P; \
	VFMADD213PS.BCST K(S_Q3), X, P; \
	VFMADD213PS.BCST K(S_HALF), X, P; \
	VMULPS X, X, S; \
	VFMADD213PS X, S, P; \
	VADDPS.BCST K(S_ONE), P, P; \
	VSCALEFPS N, P, X

// EXPPDZ computes A = e^A on 8 float64 lanes, A ∈ [-700, 700] or NaN
// (Taylor series to r¹⁰ as EXPPD; VSCALEFPD applies 2^n).
#define EXPPDZ(A, B, C) \
	VMULPD.BCST K(D_LOG2E), A, B; \
	VRNDSCALEPD $0, B, B; \
	VFNMADD231PD.BCST K(D_LN2HI), B, A; \
	VFNMADD231PD.BCST K(D_LN2LO), B, A; \
	VBROADCASTSD K(D_P10), C; \
	VFMADD213PD.BCST K(D_P9), A, C; \
	VFMADD213PD.BCST K(D_P8), A, C; \
	VFMADD213PD.BCST K(D_P7), A, C; \
	VFMADD213PD.BCST K(D_P6), A, C; \
	VFMADD213PD.BCST K(D_P5), A, C; \
	VFMADD213PD.BCST K(D_P4), A, C; \
	VFMADD213PD.BCST K(D_P3), A, C; \
	VFMADD213PD.BCST K(D_P2), A, C; \
	VFMADD213PD.BCST K(D_ONE), A, C; \
	VFMADD213PD.BCST K(D_ONE), A, C; \
	VSCALEFPD B, C, A

// func dotAVX512(x, y []float32) float32
TEXT ·dotAVX512(SB), NOSPLIT, $0-52
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ y_base+24(FP), DX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

loop128:
	CMPQ CX, $128
	JB   loop16
	VMOVUPS 0(SI), Z8
	VMOVUPS 64(SI), Z9
	VMOVUPS 128(SI), Z10
	VMOVUPS 192(SI), Z11
	VMOVUPS 256(SI), Z12
	VMOVUPS 320(SI), Z13
	VMOVUPS 384(SI), Z14
	VMOVUPS 448(SI), Z15
	VFMADD231PS 0(DX), Z8, Z0
	VFMADD231PS 64(DX), Z9, Z1
	VFMADD231PS 128(DX), Z10, Z2
	VFMADD231PS 192(DX), Z11, Z3
	VFMADD231PS 256(DX), Z12, Z4
	VFMADD231PS 320(DX), Z13, Z5
	VFMADD231PS 384(DX), Z14, Z6
	VFMADD231PS 448(DX), Z15, Z7
	ADDQ $512, SI
	ADDQ $512, DX
	SUBQ $128, CX
	JMP  loop128

loop16:
	CMPQ CX, $16
	JB   tail
	VMOVUPS (SI), Z8
	VFMADD231PS (DX), Z8, Z0
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ $16, CX
	JMP  loop16

tail:
	TESTQ CX, CX
	JZ    reduce
	KTAIL
	VMOVUPS.Z (SI), K1, Z8
	VMOVUPS.Z (DX), K1, Z9
	VFMADD231PS Z9, Z8, Z1

reduce:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z5, Z4, Z4
	VADDPS Z7, Z6, Z6
	VADDPS Z2, Z0, Z0
	VADDPS Z6, Z4, Z4
	VADDPS Z4, Z0, Z0
	HSUMZ
	VZEROUPPER
	VMOVSS X0, ret+48(FP)
	RET

// func sumAVX512(x []float32) float32
TEXT ·sumAVX512(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

loop128:
	CMPQ CX, $128
	JB   loop16
	VADDPS 0(SI), Z0, Z0
	VADDPS 64(SI), Z1, Z1
	VADDPS 128(SI), Z2, Z2
	VADDPS 192(SI), Z3, Z3
	VADDPS 256(SI), Z4, Z4
	VADDPS 320(SI), Z5, Z5
	VADDPS 384(SI), Z6, Z6
	VADDPS 448(SI), Z7, Z7
	ADDQ $512, SI
	SUBQ $128, CX
	JMP  loop128

loop16:
	CMPQ CX, $16
	JB   tail
	VADDPS (SI), Z0, Z0
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  loop16

tail:
	TESTQ CX, CX
	JZ    reduce
	KTAIL
	VMOVUPS.Z (SI), K1, Z8
	VADDPS Z8, Z1, Z1

reduce:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z5, Z4, Z4
	VADDPS Z7, Z6, Z6
	VADDPS Z2, Z0, Z0
	VADDPS Z6, Z4, Z4
	VADDPS Z4, Z0, Z0
	HSUMZ
	VZEROUPPER
	VMOVSS X0, ret+24(FP)
	RET

// func axpyAVX512(alpha float32, x, y []float32)
TEXT ·axpyAVX512(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Z14
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ y_base+32(FP), DX

loop64:
	CMPQ CX, $64
	JB   loop16
	VMOVUPS 0(DX), Z0
	VMOVUPS 64(DX), Z1
	VMOVUPS 128(DX), Z2
	VMOVUPS 192(DX), Z3
	VFMADD231PS 0(SI), Z14, Z0
	VFMADD231PS 64(SI), Z14, Z1
	VFMADD231PS 128(SI), Z14, Z2
	VFMADD231PS 192(SI), Z14, Z3
	VMOVUPS Z0, 0(DX)
	VMOVUPS Z1, 64(DX)
	VMOVUPS Z2, 128(DX)
	VMOVUPS Z3, 192(DX)
	ADDQ $256, SI
	ADDQ $256, DX
	SUBQ $64, CX
	JMP  loop64

loop16:
	CMPQ CX, $16
	JB   tail
	VMOVUPS (DX), Z0
	VFMADD231PS (SI), Z14, Z0
	VMOVUPS Z0, (DX)
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ $16, CX
	JMP  loop16

tail:
	TESTQ CX, CX
	JZ    done
	KTAIL
	VMOVUPS.Z (DX), K1, Z0
	VMOVUPS.Z (SI), K1, Z1
	VFMADD231PS Z1, Z14, Z0
	VMOVUPS Z0, K1, (DX)

done:
	VZEROUPPER
	RET

// func expAVX512(dst, x []float32)
TEXT ·expAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSS K(S_EXPHI), Z13
	VBROADCASTSS K(S_EXPLO), Z12

loop32:
	CMPQ CX, $32
	JB   loop16
	VMOVUPS 0(SI), Z0
	VMOVUPS 64(SI), Z4
	EXPZ(Z0, Z1, Z2, Z3)
	EXPZ(Z4, Z5, Z6, Z7)
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z4, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32

loop16:
	CMPQ CX, $16
	JB   tail
	VMOVUPS (SI), Z0
	EXPZ(Z0, Z1, Z2, Z3)
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX

tail:
	TESTQ CX, CX
	JZ    done
	KTAIL
	VMOVUPS.Z (SI), K1, Z0
	EXPZ(Z0, Z1, Z2, Z3)
	VMOVUPS Z0, K1, (DI)

done:
	VZEROUPPER
	RET

// SIGMULZ computes H = H / (1 + e^(H·(k1 + k2·min(H², 1e30)))) on 8
// float64 lanes (Z14 = k1, Z13 = k2, Z11/Z10 the exp argument clamp).
#define SIGMULZ(H, A, B, C) \
	VMULPD H, H, A; \
	VMINPD.BCST K(D_X2MAX), A, A; \
	VFMADD213PD Z14, Z13, A; \
	VMULPD H, A, A; \
	VMINPD A, Z11, A; \
	VMAXPD A, Z10, A; \
	EXPPDZ(A, B, C); \
	VADDPD.BCST K(D_ONE), A, A; \
	VDIVPD A, H, H

// SIGMUL16 applies SIGMULZ to the 16 float32 lanes of Z0, result in Z1;
// -Inf inputs give NaN as in the Go reference.
#define SIGMUL16 \
	VCVTPS2PD Y0, Z1; \
	VEXTRACTF32X8 $1, Z0, Y2; \
	VCVTPS2PD Y2, Z2; \
	SIGMULZ(Z1, Z3, Z4, Z5); \
	SIGMULZ(Z2, Z6, Z7, Z8); \
	VCVTPD2PS Z1, Y1; \
	VCVTPD2PS Z2, Y2; \
	VINSERTF32X8 $1, Y2, Z1, Z1; \
	VCMPPS.BCST $0, K(S_NEGINF), Z0, K2; \
	VBROADCASTSS K(S_NAN), K2, Z1

// func sigmulAVX512(dst, x []float32, k1, k2 float64)
TEXT ·sigmulAVX512(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSD k1+48(FP), Z14
	VBROADCASTSD k2+56(FP), Z13
	VBROADCASTSD K(D_ARGHI), Z11
	VBROADCASTSD K(D_ARGLO), Z10

loop16:
	CMPQ CX, $16
	JB   tail
	VMOVUPS (SI), Z0
	SIGMUL16
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop16

tail:
	TESTQ CX, CX
	JZ    done
	KTAIL
	VMOVUPS.Z (SI), K1, Z0
	SIGMUL16
	VMOVUPS Z1, K1, (DI)

done:
	VZEROUPPER
	RET

// GELUZ computes H = ½H·erfc(-H/√2) on 8 float64 lanes, as GELU4 in
// vec_avx2_amd64.s (Z13 = zmax, Z14 = sign mask).
#define GELUZ(H, A, B, C, D, E) \
	VANDNPD H, Z14, A; \
	VMULPD.BCST K(D_RSQRT2), A, A; \
	VMINPD A, Z13, B; \
	VADDPD.BCST K(D_TWO), B, C; \
	VBROADCASTSD K(D_TWO), D; \
	VDIVPD C, D, C; \
	VBROADCASTSD K(D_UA), D; \
	VFMADD213PD.BCST K(D_UB), C, D; \
	VBROADCASTSD K(D_E14), E; \
	VFMADD213PD.BCST K(D_E13), D, E; \
	VFMADD213PD.BCST K(D_E12), D, E; \
	VFMADD213PD.BCST K(D_E11), D, E; \
	VFMADD213PD.BCST K(D_E10), D, E; \
	VFMADD213PD.BCST K(D_E9), D, E; \
	VFMADD213PD.BCST K(D_E8), D, E; \
	VFMADD213PD.BCST K(D_E7), D, E; \
	VFMADD213PD.BCST K(D_E6), D, E; \
	VFMADD213PD.BCST K(D_E5), D, E; \
	VFMADD213PD.BCST K(D_E4), D, E; \
	VFMADD213PD.BCST K(D_E3), D, E; \
	VFMADD213PD.BCST K(D_E2), D, E; \
	VFMADD213PD.BCST K(D_E1), D, E; \
	VFMADD213PD.BCST K(D_E0), D, E; \
	VFNMADD231PD B, B, E; \
	EXPPDZ(E, B, D); \
	VMULPD C, E, E; \
	VCMPPD $2, Z13, A, K2; \
	VMOVAPD.Z E, K2, E; \
	VBROADCASTSD K(D_TWO), D; \
	VSUBPD E, D, D; \
	VPMOVQ2M H, K3; \
	VMOVAPD E, K3, D; \
	VMULPD.BCST K(D_HALF), H, H; \
	VMULPD D, H, H

#define GELU16 \
	VCVTPS2PD Y0, Z1; \
	VEXTRACTF32X8 $1, Z0, Y2; \
	VCVTPS2PD Y2, Z2; \
	GELUZ(Z1, Z3, Z4, Z5, Z6, Z7); \
	GELUZ(Z2, Z8, Z9, Z10, Z11, Z12); \
	VCVTPD2PS Z1, Y1; \
	VCVTPD2PS Z2, Y2; \
	VINSERTF32X8 $1, Y2, Z1, Z1

// func geluAVX512(dst, x []float32)
TEXT ·geluAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSD K(D_ZMAX), Z13
	VBROADCASTSD K(D_SIGN), Z14

loop16:
	CMPQ CX, $16
	JB   tail
	VMOVUPS (SI), Z0
	GELU16
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop16

tail:
	TESTQ CX, CX
	JZ    done
	KTAIL
	VMOVUPS.Z (SI), K1, Z0
	GELU16
	VMOVUPS Z1, K1, (DI)

done:
	VZEROUPPER
	RET

// func expSumAVX512(dst, x []float32, shift float32) float32
TEXT ·expSumAVX512(SB), NOSPLIT, $0-60
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSS shift+48(FP), Z11
	VBROADCASTSS K(S_EXPHI), Z13
	VBROADCASTSS K(S_EXPLO), Z12
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9

loop32:
	CMPQ CX, $32
	JB   loop16
	VMOVUPS 0(SI), Z0
	VMOVUPS 64(SI), Z4
	VSUBPS Z11, Z0, Z0
	VSUBPS Z11, Z4, Z4
	EXPZ(Z0, Z1, Z2, Z3)
	EXPZ(Z4, Z5, Z6, Z7)
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z4, 64(DI)
	VADDPS Z0, Z8, Z8
	VADDPS Z4, Z9, Z9
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32

loop16:
	CMPQ CX, $16
	JB   tail
	VMOVUPS (SI), Z0
	VSUBPS Z11, Z0, Z0
	EXPZ(Z0, Z1, Z2, Z3)
	VMOVUPS Z0, (DI)
	VADDPS Z0, Z8, Z8
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX

tail:
	TESTQ CX, CX
	JZ    reduce
	KTAIL
	VMOVUPS.Z (SI), K1, Z0
	VSUBPS Z11, Z0, Z0
	EXPZ(Z0, Z1, Z2, Z3)
	VMOVUPS Z0, K1, (DI)
	VADDPS Z0, Z9, K1, Z9

reduce:
	VADDPS Z9, Z8, Z0
	HSUMZ
	VZEROUPPER
	VMOVSS X0, ret+56(FP)
	RET

// SILUSZ leaves s = 1/(1 + e^(0 − X)) in S (X kept; Z14 = 0, Z15 = 1, Z13
// and Z12 the exp clamp): the float32 sigmoid as the passes Exp, Add and a
// division round it (swigluBackAVX512's).
#define SILUSZ(X, S, A, B, C) \
	VSUBPS X, Z14, S; \
	EXPZ(S, A, B, C); \
	VADDPS Z15, S, S; \
	VDIVPS S, Z15, S

// SWCONSTS loads SILUSZ's constants: the exp clamp (Z13, Z12), 1 (Z15), 0
// (Z14).
#define SWCONSTS VBROADCASTSS K(S_EXPHI), Z13; VBROADCASTSS K(S_EXPLO), Z12; VBROADCASTSS K(S_ONE), Z15; VPXORD Z14, Z14, Z14

// func swiglu32AVX512(dst, g, u []float32)
//
// For len(dst) a multiple of 16 (u empty: no product):
//
//	for i := range dst {
//		e := exp(0 - g[i])   // expAVX512's value
//		dst[i] = g[i] / (1 + e)
//		if len(u) > 0 {
//			dst[i] *= u[i]
//		}
//	}
TEXT ·swiglu32AVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ u_base+48(FP), DX
	MOVQ u_len+56(FP), R8
	SWCONSTS

loop:
	CMPQ CX, $16
	JB   done
	VMOVUPS (SI), Z0
	VSUBPS Z0, Z14, Z1
	EXPZ(Z1, Z2, Z3, Z4)
	VADDPS Z15, Z1, Z1
	VDIVPS Z1, Z0, Z0
	TESTQ R8, R8
	JZ    store
	VMULPS (DX), Z0, Z0
	ADDQ  $64, DX

store:
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop

done:
	VZEROUPPER
	RET

// func swigluBackAVX512(dg, du, dy, g, u []float32, mode int)
//
// For len(dy) a multiple of 16, with s the sigmoid of SILUSZ (mode: 1 dg
// wanted, 2 added to dg, 4 du wanted, 8 added to du):
//
//	t := 1 + g·(1 − s)
//	dg = (dy·u)·s·t          (+ dg)
//	du = (dy·g)·s            (+ du)
//
// each operation rounded to float32 in that order, as swigluBackGo's passes.
TEXT ·swigluBackAVX512(SB), NOSPLIT, $0-128
	MOVQ dg_base+0(FP), DI
	MOVQ du_base+24(FP), DX
	MOVQ dy_base+48(FP), SI
	MOVQ dy_len+56(FP), CX
	MOVQ g_base+72(FP), R8
	MOVQ u_base+96(FP), R9
	MOVQ mode+120(FP), BX
	SWCONSTS

bloop:
	CMPQ CX, $16
	JB   bdone
	VMOVUPS (R8), Z0
	SILUSZ(Z0, Z1, Z2, Z3, Z4)
	VMOVUPS (SI), Z5
	TESTQ $1, BX
	JZ    nodg
	VSUBPS Z1, Z15, Z6
	VMULPS Z6, Z0, Z6
	VADDPS Z15, Z6, Z6
	VMULPS (R9), Z5, Z7
	VMULPS Z1, Z7, Z7
	VMULPS Z6, Z7, Z7
	TESTQ $2, BX
	JZ    stdg
	VADDPS (DI), Z7, Z7

stdg:
	VMOVUPS Z7, (DI)

nodg:
	TESTQ $4, BX
	JZ    nodu
	VMULPS Z0, Z5, Z8
	VMULPS Z1, Z8, Z8
	TESTQ $8, BX
	JZ    stdu
	VADDPS (DX), Z8, Z8

stdu:
	VMOVUPS Z8, (DX)

nodu:
	ADDQ $64, DI
	ADDQ $64, DX
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $16, CX
	JMP  bloop

bdone:
	VZEROUPPER
	RET
