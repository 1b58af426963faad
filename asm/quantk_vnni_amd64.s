//go:build !purego

#include "textflag.h"

// The int8 dot products on Q4_K and Q6_K super-blocks (kdotGeneric in
// quantk.go is the Go twin, bit for bit). Per super-block the weights are
// unpacked to unsigned bytes in four 64-byte quarters; VPMADDUBSW multiplies
// them with the int8 activations and adds pairs into 16-bit lanes, which
// VPMADDWD / VPDPWSSD multiply by the group scales (spread over the lanes by
// VPERMW) and add pairwise into 16 int32 lanes. Those are converted and
// scaled by d·dx into the float accumulator Z0; Q4_K's min terms go through
// VPMADDWD of the 6-bit mins with the activation group sums into X1.
//
//	SI  q (int8)    DX  dx (float32)    BX  bsum (int16)    DI  the current super-block
//	CX  super-blocks left    R13  kPerm    Z0, X1  accumulators

// KFOLD folds Z0's 16 lanes and subtracts X1's 4 as kFold does, into X0.
#define KFOLD \
	VEXTRACTF64X4 $1, Z0, Y2; VADDPS Y2, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X2; VADDPS X2, X0, X0; \
	VSUBPS X1, X0, X0; \
	VHADDPS X0, X0, X0; VHADDPS X0, X0, X0

#define KARGS \
	MOVQ q+0(FP), SI; \
	MOVQ d+8(FP), DX; \
	MOVQ bsum+16(FP), BX; \
	MOVQ b+24(FP), DI; \
	MOVQ nb+32(FP), CX; \
	MOVQ perm+40(FP), R13; \
	MOVL $0x0f0f0f0f, AX; \
	VPBROADCASTD AX, Z24; \
	VXORPS Z0, Z0, Z0; \
	VXORPS X1, X1, X1

// KARGS4 loads the four-row K kernels' arguments: the rows at DI, R13, R14
// and R15 (ld bytes apart), the accumulators Z16-Z19 and X25-X28 zeroed.
#define KARGS4 \
	MOVQ q+0(FP), SI; \
	MOVQ d+8(FP), DX; \
	MOVQ bsum+16(FP), BX; \
	MOVQ b+24(FP), DI; \
	MOVQ ld+32(FP), AX; \
	LEAQ (DI)(AX*1), R13; \
	LEAQ (R13)(AX*1), R14; \
	LEAQ (R14)(AX*1), R15; \
	MOVQ nb+40(FP), CX; \
	MOVQ perm+48(FP), AX; \
	MOVL $0x0f0f0f0f, R8; \
	VPBROADCASTD R8, Z24; \
	VXORPS Z16, Z16, Z16; \
	VXORPS Z17, Z17, Z17; \
	VXORPS Z18, Z18, Z18; \
	VXORPS Z19, Z19, Z19; \
	VXORPS X25, X25, X25; \
	VXORPS X26, X26, X26; \
	VXORPS X27, X27, X27; \
	VXORPS X28, X28, X28

