package main

import (
	"bytes"
	"fmt"
)

// genBF16NN writes the AVX512-BF16 tile kernel of the packed bf16
// dot-product GEMM (asm/bf16nn.go has its contract and Go twin), then the
// VDPBF16PS peak loop and the two packings into the same file: 6 rows of
// A against a 64-column panel of B packed in k pairs, one accumulator
// register per row and 16 columns (Z0–Z23, row i's in Z4i..Z4i+3). Each
// step loads the panel's next pair of rows (four zmm: 16 columns × 2 k
// values each, Z24–Z27), broadcasts each row of A's next k pair (one dword,
// Z28–Z31 in turn) and issues the 24 VDPBF16PS. The accumulators are then
// stored under the column masks (added to C when acc is set).
func genBF16NN(b *bytes.Buffer) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	const mr, nv = 6, 4
	const name = "bf16nnAVX512"
	w("// The argument is a *bf16NNTile: a[0..5] at 0..40, b at 48, q at 56, c at")
	w("// 64, ldc at 72, mr at 80, mask[0..3] at 88..112, acc at 120.")
	w("//")
	w("//\tSI DI R8 R9 R10 R11  rows of A   BX the packed panel   CX pairs left")
	w("//\tDX byte offset into the rows of A")
	w("")
	w("// func %s(t *bf16NNTile)", name)
	w("TEXT ·%s(SB), NOSPLIT, $0-8", name)
	w("\tMOVQ t+0(FP), AX")
	rows := []string{"SI", "DI", "R8", "R9", "R10", "R11"}
	for i, r := range rows {
		w("\tMOVQ %d(AX), %s", 8*i, r)
	}
	w("\tMOVQ 48(AX), BX")
	w("\tMOVQ 56(AX), CX")
	for i := 0; i < mr*nv; i++ {
		w("\tVPXORD Z%d, Z%d, Z%d", i, i, i)
	}
	w("\tXORQ DX, DX")
	w("\tTESTQ CX, CX")
	w("\tJZ store%s", name)
	w("loop%s:", name)
	for v := 0; v < nv; v++ {
		w("\tVMOVDQU32 %d(BX), Z%d", 64*v, 24+v)
	}
	for i := 0; i < mr; i++ {
		bz := 28 + i%4
		w("\tVPBROADCASTD (%s)(DX*1), Z%d", rows[i], bz)
		for v := 0; v < nv; v++ {
			// A's pair in the ModRM.rm operand, B's in vvvv, as in the
			// tile kernel (the twin's NaN order follows it).
			w("\t%s", vdpbf16ps(nv*i+v, bz, 24+v))
		}
	}
	w("\tADDQ $4, DX")
	w("\tADDQ $%d, BX", 64*nv)
	w("\tDECQ CX")
	w("\tJNZ loop%s", name)
	w("store%s:", name)
	w("\tMOVQ t+0(FP), AX")
	w("\tMOVQ 64(AX), DI")
	w("\tMOVQ 72(AX), R8")
	w("\tSHLQ $2, R8")
	w("\tMOVQ 80(AX), R9")
	w("\tMOVQ 120(AX), R10")
	for v := 0; v < nv; v++ {
		w("\tMOVQ %d(AX), DX", 88+8*v)
		w("\tKMOVW DX, K%d", 1+v)
	}
	for i := 0; i < mr; i++ {
		if i > 0 {
			w("\tCMPQ R9, $%d", i+1)
			w("\tJLT done%s", name)
			w("\tADDQ R8, DI")
		}
		w("\tTESTQ R10, R10")
		w("\tJZ store%s%d", name, i)
		for v := 0; v < nv; v++ {
			// C + sum with C as the first source: its NaN wins (addX86).
			w("\tVMOVUPS.Z %d(DI), K%d, Z%d", 64*v, 1+v, 24+v)
			w("\tVADDPS Z%d, Z%d, Z%d", nv*i+v, 24+v, nv*i+v)
		}
		w("store%s%d:", name, i)
		for v := 0; v < nv; v++ {
			w("\tVMOVUPS Z%d, K%d, %d(DI)", nv*i+v, 1+v, 64*v)
		}
	}
	w("done%s:", name)
	w("\tVZEROUPPER")
	w("\tRET")
	genBF16DotPeak(b)
	genBF16PairPack(b)
	genBF16PairPackT(b)
}

