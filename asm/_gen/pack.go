package main

import (
	"bytes"
	"fmt"
)

// The AVX-512 SGEMM packing kernels (pack_avx512_amd64.s). Their Go twins
// are packTGeneric and packCGeneric in asm/sgemm_pack.go.
//
// packT writes a block of rows ≤ 16 source rows transposed into a panel:
//
//	dst[p*w+i] = src[i*ld+p] for i < rows, 0 for rows ≤ i < lanes   (p < kc)
//
// sixteen columns at a time: sixteen (k-masked) row loads, a 16×16
// in-register transpose (unpack ps, unpack pd, two 128-bit lane shuffles)
// and sixteen k-masked stores of `lanes` floats. packC copies rows:
//
//	dst[p*w+j] = src[p*ld+j] for j < cols, 0 for cols ≤ j < w   (p < kc, w ≤ 32)
//
// with k-masked loads (zeroing) and stores. The bf16 variants read bfloat16
// bit patterns and widen them (zero-extend to 32 bits, shift left 16).

// elem describes the source element type of a packing kernel.
type elem struct {
	suffix string // function name suffix
	size   int    // bytes per source element
}

var (
	f32  = elem{"", 4}
	bf16 = elem{"BF16", 2}
)

// load emits a k-masked (zeroing) load of 16 source elements at mem into z.
func (e elem) load(b *bytes.Buffer, mem, k string, z int) {
	if e.size == 4 {
		fmt.Fprintf(b, "\tVMOVUPS.Z %s, %s, Z%d\n", mem, k, z)
		return
	}
	fmt.Fprintf(b, "\tVPMOVZXWD.Z %s, %s, Z%d\n\tVPSLLD $16, Z%d, Z%d\n", mem, k, z, z, z)
}

func genPackAVX512(b *bytes.Buffer) {
	b.WriteString("// AVX-512 packing kernels for SGEMM (see asm/_gen/pack.go).\n\n")
	// VPERMI2PS indices merging 12-float rows r0..r3 into three vectors:
	// r0[0:12]+r1[0:4], r1[4:12]+r2[0:8], r2[8:12]+r3[0:12].
	b.WriteString("// Row-merge indices for packT12AVX512.\n")
	for t := 0; t < 3; t++ {
		for i := 0; i < 16; i++ {
			v := 4*t + i // index into row pair (r_t, r_t+1): 0..11 first, 16.. second
			if v >= 12 {
				v = 16 + v - 12
			}
			fmt.Fprintf(b, "DATA packIdx12<>+%d(SB)/4, $%d\n", 64*t+4*i, v)
		}
	}
	b.WriteString("GLOBL packIdx12<>(SB), RODATA|NOPTR, $192\n\n")
	genPackT(b, f32, true)
	for _, e := range []elem{f32, bf16} {
		genPackT(b, e, false)
		genPackC(b, e)
	}
}

// genPackT emits packT<suffix>AVX512(dst unsafe.Pointer, w, lanes int, src
// unsafe.Pointer, ld, rows, kc int), or with v12 packT12<suffix>AVX512 (same
// arguments) for the AVX-512 A panels, w = lanes = 12 and rows ≤ 12: the
// all-zero fourth row group skips its shuffles, and each four 12-float
// destination rows are merged (VPERMI2PS) into three full 64-byte stores
// instead of four line-splitting masked ones. Registers: DI dst, SI src,
// R8 dst row stride (bytes), R9 3·R8, R10 src row stride (bytes), R11 3·R10,
// R12 rows, CX blocks of 16 columns, DX kc mod 16, BX/AX group bases, K1
// store mask (lanes), K2 load mask (columns).
func genPackT(b *bytes.Buffer, e elem, v12 bool) {
	name := "packT" + e.suffix + "AVX512"
	if v12 {
		name = "packT12" + e.suffix + "AVX512"
	}
	fmt.Fprintf(b, "// func %s(dst unsafe.Pointer, w, lanes int, src unsafe.Pointer, ld, rows, kc int)\n", name)
	fmt.Fprintf(b, "TEXT ·%s(SB), NOSPLIT, $0-56\n", name)
	b.WriteString("\tMOVQ dst+0(FP), DI\n\tMOVQ w+8(FP), R8\n\tSHLQ $2, R8\n\tLEAQ (R8)(R8*2), R9\n")
	b.WriteString("\tMOVQ lanes+16(FP), CX\n\tMOVL $1, AX\n\tSHLL CX, AX\n\tDECL AX\n\tKMOVW AX, K1\n")
	fmt.Fprintf(b, "\tMOVQ src+24(FP), SI\n\tMOVQ ld+32(FP), R10\n\tSHLQ $%d, R10\n\tLEAQ (R10)(R10*2), R11\n", log2(e.size))
	b.WriteString("\tMOVQ rows+40(FP), R12\n\tMOVQ kc+48(FP), CX\n\tMOVQ CX, DX\n\tANDQ $15, DX\n\tSHRQ $4, CX\n")
	b.WriteString("\tMOVL $0xffff, AX\n\tKMOVW AX, K2\n\tTESTQ CX, CX\n\tJZ ttail\n")
	b.WriteString("tloop:\n")
	packTBlock(b, e, "m", false, v12)
	fmt.Fprintf(b, "\tADDQ $%d, SI\n\tLEAQ (DI)(R8*8), DI\n\tLEAQ (DI)(R8*8), DI\n\tDECQ CX\n\tJNZ tloop\n", 16*e.size)
	b.WriteString("ttail:\n\tTESTQ DX, DX\n\tJZ tdone\n")
	b.WriteString("\tMOVL $1, AX\n\tMOVQ DX, CX\n\tSHLL CX, AX\n\tDECL AX\n\tKMOVW AX, K2\n")
	packTBlock(b, e, "t", true, v12)
	b.WriteString("tdone:\n\tVZEROUPPER\n\tRET\n\n")
}

