package main

import (
	"bytes"
	"fmt"
)

// vdpbf16ps returns VDPBF16PS zdst += pairwise zsrc2·zsrc1 (512-bit,
// register operands) as BYTE directives: the Go assembler has no mnemonic
// for it. Encoding EVEX.512.F3.0F38.W0 52 /r: ModRM.reg is the destination,
// EVEX.vvvv (with V') the first source, ModRM.rm (with B and X) the second.
func vdpbf16ps(dst, src2, src1 int) string {
	inv := func(v, bit int) int { return (^v >> bit) & 1 }
	p0 := inv(dst, 3)<<7 | inv(src1, 4)<<6 | inv(src1, 3)<<5 | inv(dst, 4)<<4 | 0b10
	p1 := (^src2&15)<<3 | 1<<2 | 0b10
	p2 := 0b10<<5 | inv(src2, 4)<<3
	modrm := 0b11<<6 | (dst&7)<<3 | src1&7
	return fmt.Sprintf("BYTE $0x62; BYTE $0x%02x; BYTE $0x%02x; BYTE $0x%02x; BYTE $0x52; BYTE $0x%02x // VDPBF16PS Z%d, Z%d, Z%d",
		p0, p1, p2, modrm, src1, src2, dst)
}

// genBF16Gemm writes the AVX512-BF16 GEMM tile kernel (asm/bf16gemm.go has
// its contract and Go twin): 4 rows of A against 4 rows of B, both bf16
// with k contiguous, one zmm accumulator per output (output (i, j) in
// Z(4i+j)), 32 elements a step (A in Z24.., B through Z30, Z31); then
// the accumulators reduced together by a transposing tree (four rounds of
// shuffle, shuffle, add, each adding a lane's lower half to its upper one)
// into two vectors of outputs, permuted to row-major and stored (added to
// C when acc is set).
func genBF16Gemm(b *bytes.Buffer) {
	genBF16Tile(b, "bf16tileAVX512", 4)
}

