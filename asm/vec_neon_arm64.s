//go:build !purego

#include "textflag.h"

// NEON vector kernels. The Go stubs and their reference loops are in
// vec_arm64.go. Go's arm64 assembler lacks most floating-point vector
// instructions, so the macros below emit their encodings; operands are in
// ARM order (destination first) and all use the .4S arrangement.

// FADD Vd.4S, Vn.4S, Vm.4S
#define FADD4(d, n, m) WORD $(0x4E20D400 | (m)<<16 | (n)<<5 | (d))
// FSUB Vd.4S, Vn.4S, Vm.4S
#define FSUB4(d, n, m) WORD $(0x4EA0D400 | (m)<<16 | (n)<<5 | (d))
// FMUL Vd.4S, Vn.4S, Vm.4S
#define FMUL4(d, n, m) WORD $(0x6E20DC00 | (m)<<16 | (n)<<5 | (d))
// FDIV Vd.4S, Vn.4S, Vm.4S
#define FDIV4(d, n, m) WORD $(0x6E20FC00 | (m)<<16 | (n)<<5 | (d))
// FMAX Vd.4S, Vn.4S, Vm.4S (NaN if either is NaN)
#define FMAX4(d, n, m) WORD $(0x4E20F400 | (m)<<16 | (n)<<5 | (d))
// FMIN Vd.4S, Vn.4S, Vm.4S (NaN if either is NaN)
#define FMIN4(d, n, m) WORD $(0x4EA0F400 | (m)<<16 | (n)<<5 | (d))
// FADDP Vd.4S, Vn.4S, Vm.4S
#define FADDP4(d, n, m) WORD $(0x6E20D400 | (m)<<16 | (n)<<5 | (d))
// FADDP Sd, Vn.2S
#define FADDP2S(d, n) WORD $(0x7E30D800 | (n)<<5 | (d))
// FMAXV Sd, Vn.4S
#define FMAXV4(d, n) WORD $(0x6E30F800 | (n)<<5 | (d))
// FCMEQ Vd.4S, Vn.4S, Vm.4S
#define FCMEQ4(d, n, m) WORD $(0x4E20E400 | (m)<<16 | (n)<<5 | (d))
// FCMLT Vd.4S, Vn.4S, #0.0
#define FCMLTZ4(d, n) WORD $(0x4EA0E800 | (n)<<5 | (d))
// FABS Vd.4S, Vn.4S
#define FABS4(d, n) WORD $(0x4EA0F800 | (n)<<5 | (d))
// FNEG Vd.4S, Vn.4S
#define FNEG4(d, n) WORD $(0x6EA0F800 | (n)<<5 | (d))
// FCVTNS Vd.4S, Vn.4S (to int32, nearest, ties to even)
#define FCVTNS4(d, n) WORD $(0x4E21A800 | (n)<<5 | (d))
// SCVTF Vd.4S, Vn.4S
#define SCVTF4(d, n) WORD $(0x4E21D800 | (n)<<5 | (d))
// SSHR Vd.4S, Vn.4S, #1
#define SSHR1(d, n) WORD $(0x4F3F0400 | (n)<<5 | (d))
// FMLA Vd.4S, Vn.4S, Vm.4S (Vd += Vn·Vm)
#define FMLA4(d, n, m) WORD $(0x4E20CC00 | (m)<<16 | (n)<<5 | (d))
// FMLS Vd.4S, Vn.4S, Vm.4S (Vd -= Vn·Vm)
#define FMLS4(d, n, m) WORD $(0x4EA0CC00 | (m)<<16 | (n)<<5 | (d))
// MOV Vd.16B, Vn.16B (ORR Vd, Vn, Vn)
#define VMOV4(d, n) WORD $(0x4EA01C00 | (n)<<16 | (n)<<5 | (d))
// ADD Vd.4S, Vn.4S, Vm.4S (int32)
#define IADD4(d, n, m) WORD $(0x4EA08400 | (m)<<16 | (n)<<5 | (d))
// SUB Vd.4S, Vn.4S, Vm.4S (int32)
#define ISUB4(d, n, m) WORD $(0x6EA08400 | (m)<<16 | (n)<<5 | (d))
// SHL Vd.4S, Vn.4S, #23
#define SHL23(d, n) WORD $(0x4F375400 | (n)<<5 | (d))
// BSL Vd.16B, Vn.16B, Vm.16B (Vd = Vd ? Vn : Vm, bitwise)
#define BSL16(d, n, m) WORD $(0x6E601C00 | (m)<<16 | (n)<<5 | (d))

