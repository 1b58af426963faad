package main

import (
	"bytes"
	"fmt"
	"strings"
)

// genKPDot writes the int8 kernels on the packed Q4_K and Q6_K layout
// (asm/quantkp.go): hand-written macros, with the super-block bodies
// (Q4KPH0 and Q4KPH1, Q6KPSB and its halves, Q8PSB and its halves: which
// unit goes with which activations and group accumulator) spelt out here.
func genKPDot(b *bytes.Buffer) {
	b.WriteString(kpDotHead)
	b.WriteString(kpMacro(q4kpHalf(0)))
	b.WriteString("\n\n#define Q4KPH1(p, part, acc) \\\n")
	b.WriteString(kpMacro(q4kpHalf(1)))
	b.WriteString(kpDotMid)
	b.WriteString(kpMacro(q6kpBody()))
	b.WriteString(kpDotMid6Half)
	b.WriteString(kpMacro(append(q6kpPasses(0, 2), "VMOVDQA64 Z4, part")))
	b.WriteString("\n\n#define Q6KPH1(p, part, acc) \\\n")
	b.WriteString(kpMacro(append([]string{"VMOVDQA64 part, Z4"}, q6kpPasses(2, 4)...)))
	b.WriteString(kpDotMid8)
	b.WriteString(kpMacro(q8kpBody()))
	b.WriteString(kpDotMid8Half)
	b.WriteString(kpMacro(q8kpBlocks(0, 4)))
	b.WriteString("\n\n#define Q8PH1(p, acc) \\\n")
	b.WriteString(kpMacro(q8kpBlocks(4, 8)))
	b.WriteString(kpDotTail)
}

// q8kpBody is one packed Q8_0 super-block at p (eight blocks of 32 weights
// for 16 rows): block j's units 8j..8j+7 (offset 256 + 64u, read in order)
// flipped to unsigned, times the activations where q4Pos puts them, into
// Z(j), which starts from 128 times the block's negated activation sum;
// then per block the conversion and f16(d)·dx.
func q8kpBody() []string { return q8kpBlocks(0, 8) }

// q8kpBlocks is q8kpBody's blocks lo..hi-1 alone (the scale lines'
// prefetches with block 0), added to acc in the same order, so that a
// super-block run in parts gives the whole one's bits.
func q8kpBlocks(lo, hi int) []string {
	var l []string
	f := func(format string, args ...any) { l = append(l, fmt.Sprintf(format, args...)) }
	if lo == 0 {
		for i := range 4 {
			f("PREFETCHT0 KPF8+%d(p)", 64*i)
		}
	}
	for j := lo; j < hi; j++ {
		f("VPBROADCASTD %d(BX), Z%d", 4*j, j)
		f("VPSLLD $7, Z%d, Z%d", j, j)
	}
	for j := lo; j < hi; j++ {
		for k := range 8 {
			pos := 4 * k
			act := 128*(j/4) + 64*(pos/16) + 16*(j%4) + pos%16
			f("Q8PU(p, %d, %d, Z%d, Z%d)", 256+64*(8*j+k), act, 8+k%2, j)
		}
	}
	for j := lo; j < hi; j++ {
		f("VCVTPH2PS %d(p), Z16", 32*j)
		f("VMULPS.BCST %d(DX), Z16, Z16", 4*j)
		f("VCVTDQ2PS Z%d, Z%d", j, j)
		f("VMULPS Z16, Z%d, Z%d", j, j)
		f("VADDPS Z%d, acc, acc", j)
	}
	return l
}

// kpMacro joins a macro's lines with continuations.
func kpMacro(lines []string) string { return "\t" + strings.Join(lines, " \\\n") }

// kPos4 is where group g of a Q4_K super-block sits in the quantised
// activations (asm's kOrder4: groups 0, 2, 1, 3, 4, 6, 5, 7).
var kPos4 = [8]int{0, 2, 1, 3, 4, 6, 5, 7}