// Q4KROW adds one Q4_K super-block of the row at register p to the
// accumulators acc (Z) and macc (X, the min terms), reading the activations
// at SI, DX and BX without advancing them (the one- and four-row kernels run
// the same instructions on the same values, so bit for bit): the 6-bit
// scales (R11) and mins (AX) as 8 bytes each (k4Scale: groups 0-3 the low 6
// bits of words w0 and w1, groups 4-7 the nibbles of w2 with the top 2 bits
// of w0 and w1 above them), the weights' products with q scaled per group,
// then [d·dx, dmin·dx] in X13's low lanes. It prefetches every cache line of
// the super-block 1 KB ahead: with one prefetch per super-block, four
// interleaved rows wait on DRAM for the lines it skips.
#define Q4KROW(p, acc, macc) \
	PREFETCHT0 1024(p); \
	PREFETCHT0 1088(p); \
	PREFETCHT0 1152(p); \
	MOVL 4(p), R8; \
	MOVL 8(p), R9; \
	MOVL 12(p), R10; \
	MOVL R10, R11; \
	ANDL $0x0f0f0f0f, R11; \
	MOVL R8, AX; \
	SHRL $2, AX; \
	ANDL $0x30303030, AX; \
	ORL  AX, R11; \
	ANDL $0x3f3f3f3f, R8; \
	SHLQ $32, R11; \
	ORQ  R8, R11; \
	MOVL R10, AX; \
	SHRL $4, AX; \
	ANDL $0x0f0f0f0f, AX; \
	MOVL R9, R12; \
	SHRL $2, R12; \
	ANDL $0x30303030, R12; \
	ORL  R12, AX; \
	ANDL $0x3f3f3f3f, R9; \
	SHLQ $32, AX; \
	ORQ  R9, AX; \
	VMOVQ R11, X2; \
	VPMOVZXBW X2, X2; \
	VMOVQ AX, X3; \
	VPMOVZXBW X3, X3; \
	VPMADDWD (BX), X3, X3; \
	VCVTDQ2PS X3, X3; \
	VPERMW Z2, Z20, Z4; \
	VPERMW Z2, Z21, Z5; \
	VPERMW Z2, Z22, Z6; \
	VPERMW Z2, Z23, Z7; \
	VMOVDQU64 16(p), Z8; \
	VPSRLW $4, Z8, Z9; \
	VPANDD Z24, Z8, Z8; \
	VPANDD Z24, Z9, Z9; \
	VMOVDQU64 80(p), Z10; \
	VPSRLW $4, Z10, Z11; \
	VPANDD Z24, Z10, Z10; \
	VPANDD Z24, Z11, Z11; \
	VPMADDUBSW (SI), Z8, Z8; \
	VPMADDUBSW 64(SI), Z9, Z9; \
	VPMADDUBSW 128(SI), Z10, Z10; \
	VPMADDUBSW 192(SI), Z11, Z11; \
	VPMADDWD Z4, Z8, Z12; \
	VPDPWSSD Z5, Z9, Z12; \
	VPDPWSSD Z6, Z10, Z12; \
	VPDPWSSD Z7, Z11, Z12; \
	VCVTDQ2PS Z12, Z12; \
	MOVL (p), AX; \
	VMOVD AX, X13; \
	VCVTPH2PS X13, X13; \
	VBROADCASTSS (DX), X14; \
	VMULPS X14, X13, X13; \
	VBROADCASTSS X13, Z14; \
	VMULPS Z14, Z12, Z12; \
	VADDPS Z12, acc, acc; \
	VPERMILPS $0x55, X13, X14; \
	VMULPS X14, X3, X3; \
	VADDPS X3, macc, macc

// Q6HALF unpacks half h of a Q6_K super-block (64 bytes of ql at lo(p),
// 32 of qh at hi(p)) into Z8 (weights 0-63 of the half) and Z9 (64-127):
// the nibbles of ql, and qh's bit pairs shifted to bits 4-5 (Z25, Z26
// hold the per-word shift counts, Z27 0x30 bytes) ORed in; then multiplies
// them with q at xo(SI).
#define Q6HALFP(p, lo, hi, xo) \
	VMOVDQU64 lo(p), Z8; \
	VBROADCASTI64X4 hi(p), Z10; \
	VPSRLW $4, Z8, Z9; \
	VPANDD Z24, Z8, Z8; \
	VPANDD Z24, Z9, Z9; \
	VPSLLVW Z25, Z10, Z11; \
	VPSRLVW Z26, Z10, Z10; \
	VPTERNLOGD $0xf8, Z27, Z11, Z8; \
	VPTERNLOGD $0xf8, Z27, Z10, Z9; \
	VPMADDUBSW xo(SI), Z8, Z8; \
	VPMADDUBSW xo+64(SI), Z9, Z9