// genBF16Tile writes tile kernel name for mr ≤ 6 rows of A (the bf16Tile
// layout has room for 6) against 4 rows of B. 6×4 measured no faster than
// 4×4 (bench/RESULTS.md), which wastes fewer rows on short prompts.
func genBF16Tile(b *bytes.Buffer, name string, mr int) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	const nr = 4
	w("// The argument is a *bf16Tile: a[0..5] at 0..40, b[0..3] at 48..72, k at 80,")
	w("// c at 88, ldc at 96, mr at 104, nr at 112, acc at 120.")
	w("//")
	w("//\tSI DI R8 R9 R10 R11  rows of A (the first %d)      R12 R13 R14 BX  rows of B", mr)
	w("//\tAX byte offset   DX whole 32-element steps in bytes   CX k in bytes")
	w("//\tK1 the last k mod 32 elements, K2 the nr columns")
	w("")
	w("DATA bf16TilePerm<>+0(SB)/4, $0")
	idx := []int{0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15}
	for i, v := range idx[1:] {
		w("DATA bf16TilePerm<>+%d(SB)/4, $%d", 4*(i+1), v)
	}
	w("GLOBL bf16TilePerm<>(SB), RODATA|NOPTR, $64")
	w("")
	w("// func %s(t *bf16Tile)", name)
	w("TEXT ·%s(SB), NOSPLIT, $0-8", name)
	w("\tMOVQ t+0(FP), AX")
	ptrs := []string{"SI", "DI", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "BX"}
	ptrs = append(ptrs[:mr:mr], ptrs[6:]...)
	for i, r := range ptrs {
		off := 8 * i
		if i >= mr {
			off = 48 + 8*(i-mr)
		}
		w("\tMOVQ %d(AX), %s", off, r)
	}
	w("\tMOVQ 80(AX), CX")
	w("\tANDQ $31, CX")
	w("\tMOVQ $1, DX")
	w("\tSHLQ CX, DX")
	w("\tDECQ DX")
	w("\tKMOVD DX, K1")
	w("\tMOVQ 80(AX), CX")
	w("\tSHLQ $1, CX")
	w("\tMOVQ CX, DX")
	w("\tANDQ $-64, DX")
	w("\tXORQ AX, AX")
	for i := 0; i < mr*nr; i++ {
		w("\tVPXORD Z%d, Z%d, Z%d", i, i, i)
	}
	step := func(mask string) {
		z := ""
		if mask != "" {
			z = ".Z"
		}
		for i := 0; i < mr; i++ {
			w("\tVMOVDQU16%s (%s)(AX*1), %sZ%d", z, ptrs[i], mask, 24+i)
		}
		for j := 0; j < nr; j++ {
			bz := 30 + j%2
			w("\tVMOVDQU16%s (%s)(AX*1), %sZ%d", z, ptrs[mr+j], mask, bz)
			for i := 0; i < mr; i++ {
				w("\t%s", vdpbf16ps(nr*i+j, 24+i, bz))
			}
		}
	}
	w("\tCMPQ AX, DX")
	w("\tJAE tail%s", name)
	w("loop%s:", name)
	step("")
	w("\tADDQ $64, AX")
	w("\tCMPQ AX, DX")
	w("\tJB loop%s", name)
	w("tail%s:", name)
	w("\tCMPQ AX, CX")
	w("\tJAE reduce%s", name)
	step("K1, ")
	w("reduce%s:", name)
	w("\t// 16 → 8 lanes: Z(u) holds outputs 2u (lanes 0-7) and 2u+1 (8-15).")
	for u := 0; u < mr*nr/2; u++ {
		w("\tVSHUFF64X2 $0x44, Z%d, Z%d, Z24", 2*u+1, 2*u)
		w("\tVSHUFF64X2 $0xee, Z%d, Z%d, Z25", 2*u+1, 2*u)
		w("\tVADDPS Z25, Z24, Z%d", u)
	}
	w("\t// 8 → 4: Z(v) holds outputs (v, 0..3), one per 128-bit lane.")
	for v := 0; v < mr; v++ {
		w("\tVSHUFF32X4 $0x88, Z%d, Z%d, Z24", 2*v+1, 2*v)
		w("\tVSHUFF32X4 $0xdd, Z%d, Z%d, Z25", 2*v+1, 2*v)
		w("\tVADDPS Z25, Z24, Z%d", v)
	}
	w("\t// 4 → 2: Z6 rows 0-1, Z7 rows 2-3, Z8 rows 4-5.")
	for v := 0; v < mr/2; v++ {
		w("\tVSHUFPS $0x44, Z%d, Z%d, Z24", 2*v+1, 2*v)
		w("\tVSHUFPS $0xee, Z%d, Z%d, Z25", 2*v+1, 2*v)
		w("\tVADDPS Z25, Z24, Z%d", 6+v)
	}
	w("\t// 2 → 1: lane 4j+i of Z9 is output (i, j), of Z10 output (4+i%%2, j);")
	w("\t// permuted to 4i+j.")
	w("\tVMOVDQU32 bf16TilePerm<>(SB), Z11")
	for v := 0; v < (mr+3)/4; v++ {
		lo, hi := 6+2*v, min(7+2*v, 6+mr/2-1)
		w("\tVSHUFPS $0x88, Z%d, Z%d, Z24", hi, lo)
		w("\tVSHUFPS $0xdd, Z%d, Z%d, Z25", hi, lo)
		w("\tVADDPS Z25, Z24, Z%d", 9+v)
		w("\tVPERMPS Z%d, Z11, Z%d", 9+v, 9+v)
	}
	w("\tMOVQ t+0(FP), AX")
	w("\tMOVQ 88(AX), DI")
	w("\tMOVQ 96(AX), R8")
	w("\tSHLQ $2, R8")
	w("\tMOVQ 104(AX), R9")
	w("\tMOVQ 120(AX), R10")
	w("\tMOVQ 112(AX), CX")
	w("\tMOVQ $1, DX")
	w("\tSHLQ CX, DX")
	w("\tDECQ DX")
	w("\tKMOVW DX, K2")
	for i := 0; i < mr; i++ {
		x := 12 + i%4
		if i > 0 {
			w("\tCMPQ R9, $%d", i+1)
			w("\tJLT done%s", name)
			w("\tADDQ R8, DI")
		}
		if i%4 == 0 {
			w("\tVMOVAPS X%d, X%d", 9+i/4, x)
		} else {
			w("\tVEXTRACTF32X4 $%d, Z%d, X%d", i%4, 9+i/4, x)
		}
		w("\tTESTQ R10, R10")
		w("\tJZ store%s%d", name, i)
		w("\tVMOVUPS.Z (DI), K2, X16")
		w("\tVADDPS X%d, X16, X%d", x, x)
		w("store%s%d:", name, i)
		w("\tVMOVUPS X%d, K2, (DI)", x)
	}
	w("done%s:", name)
	w("\tVZEROUPPER")
	w("\tRET")
}
