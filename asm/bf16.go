package asm

import "fmt"

// The fused bf16 matvec: C = A·Bᵀ for a few rows of A (float32) against
// bfloat16 rows of B, widening each bf16 element in registers as it is
// multiplied. Every row of B is read from memory once for all rows of A, and
// nothing is written but C, so a decode step's weights stream at the
// machine's read bandwidth (the former path widened each row into a scratch
// buffer and read it back, about a third of that).

// bf16MaxM is the most rows of A one bf16mv call handles (and the row count
// up to which SgemmBF16 takes this path).
const bf16MaxM = 4

// bf16mvKernel computes, for i < m (1 ≤ m ≤ bf16MaxM), j < n and p < k:
//
//	c[i*ldc+j] = Σ_p x[i*ldx+p] · float32frombits(uint32(b[j*ldb+p]) << 16)
//
// C is written, never read. The summation order is the kernel's own.
type bf16mvKernel func(m, n, k int, x []float32, ldx int, b []uint16, ldb int, c []float32, ldc int)

// bf16mvCheck panics unless the operands hold the matrices bf16mv reads and
// writes; the assembly kernels trust their pointers after it.
func bf16mvCheck(m, n, k int, x []float32, ldx int, b []uint16, ldb int, c []float32, ldc int) {
	switch {
	case m < 1 || m > bf16MaxM || n < 0 || k < 0:
		panic(fmt.Sprintf("asm.bf16mv: m=%d n=%d k=%d", m, n, k))
	case ldx < k || ldb < k || ldc < n:
		panic(fmt.Sprintf("asm.bf16mv: ldx=%d ldb=%d ldc=%d for m=%d n=%d k=%d", ldx, ldb, ldc, m, n, k))
	case n > 0 && k > 0 && (len(x) < need(m, k, ldx) || len(b) < need(n, k, ldb)):
		panic(fmt.Sprintf("asm.bf16mv: len(x)=%d len(b)=%d too short for m=%d n=%d k=%d ldx=%d ldb=%d", len(x), len(b), m, n, k, ldx, ldb))
	case len(c) < need(m, n, ldc):
		panic(fmt.Sprintf("asm.bf16mv: len(c)=%d < %d", len(c), need(m, n, ldc)))
	}
}

// bf16mvGeneric is the pure-Go twin of the bf16mv kernels (four partial sums
// per dot, as dotGeneric).
func bf16mvGeneric(m, n, k int, x []float32, ldx int, b []uint16, ldb int, c []float32, ldc int) {
	bf16mvCheck(m, n, k, x, ldx, b, ldb, c, ldc)
	if k == 0 { // x and b may be empty
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
		return
	}
	for j := 0; j < n; j++ {
		w := b[j*ldb : j*ldb+k]
		for i := 0; i < m; i++ {
			xr := x[i*ldx : i*ldx+k]
			var s0, s1, s2, s3 float32
			p := 0
			for ; p+4 <= k; p += 4 {
				s0 += xr[p] * BF16ToF32(w[p])
				s1 += xr[p+1] * BF16ToF32(w[p+1])
				s2 += xr[p+2] * BF16ToF32(w[p+2])
				s3 += xr[p+3] * BF16ToF32(w[p+3])
			}
			for ; p < k; p++ {
				s0 += xr[p] * BF16ToF32(w[p])
			}
			c[i*ldc+j] = (s0 + s1) + (s2 + s3)
		}
	}
}

// bf16mvTail adds the terms p ∈ [k0, k) to c, for the assembly kernels that
// cover only whole vectors (k0 = k rounded down to their width).
func bf16mvTail(m, n, k0, k int, x []float32, ldx int, b []uint16, ldb int, c []float32, ldc int) {
	if k0 == k {
		return
	}
	for j := 0; j < n; j++ {
		w := b[j*ldb+k0 : j*ldb+k]
		for i := 0; i < m; i++ {
			xr := x[i*ldx+k0 : i*ldx+k]
			var s float32
			for p, h := range w {
				s += xr[p] * BF16ToF32(h)
			}
			c[i*ldc+j] += s
		}
	}
}

// bf16SplitBytes is the weight traffic (bytes of B times rows of A) below
// which a bf16 matvec runs on one thread: handing a part to a pool worker
// costs microseconds (waking it), as much as streaming a few hundred KB.
const bf16SplitBytes = 1 << 20