// Q6KROW adds one Q6_K super-block of the row at register p to acc,
// reading the activations at SI, DX and BX without advancing them: the 16
// int8 scales as words (Z2, upper half zero), and 32 times their products
// with the activation group sums, pairwise (Z3), subtracted from the sums
// of the weights' products with q (Q6HALF) times the scales; every cache
// line prefetched as in Q4KROW.
#define Q6KROW(p, acc) \
	PREFETCHT0 1024(p); \
	PREFETCHT0 1088(p); \
	PREFETCHT0 1152(p); \
	PREFETCHT0 1216(p); \
	VPMOVSXBW 192(p), Y2; \
	VPMADDWD (BX), Y2, Y3; \
	VPSLLD $5, Y3, Y3; \
	VPERMW Z2, Z20, Z4; \
	VPERMW Z2, Z21, Z5; \
	VPERMW Z2, Z22, Z6; \
	VPERMW Z2, Z23, Z7; \
	Q6HALFP(p, 0, 128, 0); \
	VPMADDWD Z4, Z8, Z12; \
	VPDPWSSD Z5, Z9, Z12; \
	Q6HALFP(p, 64, 160, 128); \
	VPDPWSSD Z6, Z8, Z12; \
	VPDPWSSD Z7, Z9, Z12; \
	VPSUBD Z3, Z12, Z12; \
	VCVTDQ2PS Z12, Z12; \
	MOVWLZX 208(p), AX; \
	VMOVD AX, X13; \
	VCVTPH2PS X13, X13; \
	VMULSS (DX), X13, X13; \
	VBROADCASTSS X13, Z14; \
	VMULPS Z14, Z12, Z12; \
	VADDPS Z12, acc, acc

// Q8ARGS loads the Q8_0/Q4_0 kernels' arguments (below).
#define Q8ARGS \
	MOVQ q+0(FP), SI; \
	MOVQ d+8(FP), DX; \
	MOVQ negs+16(FP), BX; \
	MOVQ b+24(FP), DI; \
	MOVQ n4+32(FP), CX; \
	MOVQ perm+40(FP), R13; \
	VMOVDQU32 640(R13), Z25; \
	VXORPS Z0, Z0, Z0; \
	VXORPS X1, X1, X1

// func kdotQ4KVNNI(q *int8, d *float32, bsum *int16, b *byte, nb int, perm *uint16) float32
TEXT ·kdotQ4KVNNI(SB), NOSPLIT, $0-52
	KARGS
	VMOVDQU64 0(R13), Z20
	VMOVDQU64 64(R13), Z21
	VMOVDQU64 128(R13), Z22
	VMOVDQU64 192(R13), Z23
k4loop:
	Q4KROW(DI, Z0, X1)
	ADDQ $144, DI
	ADDQ $256, SI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  k4loop
	KFOLD
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// func kdotQ6KVNNI(q *int8, d *float32, bsum *int16, b *byte, nb int, perm *uint16) float32
TEXT ·kdotQ6KVNNI(SB), NOSPLIT, $0-52
	KARGS
	VMOVDQU64 256(R13), Z20
	VMOVDQU64 320(R13), Z21
	VMOVDQU64 384(R13), Z22
	VMOVDQU64 448(R13), Z23
	VMOVDQU64 512(R13), Z25
	VMOVDQU64 576(R13), Z26
	MOVL $0x30303030, AX
	VPBROADCASTD AX, Z27
k6loop:
	Q6KROW(DI, Z0)
	ADDQ $210, DI
	ADDQ $256, SI
	ADDQ $4, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  k6loop
	KFOLD
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// KFOLD4 folds accumulators acc and macc as KFOLD does and stores the
// result at off(AX).
#define KFOLD4(acc, macc, off) \
	VMOVAPS acc, Z0; \
	VMOVAPS macc, X1; \
	KFOLD; \
	VMOVSS X0, off(AX)