// q4kpHalf is half h of a packed Q4_K super-block at p: unit 8c+k4
// (offset 320 + 64(8c+k4)) holds weights 4k4..4k4+3 of groups 2c (low
// nibbles) and 2c+1 (high), multiplied with those groups' activations into
// Z(2c) and Z(2c+1); half 0 takes c = 0, 1 (the lines from 0 to 1343) and
// half 1 c = 2, 3 (1344 to 2367). Each half multiplies its four group sums
// by the rows' scales (byte 64 + 16g + r) and adds them: half 0 into
// part, half 1 onto part into Z0, so that the integer sum is the whole
// super-block's, added in the same tree, ((g0+g1)+(g2+g3)) +
// ((g4+g5)+(g6+g7)). Half 0 also adds the mins' term (the pairs at 192 +
// 32j) to macc, half 1 the scaled sum to acc: the two float accumulators
// get one addition each per super-block, as before the split.
func q4kpHalf(h int) []string {
	var l []string
	f := func(format string, args ...any) { l = append(l, fmt.Sprintf(format, args...)) }
	if h == 0 {
		for i := range 5 {
			f("PREFETCHT0 KPF4+%d(p)", 64*i)
		}
	}
	for i := 4 * h; i < 4*h+4; i++ {
		f("VPXORD Z%d, Z%d, Z%d", i, i, i)
	}
	for k4 := range 8 {
		for c := 2 * h; c < 2*h+2; c++ {
			f("Q4KPU(p, %d, %d, %d, Z%d, Z%d)", 320+512*c+64*k4, 32*kPos4[2*c]+4*k4, 32*kPos4[2*c+1]+4*k4, 2*c, 2*c+1)
		}
	}
	g0 := 4 * h
	for g := g0; g < g0+4; g++ {
		f("VPMOVZXBD %d(p), Z%d", 64+16*g, 8+g)
		f("VPMULLD Z%d, Z%d, Z%d", 8+g, g, g)
	}
	f("VPADDD Z%d, Z%d, Z%d", g0+1, g0, g0)
	f("VPADDD Z%d, Z%d, Z%d", g0+3, g0+2, g0+2)
	if h == 0 {
		l = append(l, "VPADDD Z2, Z0, part", "VPXORD Z11, Z11, Z11")
		for j := range 4 {
			f("VPMOVZXBW %d(p), Z%d", 192+32*j, 12+j)
			f("VPDPWSSD.BCST %d(BX), Z%d, Z11", 4*j, 12+j)
		}
		return append(l, "VCVTPH2PS 32(p), Z17", "VMULPS.BCST (DX), Z17, Z17", "VCVTDQ2PS Z11, Z11", "VMULPS Z17, Z11, Z11", "VADDPS Z11, macc, macc")
	}
	return append(l, "VPADDD Z6, Z4, Z4", "VPADDD Z4, part, Z0",
		"VCVTPH2PS (p), Z16", "VMULPS.BCST (DX), Z16, Z16", "VCVTDQ2PS Z0, Z0", "VMULPS Z16, Z0, Z0", "VADDPS Z0, acc, acc")
}

// q6kpBody is one packed Q6_K super-block at p, in four passes J of four
// groups each (J%2 + 8(J/2) + 0, 2, 4, 6, accumulators Z0..Z3 starting
// from off6): qh unit j = 4J+jj holds the high bits of chunks base,
// base+8, base+16, base+24 (base = j, or j+24 in the second half), whose
// low bits are in ql units qa (chunks base, base+16) and qa+8.
func q6kpBody() []string { return q6kpPasses(0, 4) }

