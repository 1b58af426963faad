package main

import (
	"bytes"
	"fmt"
)

// genKPUnits writes kpUnitsAVX512 (asm/quantkp.go): the 32 4-byte units of
// a packed Q4_K super-block's 16 rows (its 128 quant bytes per row) moved
// back to the rows, 16 units (1 KB) at a time by transpose16. The packing
// interleaves the rows' units (unit u of row r at 64u + 4r), so unpacking
// is a transpose of dwords.
func genKPUnits(b *bytes.Buffer) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	w("// func kpUnitsAVX512(dst *byte, ds int, src *byte)")
	w("//")
	w("// For each of 2 runs of 16 units (1 KB at src, unit u of row r at")
	w("// 64u + 4r), row r's 16 units are stored as 64 bytes at dst + r·ds + 64k")
	w("// for run k.")
	w("//")
	w("//\tSI  the run's units    DI  the run's row-0 destination    CX  runs left")
	w("//\tR8  ds    R9, R10, R11  4, 8 and 12 times ds    AX  the current row's destination")
	w("TEXT ·kpUnitsAVX512(SB), NOSPLIT, $0-24")
	w("\tMOVQ dst+0(FP), DI")
	w("\tMOVQ ds+8(FP), R8")
	w("\tMOVQ src+16(FP), SI")
	w("\tMOVQ $2, CX")
	w("\tLEAQ (R8)(R8*1), R9")
	w("\tLEAQ (R9)(R9*1), R9")
	w("\tLEAQ (R9)(R9*1), R10")
	w("\tLEAQ (R10)(R9*1), R11")
	w("runkpUnits:")
	for u := 0; u < 16; u++ {
		w("\tVMOVDQU64 %d(SI), Z%d", 64*u, u)
	}
	w("\tMOVQ DI, AX")
	// Rows come out in order c, then l (row 4l+c): AX steps one row per c.
	idx := []string{"(AX)", "(AX)(R9*1)", "(AX)(R10*1)", "(AX)(R11*1)"}
	transpose16(w, func(row, reg int) {
		w("\tVMOVDQU64 Z%d, %s", reg, idx[row/4])
		if row/4 == 3 {
			w("\tADDQ R8, AX")
		}
	})
	w("\tADDQ $1024, SI")
	w("\tADDQ $64, DI")
	w("\tDECQ CX")
	w("\tJNZ runkpUnits")
	w("\tVZEROUPPER")
	w("\tRET")
}