// K4NEXT advances the four-row K kernels' rows by a super-block of bb
// bytes and the activations by one.
#define K4NEXT(bb) \
	ADDQ bb, DI; \
	ADDQ bb, R13; \
	ADDQ bb, R14; \
	ADDQ bb, R15; \
	ADDQ $256, SI; \
	ADDQ $4, DX; \
	ADDQ $32, BX

// func kdotQ4KVNNI4(q *int8, d *float32, bsum *int16, b *byte, ld, nb int, perm *uint16, out *float32)
//
// kdotQ4KVNNI on the four rows at b, b+ld, b+2ld and b+3ld, out[r] row r's
// result bit for bit: four streams from memory, the activations read once
// per super-block from L1 for the four.
//
//	SI  q    DX  d    BX  bsum    DI, R13, R14, R15  the rows' current super-blocks
//	CX  super-blocks left    Z16-Z19, X25-X28  the rows' accumulators
TEXT ·kdotQ4KVNNI4(SB), NOSPLIT, $0-64
	KARGS4
	VMOVDQU64 0(AX), Z20
	VMOVDQU64 64(AX), Z21
	VMOVDQU64 128(AX), Z22
	VMOVDQU64 192(AX), Z23
k44loop:
	Q4KROW(DI, Z16, X25)
	Q4KROW(R13, Z17, X26)
	Q4KROW(R14, Z18, X27)
	Q4KROW(R15, Z19, X28)
	K4NEXT($144)
	DECQ CX
	JNZ  k44loop
	MOVQ out+56(FP), AX
	KFOLD4(Z16, X25, 0)
	KFOLD4(Z17, X26, 4)
	KFOLD4(Z18, X27, 8)
	KFOLD4(Z19, X28, 12)
	VZEROUPPER
	RET

// func kdotQ6KVNNI4(q *int8, d *float32, bsum *int16, b *byte, ld, nb int, perm *uint16, out *float32)
//
// kdotQ6KVNNI on four rows, as kdotQ4KVNNI4 (Q6_K has no min terms: X28,
// zeroed by KARGS4, stands for them in the fold).
TEXT ·kdotQ6KVNNI4(SB), NOSPLIT, $0-64
	KARGS4
	VMOVDQU64 256(AX), Z20
	VMOVDQU64 320(AX), Z21
	VMOVDQU64 384(AX), Z22
	VMOVDQU64 448(AX), Z23
	VMOVDQU64 512(AX), Z25
	VMOVDQU64 576(AX), Z26
	MOVL $0x30303030, R8
	VPBROADCASTD R8, Z27
k64loop:
	Q6KROW(DI, Z16)
	Q6KROW(R13, Z17)
	Q6KROW(R14, Z18)
	Q6KROW(R15, Z19)
	K4NEXT($210)
	DECQ CX
	JNZ  k64loop
	MOVQ out+56(FP), AX
	KFOLD4(Z16, X28, 0)
	KFOLD4(Z17, X28, 4)
	KFOLD4(Z18, X28, 8)
	KFOLD4(Z19, X28, 12)
	VZEROUPPER
	RET

// The Q8_0 and Q4_0 kernels take four blocks per iteration: values 0-15
// of the four blocks in Z8's 128-bit lanes, values 16-31 in Z9's (the
// activations in the same order, q4Pos), so that VPDPBUSD leaves block s in
// lanes 4s..4s+3 of Z12. Z12 starts from the offset correction, the blocks'
// negated activation sums (negs) times 2 (Q4_0) or 32 (Q8_0) spread over
// their lanes by VPERMD with Z25; the block scales f16(d)·dx are spread the
// same way.
//
//	SI  q    DX  dx    BX  negs    DI  the current four blocks    CX  groups of four left