// q6kpPasses is q6kpBody's passes J0..J1-1 alone: the prefetches of the
// scale lines and the zeroed Z4 with pass 0, the float step with pass 3;
// between parts Z4 holds the integer sum so far.
func q6kpPasses(J0, J1 int) []string {
	var l []string
	f := func(format string, args ...any) { l = append(l, fmt.Sprintf(format, args...)) }
	if J0 == 0 {
		for i := range 5 {
			f("PREFETCHT0 KPF6+%d(p)", 64*i)
		}
		l = append(l, "VPXORD Z4, Z4, Z4")
	}
	for J := J0; J < J1; J++ {
		gb := J%2 + 8*(J/2)
		for a := range 4 {
			f("VPBROADCASTD %d(BX), Z%d", 4*(gb+2*a), a)
		}
		for jj := range 4 {
			j := 4*J + jj
			base := j
			if j >= 8 {
				base = j + 24
			}
			// ql's units qa, qa+8 and qh's unit j: the three lines at
			// 288 + 64·3j, so that the super-block is read in order
			// (quantkp.go's kp6Unit).
			f("Q6KPJ(p, %d, %d, %d, %d, %d, %d, %d)", 288+64*3*j, 288+64*(3*j+1), 288+64*(3*j+2), 4*base, 4*(base+8), 4*(base+16), 4*(base+24))
		}
		f("Q6KPSCALE(p, %d, %d, %d, %d)", 32+16*gb, 32+16*(gb+2), 32+16*(gb+4), 32+16*(gb+6))
	}
	if J1 < 4 {
		return l
	}
	return append(l, "VCVTPH2PS (p), Z16", "VMULPS.BCST (DX), Z16, Z16", "VCVTDQ2PS Z4, Z4", "VMULPS Z16, Z4, Z4", "VADDPS Z4, acc, acc")
}

const kpDotHead = `// The int8 kernels on the packed Q4_K, Q6_K and Q8_0 layout (quantkp.go;
// kdotPGeneric is the Go twin, bit for bit), one group of 16 rows per
// stream, its dword lanes the rows. Each 64-byte load holds 4 weights of
// each row; VPDPBUSD multiplies them with the 4 activations broadcast from
// memory (m32bcst) into the int32 sum of their group, one accumulator per
// group (Z0..Z7); the group sums are multiplied by the rows' group scales
// (VPMULLD, the scales widened from bytes), added, converted and scaled by
// f16(d)·dx into the rows' float accumulator. Q4_K's mins: pairs of them
// (words) times the activations' pairs of group sums (VPDPWSSD with the
// pair broadcast) into Z11, scaled by f16(dmin)·dx into a second float
// accumulator, subtracted at the end.
//
//	SI  q (int8)    DX  dx (float32)    BX  sums: bsum (Q4_K, int16), off6 (Q6_K, int32) or negSum (Q8_0, int32)
//	DI (R13, R14, R15)  the streams' current packed super-blocks    CX  super-blocks left
//	Z31  0x0f bytes    Z30  0x30 bytes    Z29  0x80 bytes (Q8_0)
//	Z18, Z19, Z28, Z29  kdotQ4KP4's four streams' integer sums between the halves

// KPF4, KPF6 and KPF8 are how far ahead the Q4_K, Q6_K and Q8_0 kernels prefetch
// every cache line of each stream (a whole 1B Q4_K_M token, one thread,
// quiet: Q4_K's gate and up 10.4–11.2 ms at 2 KB, 12.8–13.5 at 4 and 6 KB;
// Q6_K's head 11.9–12.5 ms at 2 KB, 10.0–10.3 at 4 and 6 KB).
#define KPF4 2048
#define KPF6 4096
#define KPF8 2048

// Q4KPU adds one unit of 64 bytes at off(p) (4 nibble bytes of each row):
// the low nibbles times the activations at lo(SI) into group accumulator
// al, the high ones times those at hi(SI) into ah.
#define Q4KPU(p, off, lo, hi, al, ah) \
	PREFETCHT0 off+KPF4(p); \
	VPANDD off(p), Z31, Z8; \
	VPSRLW $4, off(p), Z9; \
	VPANDD Z31, Z9, Z9; \
	VPDPBUSD.BCST lo(SI), Z8, al; \
	VPDPBUSD.BCST hi(SI), Z9, ah

// Q4KPH0 and Q4KPH1 add the packed Q4_K super-block at p to the float
// accumulators macc (the min terms; Q4KPH0) and acc (the scaled sums;
// Q4KPH1), reading the activations at SI, DX, BX without advancing them:
// Q4KPH0 the lines up to 1343 (groups 0–3), Q4KPH1 the rest (groups 4–7),
// the integer sum in between kept in part. kdotQ4KP4 runs the four
// streams' first halves, then their second halves, so that no stream
// waits a whole super-block (37 lines) for the next of its lines.
#define Q4KPH0(p, part, macc) \
`