// bf16ChunksPerThread is how many chunks per thread a split decoding
// matvec (bf16 or quantised) is cut into (1 and 2 measured slower: issue
// 19's twelfth round).
const bf16ChunksPerThread = 4

// bf16QuadBytes is the matrix size below which amd64's AVX-512 m = 1
// kernel groups rows of B by four. The grouping saves three of every four
// horizontal sums, which pays when B comes from cache (a small model's
// matrices: 256×256 at 53 → 80 GB/s, 688×256 58 → 88); streamed from DRAM
// with short rows it measured ~20% slower than single rows (32000×512: 12.5
// against 15.5 GB/s), so matrices that cannot stay in L2 take single rows.
// The grouping changes the sums' order, so a split matvec keeps every chunk
// of a matrix at or above this size on the same side as the whole
// (bf16MaxChunks). (A variable so that tests run both.)
var bf16QuadBytes = 512 << 10

// bf16MaxChunks returns the most chunks a bf16 matvec of n rows of k
// elements may be cut into: ceil(n/4) (chunks hold whole groups of 4 rows),
// fewer when chunks of a matrix of at least bf16QuadBytes would fall under
// it (a margin of 8 rows: the rows of a chunk vary by up to 4), one when
// the matrix is under it (so the result does not depend on the split).
func bf16MaxChunks(n, k int) int {
	if 2*n*k < bf16QuadBytes {
		return 1
	}
	return max(1, min(ceilDiv(n, 4), 2*n*k/(bf16QuadBytes+16*k)))
}

// gemmBF16SmallM computes C = alpha·A·Bᵀ + beta·C for m ≤ bf16MaxM rows of A
// and bf16 B with the fused kernel, splitting the rows of B over up to t
// threads when there is enough of it: bf16ChunksPerThread chunks per
// thread taken in turn (parallelChunks), so that a thread that gets no
// core for a while holds up at most one chunk. With alpha = 1 and beta = 0
// (every inference projection) the kernel writes C directly; otherwise it
// writes a scratch block first.
//
// When b.dot is set and the level has a bf16 dot-product kernel, it runs
// that kernel instead (A rounded to bf16, bf16dot.go).
func gemmBF16SmallM(kr *kernels, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int, t int) {
	parts := 1
	if t > 1 && 2*n*k*m >= bf16SplitBytes {
		parts = min(t, ceilDiv(n, 4))
	}
	runMatvecs(parts, []mvJob{bf16Job(kr, m, n, k, alpha, a, lda, b, beta, c, ldc)})
}

// bf16Job is gemmBF16SmallM's product as a job of ceil(n/4) units (groups
// of 4 rows of B, the kernels' row groups).
func bf16Job(kr *kernels, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) mvJob {
	mv := kr.bf16mv
	if b.dot && kr.bf16dot != nil {
		mv = kr.bf16dot
	}
	bb, ldb := b.bf16, b.ld
	run := func(u0, u1 int) { bf16Block(mv, m, 4*u0, min(4*u1, n), k, alpha, a, lda, bb, ldb, beta, c, ldc) }
	return mvJob{units: ceilDiv(n, 4), maxChunks: bf16MaxChunks(n, k), bytes: 2 * n * k * m, run: run}
}

// bf16Block computes columns j0..j1-1 of C = alpha·A·Bᵀ + beta·C.
func bf16Block(mv bf16mvKernel, m, j0, j1, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int) {
	if j1 <= j0 {
		return
	}
	if alpha == 1 && beta == 0 {
		mv(m, j1-j0, k, a, lda, b[j0*ldb:], ldb, c[j0:], ldc)
		return
	}
	const chunk = 256 // columns of C per scratch block
	var tmp [bf16MaxM * chunk]float32
	for js := j0; js < j1; js += chunk {
		nc := min(chunk, j1-js)
		mv(m, nc, k, a, lda, b[js*ldb:], ldb, tmp[:], chunk)
		for i := 0; i < m; i++ {
			dst := c[i*ldc+js : i*ldc+js+nc]
			for j := range dst {
				if beta == 0 {
					dst[j] = alpha * tmp[i*chunk+j]
				} else {
					dst[j] = alpha*tmp[i*chunk+j] + beta*dst[j]
				}
			}
		}
	}
}