// genBF16DotPeak writes the VDPBF16PS throughput loop: 24 independent zmm
// accumulators (enough for two instructions a cycle at a latency of 6 or
// more), 24·64 flops an iteration, zero operands (no overflow, no
// subnormals).
func genBF16DotPeak(b *bytes.Buffer) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	w("")
	w("// func bf16DotPeakAVX512(n int)")
	w("TEXT ·bf16DotPeakAVX512(SB), NOSPLIT, $0-8")
	w("\tMOVQ n+0(FP), CX")
	for i := 0; i < 24; i++ {
		w("\tVPXORD Z%d, Z%d, Z%d", i, i, i)
	}
	w("\tVPXORD Z30, Z30, Z30")
	w("\tVPXORD Z31, Z31, Z31")
	w("\tTESTQ CX, CX")
	w("\tJLE donebf16DotPeak")
	w("loopbf16DotPeak:")
	for i := 0; i < 24; i++ {
		w("\t%s", vdpbf16ps(i, 30+i%2, 31-i%2))
	}
	w("\tDECQ CX")
	w("\tJNZ loopbf16DotPeak")
	w("donebf16DotPeak:")
	w("\tVZEROUPPER")
	w("\tRET")
}

// genBF16PairPack writes the packing of one pair of rows of B for the
// bf16nn kernel: rows r and r+1 (ldb elements apart) over np panels of 64
// columns, each 16 columns zero-extended to dwords (row r in the low
// halves), row r+1 shifted into the high halves, and stored as one zmm of
// 16 pairs; panel i's pairs go pstride elements after panel i−1's.
func genBF16PairPack(b *bytes.Buffer) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	w("")
	w("// func bf16PairPackAVX512(dst, src *uint16, ldb, np, pstride int)")
	w("TEXT ·bf16PairPackAVX512(SB), NOSPLIT, $0-40")
	w("\tMOVQ dst+0(FP), DI")
	w("\tMOVQ src+8(FP), SI")
	w("\tMOVQ ldb+16(FP), DX")
	w("\tSHLQ $1, DX")
	w("\tMOVQ np+24(FP), CX")
	w("\tMOVQ pstride+32(FP), R8")
	w("\tSHLQ $1, R8")
	w("\tTESTQ CX, CX")
	w("\tJLE donebf16PairPack")
	w("loopbf16PairPack:")
	for v := 0; v < 4; v++ {
		w("\tVPMOVZXWD %d(SI), Z%d", 32*v, v)
		w("\tVPMOVZXWD %d(SI)(DX*1), Z%d", 32*v, 4+v)
	}
	for v := 0; v < 4; v++ {
		w("\tVPSLLD $16, Z%d, Z%d", 4+v, 4+v)
		w("\tVPORD Z%d, Z%d, Z%d", 4+v, v, v)
		w("\tVMOVDQU32 Z%d, %d(DI)", v, 64*v)
	}
	w("\tADDQ $128, SI")
	w("\tADDQ R8, DI")
	w("\tDECQ CX")
	w("\tJNZ loopbf16PairPack")
	w("donebf16PairPack:")
	w("\tVZEROUPPER")
	w("\tRET")
}