// func dotNEON(x, y []float32) float32
TEXT ·dotNEON(SB), NOSPLIT, $0-52
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R2
	MOVD y_base+24(FP), R1
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16

dot16:
	CMP  $16, R2
	BLT  dot4
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R1), [V16.S4, V17.S4, V18.S4, V19.S4]
	VFMLA V4.S4, V16.S4, V0.S4
	VFMLA V5.S4, V17.S4, V1.S4
	VFMLA V6.S4, V18.S4, V2.S4
	VFMLA V7.S4, V19.S4, V3.S4
	SUB  $16, R2
	B    dot16

dot4:
	CMP  $4, R2
	BLT  dotreduce
	VLD1.P 16(R0), [V4.S4]
	VLD1.P 16(R1), [V16.S4]
	VFMLA V4.S4, V16.S4, V0.S4
	SUB  $4, R2
	B    dot4

dotreduce:
	FADD4(0, 0, 1)
	FADD4(2, 2, 3)
	FADD4(0, 0, 2)
	FADDP4(0, 0, 0)
	FADDP2S(0, 0)

dottail:
	CBZ    R2, dotdone
	FMOVS.P 4(R0), F4
	FMOVS.P 4(R1), F5
	FMADDS F4, F0, F5, F0
	SUB    $1, R2
	B      dottail

dotdone:
	FMOVS F0, ret+48(FP)
	RET

// func axpyNEON(alpha float32, x, y []float32)
TEXT ·axpyNEON(SB), NOSPLIT, $0-56
	FMOVS alpha+0(FP), F31
	MOVD  x_base+8(FP), R0
	MOVD  x_len+16(FP), R2
	MOVD  y_base+32(FP), R1
	VDUP  V31.S[0], V30.S4

axpy16:
	CMP  $16, R2
	BLT  axpy4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1   (R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V30.S4, V0.S4, V4.S4
	VFMLA  V30.S4, V1.S4, V5.S4
	VFMLA  V30.S4, V2.S4, V6.S4
	VFMLA  V30.S4, V3.S4, V7.S4
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R1)
	SUB  $16, R2
	B    axpy16

axpy4:
	CMP  $4, R2
	BLT  axpytail
	VLD1.P 16(R0), [V0.S4]
	VLD1   (R1), [V4.S4]
	VFMLA  V30.S4, V0.S4, V4.S4
	VST1.P [V4.S4], 16(R1)
	SUB  $4, R2
	B    axpy4

axpytail:
	CBZ    R2, axpydone
	FMOVS.P 4(R0), F0
	FMOVS  (R1), F1
	FMADDS F0, F1, F31, F1
	FMOVS.P F1, 4(R1)
	SUB    $1, R2
	B      axpytail

axpydone:
	RET

// func scaleNEON(alpha float32, x []float32)
TEXT ·scaleNEON(SB), NOSPLIT, $0-32
	FMOVS alpha+0(FP), F31
	MOVD  x_base+8(FP), R0
	MOVD  x_len+16(FP), R2
	VDUP  V31.S[0], V30.S4

scale16:
	CMP  $16, R2
	BLT  scale4
	VLD1   (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMUL4(0, 0, 30)
	FMUL4(1, 1, 30)
	FMUL4(2, 2, 30)
	FMUL4(3, 3, 30)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB  $16, R2
	B    scale16

scale4:
	CMP  $4, R2
	BLT  scaletail
	VLD1   (R0), [V0.S4]
	FMUL4(0, 0, 30)
	VST1.P [V0.S4], 16(R0)
	SUB  $4, R2
	B    scale4

scaletail:
	CBZ   R2, scaledone
	FMOVS (R0), F0
	FMULS F31, F0, F0
	FMOVS.P F0, 4(R0)
	SUB   $1, R2
	B     scaletail

scaledone:
	RET

// BINARY expands to a kernel dst[i] = x[i] op y[i]; OP4 is the vector
// macro, OPS the scalar instruction.
#define BINARY(name, OP4, OPS) \
TEXT name(SB), NOSPLIT, $0-72; \
	MOVD dst_base+0(FP), R0; \
	MOVD dst_len+8(FP), R3; \
	MOVD x_base+24(FP), R1; \
	MOVD y_base+48(FP), R2; \
loop16: \
	CMP  $16, R3; \
	BLT  loop4; \
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]; \
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]; \
	OP4(0, 0, 4); \
	OP4(1, 1, 5); \
	OP4(2, 2, 6); \
	OP4(3, 3, 7); \
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0); \
	SUB  $16, R3; \
	B    loop16; \
