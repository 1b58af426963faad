//go:build !purego

#include "textflag.h"

// Block dequantisation on zmm registers (Dequantize in quant.go is the Go
// twin, bit for bit for finite scales): per 32-weight block the f16 scale
// widened by VCVTPH2PS, the weights widened to int32, converted exactly and
// multiplied once (one rounding, as d·float32(q) in Go).
//
//	DI  dst    SI  the current block    CX  blocks left
//
// Every kernel prefetches its source DEQPF bytes ahead, a line per 64
// bytes it reads: a prompt dequantises each weight once, straight from
// DRAM, one stream per call, which the hardware prefetcher alone reads at a
// fraction of the bandwidth.

#define DEQPF 2048

// DEQARGS loads the block kernels' arguments.
#define DEQARGS \
	MOVQ dst+0(FP), DI; \
	MOVQ b+8(FP), SI; \
	MOVQ nb+16(FP), CX

// Q8BLOCK widens the Q8_0 block at SI into Z0 (weights 0-15) and Z1
// (16-31), d·q each; Z4 holds d.
#define Q8BLOCK \
	VPBROADCASTW (SI), Y4; \
	VCVTPH2PS Y4, Z4; \
	VPMOVSXBD 2(SI), Z0; \
	VPMOVSXBD 18(SI), Z1; \
	VCVTDQ2PS Z0, Z0; \
	VCVTDQ2PS Z1, Z1; \
	VMULPS Z4, Z0, Z0; \
	VMULPS Z4, Z1, Z1

// Q4CONSTS sets Z5 to 16 × 15 and Z6 to 16 × 8 for Q4BLOCK.
#define Q4CONSTS \
	MOVL $15, AX; \
	VPBROADCASTD AX, Z5; \
	MOVL $8, AX; \
	VPBROADCASTD AX, Z6

// Q4BLOCK widens the Q4_0 block at SI as Q8BLOCK does (weight j in byte
// j's low nibble, weight j+16 in its high one, both stored plus 8).
#define Q4BLOCK \
	VPBROADCASTW (SI), Y4; \
	VCVTPH2PS Y4, Z4; \
	VPMOVZXBD 2(SI), Z0; \
	VPSRLD $4, Z0, Z1; \
	VPANDD Z5, Z0, Z0; \
	VPSUBD Z6, Z0, Z0; \
	VPSUBD Z6, Z1, Z1; \
	VCVTDQ2PS Z0, Z0; \
	VCVTDQ2PS Z1, Z1; \
	VMULPS Z4, Z0, Z0; \
	VMULPS Z4, Z1, Z1

// STOREBF16 rounds Z0 and Z1 to bf16 and stores the 32 at DI: one
// VCVTNE2PS2BF16 Z0, Z1, Z2 (hand-encoded: the Go assembler lacks it), Z0
// in the low half.
#define STOREBF16 \
	BYTE $0x62; BYTE $0xf2; BYTE $0x77; BYTE $0x48; BYTE $0x72; BYTE $0xd0; \
	VMOVDQU64 Z2, (DI)

// func dequant8AVX512(dst *float32, b *byte, nb int)
TEXT ·dequant8AVX512(SB), NOSPLIT, $0-24
	DEQARGS
	TESTQ CX, CX
	JZ   q8done
q8loop:
	PREFETCHT0 DEQPF(SI)
	Q8BLOCK
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
	DEQARGS
	TESTQ CX, CX
	JZ   q4done
	Q4CONSTS
q4loop:
	PREFETCHT0 DEQPF(SI)
	Q4BLOCK
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $18, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  q4loop
q4done:
	VZEROUPPER
	RET

// dequant8BF16AVX512 and dequant4BF16AVX512 are dequant8AVX512 and
// dequant4AVX512 writing bf16: the two float32 halves of a block rounded
// by one VCVTNE2PS2BF16 (nearest even; its flushing of subnormals never
// applies, a nonzero d·q being at least 2⁻²⁴; a NaN keeps its top half
// with the quiet bit set, as F32ToBF16 does).

// func dequant8BF16AVX512(dst *uint16, b *byte, nb int)
TEXT ·dequant8BF16AVX512(SB), NOSPLIT, $0-24
	DEQARGS
	TESTQ CX, CX
	JZ   b8done
b8loop:
	PREFETCHT0 DEQPF(SI)
	Q8BLOCK
	STOREBF16
	ADDQ $34, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  b8loop
b8done:
	VZEROUPPER
	RET

// func dequant4BF16AVX512(dst *uint16, b *byte, nb int)
TEXT ·dequant4BF16AVX512(SB), NOSPLIT, $0-24
	DEQARGS
	TESTQ CX, CX
	JZ   b4done
	Q4CONSTS
b4loop:
	PREFETCHT0 DEQPF(SI)
	Q4BLOCK
	STOREBF16
	ADDQ $18, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  b4loop
b4done:
	VZEROUPPER
	RET

// The K types: the group scales are widened by the caller (quant_amd64.go)
// into sc, 16 floats per super-block; here each group's weights are widened
// from their nibbles (and Q6_K's high bit pairs) and scaled as the Go twin
// does: Q4_K (d·sc)·q − dmin·mn, Q6_K (d·sc)·q, each operation rounded.
//
//	DI  dst    SI  the current super-block    DX  its scales    CX  blocks left
//	Z13  16 × 15    Z14  16 × 3    Z15  16 × 32