// Q8SUM finishes four blocks of stride bb whose unsigned weights are in Z8
// and Z9, the offset shift being sh.
#define Q8SUM(bb, sh) \
	VMOVDQU (BX), X12; \
	VPSLLD $sh, X12, X12; \
	VPERMD Z12, Z25, Z12; \
	VPDPBUSD (SI), Z8, Z12; \
	VPDPBUSD 64(SI), Z9, Z12; \
	VCVTDQ2PS Z12, Z12; \
	MOVWLZX (DI), AX; \
	MOVWLZX bb(DI), R8; \
	SHLL $16, R8; \
	ORL  R8, AX; \
	MOVWLZX 2*bb(DI), R8; \
	MOVWLZX 3*bb(DI), R9; \
	SHLL $16, R9; \
	ORL  R9, R8; \
	SHLQ $32, R8; \
	ORQ  R8, AX; \
	VMOVQ AX, X13; \
	VCVTPH2PS X13, X13; \
	VMULPS (DX), X13, X13; \
	VPERMPS Z13, Z25, Z13; \
	VMULPS Z13, Z12, Z12; \
	VADDPS Z12, Z0, Z0; \
	ADDQ $4*bb, DI; \
	ADDQ $128, SI; \
	ADDQ $16, DX; \
	ADDQ $16, BX

// func q8dotQ4VNNI(q *int8, d *float32, negs *int32, b *byte, n4 int, perm *uint16) float32
TEXT ·q8dotQ4VNNI(SB), NOSPLIT, $0-52
	Q8ARGS
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z24
q4loop:
	PREFETCHT0 1024(DI)
	VMOVDQU 2(DI), X8
	VINSERTI32X4 $1, 20(DI), Z8, Z8
	VINSERTI32X4 $2, 38(DI), Z8, Z8
	VINSERTI32X4 $3, 56(DI), Z8, Z8
	VPSRLW $4, Z8, Z9
	VPANDD Z24, Z8, Z8
	VPANDD Z24, Z9, Z9
	Q8SUM(18, 1)
	DECQ CX
	JNZ  q4loop
	KFOLD
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// func q8dotQ8VNNI(q *int8, d *float32, negs *int32, b *byte, n4 int, perm *uint16) float32
TEXT ·q8dotQ8VNNI(SB), NOSPLIT, $0-52
	Q8ARGS
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Z24
q8loop:
	PREFETCHT0 2048(DI)
	VMOVDQU 2(DI), X8
	VINSERTI32X4 $1, 36(DI), Z8, Z8
	VINSERTI32X4 $2, 70(DI), Z8, Z8
	VINSERTI32X4 $3, 104(DI), Z8, Z8
	VMOVDQU 18(DI), X9
	VINSERTI32X4 $1, 52(DI), Z9, Z9
	VINSERTI32X4 $2, 86(DI), Z9, Z9
	VINSERTI32X4 $3, 120(DI), Z9, Z9
	VPXORD Z24, Z8, Z8
	VPXORD Z24, Z9, Z9
	Q8SUM(34, 5)
	DECQ CX
	JNZ  q8loop
	KFOLD
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// RUNDEST sets AX to where run R10 goes in q: 256·(R10/16) + perm[R10%16].
#define RUNDEST \
	MOVQ R10, AX; \
	SHRQ $4, AX; \
	SHLQ $8, AX; \
	MOVQ R10, R13; \
	ANDQ $15, R13; \
	MOVLQSX (R9)(R13*4), R13; \
	ADDQ R13, AX

