package main

// The arm64 NEON SGEMM micro-kernel. Go's arm64 assembler has no
// by-element FMLA/FMUL (nor most floating-point vector instructions), so
// those are emitted as WORD encodings with the mnemonic in a comment.

import (
	"bytes"
	"fmt"
)

// neonKernel is an 8×12 register tile: A rows in V0 (rows 0–3) and V1 (rows
// 4–7), a 12-float B row in V2–V4, and 24 accumulators V8–V31, acc(i, v)
// holding C[i, 4v:4v+4]. Each k step is two loads and 24 FMLAs by element.
type neonKernel struct {
	name   string
	unroll int
}

const (
	neonMR = 8
	neonNV = 3 // B vectors per row: NR = 12
)

func (neonKernel) acc(i, v int) int { return 8 + i*neonNV + v }

// fmlaElem encodes FMLA Vd.4S, Vn.4S, Vm.S[idx] (Vd += Vn·Vm[idx]).
func fmlaElem(d, n, m, idx int) string {
	w := 0x4F801000 | (idx&1)<<21 | (idx>>1)<<11 | m<<16 | n<<5 | d
	return fmt.Sprintf("\tWORD $0x%08X // FMLA V%d.4S, V%d.4S, V%d.S[%d]\n", w, d, n, m, idx)
}

// fmulElem encodes FMUL Vd.4S, Vn.4S, Vm.S[idx].
func fmulElem(d, n, m, idx int) string {
	w := 0x4F809000 | (idx&1)<<21 | (idx>>1)<<11 | m<<16 | n<<5 | d
	return fmt.Sprintf("\tWORD $0x%08X // FMUL V%d.4S, V%d.4S, V%d.S[%d]\n", w, d, n, m, idx)
}

// vlist is the register list [Vr.S4, …] of n consecutive registers.
func vlist(r, n int) string {
	s := "["
	for i := 0; i < n; i++ {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("V%d.S4", r+i)
	}
	return s + "]"
}

// step emits one k step: load 8 floats of A and 12 of B (post-incrementing
// R1 and R2), then the 24 FMLAs, B-vector-major so that consecutive FMLAs
// write different accumulators.
func (k neonKernel) step(b *bytes.Buffer) {
	fmt.Fprintf(b, "\tVLD1.P 32(R1), %s\n", vlist(0, 2))
	fmt.Fprintf(b, "\tVLD1.P 48(R2), %s\n", vlist(2, neonNV))
	for i := 0; i < neonMR; i++ {
		for v := 0; v < neonNV; v++ {
			b.WriteString(fmlaElem(k.acc(i, v), 2+v, i/4, i%4))
		}
	}
}

func (k neonKernel) gen(b *bytes.Buffer) {
	nr := neonNV * 4
	fmt.Fprintf(b, "// func %s(kc int, a, b, c unsafe.Pointer, ldc int, alpha, beta float32)\n", k.name)
	fmt.Fprintf(b, "// C[%d×%d] = alpha·A·B + beta·C over kc packed steps; beta == 0 never reads C.\n", neonMR, nr)
	fmt.Fprintf(b, "TEXT ·%s(SB), NOSPLIT, $0-48\n", k.name)
	b.WriteString("\tMOVD kc+0(FP), R0\n\tMOVD a+8(FP), R1\n\tMOVD b+16(FP), R2\n\tMOVD c+24(FP), R3\n\tMOVD ldc+32(FP), R4\n\tLSL $2, R4, R4\n")
	for r := k.acc(0, 0); r <= k.acc(neonMR-1, neonNV-1); r++ {
		fmt.Fprintf(b, "\tVEOR V%d.B16, V%d.B16, V%d.B16\n", r, r, r)
	}
	fmt.Fprintf(b, "\tLSR $%d, R0, R5\n\tCBZ R5, tail\n", log2(k.unroll))
	b.WriteString("loop:\n")
	b.WriteString("\tPRFM 512(R2), PLDL1KEEP\n")
	for u := 0; u < k.unroll; u++ {
		k.step(b)
	}
	b.WriteString("\tSUBS $1, R5, R5\n\tBNE loop\n")
	b.WriteString("tail:\n")
	fmt.Fprintf(b, "\tANDS $%d, R0, R0\n\tBEQ store\n", k.unroll-1)
	b.WriteString("tailloop:\n")
	k.step(b)
	b.WriteString("\tSUBS $1, R0, R0\n\tBNE tailloop\n")

	// Epilogue: acc *= alpha; then C = acc + beta·C unless beta == ±0.
	b.WriteString("store:\n")
	b.WriteString("\tFMOVS alpha+40(FP), F0\n\tFMOVS beta+44(FP), F1\n")
	for i := 0; i < neonMR; i++ {
		for v := 0; v < neonNV; v++ {
			b.WriteString(fmulElem(k.acc(i, v), k.acc(i, v), 0, 0))
		}
	}
	b.WriteString("\tFCMPS $(0.0), F1\n\tBEQ storezero\n")
	for i := 0; i < neonMR; i++ {
		fmt.Fprintf(b, "\tVLD1 (R3), %s\n", vlist(2, neonNV))
		for v := 0; v < neonNV; v++ {
			b.WriteString(fmlaElem(k.acc(i, v), 2+v, 1, 0))
		}
		fmt.Fprintf(b, "\tVST1 %s, (R3)\n", vlist(k.acc(i, 0), neonNV))
		if i < neonMR-1 {
			b.WriteString("\tADD R4, R3, R3\n")
		}
	}
	b.WriteString("\tRET\n")
	b.WriteString("storezero:\n")
	for i := 0; i < neonMR; i++ {
		fmt.Fprintf(b, "\tVST1 %s, (R3)\n", vlist(k.acc(i, 0), neonNV))
		if i < neonMR-1 {
			b.WriteString("\tADD R4, R3, R3\n")
		}
	}
	b.WriteString("\tRET\n")
}

func genNEON(b *bytes.Buffer) {
	neonKernel{name: "gemmNEON", unroll: 4}.gen(b)
}