// Q4NIB widens 16 bytes at qs+off into the low (scale s0, offset o0; out at
// dst+lo) and high (s1, o1; dst+hi) nibble weights.
#define Q4NIB(off, s0, o0, s1, o1, lo, hi) \
	VPMOVZXBD off(SI), Z0; \
	VPANDD Z13, Z0, Z1; \
	VPSRLD $4, Z0, Z2; \
	VCVTDQ2PS Z1, Z1; \
	VCVTDQ2PS Z2, Z2; \
	VBROADCASTSS s0(DX), Z3; \
	VBROADCASTSS o0(DX), Z4; \
	VMULPS Z3, Z1, Z1; \
	VSUBPS Z4, Z1, Z1; \
	VMOVUPS Z1, lo(DI); \
	VBROADCASTSS s1(DX), Z3; \
	VBROADCASTSS o1(DX), Z4; \
	VMULPS Z3, Z2, Z2; \
	VSUBPS Z4, Z2, Z2; \
	VMOVUPS Z2, hi(DI)

// Q4CHUNK is the 64 weights of nibble bytes 32c..32c+31 (groups 2c, 2c+1;
// their scales at 4·2c and 4·(2c+1), offsets 32 bytes further).
#define Q4CHUNK(q, s0, o0, s1, o1, out) \
	Q4NIB(q, s0, o0, s1, o1, out, out+128); \
	Q4NIB(q+16, s0, o0, s1, o1, out+64, out+192)

// func dequantQ4KAVX512(dst *float32, b *byte, sc *float32, nb int)
TEXT ·dequantQ4KAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ sc+16(FP), DX
	MOVQ nb+24(FP), CX
	TESTQ CX, CX
	JZ   k4done
	MOVL $15, AX
	VPBROADCASTD AX, Z13
k4loop:
	PREFETCHT0 DEQPF(SI)
	PREFETCHT0 DEQPF+64(SI)
	PREFETCHT0 DEQPF+128(SI)
	Q4CHUNK(16, 0, 32, 4, 36, 0)
	Q4CHUNK(48, 8, 40, 12, 44, 256)
	Q4CHUNK(80, 16, 48, 20, 52, 512)
	Q4CHUNK(112, 24, 56, 28, 60, 768)
	ADDQ $144, SI
	ADDQ $64, DX
	ADDQ $1024, DI
	DECQ CX
	JNZ  k4loop
k4done:
	VZEROUPPER
	RET

// Q6W widens the 16 weights whose low nibbles are at ql+lo (the high ones
// when hi4 is 4: shifted down) and whose bit pairs sit at bit sh of qh+qh,
// minus 32, times the scale at s(DX), into dst+out.
#define Q6W(lo, hi4, qh, sh, s, out) \
	VPMOVZXBD lo(SI), Z0; \
	VPSRLD $hi4, Z0, Z0; \
	VPANDD Z13, Z0, Z0; \
	VPMOVZXBD qh(SI), Z1; \
	VPSRLD $sh, Z1, Z1; \
	VPANDD Z14, Z1, Z1; \
	VPSLLD $4, Z1, Z1; \
	VPORD Z1, Z0, Z0; \
	VPSUBD Z15, Z0, Z0; \
	VCVTDQ2PS Z0, Z0; \
	VBROADCASTSS s(DX), Z3; \
	VMULPS Z3, Z0, Z0; \
	VMOVUPS Z0, out(DI)

// Q6HALF is the 128 weights of half h: ql at 64h, qh at 128+32h, scales
// 8h.., weights 128h...
#define Q6HALF(ql, qh, s, out) \
	Q6W(ql, 0, qh, 0, s, out); \
	Q6W(ql+16, 0, qh+16, 0, s+4, out+64); \
	Q6W(ql+32, 0, qh, 2, s+8, out+128); \
	Q6W(ql+48, 0, qh+16, 2, s+12, out+192); \
	Q6W(ql, 4, qh, 4, s+16, out+256); \
	Q6W(ql+16, 4, qh+16, 4, s+20, out+320); \
	Q6W(ql+32, 4, qh, 6, s+24, out+384); \
	Q6W(ql+48, 4, qh+16, 6, s+28, out+448)

// func dequantQ6KAVX512(dst *float32, b *byte, sc *float32, nb int)
TEXT ·dequantQ6KAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ sc+16(FP), DX
	MOVQ nb+24(FP), CX
	TESTQ CX, CX
	JZ   k6done
	MOVL $15, AX
	VPBROADCASTD AX, Z13
	MOVL $3, AX
	VPBROADCASTD AX, Z14
	MOVL $32, AX
	VPBROADCASTD AX, Z15
k6loop:
	PREFETCHT0 DEQPF(SI)
	PREFETCHT0 DEQPF+64(SI)
	PREFETCHT0 DEQPF+128(SI)
	PREFETCHT0 DEQPF+192(SI)
	Q6HALF(0, 128, 0, 0)
	Q6HALF(64, 160, 32, 512)
	ADDQ $210, SI
	ADDQ $64, DX
	ADDQ $1024, DI
	DECQ CX
	JNZ  k6loop
k6done:
	VZEROUPPER
	RET