// func actRowAVX512(x *float32, n int, bw int, perm *int32, q *int8, d *float32, csum *int32)
//
// actRowGeneric in assembly, a block of bw values at a time: the largest
// magnitude as the unsigned maximum of the values' bits without sign (NaN
// and Inf above every finite value), d and 127/amax by VDIVSS (the latter
// at most MaxFloat32), then per 16
// values VMULPS, VCVTPS2DQ (nearest even), VPMOVSDB to q, and the sum of
// the 16 bytes (VPSADBW of the bytes + 128, less 2048) to csum.
//
//	SI  x    CX  values left    R8  bw    R9  perm    DI  q    DX  d    BX  csum    R10  run index
TEXT ·actRowAVX512(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ bw+16(FP), R8
	MOVQ perm+24(FP), R9
	MOVQ q+32(FP), DI
	MOVQ d+40(FP), DX
	MOVQ csum+48(FP), BX
	XORQ R10, R10
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z30
	MOVL $0x80808080, AX
	VPBROADCASTD AX, X29
	VPXORD X28, X28, X28
	TESTQ CX, CX
	JZ   done
block:
	MOVQ R8, R11
	MOVQ SI, R12
	VPXORD Z1, Z1, Z1
amax:
	VPANDD (R12), Z30, Z2
	VPMAXUD Z2, Z1, Z1
	ADDQ $64, R12
	SUBQ $16, R11
	JNZ  amax
	VEXTRACTI64X4 $1, Z1, Y2
	VPMAXUD Y2, Y1, Y1
	VEXTRACTI128 $1, Y1, X2
	VPMAXUD X2, X1, X1
	VPSHUFD $0x4e, X1, X2
	VPMAXUD X2, X1, X1
	VPSHUFD $0xb1, X1, X2
	VPMAXUD X2, X1, X1
	VMOVD X1, AX
	CMPL AX, $0x7f800000
	JAE  nonfinite
	MOVL $0x42fe0000, R13 // 127
	VMOVD R13, X3
	VDIVSS X3, X1, X4
	VDIVSS X1, X3, X5
	MOVL $0x7f7fffff, R13 // 127/amax overflows for a tiny amax: keep it finite
	VMOVD R13, X6
	VMINSS X6, X5, X5
	TESTL AX, AX
	JNZ  scaled
	VXORPS X4, X4, X4 // all zero: d = 0, 127/0 replaced by 0
	VXORPS X5, X5, X5
scaled:
	VMOVSS X4, (DX)
	VBROADCASTSS X5, Z5
	MOVQ R8, R11
run:
	VMULPS (SI), Z5, Z6
	VCVTPS2DQ Z6, Z6
	VPMOVSDB Z6, X6
	RUNDEST
	VMOVDQU X6, (DI)(AX*1)
	VPXORD X29, X6, X7
	VPSADBW X28, X7, X7
	VPSHUFD $0x4e, X7, X8
	VPADDD X8, X7, X7
	VMOVD X7, AX
	SUBL $2048, AX
	MOVL AX, (BX)(R10*4)
	ADDQ $64, SI
	INCQ R10
	SUBQ $16, R11
	JNZ  run
	JMP  next
nonfinite:
	MOVL $0x7fc00000, (DX) // NaN
	MOVQ R8, R11
zrun:
	RUNDEST
	VMOVDQU32 X28, (DI)(AX*1)
	MOVL $0, (BX)(R10*4)
	ADDQ $64, SI
	INCQ R10
	SUBQ $16, R11
	JNZ  zrun
next:
	ADDQ $4, DX
	SUBQ R8, CX
	JNZ  block
done:
	VZEROUPPER
	RET

// Q4ACTS loads four blocks' activations for Q4ROW: q into Z15 and Z16,
// dx16 into Z14, neg16 into Z17.
#define Q4ACTS \
	VMOVDQU64 (SI), Z15; \
	VMOVDQU64 64(SI), Z16; \
	VMOVUPS (DX), Z14; \
	VMOVDQU32 (BX), Z17

// Q4ROW adds four Q4_0 blocks of the row at register p to accumulator acc
// (the activations from Q4ACTS, the permutations in Z26 and Z27, 0x0f
// bytes in Z24).
#define Q4ROW(p, acc) \
	PREFETCHT0 1024(p); \
	VMOVDQU64 (p), Z10; \
	VPERMW Z10, Z27, Z13; \
	VPERMT2B 8(p), Z26, Z10; \
	VCVTPH2PS Y13, Z13; \
	VMULPS Z14, Z13, Z13; \
	VPSRLW $4, Z10, Z9; \
	VPANDD Z24, Z10, Z8; \
	VPANDD Z24, Z9, Z9; \
	VMOVDQA32 Z17, Z12; \
	VPDPBUSD Z15, Z8, Z12; \
	VPDPBUSD Z16, Z9, Z12; \
	VCVTDQ2PS Z12, Z12; \
	VMULPS Z13, Z12, Z12; \
	VADDPS Z12, acc, acc

// func q8dotQ4VBMI(q *int8, dx16 *float32, neg16 *int32, b *byte, n4 int, perm *byte) float32
//
// q8dotQ4VNNI with AVX512-VBMI and the activations' block scales and
// offset corrections already spread over the lanes (qActs.dx16, neg16):
// the four blocks' 72 bytes are read by two overlapping 64-byte loads,
// VPERMT2B gathers their 64 nibble bytes into Z8's lanes and VPERMW their
// four f16 scales, each four times, into Y13 (perm: q4VBMIPerm) — eight
// loads, inserts and scalar moves fewer than q8dotQ4VNNI's per four blocks,
// the same operations on the same values, so the same result bit for bit.
//
//	SI  q    DX  dx16    BX  neg16    DI  the current four blocks    CX  groups of four left
TEXT ·q8dotQ4VBMI(SB), NOSPLIT, $0-52
	MOVQ q+0(FP), SI
	MOVQ dx16+8(FP), DX
	MOVQ neg16+16(FP), BX
	MOVQ b+24(FP), DI
	MOVQ n4+32(FP), CX
	MOVQ perm+40(FP), R13
	VMOVDQU64 (R13), Z26
	VMOVDQU64 64(R13), Z27
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z24
	VXORPS Z0, Z0, Z0
	VXORPS X1, X1, X1
q4vloop:
	Q4ACTS
	Q4ROW(DI, Z0)
	ADDQ $72, DI
	ADDQ $128, SI
	ADDQ $64, DX
	ADDQ $64, BX
	DECQ CX
	JNZ  q4vloop
	KFOLD
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// QFOLD folds accumulator acc as KFOLD does (X1 zero) and stores it at
// off(BX).
#define QFOLD(acc, off) \
	VMOVAPS acc, Z0; \
	KFOLD; \
	VMOVSS X0, off(BX)

// func q8dotQ4VBMI4(q *int8, dx16 *float32, neg16 *int32, b *byte, ld, n4 int, perm *byte, out *float32)
//
// q8dotQ4VBMI on four rows ld bytes apart (b, b+ld, b+2ld, b+3ld) at once,
// the activations loaded once for the four: out[r] is row r's result, bit
// for bit.
//
//	SI  q    DX  dx16    BX  neg16, then out    DI, R8, R9, R10  the rows' current four blocks
//	CX  groups of four left    Z4..Z7  the rows' accumulators
TEXT ·q8dotQ4VBMI4(SB), NOSPLIT, $0-64
	MOVQ q+0(FP), SI
	MOVQ dx16+8(FP), DX
	MOVQ neg16+16(FP), BX
	MOVQ b+24(FP), DI
	MOVQ ld+32(FP), AX
	LEAQ (DI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	MOVQ n4+40(FP), CX
	MOVQ perm+48(FP), R13
	VMOVDQU64 (R13), Z26
	VMOVDQU64 64(R13), Z27
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z24
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
q4v4loop:
	Q4ACTS
	Q4ROW(DI, Z4)
	Q4ROW(R8, Z5)
	Q4ROW(R9, Z6)
	Q4ROW(R10, Z7)
	ADDQ $72, DI
	ADDQ $72, R8
	ADDQ $72, R9
	ADDQ $72, R10
	ADDQ $128, SI
	ADDQ $64, DX
	ADDQ $64, BX
	DECQ CX
	JNZ  q4v4loop
	MOVQ out+56(FP), BX
	VXORPS X1, X1, X1
	QFOLD(Z4, 0)
	QFOLD(Z5, 4)
	QFOLD(Z6, 8)
	QFOLD(Z7, 12)
	VZEROUPPER
	RET
