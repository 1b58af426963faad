package main

import (
	"bytes"
	"fmt"
)

// vcvtne2ps2bf16 returns VCVTNE2PS2BF16 of lo (the low 16 words of zdst)
// and hi (the high 16) as BYTE directives: the Go assembler has no
// mnemonic for it. Encoding EVEX.512.F2.0F38.W0 72 /r: ModRM.reg is the
// destination, EVEX.vvvv (with V') hi, ModRM.rm (with B and X) lo.
func vcvtne2ps2bf16(dst, hi, lo int) string {
	inv := func(v, bit int) int { return (^v >> bit) & 1 }
	p0 := inv(dst, 3)<<7 | inv(lo, 4)<<6 | inv(lo, 3)<<5 | inv(dst, 4)<<4 | 0b10
	p1 := (^hi&15)<<3 | 1<<2 | 0b11
	p2 := 0b10<<5 | inv(hi, 4)<<3
	modrm := 0b11<<6 | (dst&7)<<3 | lo&7
	return fmt.Sprintf("BYTE $0x62; BYTE $0x%02x; BYTE $0x%02x; BYTE $0x%02x; BYTE $0x72; BYTE $0x%02x // VCVTNE2PS2BF16 Z%d, Z%d, Z%d",
		p0, p1, p2, modrm, lo, hi, dst)
}

// genKPPanel writes kpPanelQ4KAVX512, kpPanelQ6KAVX512 and kpPanelQ8AVX512 (asm/quantkp.go
// has their contract and kpPanelGeneric their Go twin): packed Q4_K and
// Q6_K super-blocks widened straight into the bf16nn kernel's B panel. The
// packed layout already has the rows in dword lanes, as the panel's
// columns are, so no transpose is needed: each 64-byte unit of quant bytes
// (4 bytes of each of 16 rows) gives, per byte position i, one VPSHUFB of
// byte i into the dword lanes, then the float weights as the stored
// layout's dequantisation computes them ((d·sc)·q − dmin·mn for Q4_K,
// (d·sc)·(q − 32) for Q6_K, each operation rounded), two such vectors
// (weights 2p and 2p+1 of the 16 rows) rounded to bf16 by one
// VCVTNE2PS2BF16 and interleaved by VPERMW into the panel's pair row p.
func genKPPanel(b *bytes.Buffer) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	// kpByteIdx: VPSHUFB indices moving byte i of every dword to its low
	// byte, the other three bytes zeroed (0x80), for i = 0..3.
	for i := range 4 {
		for d := range 16 {
			v := uint32(0x80808000) | uint32(4*(d%4)+i)
			w("DATA kpByteIdx<>+%d(SB)/4, $0x%08x", 64*i+4*d, v)
		}
	}
	w("GLOBL kpByteIdx<>(SB), RODATA|NOPTR, $256")
	w("")
	// kpPairIdx: VPERMW indices interleaving the low and high halves (word
	// 2j from j, 2j+1 from 16+j).
	for j := range 16 {
		w("DATA kpPairIdx<>+%d(SB)/4, $0x%04x%04x", 4*j, 16+j, j)
	}
	w("GLOBL kpPairIdx<>(SB), RODATA|NOPTR, $64")
	w("")
	b.WriteString(kpPanelHead)
	genKPPanelQ4K(w)
	genKPPanelQ6K(w)
	genKPPanelQ8(w)
}

