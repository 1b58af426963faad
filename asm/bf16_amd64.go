//go:build !purego

package asm

import "unsafe"

// The fused bf16 matvec kernels for amd64 (bf16_avx2_amd64.s,
// bf16_avx512_amd64.s). The stubs take raw pointers; the wrappers check the
// operands first (bf16mvCheck), so the assembly never reads or writes outside
// them.

// bf16mvAVX512 computes, for i < m (1..4), j < n (n ≥ 1) and p < k (k ≥ 0):
//
//	c[i*ldc+j] = Σ_p x[i*ldx+p] · float32frombits(uint32(b[j*ldb+p]) << 16)
//
// Each bf16 row is read once, 16 elements at a time widened with VPMOVZXWD
// and VPSLLD $16 and multiplied into the rows of x (VFMADD231PS); the last
// k mod 16 elements through k-masked loads. Rows of b are taken in groups so
// that loads are shared and horizontal sums combined (one transposing
// reduction per four results): m = 1 with quad, four rows of b one after
// the other (four accumulators each), then single rows; m = 2, four rows of b against both rows of x;
// m = 3, 4, two rows of b against four rows of x (rows beyond m repeat row
// m-1 and store the same value to its C element), then single rows.
//
//go:noescape
func bf16mvAVX512(m, n, k int, x *float32, ldx int, b *uint16, ldb int, c *float32, ldc int, quad bool)

// bf16mvAVX2 is bf16mvAVX512 on ymm registers over the first k&^7 elements
// (8 at a time); the wrapper adds the rest.
//
//go:noescape
func bf16mvAVX2(m, n, k int, x *float32, ldx int, b *uint16, ldb int, c *float32, ldc int)

func bf16mvAVX512Go(m, n, k int, x []float32, ldx int, b []uint16, ldb int, c []float32, ldc int) {
	bf16mvCheck(m, n, k, x, ldx, b, ldb, c, ldc)
	if n == 0 {
		return
	}
	quad := n*k*2 < bf16QuadBytes
	bf16mvAVX512(m, n, k, unsafe.SliceData(x), ldx, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc, quad)
}

func bf16mvAVX2Go(m, n, k int, x []float32, ldx int, b []uint16, ldb int, c []float32, ldc int) {
	bf16mvCheck(m, n, k, x, ldx, b, ldb, c, ldc)
	if n == 0 {
		return
	}
	k8 := k &^ 7
	bf16mvAVX2(m, n, k8, unsafe.SliceData(x), ldx, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc)
	bf16mvTail(m, n, k8, k, x, ldx, b, ldb, c, ldc)
}

// f32ToBF16AVX512 is f32ToBF16AVX2 sixteen values at a time (the tail
// masked): the same rounding, bit for bit.
//
//go:noescape
func f32ToBF16AVX512(dst []uint16, src []float32)
