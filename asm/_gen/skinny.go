package main

import (
	"bytes"
	"fmt"
)

// skinnyRows are the row counts of the skinny kernels: a block of rows runs
// as 16-row calls and its last m mod 16 rows as at most one call each of
// 8, 4, 2 and 1 (asm/skinny.go).
var skinnyRows = []int{16, 8, 4, 2, 1}

// skinnyIndex holds, for each of the 16 rows, the address of A(i, p) as
// AX plus an index register (a multiple of the row stride L) times a
// scale: L·{1,2,4,8}, 3L·{1,2,4}, 5L·{1,2}, 7L·{1,2}, 9L, 11L, 13L, 15L.
var skinnyIndex = []string{
	"(AX)", "(AX)(R8*1)", "(AX)(R8*2)", "(AX)(R9*1)", "(AX)(R8*4)", "(AX)(R10*1)", "(AX)(R9*2)", "(AX)(R11*1)",
	"(AX)(R8*8)", "(AX)(R12*1)", "(AX)(R10*2)", "(AX)(R13*1)", "(AX)(R9*4)", "(AX)(R14*1)", "(AX)(R11*2)", "(AX)(DI*1)",
}

// genSkinny writes the skinny GEMM kernels for n ≤ 16 columns (asm/skinny.go
// has their contract and Go twin): R rows of C, one zmm accumulator each
// (Z0…Z15), summed over kc steps in order from +0 with one VFMADD231PS per
// row and step, as the 12×32 micro-kernel sums a tile; then C = α·acc, or
// α·acc + β·C as two roundings (the tile path of gemmSerial), under the
// column mask K1. A(i, p) is read in place at a + i·ai + p·ap (floats), so
// a row-major A (ai = lda, ap = 1) and a transposed one (ai = 1, ap = lda)
// run unpacked; B row p (n floats) at b + p·ldb.
//
//	AX  A at step p   BX  B row p   CX  steps left   DX  ap bytes
//	SI  ldb bytes     R8…R14, DI  multiples of ai bytes (skinnyIndex)
func genSkinny(b *bytes.Buffer) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	for _, r := range skinnyRows {
		name := fmt.Sprintf("skinnyAVX512x%d", r)
		w("// func %s(kc int, a unsafe.Pointer, ai, ap int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, mask uint64)", name)
		w("TEXT ·%s(SB), NOSPLIT, $0-80", name)
		w("\tMOVQ mask+72(FP), AX")
		w("\tKMOVW AX, K1")
		w("\tMOVQ a+8(FP), AX")
		w("\tMOVQ ai+16(FP), R8")
		w("\tSHLQ $2, R8")
		w("\tMOVQ ap+24(FP), DX")
		w("\tSHLQ $2, DX")
		w("\tMOVQ b+32(FP), BX")
		w("\tMOVQ ldb+40(FP), SI")
		w("\tSHLQ $2, SI")
		if r > 2 {
			w("\tLEAQ (R8)(R8*2), R9") // 3L
		}
		if r > 4 {
			w("\tLEAQ (R8)(R8*4), R10")  // 5L
			w("\tLEAQ (R10)(R8*2), R11") // 7L
		}
		if r > 8 {
			w("\tLEAQ (R8)(R8*8), R12")  // 9L
			w("\tLEAQ (R12)(R8*2), R13") // 11L
			w("\tLEAQ (R12)(R8*4), R14") // 13L
			w("\tLEAQ (R13)(R8*4), DI")  // 15L
		}
		for i := 0; i < r; i++ {
			w("\tVPXORD Z%d, Z%d, Z%d", i, i, i)
		}
		step := func(u int) {
			bz := 16 + u
			w("\tVMOVUPS.Z (BX), K1, Z%d", bz)
			w("\tADDQ SI, BX")
			for i := 0; i < r; i++ {
				t := 20 + (u*r+i)%12
				w("\tVBROADCASTSS %s, Z%d", skinnyIndex[i], t)
				w("\tVFMADD231PS Z%d, Z%d, Z%d", bz, t, i)
			}
			w("\tADDQ DX, AX")
		}
		w("\tMOVQ kc+0(FP), CX")
		w("\tSHRQ $2, CX")
		w("\tJZ tail%s", name)
		w("loop%s:", name)
		for u := 0; u < 4; u++ {
			step(u)
		}
		w("\tDECQ CX")
		w("\tJNZ loop%s", name)
		w("tail%s:", name)
		w("\tMOVQ kc+0(FP), CX")
		w("\tANDQ $3, CX")
		w("\tJZ store%s", name)
		w("tailloop%s:", name)
		step(0)
		w("\tDECQ CX")
		w("\tJNZ tailloop%s", name)
		w("store%s:", name)
		w("\tMOVQ c+48(FP), AX")
		w("\tMOVQ ldc+56(FP), R8")
		w("\tSHLQ $2, R8")
		w("\tVBROADCASTSS alpha+64(FP), Z16")
		w("\tMOVL beta+68(FP), R9")
		w("\tTESTL $0x7fffffff, R9")
		w("\tJZ storezero%s", name)
		w("\tVBROADCASTSS beta+68(FP), Z17")
		// store writes α·acc (plus β·C when withC) to the r rows.
		store := func(withC bool) {
			for i := 0; i < r; i++ {
				w("\tVMULPS Z16, Z%d, Z%d", i, i)
				if withC {
					w("\tVMOVUPS.Z (AX), K1, Z18")
					w("\tVMULPS Z17, Z18, Z18")
					w("\tVADDPS Z18, Z%d, Z%d", i, i)
				}
				w("\tVMOVUPS Z%d, K1, (AX)", i)
				if i < r-1 {
					w("\tADDQ R8, AX")
				}
			}
			w("\tVZEROUPPER")
			w("\tRET")
		}
		store(true)
		w("storezero%s:", name)
		store(false)
		w("")
	}
}