loop4: \
	CMP  $4, R3; \
	BLT  tail; \
	VLD1.P 16(R1), [V0.S4]; \
	VLD1.P 16(R2), [V4.S4]; \
	OP4(0, 0, 4); \
	VST1.P [V0.S4], 16(R0); \
	SUB  $4, R3; \
	B    loop4; \
tail: \
	CBZ  R3, done; \
	FMOVS.P 4(R1), F0; \
	FMOVS.P 4(R2), F1; \
	OPS  F1, F0, F0; \
	FMOVS.P F0, 4(R0); \
	SUB  $1, R3; \
	B    tail; \
done: \
	RET

// func addNEON(dst, x, y []float32)
BINARY(·addNEON, FADD4, FADDS)

// func mulNEON(dst, x, y []float32)
BINARY(·mulNEON, FMUL4, FMULS)

// func sumNEON(x []float32) float32
TEXT ·sumNEON(SB), NOSPLIT, $0-28
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R2
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16

sum16:
	CMP  $16, R2
	BLT  sum4
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	FADD4(0, 0, 4)
	FADD4(1, 1, 5)
	FADD4(2, 2, 6)
	FADD4(3, 3, 7)
	SUB  $16, R2
	B    sum16

sum4:
	CMP  $4, R2
	BLT  sumreduce
	VLD1.P 16(R0), [V4.S4]
	FADD4(0, 0, 4)
	SUB  $4, R2
	B    sum4

sumreduce:
	FADD4(0, 0, 1)
	FADD4(2, 2, 3)
	FADD4(0, 0, 2)
	FADDP4(0, 0, 0)
	FADDP2S(0, 0)

sumtail:
	CBZ    R2, sumdone
	FMOVS.P 4(R0), F4
	FADDS  F4, F0, F0
	SUB    $1, R2
	B      sumtail

sumdone:
	FMOVS F0, ret+24(FP)
	RET

// func maxNEON(x []float32) float32
TEXT ·maxNEON(SB), NOSPLIT, $0-28
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R2
	MOVW $0xFF800000, R3 // -Inf
	VDUP R3, V0.S4
	VDUP R3, V1.S4
	VDUP R3, V2.S4
	VDUP R3, V3.S4

max16:
	CMP  $16, R2
	BLT  max4
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	FMAX4(0, 0, 4)
	FMAX4(1, 1, 5)
	FMAX4(2, 2, 6)
	FMAX4(3, 3, 7)
	SUB  $16, R2
	B    max16

max4:
	CMP  $4, R2
	BLT  maxreduce
	VLD1.P 16(R0), [V4.S4]
	FMAX4(0, 0, 4)
	SUB  $4, R2
	B    max4

maxreduce:
	FMAX4(0, 0, 1)
	FMAX4(2, 2, 3)
	FMAX4(0, 0, 2)
	FMAXV4(0, 0)

maxtail:
	CBZ    R2, maxdone
	FMOVS.P 4(R0), F4
	FMAXS  F4, F0, F0
	SUB    $1, R2
	B      maxtail

maxdone:
	FMOVS F0, ret+24(FP)
	RET

// func bf16ToF32NEON(dst []float32, src []uint16)
// Interleaving zero halfwords below each bf16 (ZIP1/ZIP2) is the << 16.
TEXT ·bf16ToF32NEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R2
	MOVD src_base+24(FP), R1
	VEOR V31.B16, V31.B16, V31.B16

b2f16:
	CMP  $16, R2
	BLT  b2f8
	VLD1.P 32(R1), [V0.H8, V1.H8]
	VZIP1  V0.H8, V31.H8, V4.H8
	VZIP2  V0.H8, V31.H8, V5.H8
	VZIP1  V1.H8, V31.H8, V6.H8
	VZIP2  V1.H8, V31.H8, V7.H8
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	SUB  $16, R2
	B    b2f16

b2f8:
	CMP  $8, R2
	BLT  b2ftail
	VLD1.P 16(R1), [V0.H8]
	VZIP1  V0.H8, V31.H8, V4.H8
	VZIP2  V0.H8, V31.H8, V5.H8
	VST1.P [V4.S4, V5.S4], 32(R0)
	SUB  $8, R2
	B    b2f8

b2ftail:
	CBZ    R2, b2fdone
	MOVHU.P 2(R1), R3
	LSLW   $16, R3, R3
	MOVW.P R3, 4(R0)
	SUB    $1, R2
	B      b2ftail