// genKPPanelQ8: per block j of a packed Q8_0 super-block the rows' d
// (Z16); unit 8j+k holds weights 32j+4k.. of the 16 rows as signed bytes,
// each byte position sign-extended into the dword lanes by two shifts,
// converted and multiplied by d (Dequantize's d·q).
func genKPPanelQ8(w func(string, ...any)) {
	w("")
	w("// func kpPanelQ8AVX512(dst *uint16, src *byte, gs, nb, ng int)")
	w("TEXT ·kpPanelQ8AVX512(SB), NOSPLIT, $0-40")
	w("\tKPPARGS")
	w("panel8group:")
	w("\tMOVQ R8, SI")
	w("\tMOVQ R9, DI")
	w("\tMOVQ nb+24(FP), CX")
	w("panel8block:")
	for i := range 4 {
		w("\tPREFETCHT0 KPPF+%d(SI)", 64*i)
	}
	for j := range 8 {
		w("\tVCVTPH2PS %d(SI), Z16", 32*j)
		for k := range 8 {
			off := 256 + 64*(8*j+k)
			w("\tPREFETCHT0 KPPF+%d(SI)", off)
			w("\tVMOVDQU64 %d(SI), Z0", off)
			for i := range 3 {
				w("\tVPSLLD $%d, Z0, Z%d", 24-8*i, 4+i)
				w("\tVPSRAD $24, Z%d, Z%d", 4+i, 4+i)
			}
			w("\tVPSRAD $24, Z0, Z7")
			for i := range 4 {
				w("\tVCVTDQ2PS Z%d, Z%d", 4+i, 4+i)
				w("\tVMULPS Z16, Z%d, Z%d", 4+i, 4+i)
			}
			kpPanelPairs(w, 16*j+2*k)
		}
	}
	w("\tADDQ $4352, SI")
	w("\tADDQ $32768, DI")
	w("\tDECQ CX")
	w("\tJNZ panel8block")
	w("\tADDQ DX, R8")
	w("\tADDQ $64, R9")
	w("\tDECQ BX")
	w("\tJNZ panel8group")
	w("\tVZEROUPPER")
	w("\tRET")
}

// kpPanelPairs writes the float weights of byte positions 0..3 of the
// int vectors in Z4..Z7 (already scaled: lanes are rows) as two pair rows
// at pair P and P+1 of the panel (DI + 256P).
func kpPanelPairs(w func(string, ...any), pair int) {
	w("\t%s", vcvtne2ps2bf16(8, 5, 4))
	w("\t%s", vcvtne2ps2bf16(9, 7, 6))
	w("\tVPERMW Z8, Z23, Z8")
	w("\tVPERMW Z9, Z23, Z9")
	w("\tVMOVDQU64 Z8, %d(DI)", 256*pair)
	w("\tVMOVDQU64 Z9, %d(DI)", 256*(pair+1))
}