const kpDotMid = `

// Q6KPJ adds four units of the weights: ql's units at qa(p) and qb(p)
// (low nibbles: chunks base and base+8 of 4 weights; high: base+16 and
// base+24) with the qh unit at qh(p) (bit pairs 0-3 for those chunks in
// turn) shifted to bits 4-5 and ORed in, times the activations at x0..x3(SI),
// into group accumulators Z0..Z3.
#define Q6KPJ(p, qa, qb, qh, x0, x1, x2, x3) \
	PREFETCHT0 qa+KPF6(p); \
	PREFETCHT0 qb+KPF6(p); \
	PREFETCHT0 qh+KPF6(p); \
	VMOVDQU64 qh(p), Z12; \
	VPANDD qa(p), Z31, Z8; \
	VPSRLW $4, qa(p), Z9; \
	VPANDD Z31, Z9, Z9; \
	VPANDD qb(p), Z31, Z10; \
	VPSRLW $4, qb(p), Z11; \
	VPANDD Z31, Z11, Z11; \
	VPSLLW $4, Z12, Z13; \
	VPSLLW $2, Z12, Z14; \
	VPSRLW $2, Z12, Z15; \
	VPTERNLOGD $0xf8, Z30, Z13, Z8; \
	VPTERNLOGD $0xf8, Z30, Z14, Z10; \
	VPTERNLOGD $0xf8, Z30, Z12, Z9; \
	VPTERNLOGD $0xf8, Z30, Z15, Z11; \
	VPDPBUSD.BCST x0(SI), Z8, Z0; \
	VPDPBUSD.BCST x1(SI), Z10, Z1; \
	VPDPBUSD.BCST x2(SI), Z9, Z2; \
	VPDPBUSD.BCST x3(SI), Z11, Z3

// Q6KPSCALE multiplies group accumulators Z0..Z3 by the rows' int8 scales
// of their groups (at s0..s3(p)) and adds them to Z4.
#define Q6KPSCALE(p, s0, s1, s2, s3) \
	VPMOVSXBD s0(p), Z16; \
	VPMULLD Z16, Z0, Z0; \
	VPMOVSXBD s1(p), Z17; \
	VPMULLD Z17, Z1, Z1; \
	VPMOVSXBD s2(p), Z18; \
	VPMULLD Z18, Z2, Z2; \
	VPMOVSXBD s3(p), Z19; \
	VPMULLD Z19, Z3, Z3; \
	VPADDD Z1, Z0, Z0; \
	VPADDD Z3, Z2, Z2; \
	VPADDD Z0, Z4, Z4; \
	VPADDD Z2, Z4, Z4

// Q6KPSB adds the packed Q6_K super-block at p to the float accumulator
// acc: four passes, each over four groups (J: groups J%2 + 8(J/2) + 0, 2,
// 4, 6), the group accumulators starting from off6 (BX).
#define Q6KPSB(p, acc) \
`

const kpDotMid6Half = `

// Q6KPH0 and Q6KPH1 are Q6KPSB's passes 0–1 and 2–3, the integer sum in
// between kept in part: kdotQ6KP4 runs the four streams' first halves,
// then their second halves, so that no stream waits a whole super-block
// (52 lines) for the next of its lines.
#define Q6KPH0(p, part) \
`

const kpDotMid8 = `

// Q8PU adds one unit of 64 bytes at off(p) (4 weights of each row, signed,
// flipped to unsigned by the XOR with 0x80 bytes) times the activations at
// x(SI) into block accumulator acc, through the register tmp.
#define Q8PU(p, off, x, tmp, acc) \
	PREFETCHT0 off+KPF8(p); \
	VPXORD off(p), Z29, tmp; \
	VPDPBUSD.BCST x(SI), tmp, acc

// Q8PSB adds the packed Q8_0 super-block at p to the float accumulator
// acc, the block accumulators starting from 128·negSum (BX).
#define Q8PSB(p, acc) \
`