b2fdone:
	RET

// TOBF16 rounds the floats in x to bfloat16 in the high halves of x:
// non-NaN b + 0x7fff + ((b>>16)&1), NaN b | 0x00400000 (quiet bit).
// xn is x's number. Needs V28 = 1s, V29 = 0x7fff s, V30 = 0x00400000 s;
// clobbers t and u.
#define TOBF16(x, xn, t, u) \
	VUSHR $16, x.S4, t.S4; \
	VAND  V28.B16, t.B16, t.B16; \
	VADD  V29.S4, t.S4, t.S4; \
	VADD  x.S4, t.S4, t.S4; \
	VORR  V30.B16, x.B16, u.B16; \
	FCMEQ4(xn, xn, xn); \
	VBSL  u.B16, t.B16, x.B16

// func f32ToBF16NEON(dst []uint16, src []float32)
TEXT ·f32ToBF16NEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R2
	MOVD src_base+24(FP), R1
	MOVW $1, R3
	VDUP R3, V28.S4
	MOVW $0x7fff, R3
	VDUP R3, V29.S4
	MOVW $0x00400000, R3
	VDUP R3, V30.S4

f2b8:
	CMP  $8, R2
	BLT  f2btail
	VLD1.P 32(R1), [V0.S4, V1.S4]
	TOBF16(V0, 0, V4, V5)
	TOBF16(V1, 1, V6, V7)
	VUZP2  V1.H8, V0.H8, V2.H8
	VST1.P [V2.H8], 16(R0)
	SUB  $8, R2
	B    f2b8

f2btail:
	CBZ    R2, f2bdone
	FMOVS.P 4(R1), F0
	TOBF16(V0, 0, V4, V5)
	FMOVS  F0, R3
	LSRW   $16, R3, R3
	MOVH.P R3, 2(R0)
	SUB    $1, R2
	B      f2btail

f2bdone:
	RET

// EXPCONST loads the constants of EXP4 into V19–V31.
#define EXPCONST \
	MOVW $127, R3; VDUP R3, V19.S4; \
	MOVW $0x42b1999a, R3; VDUP R3, V20.S4; \
	MOVW $0xc2d00000, R3; VDUP R3, V21.S4; \
	MOVW $0x3fb8aa3b, R3; VDUP R3, V22.S4; \
	MOVW $0x3f318000, R3; VDUP R3, V23.S4; \
	MOVW $0xb95e8083, R3; VDUP R3, V24.S4; \
	MOVW $0x39506967, R3; VDUP R3, V25.S4; \
	MOVW $0x3ab743ce, R3; VDUP R3, V26.S4; \
	MOVW $0x3c088908, R3; VDUP R3, V27.S4; \
	MOVW $0x3d2aa9c1, R3; VDUP R3, V28.S4; \
	MOVW $0x3e2aaaaa, R3; VDUP R3, V29.S4; \
	MOVW $0x3f000000, R3; VDUP R3, V30.S4; \
	MOVW $0x3f800000, R3; VDUP R3, V31.S4

// EXP4 replaces the 4 floats in V(x) by e^x, within 1 ulp of the correctly
// rounded result (subnormals included), using V(n), V(r), V(p), V(t):
//
//	x = clamp(x, -104, 88.8)        // beyond: 0 or +Inf anyway; NaN stays
//	n = round(x·log2 e)             // ties to even
//	r = x - n·ln2hi - n·ln2lo       // |r| ≤ ln2/2; ln2hi has 9 significant bits
//	x = 1 + r + r²·P(r)             // P: degree-5 minimax fit of (e^r-1-r)/r²
//	x = x · 2^(n>>1) · 2^(n-(n>>1)) // two normal scale factors: the second
//	                                // product rounds once into the subnormals
//
// With V19 = 127 (int32), V20 = 88.8, V21 = -104, V22 = log2 e,
// V23 = ln2hi, V24 = ln2lo, V25–V30 = P's coefficients from the highest
// degree down, V31 = 1.
#define EXP4(x, n, r, p, t) \
	FMIN4(x, x, 20); \
	FMAX4(x, x, 21); \
	FMUL4(t, x, 22); \
	FCVTNS4(n, t); \
	SCVTF4(t, n); \
	VMOV4(r, x); \
	FMLS4(r, t, 23); \
	FMLS4(r, t, 24); \
	VMOV4(p, 26); \
	FMLA4(p, 25, r); \
	VMOV4(t, 27); \
	FMLA4(t, p, r); \
	VMOV4(p, 28); \
	FMLA4(p, t, r); \
	VMOV4(t, 29); \
	FMLA4(t, p, r); \
	VMOV4(p, 30); \
	FMLA4(p, t, r); \
	FMUL4(t, r, r); \
	FADD4(x, r, 31); \
	FMLA4(x, p, t); \
	SSHR1(r, n); \
	ISUB4(n, n, r); \
	IADD4(r, r, 19); \
	SHL23(r, r); \
	IADD4(n, n, 19); \
	SHL23(n, n); \
	FMUL4(x, x, r); \
	FMUL4(x, x, n)