// genKPPanelQ4K: per super-block the rows' d and dmin (Z16, Z17), per
// chunk c of 64 weights the scales of groups 2c, 2c+1 (Z18, Z19) and
// their offsets (Z20, Z21); unit 8c+k4 holds weights 64c+4k4.. (low
// nibbles, group 2c) and 64c+32+4k4.. (high, group 2c+1).
func genKPPanelQ4K(w func(string, ...any)) {
	w("// func kpPanelQ4KAVX512(dst *uint16, src *byte, gs, nb, ng int)")
	w("TEXT ·kpPanelQ4KAVX512(SB), NOSPLIT, $0-40")
	w("\tKPPARGS")
	w("panel4group:")
	w("\tMOVQ R8, SI")
	w("\tMOVQ R9, DI")
	w("\tMOVQ nb+24(FP), CX")
	w("panel4block:")
	for i := range 5 {
		w("\tPREFETCHT0 KPPF+%d(SI)", 64*i)
	}
	w("\tVCVTPH2PS (SI), Z16")
	w("\tVCVTPH2PS 32(SI), Z17")
	for c := range 4 {
		w("\tVPMOVZXBD %d(SI), Z18", 64+16*2*c)
		w("\tVPMOVZXBD %d(SI), Z19", 64+16*(2*c+1))
		w("\tVCVTDQ2PS Z18, Z18")
		w("\tVCVTDQ2PS Z19, Z19")
		w("\tVMULPS Z16, Z18, Z18")
		w("\tVMULPS Z16, Z19, Z19")
		w("\tVPMOVZXWD %d(SI), Z21", 192+32*c)
		w("\tVPANDD Z30, Z21, Z20")
		w("\tVPSRLD $8, Z21, Z21")
		w("\tVCVTDQ2PS Z20, Z20")
		w("\tVCVTDQ2PS Z21, Z21")
		w("\tVMULPS Z17, Z20, Z20")
		w("\tVMULPS Z17, Z21, Z21")
		for k4 := range 8 {
			off := 320 + 512*c + 64*k4
			w("\tPREFETCHT0 KPPF+%d(SI)", off)
			w("\tVMOVDQU64 %d(SI), Z0", off)
			w("\tVPANDD Z31, Z0, Z1")
			w("\tVPSRLW $4, Z0, Z2")
			w("\tVPANDD Z31, Z2, Z2")
			for half, src := range []int{1, 2} {
				for i := range 4 {
					w("\tVPSHUFB Z%d, Z%d, Z%d", 24+i, src, 4+i)
				}
				for i := range 4 {
					w("\tVCVTDQ2PS Z%d, Z%d", 4+i, 4+i)
					w("\tVMULPS Z%d, Z%d, Z%d", 18+half, 4+i, 4+i)
					w("\tVSUBPS Z%d, Z%d, Z%d", 20+half, 4+i, 4+i)
				}
				kpPanelPairs(w, 32*c+16*half+2*k4)
			}
		}
	}
	w("\tADDQ $2368, SI")
	w("\tADDQ $32768, DI")
	w("\tDECQ CX")
	w("\tJNZ panel4block")
	w("\tADDQ DX, R8")
	w("\tADDQ $64, R9")
	w("\tDECQ BX")
	w("\tJNZ panel4group")
	w("\tVZEROUPPER")
	w("\tRET")
}

// genKPPanelQ6K: per super-block the rows' d (Z16); per half h and quarter
// kh of its 32 weight columns the scales of groups 8h+2u+kh (u < 4: Z17..Z20);
// for each l0 = 4k in that quarter, ql's units 16h+k (low nibbles u = 0,
// high u = 2) and 16h+8+k (u = 1, 3) with qh's unit 8h+k (bit pairs u)
// give weights 128h+32u+4k.. as in the decoding kernel (Q6KPJ).
func genKPPanelQ6K(w func(string, ...any)) {
	w("")
	w("// func kpPanelQ6KAVX512(dst *uint16, src *byte, gs, nb, ng int)")
	w("TEXT ·kpPanelQ6KAVX512(SB), NOSPLIT, $0-40")
	w("\tKPPARGS")
	w("\tMOVL $0x30303030, AX")
	w("\tVPBROADCASTD AX, Z29")
	w("\tMOVL $32, AX")
	w("\tVPBROADCASTD AX, Z28")
	w("panel6group:")
	w("\tMOVQ R8, SI")
	w("\tMOVQ R9, DI")
	w("\tMOVQ nb+24(FP), CX")
	w("panel6block:")
	for i := range 5 {
		w("\tPREFETCHT0 KPPF+%d(SI)", 64*i)
	}
	w("\tVCVTPH2PS (SI), Z16")
	for h := range 2 {
		for kh := range 2 {
			for u := range 4 {
				w("\tVPMOVSXBD %d(SI), Z%d", 32+16*(8*h+2*u+kh), 17+u)
				w("\tVCVTDQ2PS Z%d, Z%d", 17+u, 17+u)
				w("\tVMULPS Z16, Z%d, Z%d", 17+u, 17+u)
			}
			for k := 4 * kh; k < 4*kh+4; k++ {
				j := 8*h + k // ql's units 16h+k, 16h+8+k and qh's j at 288 + 64·3j
				qa, qb, qh := 288+64*3*j, 288+64*(3*j+1), 288+64*(3*j+2)
				for _, off := range []int{qa, qb, qh} {
					w("\tPREFETCHT0 KPPF+%d(SI)", off)
				}
				w("\tVMOVDQU64 %d(SI), Z3", qh)
				w("\tVPANDD %d(SI), Z31, Z0", qa)
				w("\tVPSRLW $4, %d(SI), Z2", qa)
				w("\tVPANDD Z31, Z2, Z2")
				w("\tVPANDD %d(SI), Z31, Z1", qb)
				w("\tVPSRLW $4, %d(SI), Z10", qb)
				w("\tVPANDD Z31, Z10, Z10")
				w("\tVPSLLW $4, Z3, Z11")
				w("\tVPSLLW $2, Z3, Z12")
				w("\tVPSRLW $2, Z3, Z13")
				w("\tVPTERNLOGD $0xf8, Z29, Z11, Z0")
				w("\tVPTERNLOGD $0xf8, Z29, Z12, Z1")
				w("\tVPTERNLOGD $0xf8, Z29, Z3, Z2")
				w("\tVPTERNLOGD $0xf8, Z29, Z13, Z10")
				for u, src := range []int{0, 1, 2, 10} {
					for i := range 4 {
						w("\tVPSHUFB Z%d, Z%d, Z%d", 24+i, src, 4+i)
					}
					for i := range 4 {
						w("\tVPSUBD Z28, Z%d, Z%d", 4+i, 4+i)
						w("\tVCVTDQ2PS Z%d, Z%d", 4+i, 4+i)
						w("\tVMULPS Z%d, Z%d, Z%d", 17+u, 4+i, 4+i)
					}
					kpPanelPairs(w, 64*h+16*u+2*k)
				}
			}
		}
	}
	w("\tADDQ $3360, SI")
	w("\tADDQ $32768, DI")
	w("\tDECQ CX")
	w("\tJNZ panel6block")
	w("\tADDQ DX, R8")
	w("\tADDQ $64, R9")
	w("\tDECQ BX")
	w("\tJNZ panel6group")
	w("\tVZEROUPPER")
	w("\tRET")
}

