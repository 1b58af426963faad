package main

import (
	"bytes"
	"fmt"
)

// genPackAVX2 writes pack_avx2_amd64.s: packT8AVX2, the AVX2 twin of
// packTGeneric for rows ≤ 8 and lanes 6 or 8 (the AVX2 level's 6-row A
// panels and the two 8-column halves of its 16-column Bᵀ panels), eight
// columns at a time through an 8×8 in-register transpose (unpack ps,
// unpack pd, VPERM2F128). The last kc mod 8 columns are read with
// VMASKMOVPS (masked-off lanes are not touched).
func genPackAVX2(b *bytes.Buffer) {
	b.WriteString("// AVX2 packing kernel for SGEMM (see asm/_gen/pack_avx2.go).\n\n")
	b.WriteString("// Eight all-ones then eight zero dwords: the mask of t lanes starts t dwords before the zeros.\n")
	for i := 0; i < 16; i++ {
		v := "$0xffffffff"
		if i >= 8 {
			v = "$0"
		}
		fmt.Fprintf(b, "DATA packMask8<>+%d(SB)/4, %s\n", 4*i, v)
	}
	b.WriteString("GLOBL packMask8<>(SB), RODATA|NOPTR, $64\n\n")
	b.WriteString("// func packT8AVX2(dst unsafe.Pointer, w, lanes int, src unsafe.Pointer, ld, rows, kc int)\n")
	b.WriteString("TEXT ·packT8AVX2(SB), NOSPLIT, $0-56\n")
	b.WriteString("\tMOVQ dst+0(FP), DI\n\tMOVQ w+8(FP), R8\n\tSHLQ $2, R8\n\tLEAQ (R8)(R8*2), R9\n")
	b.WriteString("\tMOVQ src+24(FP), SI\n\tMOVQ ld+32(FP), R10\n\tSHLQ $2, R10\n\tLEAQ (R10)(R10*2), R11\n")
	b.WriteString("\tMOVQ rows+40(FP), R12\n\tMOVQ lanes+16(FP), R13\n")
	b.WriteString("\tMOVQ kc+48(FP), CX\n\tMOVQ CX, DX\n\tANDQ $7, DX\n\tSHRQ $3, CX\n\tJZ ttail\n")
	b.WriteString("tloop:\n")
	packT8Block(b, "m", false)
	b.WriteString("\tADDQ $32, SI\n\tLEAQ (DI)(R8*8), DI\n\tDECQ CX\n\tJNZ tloop\n")
	b.WriteString("ttail:\n\tTESTQ DX, DX\n\tJZ tdone\n")
	// Y15 = mask of DX lanes: 8 dwords from packMask8 + 32 - 4·DX.
	b.WriteString("\tLEAQ packMask8<>+32(SB), AX\n\tMOVQ DX, BX\n\tSHLQ $2, BX\n\tSUBQ BX, AX\n\tVMOVDQU (AX), Y15\n")
	packT8Block(b, "t", true)
	b.WriteString("tdone:\n\tVZEROUPPER\n\tRET\n")
}

// packT8Block emits one 8-column block: loads of rows < R12 (others zeroed;
// masked by Y15 when tail), the transpose into Y8..Y15 (column p in Y(8+p)),
// and stores of R13 (6 or 8) lanes per column, of the first DX columns only
// when tail is set.
func packT8Block(b *bytes.Buffer, s string, tail bool) {
	b.WriteString("\tMOVQ SI, BX\n")
	for r := 0; r < 8; r++ {
		fmt.Fprintf(b, "\tCMPQ R12, $%d\n\tJLE z%s%d\n", r, s, r)
		if r == 4 {
			b.WriteString("\tLEAQ (BX)(R10*4), BX\n")
		}
		mem := [...]string{"(BX)", "(BX)(R10*1)", "(BX)(R10*2)", "(BX)(R11*1)"}[r%4]
		if tail {
			fmt.Fprintf(b, "\tVMASKMOVPS %s, Y15, Y%d\n", mem, r)
		} else {
			fmt.Fprintf(b, "\tVMOVUPS %s, Y%d\n", mem, r)
		}
	}
	fmt.Fprintf(b, "\tJMP l%s\n", s)
	for r := 0; r < 8; r++ {
		fmt.Fprintf(b, "z%s%d:\n\tVXORPS Y%d, Y%d, Y%d\n", s, r, r, r, r)
	}
	fmt.Fprintf(b, "l%s:\n", s)
	// Stage 1: row pairs within 128-bit lanes (Y0..7 → Y8..15).
	for i := 0; i < 4; i++ {
		fmt.Fprintf(b, "\tVUNPCKLPS Y%d, Y%d, Y%d\n", 2*i+1, 2*i, 8+2*i)
		fmt.Fprintf(b, "\tVUNPCKHPS Y%d, Y%d, Y%d\n", 2*i+1, 2*i, 8+2*i+1)
	}
	// Stage 2: Y(4g+j) lane L = rows 4g..4g+3 at column 4L+j.
	for g := 0; g < 2; g++ {
		a := 8 + 4*g
		fmt.Fprintf(b, "\tVUNPCKLPD Y%d, Y%d, Y%d\n", a+2, a, 4*g)
		fmt.Fprintf(b, "\tVUNPCKHPD Y%d, Y%d, Y%d\n", a+2, a, 4*g+1)
		fmt.Fprintf(b, "\tVUNPCKLPD Y%d, Y%d, Y%d\n", a+3, a+1, 4*g+2)
		fmt.Fprintf(b, "\tVUNPCKHPD Y%d, Y%d, Y%d\n", a+3, a+1, 4*g+3)
	}
	// Stage 3: column j from the low lanes of Y(j), Y(4+j); column 4+j from
	// the high lanes.
	for j := 0; j < 4; j++ {
		fmt.Fprintf(b, "\tVPERM2F128 $0x20, Y%d, Y%d, Y%d\n", 4+j, j, 8+j)
		fmt.Fprintf(b, "\tVPERM2F128 $0x31, Y%d, Y%d, Y%d\n", 4+j, j, 12+j)
	}
	// Stores: column p to DI + p·R8 (AX = DI + 4⌊p/4⌋·R8); 8 lanes as one
	// store, 6 as 4 + 2.
	b.WriteString("\tMOVQ DI, AX\n\tCMPQ R13, $8\n")
	fmt.Fprintf(b, "\tJNE six%s\n", s)
	stores := func(six bool) {
		for p := 0; p < 8; p++ {
			if tail && p > 0 {
				fmt.Fprintf(b, "\tCMPQ DX, $%d\n\tJLE d%s\n", p, s)
			}
			if p == 4 {
				b.WriteString("\tLEAQ (AX)(R8*4), AX\n")
			}
			mem := [...]string{"(AX)", "(AX)(R8*1)", "(AX)(R8*2)", "(AX)(R9*1)"}[p%4]
			if !six {
				fmt.Fprintf(b, "\tVMOVUPS Y%d, %s\n", 8+p, mem)
				continue
			}
			fmt.Fprintf(b, "\tVMOVUPS X%d, %s\n", 8+p, mem)
			fmt.Fprintf(b, "\tVEXTRACTF128 $1, Y%d, X%d\n", 8+p, p%8)
			fmt.Fprintf(b, "\tVMOVQ X%d, 16%s\n", p%8, mem)
		}
	}
	stores(false)
	fmt.Fprintf(b, "\tJMP d%s\n", s)
	fmt.Fprintf(b, "six%s:\n", s)
	stores(true)
	fmt.Fprintf(b, "d%s:\n", s)
}