const kpDotMid8Half = `

// Q8PH0 and Q8PH1 are Q8PSB's blocks 0–3 and 4–7: kdotQ8P4 runs the four
// streams' first halves, then their second halves, so that no stream waits
// a whole super-block (68 lines) for the next of its lines.
#define Q8PH0(p, acc) \
`

const kpDotTail = `

// KPARGS loads the arguments shared by the kernels and the constants.
#define KPARGS \
	MOVQ q+0(FP), SI; \
	MOVQ d+8(FP), DX; \
	MOVQ sums+16(FP), BX; \
	MOVQ b+24(FP), DI; \
	MOVL $0x0f0f0f0f, AX; \
	VPBROADCASTD AX, Z31; \
	MOVL $0x30303030, AX; \
	VPBROADCASTD AX, Z30; \
	MOVL $0x80808080, AX; \
	VPBROADCASTD AX, Z29; \
	VXORPS Z20, Z20, Z20; \
	VXORPS Z21, Z21, Z21; \
	VXORPS Z22, Z22, Z22; \
	VXORPS Z23, Z23, Z23; \
	VXORPS Z24, Z24, Z24; \
	VXORPS Z25, Z25, Z25; \
	VXORPS Z26, Z26, Z26; \
	VXORPS Z27, Z27, Z27

// KPNEXT advances the activations by one super-block (bs: bytes of bsum
// or off6 per super-block).
#define KPNEXT(bs) \
	ADDQ $256, SI; \
	ADDQ $4, DX; \
	ADDQ bs, BX

// KP4PTRS sets R13, R14, R15 to the second to fourth streams, ld bytes
// apart from DI's, and R8 to the output stride in bytes.
#define KP4PTRS \
	MOVQ ld+32(FP), AX; \
	LEAQ (DI)(AX*1), R13; \
	LEAQ (R13)(AX*1), R14; \
	LEAQ (R14)(AX*1), R15; \
	MOVQ nb+40(FP), CX; \
	MOVQ out+48(FP), R9; \
	MOVQ os+56(FP), R8; \
	SHLQ $2, R8

// func kdotQ4KP(q *int8, d *float32, sums *int16, b *byte, nb int, out *float32)
TEXT ·kdotQ4KP(SB), NOSPLIT, $0-48
	KPARGS
	MOVQ nb+32(FP), CX
kp4loop:
	Q4KPH0(DI, Z18, Z21)
	Q4KPH1(DI, Z18, Z20)
	ADDQ $2368, DI
	KPNEXT($32)
	DECQ CX
	JNZ  kp4loop
	VSUBPS Z21, Z20, Z20
	MOVQ out+40(FP), AX
	VMOVUPS Z20, (AX)
	VZEROUPPER
	RET

// func kdotQ4KP4(q *int8, d *float32, sums *int16, b *byte, ld, nb int, out *float32, os int)
//
// kdotQ4KP on the four groups at b, b+ld, b+2ld, b+3ld (four streams from
// memory, the activations read once per super-block for the four), group
// s's results to out[s·os:].
TEXT ·kdotQ4KP4(SB), NOSPLIT, $0-64
	KPARGS
	KP4PTRS
kp44loop:
	Q4KPH0(DI, Z18, Z21)
	Q4KPH0(R13, Z19, Z23)
	Q4KPH0(R14, Z28, Z25)
	Q4KPH0(R15, Z29, Z27)
	Q4KPH1(DI, Z18, Z20)
	Q4KPH1(R13, Z19, Z22)
	Q4KPH1(R14, Z28, Z24)
	Q4KPH1(R15, Z29, Z26)
	ADDQ $2368, DI
	ADDQ $2368, R13
	ADDQ $2368, R14
	ADDQ $2368, R15
	KPNEXT($32)
	DECQ CX
	JNZ  kp44loop
	VSUBPS Z21, Z20, Z20
	VSUBPS Z23, Z22, Z22
	VSUBPS Z25, Z24, Z24
	VSUBPS Z27, Z26, Z26
	VMOVUPS Z20, (R9)
	ADDQ R8, R9
	VMOVUPS Z22, (R9)
	ADDQ R8, R9
	VMOVUPS Z24, (R9)
	ADDQ R8, R9
	VMOVUPS Z26, (R9)
	VZEROUPPER
	RET

// func kdotQ8P(q *int8, d *float32, sums *int32, b *byte, nb int, out *float32)
TEXT ·kdotQ8P(SB), NOSPLIT, $0-48
	KPARGS
	MOVQ nb+32(FP), CX
kp8loop:
	Q8PSB(DI, Z20)
	ADDQ $4352, DI
	ADDQ $256, SI
	ADDQ $32, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  kp8loop
	MOVQ out+40(FP), AX
	VMOVUPS Z20, (AX)
	VZEROUPPER
	RET

// func kdotQ8P4(q *int8, d *float32, sums *int32, b *byte, ld, nb int, out *float32, os int)
//
// kdotQ8P on four groups, as kdotQ4KP4.
TEXT ·kdotQ8P4(SB), NOSPLIT, $0-64
	KPARGS
	KP4PTRS
kp84loop:
	Q8PH0(DI, Z20)
	Q8PH0(R13, Z22)
	Q8PH0(R14, Z24)
	Q8PH0(R15, Z26)
	Q8PH1(DI, Z20)
	Q8PH1(R13, Z22)
	Q8PH1(R14, Z24)
	Q8PH1(R15, Z26)
	ADDQ $4352, DI
	ADDQ $4352, R13
	ADDQ $4352, R14
	ADDQ $4352, R15
	ADDQ $256, SI
	ADDQ $32, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  kp84loop
	VMOVUPS Z20, (R9)
	ADDQ R8, R9
	VMOVUPS Z22, (R9)
	ADDQ R8, R9
	VMOVUPS Z24, (R9)
	ADDQ R8, R9
	VMOVUPS Z26, (R9)
	VZEROUPPER
	RET

// func kdotQ6KP(q *int8, d *float32, sums *int32, b *byte, nb int, out *float32)
TEXT ·kdotQ6KP(SB), NOSPLIT, $0-48
	KPARGS
	MOVQ nb+32(FP), CX
kp6loop:
	Q6KPSB(DI, Z20)
	ADDQ $3360, DI
	KPNEXT($64)
	DECQ CX
	JNZ  kp6loop
	MOVQ out+40(FP), AX
	VMOVUPS Z20, (AX)
	VZEROUPPER
	RET

// func kdotQ6KP4(q *int8, d *float32, sums *int32, b *byte, ld, nb int, out *float32, os int)
//
// kdotQ6KP on four groups, as kdotQ4KP4.
TEXT ·kdotQ6KP4(SB), NOSPLIT, $0-64
	KPARGS
	KP4PTRS
kp64loop:
	Q6KPH0(DI, Z21)
	Q6KPH0(R13, Z23)
	Q6KPH0(R14, Z25)
	Q6KPH0(R15, Z27)
	Q6KPH1(DI, Z21, Z20)
	Q6KPH1(R13, Z23, Z22)
	Q6KPH1(R14, Z25, Z24)
	Q6KPH1(R15, Z27, Z26)
	ADDQ $3360, DI
	ADDQ $3360, R13
	ADDQ $3360, R14
	ADDQ $3360, R15
	KPNEXT($64)
	DECQ CX
	JNZ  kp64loop
	VMOVUPS Z20, (R9)
	ADDQ R8, R9
	VMOVUPS Z22, (R9)
	ADDQ R8, R9
	VMOVUPS Z24, (R9)
	ADDQ R8, R9
	VMOVUPS Z26, (R9)
	VZEROUPPER
	RET
`