// func expNEON(dst, x []float32)
// len(dst) is a multiple of 4 (the Go wrapper handles the tail).
TEXT ·expNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R2
	MOVD x_base+24(FP), R1
	EXPCONST

exp8:
	CMP  $8, R2
	BLT  exp4
	VLD1.P 32(R1), [V0.S4, V1.S4]
	VMOV4(5, 1)
	EXP4(0, 1, 2, 3, 4)
	EXP4(5, 6, 7, 8, 9)
	VST1.P [V0.S4], 16(R0)
	VST1.P [V5.S4], 16(R0)
	SUB  $8, R2
	B    exp8

exp4:
	CBZ  R2, expdone
	VLD1.P 16(R1), [V0.S4]
	EXP4(0, 1, 2, 3, 4)
	VST1.P [V0.S4], 16(R0)

expdone:
	RET

// Float64 (.2D) forms for sigmulNEON, ARM operand order.
#define DMUL(d, n, m) WORD $(0x6E60DC00 | (m)<<16 | (n)<<5 | (d))  // FMUL Vd.2D, Vn.2D, Vm.2D
#define DADD(d, n, m) WORD $(0x4E60D400 | (m)<<16 | (n)<<5 | (d))  // FADD Vd.2D, Vn.2D, Vm.2D
#define DDIV(d, n, m) WORD $(0x6E60FC00 | (m)<<16 | (n)<<5 | (d))  // FDIV Vd.2D, Vn.2D, Vm.2D
#define DFMLA(d, n, m) WORD $(0x4E60CC00 | (m)<<16 | (n)<<5 | (d)) // FMLA Vd.2D, Vn.2D, Vm.2D
#define DFMLS(d, n, m) WORD $(0x4EE0CC00 | (m)<<16 | (n)<<5 | (d)) // FMLS Vd.2D, Vn.2D, Vm.2D
#define DMIN(d, n, m) WORD $(0x4EE0F400 | (m)<<16 | (n)<<5 | (d))  // FMIN Vd.2D, Vn.2D, Vm.2D
#define DMAX(d, n, m) WORD $(0x4E60F400 | (m)<<16 | (n)<<5 | (d))  // FMAX Vd.2D, Vn.2D, Vm.2D
#define DCVTNS(d, n) WORD $(0x4E61A800 | (n)<<5 | (d))             // FCVTNS Vd.2D, Vn.2D
#define DSCVTF(d, n) WORD $(0x4E61D800 | (n)<<5 | (d))             // SCVTF Vd.2D, Vn.2D
#define DSSHR1(d, n) WORD $(0x4F7F0400 | (n)<<5 | (d))             // SSHR Vd.2D, Vn.2D, #1
#define DIADD(d, n, m) WORD $(0x4EE08400 | (m)<<16 | (n)<<5 | (d)) // ADD Vd.2D, Vn.2D, Vm.2D
#define DISUB(d, n, m) WORD $(0x6EE08400 | (m)<<16 | (n)<<5 | (d)) // SUB Vd.2D, Vn.2D, Vm.2D
#define DSHL52(d, n) WORD $(0x4F745400 | (n)<<5 | (d))             // SHL Vd.2D, Vn.2D, #52
#define FCVTL(d, n) WORD $(0x0E617800 | (n)<<5 | (d))              // FCVTL Vd.2D, Vn.2S
#define FCVTL2(d, n) WORD $(0x4E617800 | (n)<<5 | (d))             // FCVTL2 Vd.2D, Vn.4S
#define FCVTN(d, n) WORD $(0x0E616800 | (n)<<5 | (d))              // FCVTN Vd.2S, Vn.2D
#define FCVTN2(d, n) WORD $(0x4E616800 | (n)<<5 | (d))             // FCVTN2 Vd.4S, Vn.2D