// packTBlock emits one 16-column block: loads of rows < R12 (the others
// zeroed), the transpose, and the stores (of the first DX columns only when
// tail is set). Labels get the suffix s. With v12 only rows < 12 exist.
func packTBlock(b *bytes.Buffer, e elem, s string, tail, v12 bool) {
	nrows := 16
	if v12 {
		nrows = 12
	}
	// Loads: row r from BX + (r mod 4)·R10 with BX = SI + 4⌊r/4⌋·R10.
	b.WriteString("\tMOVQ SI, BX\n")
	for r := 0; r < nrows; r++ {
		fmt.Fprintf(b, "\tCMPQ R12, $%d\n\tJLE z%s%d\n", r, s, r)
		if r > 0 && r%4 == 0 {
			b.WriteString("\tLEAQ (BX)(R10*4), BX\n")
		}
		mem := [...]string{"(BX)", "(BX)(R10*1)", "(BX)(R10*2)", "(BX)(R11*1)"}[r%4]
		e.load(b, mem, "K2", r)
	}
	if nrows < 16 {
		fmt.Fprintf(b, "\tJMP z%s%d\n", s, nrows)
	} else {
		fmt.Fprintf(b, "\tJMP l%s\n", s)
	}
	for r := 0; r < 16; r++ {
		fmt.Fprintf(b, "z%s%d:\n\tVXORPS Z%d, Z%d, Z%d\n", s, r, r, r, r)
	}
	fmt.Fprintf(b, "l%s:\n", s)
	// Stage 1: interleave row pairs within 128-bit lanes (Z0..15 → Z16..31).
	for i := 0; i < nrows/2; i++ {
		fmt.Fprintf(b, "\tVUNPCKLPS Z%d, Z%d, Z%d\n", 2*i+1, 2*i, 16+2*i)
		fmt.Fprintf(b, "\tVUNPCKHPS Z%d, Z%d, Z%d\n", 2*i+1, 2*i, 16+2*i+1)
	}
	// Stage 2: pairs of pairs; Z(4g+j) lane L = rows 4g..4g+3 at column 4L+j
	// (with v12, Z12..15 stay zero from the loads).
	for g := 0; g < nrows/4; g++ {
		a := 16 + 4*g
		fmt.Fprintf(b, "\tVUNPCKLPD Z%d, Z%d, Z%d\n", a+2, a, 4*g)
		fmt.Fprintf(b, "\tVUNPCKHPD Z%d, Z%d, Z%d\n", a+2, a, 4*g+1)
		fmt.Fprintf(b, "\tVUNPCKLPD Z%d, Z%d, Z%d\n", a+3, a+1, 4*g+2)
		fmt.Fprintf(b, "\tVUNPCKHPD Z%d, Z%d, Z%d\n", a+3, a+1, 4*g+3)
	}
	// Stages 3 and 4: for each j, a 4×4 transpose of 128-bit lanes among
	// Z(j), Z(4+j), Z(8+j), Z(12+j); column 4L+j ends in Z(4L+j).
	for j := 0; j < 4; j++ {
		x0, x1, x2, x3 := j, 4+j, 8+j, 12+j
		c := 16 + 4*j
		fmt.Fprintf(b, "\tVSHUFF32X4 $0x44, Z%d, Z%d, Z%d\n", x1, x0, c)
		fmt.Fprintf(b, "\tVSHUFF32X4 $0xee, Z%d, Z%d, Z%d\n", x1, x0, c+1)
		fmt.Fprintf(b, "\tVSHUFF32X4 $0x44, Z%d, Z%d, Z%d\n", x3, x2, c+2)
		fmt.Fprintf(b, "\tVSHUFF32X4 $0xee, Z%d, Z%d, Z%d\n", x3, x2, c+3)
		for l := 0; l < 4; l++ {
			src1, imm := c, "$0x88"
			if l >= 2 {
				src1 = c + 1
			}
			if l%2 == 1 {
				imm = "$0xdd"
			}
			// Column 4l+j goes to Z(4l+j): one of the four inputs of this j,
			// all read by the shuffles above.
			fmt.Fprintf(b, "\tVSHUFF32X4 %s, Z%d, Z%d, Z%d\n", imm, src1+2, src1, 4*l+j)
		}
	}
	if v12 && !tail {
		// Columns 4q..4q+3 (12 floats each) as three full vectors.
		for q := 0; q < 4; q++ {
			for t := 0; t < 3; t++ {
				fmt.Fprintf(b, "\tVMOVUPS packIdx12<>+%d(SB), Z%d\n", 64*t, 16+t)
				fmt.Fprintf(b, "\tVPERMI2PS Z%d, Z%d, Z%d\n", 4*q+t+1, 4*q+t, 16+t)
			}
			for t := 0; t < 3; t++ {
				fmt.Fprintf(b, "\tVMOVUPS Z%d, %d(DI)\n", 16+t, 192*q+64*t)
			}
		}
		return
	}
	// Stores: column p (in Zp) to DI + p·R8 (AX = DI + 4⌊p/4⌋·R8).
	b.WriteString("\tMOVQ DI, AX\n")
	for p := 0; p < 16; p++ {
		if tail && p > 0 {
			fmt.Fprintf(b, "\tCMPQ DX, $%d\n\tJLE d%s\n", p, s)
		}
		if p > 0 && p%4 == 0 {
			b.WriteString("\tLEAQ (AX)(R8*4), AX\n")
		}
		mem := [...]string{"(AX)", "(AX)(R8*1)", "(AX)(R8*2)", "(AX)(R9*1)"}[p%4]
		fmt.Fprintf(b, "\tVMOVUPS Z%d, K1, %s\n", p, mem)
	}
	if tail {
		fmt.Fprintf(b, "d%s:\n", s)
	}
}