const kpPanelHead = `// The packed Q4_K/Q6_K/Q8_0 layout widened into bf16nn panels (quantkp.go):
// ng groups of 16 rows, gs bytes apart from src, nb super-blocks each;
// group s's rows are the panel's columns 16s..16s+15, super-block b's
// weight n is pair row 128b + n/2 (element n%2 of the pair).
// VCVTNE2PS2BF16 rounds to nearest even as F32ToBF16 does; its flushing of
// subnormal inputs never applies (a nonzero (d·sc)·q, d·q or dmin·mn is at least
// 2⁻²⁴ in magnitude, a nonzero difference of two such at least 2⁻⁴⁷), and a
// NaN keeps its top half with the quiet bit set, as F32ToBF16 does.
//
//	R8  the group's first super-block    R9  its columns in pair row 0
//	SI  the current super-block    DI  its pair row 0    DX  gs
//	CX  super-blocks left    BX  groups left
//	Z23  kpPairIdx    Z24..Z27  kpByteIdx    Z30  16 × 0xff    Z31  0x0f bytes

// KPPF is how far ahead every line of a group's super-blocks is prefetched
// (the dequantisation kernels' distance).
#define KPPF 2048

// KPPARGS loads the arguments and the constants.
#define KPPARGS \
	MOVQ src+8(FP), R8; \
	MOVQ dst+0(FP), R9; \
	MOVQ gs+16(FP), DX; \
	MOVQ ng+32(FP), BX; \
	VMOVDQU64 kpPairIdx<>(SB), Z23; \
	VMOVDQU64 kpByteIdx<>+0(SB), Z24; \
	VMOVDQU64 kpByteIdx<>+64(SB), Z25; \
	VMOVDQU64 kpByteIdx<>+128(SB), Z26; \
	VMOVDQU64 kpByteIdx<>+192(SB), Z27; \
	MOVL $0xff, AX; \
	VPBROADCASTD AX, Z30; \
	MOVL $0x0f0f0f0f, AX; \
	VPBROADCASTD AX, Z31

`