// SIGMUL2D replaces the doubles in V(v) by v/(1+e^(v(k1+k2v²))), using
// V(a), V(n), V(r), V(p), V(t). The polynomial argument takes v clamped to
// ±1e4 (so v = ±Inf with k2 = 0 stays out of 0·Inf), the exponent is
// clamped to ±1000 (e^±1000 is 0 or +Inf after scaling), and e^a is
// 2^n·(degree-8 Taylor of e^r), |r| ≤ ln2/2 (truncation < 3e-10 relative),
// scaled by two factors so neither exponent overflows. Constants:
// V15 = 1e4, V16 = -1e4, V17 = k1, V18 = k2, V19 = 1000, V20 = -1000,
// V21 = log2 e, V22 = ln2, V23–V29 = 1/8!, 1/7!, …, 1/2!, V30 = 1,
// V31 = 1023 (int64).
#define SIGMUL2D(v, a, n, r, p, t) \
	DMIN(a, v, 15); \
	DMAX(a, a, 16); \
	DMUL(t, a, a); \
	VMOV4(p, 17); \
	DFMLA(p, t, 18); \
	DMUL(a, a, p); \
	DMIN(a, a, 19); \
	DMAX(a, a, 20); \
	DMUL(t, a, 21); \
	DCVTNS(n, t); \
	DSCVTF(t, n); \
	VMOV4(r, a); \
	DFMLS(r, t, 22); \
	VMOV4(p, 24); \
	DFMLA(p, 23, r); \
	VMOV4(t, 25); \
	DFMLA(t, p, r); \
	VMOV4(p, 26); \
	DFMLA(p, t, r); \
	VMOV4(t, 27); \
	DFMLA(t, p, r); \
	VMOV4(p, 28); \
	DFMLA(p, t, r); \
	VMOV4(t, 29); \
	DFMLA(t, p, r); \
	VMOV4(p, 30); \
	DFMLA(p, t, r); \
	VMOV4(t, 30); \
	DFMLA(t, p, r); \
	DSSHR1(r, n); \
	DISUB(n, n, r); \
	DIADD(r, r, 31); \
	DSHL52(r, r); \
	DIADD(n, n, 31); \
	DSHL52(n, n); \
	DMUL(t, t, r); \
	DMUL(t, t, n); \
	DADD(t, t, 30); \
	DDIV(v, v, t)

// func sigmulNEON(dst, x []float32, k1, k2 float64)
// len(dst) is a multiple of 4 (the Go wrapper handles the tail).
TEXT ·sigmulNEON(SB), NOSPLIT, $0-64
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R2
	MOVD x_base+24(FP), R1
	FMOVD k1+48(FP), F17
	VDUP V17.D[0], V17.D2
	FMOVD k2+56(FP), F18
	VDUP V18.D[0], V18.D2
	MOVD $0x40c3880000000000, R3
	VDUP R3, V15.D2
	MOVD $0xc0c3880000000000, R3
	VDUP R3, V16.D2
	MOVD $0x408f400000000000, R3
	VDUP R3, V19.D2
	MOVD $0xc08f400000000000, R3
	VDUP R3, V20.D2
	MOVD $0x3ff71547652b82fe, R3
	VDUP R3, V21.D2
	MOVD $0x3fe62e42fefa39ef, R3
	VDUP R3, V22.D2
	MOVD $0x3efa01a01a01a01a, R3
	VDUP R3, V23.D2
	MOVD $0x3f2a01a01a01a01a, R3
	VDUP R3, V24.D2
	MOVD $0x3f56c16c16c16c17, R3
	VDUP R3, V25.D2
	MOVD $0x3f81111111111111, R3
	VDUP R3, V26.D2
	MOVD $0x3fa5555555555555, R3
	VDUP R3, V27.D2
	MOVD $0x3fc5555555555555, R3
	VDUP R3, V28.D2
	MOVD $0x3fe0000000000000, R3
	VDUP R3, V29.D2
	MOVD $0x3ff0000000000000, R3
	VDUP R3, V30.D2
	MOVD $1023, R3
	VDUP R3, V31.D2

sig4:
	CBZ  R2, sigdone
	VLD1.P 16(R1), [V0.S4]
	FCVTL(1, 0)
	FCVTL2(2, 0)
	SIGMUL2D(1, 3, 4, 5, 6, 7)
	SIGMUL2D(2, 8, 9, 10, 11, 12)
	FCVTN(13, 1)
	FCVTN2(13, 2)
	VST1.P [V13.S4], 16(R0)
	SUB  $4, R2
	B    sig4

sigdone:
	RET