// genPackC emits packC<suffix>AVX512(dst unsafe.Pointer, w int, src
// unsafe.Pointer, ld, cols, kc int): K1/K2 load masks (cols), K3/K4 store
// masks (w), four rows per iteration.
func genPackC(b *bytes.Buffer, e elem) {
	name := "packC" + e.suffix + "AVX512"
	fmt.Fprintf(b, "// func %s(dst unsafe.Pointer, w int, src unsafe.Pointer, ld, cols, kc int)\n", name)
	fmt.Fprintf(b, "TEXT ·%s(SB), NOSPLIT, $0-48\n", name)
	b.WriteString("\tMOVQ dst+0(FP), DI\n\tMOVQ w+8(FP), R8\n\tMOVQ src+16(FP), SI\n\tMOVQ ld+24(FP), R10\n")
	fmt.Fprintf(b, "\tSHLQ $%d, R10\n", log2(e.size))
	// Masks of n and n-16 lanes (clamped to 0..16) for n = cols, then w.
	masks := func(n, lo, hi string) {
		fmt.Fprintf(b, "\tMOVQ %s, CX\n\tCMPQ CX, $16\n\tJLE 2(PC)\n\tMOVQ $16, CX\n", n)
		fmt.Fprintf(b, "\tMOVL $1, AX\n\tSHLL CX, AX\n\tDECL AX\n\tKMOVW AX, %s\n", lo)
		fmt.Fprintf(b, "\tMOVQ %s, CX\n\tSUBQ $16, CX\n\tJGE 2(PC)\n\tXORQ CX, CX\n", n)
		fmt.Fprintf(b, "\tMOVL $1, AX\n\tSHLL CX, AX\n\tDECL AX\n\tKMOVW AX, %s\n", hi)
	}
	masks("cols+32(FP)", "K1", "K2")
	masks("R8", "K3", "K4")
	b.WriteString("\tSHLQ $2, R8\n\tMOVQ kc+40(FP), CX\n\tMOVQ CX, DX\n\tANDQ $3, DX\n\tSHRQ $2, CX\n\tJZ ctail\n")
	b.WriteString("cloop:\n")
	for r := 0; r < 4; r++ {
		e.load(b, "(SI)", "K1", 2*r)
		e.load(b, fmt.Sprintf("%d(SI)", 16*e.size), "K2", 2*r+1)
		b.WriteString("\tADDQ R10, SI\n")
	}
	for r := 0; r < 4; r++ {
		fmt.Fprintf(b, "\tVMOVUPS Z%d, K3, (DI)\n\tVMOVUPS Z%d, K4, 64(DI)\n\tADDQ R8, DI\n", 2*r, 2*r+1)
	}
	b.WriteString("\tDECQ CX\n\tJNZ cloop\n")
	b.WriteString("ctail:\n\tTESTQ DX, DX\n\tJZ cdone\n")
	b.WriteString("ctailloop:\n")
	e.load(b, "(SI)", "K1", 0)
	e.load(b, fmt.Sprintf("%d(SI)", 16*e.size), "K2", 1)
	b.WriteString("\tVMOVUPS Z0, K3, (DI)\n\tVMOVUPS Z1, K4, 64(DI)\n\tADDQ R10, SI\n\tADDQ R8, DI\n\tDECQ DX\n\tJNZ ctailloop\n")
	b.WriteString("cdone:\n\tVZEROUPPER\n\tRET\n\n")
}