// genBF16PairPackT writes the packing of one panel of a transposed B (64
// rows of B, each k contiguous, as a Linear layer stores its weight) for
// the bf16nn kernel: pair p of row j is the dword at element 2p of row j,
// and the panel holds pair p of its 64 rows side by side, so the packing is
// a transpose of dwords, done 16 rows by 16 pairs at a time in registers:
// 16 loads, unpack dwords then qwords (within 128-bit lanes), then 128-bit
// lanes gathered across the four groups of rows by VSHUFI32X4, 16 stores.
// It packs q16·16 pairs.
func genBF16PairPackT(b *bytes.Buffer) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	w("")
	w("// func bf16PairPackTAVX512(dst, src *uint16, ldb, q16 int)")
	w("//")
	w("//\tDI the panel   SI the group's first row   R10 the block's first row")
	w("//\tAX ldb in bytes, BX 3·, DX 5·, R12 7·   R11 the block's row 8   R8 groups left, CX blocks left")
	w("TEXT ·bf16PairPackTAVX512(SB), NOSPLIT, $0-32")
	w("\tMOVQ dst+0(FP), DI")
	w("\tMOVQ src+8(FP), SI")
	w("\tMOVQ ldb+16(FP), AX")
	w("\tSHLQ $1, AX")
	w("\tLEAQ (AX)(AX*2), BX")
	w("\tLEAQ (AX)(AX*4), DX")
	w("\tLEAQ (BX)(AX*4), R12")
	w("\tMOVQ $4, R8")
	w("\tCMPQ q16+24(FP), $0")
	w("\tJLE donebf16PairPackT")
	w("groupbf16PairPackT:")
	w("\tMOVQ SI, R10")
	w("\tMOVQ DI, R9")
	w("\tMOVQ q16+24(FP), CX")
	w("blockbf16PairPackT:")
	w("\tLEAQ (R10)(AX*8), R11")
	addr := func(r int) string {
		base := "R10"
		if r >= 8 {
			base = "R11"
		}
		switch r % 8 {
		case 0:
			return "(" + base + ")"
		case 1:
			return "(" + base + ")(AX*1)"
		case 2:
			return "(" + base + ")(AX*2)"
		case 3:
			return "(" + base + ")(BX*1)"
		case 4:
			return "(" + base + ")(AX*4)"
		case 5:
			return "(" + base + ")(DX*1)"
		case 6:
			return "(" + base + ")(BX*2)"
		default:
			return "(" + base + ")(R12*1)"
		}
	}
	for r := 0; r < 16; r++ {
		w("\tVMOVDQU32 %s, Z%d", addr(r), r)
	}
	transpose16(w, func(row, reg int) {
		w("\tVMOVDQU32 Z%d, %d(R9)", reg, 256*row)
	})
	w("\tADDQ $64, R10")
	w("\tADDQ $4096, R9")
	w("\tDECQ CX")
	w("\tJNZ blockbf16PairPackT")
	w("\tLEAQ (SI)(AX*8), SI")
	w("\tLEAQ (SI)(AX*8), SI")
	w("\tADDQ $64, DI")
	w("\tDECQ R8")
	w("\tJNZ groupbf16PairPackT")
	w("donebf16PairPackT:")
	w("\tVZEROUPPER")
	w("\tRET")
}

// transpose16 writes the transpose of the 16×16 dwords in Z0..Z15 (register
// i holds row i): dwords of rows 2i, 2i+1 interleaved, then qwords (within
// 128-bit lanes), then 128-bit lanes gathered across the four groups of
// rows by VSHUFI32X4. Column j of the input ends in a register that
// store(j, reg) writes out, columns 4l+c in order c, then l; Z16..Z31 are
// clobbered.
func transpose16(w func(string, ...any), store func(col, reg int)) {
	// Dwords of rows 2i, 2i+1 interleaved: Z(16+2i) low, Z(17+2i) high.
	for i := 0; i < 8; i++ {
		w("\tVPUNPCKLDQ Z%d, Z%d, Z%d", 2*i+1, 2*i, 16+2*i)
		w("\tVPUNPCKHDQ Z%d, Z%d, Z%d", 2*i+1, 2*i, 17+2*i)
	}
	// Z(4i+c) holds column c of each 128-bit lane for rows 4i..4i+3.
	for i := 0; i < 4; i++ {
		t := 16 + 4*i
		w("\tVPUNPCKLQDQ Z%d, Z%d, Z%d", t+2, t, 4*i)
		w("\tVPUNPCKHQDQ Z%d, Z%d, Z%d", t+2, t, 4*i+1)
		w("\tVPUNPCKLQDQ Z%d, Z%d, Z%d", t+3, t+1, 4*i+2)
		w("\tVPUNPCKHQDQ Z%d, Z%d, Z%d", t+3, t+1, 4*i+3)
	}
	// Column 4L+c of the 16 rows: lane L of Z(c), Z(4+c), Z(8+c), Z(12+c).
	for c := 0; c < 4; c++ {
		w("\tVSHUFI32X4 $0x44, Z%d, Z%d, Z16", 4+c, c)
		w("\tVSHUFI32X4 $0xee, Z%d, Z%d, Z17", 4+c, c)
		w("\tVSHUFI32X4 $0x44, Z%d, Z%d, Z18", 12+c, 8+c)
		w("\tVSHUFI32X4 $0xee, Z%d, Z%d, Z19", 12+c, 8+c)
		w("\tVSHUFI32X4 $0x88, Z18, Z16, Z20")
		w("\tVSHUFI32X4 $0xdd, Z18, Z16, Z21")
		w("\tVSHUFI32X4 $0x88, Z19, Z17, Z22")
		w("\tVSHUFI32X4 $0xdd, Z19, Z17, Z23")
		for l := 0; l < 4; l++ {
			store(4*l+c, 20+l)
		}
	}
}
