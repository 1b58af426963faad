//go:build !purego

package asm

import "unsafe"

// bf16mvNEON is the fused bf16 matvec (reference: bf16mvKernel) over the
// first k&^7 elements of each row, for i < m (1..4), j < n (n ≥ 1):
//
//	c[i*ldc+j] = Σ_{p < k&^7} x[i*ldx+p] · float32frombits(uint32(b[j*ldb+p]) << 16)
//
// Eight bf16 at a time are widened by interleaving zero halfwords below them
// (ZIP1/ZIP2) and multiplied into every row of x (FMLA); rows beyond m
// repeat row m-1 and store the same value to its C element. The wrapper adds
// the last k mod 8 terms.
//
//go:noescape
func bf16mvNEON(m, n, k int, x *float32, ldx int, b *uint16, ldb int, c *float32, ldc int)

func bf16mvNEONGo(m, n, k int, x []float32, ldx int, b []uint16, ldb int, c []float32, ldc int) {
	bf16mvCheck(m, n, k, x, ldx, b, ldb, c, ldc)
	if n == 0 {
		return
	}
	k8 := k &^ 7
	bf16mvNEON(m, n, k8, unsafe.SliceData(x), ldx, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc)
	bf16mvTail(m, n, k8, k, x, ldx, b, ldb, c, ldc)
}
