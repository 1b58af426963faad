package asm

import (
	"fmt"
	"sync"
	"unsafe"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or Xᵀ as transA/transB say. op(A) is m×k, op(B) is k×n and C is
// m×n; lda, ldb and ldc are the row strides of A, B and C as stored (so A is
// stored k×m with lda ≥ m when transA). When beta == 0, C is not read (it
// may hold NaN). Large calls run on up to [Threads] threads.
//
// Reference:
//
//	for i < m, j < n: C[i*ldc+j] = alpha*Σ_p opA(i,p)*opB(p,j) + beta*C[i*ldc+j]
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	bo := bOperand{f32: b, ld: ldb, trans: transB}
	checkGemm("Sgemm", transA, m, n, k, len(a), lda, &bo, len(c), ldc)
	gemm(cur, transA, m, n, k, alpha, a, lda, &bo, beta, c, ldc, Threads())
}

// SgemmBF16 is [Sgemm] with B stored as bfloat16 bit patterns (weights of
// frozen models), widened to float32 while packing. Compute is float32.
func SgemmBF16(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int) {
	bo := bOperand{bf16: b, ld: ldb, trans: transB}
	if b == nil {
		bo.bf16 = []uint16{}
	}
	checkGemm("SgemmBF16", transA, m, n, k, len(a), lda, &bo, len(c), ldc)
	gemm(cur, transA, m, n, k, alpha, a, lda, &bo, beta, c, ldc, Threads())
}

// SgemmBF16Dot is [SgemmBF16] for inference and frozen weights: on a level
// with the bf16 dot product (avx512bf16, VDPBF16PS), A not transposed is
// rounded to bfloat16 and bf16 pairs are multiplied with float32 sums (each
// product then carries A's rounding, relative 2⁻⁹ at most; subnormal
// operands read as zero). With B transposed (B [n, k] as a Linear layer
// stores its weight: x·Wᵀ), up to 4 rows of A (a decoding step) run on the
// fused matvec, fewer than 256 (a prompt) on the register-tiled GEMM of
// bf16gemm.go, which reads B as stored, and more (a training batch) on the
// packed GEMM of bf16nn.go, which packs B in k pairs per call; with B not
// transposed (W [k, n] as stored: a backward pass's dy·W), more than 4
// rows run on the packed GEMM. The paths sum in different orders, so their
// results differ by float32 rounding. Other shapes and levels compute as
// SgemmBF16. The rounding has no gradient: use it for x·Wᵀ with W frozen,
// or where a gradient through A may carry its error.
func SgemmBF16Dot(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int) {
	bo := bOperand{bf16: b, ld: ldb, trans: transB, dot: true}
	if b == nil {
		bo.bf16 = []uint16{}
	}
	checkGemm("SgemmBF16Dot", transA, m, n, k, len(a), lda, &bo, len(c), ldc)
	gemm(cur, transA, m, n, k, alpha, a, lda, &bo, beta, c, ldc, Threads())
}

// SgemmStrided runs batch independent GEMMs (as [Sgemm]) on matrices at
// offsets i·strideA, i·strideB, i·strideC in a, b and c — the attention
// heads' QKᵀ and PV products. The batch is spread over threads.
func SgemmStrided(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	if batch <= 0 || m == 0 || n == 0 {
		return
	}
	for _, s := range []int{strideA, strideB, strideC} {
		if s < 0 {
			panic(fmt.Sprintf("asm.SgemmStrided: negative stride in (%d, %d, %d)", strideA, strideB, strideC))
		}
	}
	last := batch - 1
	bo := bOperand{f32: b, ld: ldb, trans: transB}
	// Check the last matrix of each operand (the others lie below it).
	if len(a) < last*strideA || len(b) < last*strideB || len(c) < last*strideC {
		panic(fmt.Sprintf("asm.SgemmStrided: batch %d with strides (%d, %d, %d) exceeds lengths (%d, %d, %d)",
			batch, strideA, strideB, strideC, len(a), len(b), len(c)))
	}
	boLast := bOperand{f32: b[last*strideB:], ld: ldb, trans: transB}
	checkGemm("SgemmStrided", transA, m, n, k, len(a)-last*strideA, lda, &boLast, len(c)-last*strideC, ldc)
	t := Threads()
	small := 2*m*n*k < parallelFlops
	if t <= 1 || batch == 1 || small && batch < 2 {
		for i := 0; i < batch; i++ {
			bi := bo
			bi.f32 = b[i*strideB:]
			gemm(cur, transA, m, n, k, alpha, a[i*strideA:], lda, &bi, beta, c[i*strideC:], ldc, t)
		}
		return
	}
	parts := min(t, batch)
	k0 := cur
	parallel(parts, func(w int) {
		for i := w * batch / parts; i < (w+1)*batch/parts; i++ {
			bi := bo
			bi.f32 = b[i*strideB:]
			gemm(k0, transA, m, n, k, alpha, a[i*strideA:], lda, &bi, beta, c[i*strideC:], ldc, 1)
		}
	})
}

// need returns the slice length a rows×cols matrix with stride ld occupies.
func need(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}

func checkGemm(op string, transA bool, m, n, k, la, lda int, b *bOperand, lc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("asm.%s: negative size m=%d n=%d k=%d", op, m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if b.trans {
		br, bc = n, k
	}
	switch {
	case lda < max(ac, 1):
		panic(fmt.Sprintf("asm.%s: lda=%d < %d (A is %d×%d as stored)", op, lda, ac, ar, ac))
	case b.ld < max(bc, 1):
		panic(fmt.Sprintf("asm.%s: ldb=%d < %d (B is %d×%d as stored)", op, b.ld, bc, br, bc))
	case ldc < max(n, 1):
		panic(fmt.Sprintf("asm.%s: ldc=%d < n=%d", op, ldc, n))
	case m > 0 && n > 0 && k > 0 && la < need(ar, ac, lda):
		panic(fmt.Sprintf("asm.%s: len(a)=%d < %d needed for %d×%d with lda=%d", op, la, need(ar, ac, lda), ar, ac, lda))
	case m > 0 && n > 0 && k > 0 && b.length() < need(br, bc, b.ld):
		panic(fmt.Sprintf("asm.%s: len(b)=%d < %d needed for %d×%d with ldb=%d", op, b.length(), need(br, bc, b.ld), br, bc, b.ld))
	case lc < need(m, n, ldc):
		panic(fmt.Sprintf("asm.%s: len(c)=%d < %d needed for %d×%d with ldc=%d", op, lc, need(m, n, ldc), m, n, ldc))
	}
}

// parallelFlops is the work (2·m·n·k) below which a GEMM runs on one thread:
// splitting smaller calls costs more in hand-off than it saves.
const parallelFlops = 1 << 21

// blocking holds the cache block sizes of the five loops: an MC×KC block of
// packed A in L3 and a KC×NC block of packed B in L2 (see gemmSerial).
type blocking struct{ mc, kc, nc int }

// blockOverride, when non-nil, replaces the cache-derived block sizes (tests
// use tiny blocks so small shapes cross every block edge).
var blockOverride *blocking

func (kr *kernels) blocks() blocking {
	if blockOverride != nil {
		return *blockOverride
	}
	// KC is the level's (512 on AVX-512: the 24 KiB A micro-panel stays in
	// L1 beside the B stream, and k = 2048 takes four passes over C, not
	// eight). B block (kc×nc) in half of L2, A block (mc×kc) in half of L3:
	// with the 8 MiB L3 reported here mc is 2048 on AVX-512, so up to that
	// many rows A is packed once per KC step and B once in all.
	kc := kr.kc
	nc := max(caches.L2/2/(kc*4)/kr.nr*kr.nr, kr.nr)
	mc := max(min(caches.L3/2/(kc*4), 4096)/kr.mr*kr.mr, kr.mr)
	return blocking{mc: mc, kc: kc, nc: nc}
}

// gemmBuf holds one thread's packing buffers.
type gemmBuf struct {
	a, b []float32
	tile []float32
}

var bufPool = sync.Pool{New: func() any { return new(gemmBuf) }}

// alignedFloats returns a slice of n float32 starting on a 64-byte boundary.
func alignedFloats(n int) []float32 {
	s := make([]float32, n+16)
	off := (64 - int(uintptr(unsafe.Pointer(&s[0]))&63)) & 63 / 4
	return s[off : off+n : off+n]
}

func (g *gemmBuf) ensure(na, nb, nt int) {
	if cap(g.a) < na {
		g.a = alignedFloats(na)
	}
	if cap(g.b) < nb {
		g.b = alignedFloats(nb)
	}
	if cap(g.tile) < nt {
		g.tile = alignedFloats(nt)
	}
}

// gemm validates nothing; it dispatches to the special paths or splits the
// problem over up to t threads, each running gemmSerial on a slab of C.
func gemm(kr *kernels, transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int, t int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if b.bf16 != nil && m <= bf16MaxM && !transA && b.trans {
		gemmBF16SmallM(kr, m, n, k, alpha, a, lda, b, beta, c, ldc, t)
		return
	}
	if b.dot && kr.bf16nn != nil && !transA && (!b.trans && m > bf16MaxM || b.trans && m >= bf16PackedMinM) {
		gemmBF16Packed(kr, b.trans, m, n, k, alpha, a, lda, b.bf16, b.ld, beta, c, ldc, t)
		return
	}
	if b.dot && kr.bf16tile != nil && !transA && b.trans {
		gemmBF16Dot(kr, m, n, k, alpha, a, lda, b.bf16, b.ld, beta, c, ldc, t)
		return
	}
	if m == 1 && !transA || n == 1 && !b.trans {
		if gemv(kr, transA, m, n, k, alpha, a, lda, b, beta, c, ldc, t) {
			return
		}
	}
	if m <= smallM && !transA && b.trans {
		gemmSmallM(kr, m, n, k, alpha, a, lda, b, beta, c, ldc, t)
		return
	}
	if n <= skinnyN && kr.skinny != nil && b.bf16 == nil && !noSkinny {
		gemmSkinny(kr, transA, m, n, k, alpha, a, lda, b, beta, c, ldc, t)
		return
	}
	flops := 2 * m * n * k
	if t <= 1 || flops < parallelFlops {
		gemmSerial(kr, transA, m, n, k, alpha, a, lda, b, beta, c, ldc)
		return
	}
	// Split the larger of m and n into t slabs aligned to the tile.
	if n >= m {
		step := ceilDiv(ceilDiv(n, t), kr.nr) * kr.nr
		parts := ceilDiv(n, step)
		parallel(parts, func(w int) {
			j0 := w * step
			nn := min(step, n-j0)
			bs := b.sub(0, j0)
			gemmSerial(kr, transA, m, nn, k, alpha, a, lda, &bs, beta, c[j0:], ldc)
		})
		return
	}
	step := ceilDiv(ceilDiv(m, t), kr.mr) * kr.mr
	parts := ceilDiv(m, step)
	parallel(parts, func(w int) {
		i0 := w * step
		mm := min(step, m-i0)
		aoff := i0 * lda
		if transA {
			aoff = i0
		}
		gemmSerial(kr, transA, mm, n, k, alpha, a[aoff:], lda, b, beta, c[i0*ldc:], ldc)
	})
}

// sub returns the operand shifted to start at op(B)(p0, j0).
func (b *bOperand) sub(p0, j0 int) bOperand {
	off := p0*b.ld + j0
	if b.trans {
		off = j0*b.ld + p0
	}
	s := *b
	if s.bf16 != nil {
		s.bf16 = s.bf16[off:]
	} else {
		s.f32 = s.f32[off:]
	}
	return s
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// addScaled sets C = α·T + β·C for the m×n block T (row stride ldt) and C
// (row stride ldc); β = 0 ignores C's old values (NaN included).
func addScaled(m, n int, alpha float32, t []float32, ldt int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		dst, src := c[i*ldc:i*ldc+n], t[i*ldt:i*ldt+n]
		for j := range dst {
			if beta == 0 {
				dst[j] = alpha * src[j]
			} else {
				dst[j] = alpha*src[j] + beta*dst[j]
			}
		}
	}
}

// scaleC computes C = beta·C (C = 0 when beta == 0, without reading C).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			cur.scale(beta, row)
		}
	}
}

// noFuseB and noFuseA turn the fused packing off, noSkinny the skinny
// path (tests' same-run baselines).
var noFuseB, noFuseA, noSkinny bool

// gemmSerial is the five-loop GEMM on one thread, in the loop order that
// keeps the broadcast operand in L1: for each MC×KC block of A (packed into
// L3) and each KC×NC block of B (packed into L2), the inner loops hold one
// A micro-panel (MR×KC, 24 KiB on AVX-512 with KC 512) in L1 while the B micro-panels
// (KC×NR) stream from L2 past it. This is BLIS's order with the operands'
// roles exchanged (our kernels broadcast A and load B as vectors); against
// BLIS's own order (B micro-panel in L1, A from L2, packed B in L3) it runs
// 1–6% faster on the 1024–2048 shapes (bench/RESULTS.md, "#2 last step").
func gemmSerial(kr *kernels, transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
	mr, nr := kr.mr, kr.nr
	bl := kr.blocks().balanced(m, n, k, mr, nr)
	mcMax := min(bl.mc, ceilDiv(m, mr)*mr)
	ncMax := min(bl.nc, ceilDiv(n, nr)*nr)
	kcMax := min(bl.kc, k)
	buf := bufPool.Get().(*gemmBuf)
	defer bufPool.Put(buf)
	buf.ensure(mcMax*kcMax, kcMax*ncMax, mr*nr)
	tile := buf.tile[:mr*nr]

	for ic := 0; ic < m; ic += bl.mc {
		mc := min(bl.mc, m-ic)
		for pc := 0; pc < k; pc += bl.kc {
			kc := min(bl.kc, k-pc)
			// With a fused kernel, each A panel is packed by its first call
			// (jc = 0, jr = 0) or just before it.
			fuseA := kr.gemmPackA != nil && !transA && !noFuseA
			if !fuseA {
				packA(kr, buf.a, transA, a, lda, ic, pc, mc, kc)
			}
			bet := beta
			if pc > 0 {
				bet = 1
			}
			// With a fused kernel, B is packed panel by panel by the first
			// A panel's calls (full panels) or just before them.
			fuse := kr.gemmPackB != nil && !b.trans && b.bf16 == nil && mc >= mr && !noFuseB
			for jc := 0; jc < n; jc += bl.nc {
				nc := min(bl.nc, n-jc)
				if !fuse {
					packB(kr, buf.b, b, pc, jc, kc, nc)
				}
				for ir := 0; ir < mc; ir += mr {
					mrr := min(mr, mc-ir)
					kg, rows := edgeKernel(kr, mrr)
					pa := unsafe.Pointer(&buf.a[ir*kc])
					fusedA := false
					if fuseA && jc == 0 {
						// The fused call needs a full tile, and B packed
						// (the first A panel packs B when fuse is on).
						fusedA = mrr == mr && nc >= nr && !(fuse && ir == 0)
						if !fusedA {
							packA(kr, buf.a[ir*kc:], false, a, lda, ic+ir, pc, mrr, kc)
						}
					}
					for jr := 0; jr < nc; jr += nr {
						nrr := min(nr, nc-jr)
						pb := unsafe.Pointer(&buf.b[jr*kc])
						ci := (ic+ir)*ldc + jc + jr
						if fusedA && jr == 0 {
							src := a[(ic+ir)*lda+pc:]
							_ = src[(mr-1)*lda+kc-1]
							kr.gemmPackA(kc, pa, pb, unsafe.Pointer(&c[ci]), ldc, alpha, bet, unsafe.Pointer(&src[0]), lda)
							continue
						}
						if fuse && ir == 0 {
							if nrr == nr { // mrr == rows == mr here (mc ≥ mr)
								src := b.f32[pc*b.ld+jc+jr:]
								_ = src[(kc-1)*b.ld+nr-1]
								kr.gemmPackB(kc, pa, pb, unsafe.Pointer(&c[ci]), ldc, alpha, bet, unsafe.Pointer(&src[0]), b.ld)
								continue
							}
							packB(kr, buf.b[jr*kc:], b, pc, jc+jr, kc, nrr)
						}
						if mrr == rows && nrr == nr {
							kg(kc, pa, pb, unsafe.Pointer(&c[ci]), ldc, alpha, bet)
							continue
						}
						kg(kc, pa, pb, unsafe.Pointer(&tile[0]), nr, alpha, 0)
						for i := 0; i < mrr; i++ {
							dst := c[ci+i*ldc : ci+i*ldc+nrr]
							src := tile[i*nr : i*nr+nrr]
							if bet == 0 {
								copy(dst, src)
							} else {
								for j := range dst {
									dst[j] = src[j] + bet*dst[j]
								}
							}
						}
					}
				}
			}
		}
	}
}

// gemv handles m == 1 (row vector times matrix) and n == 1 (matrix times
// column vector) with the dot/axpy kernels: memory-bound shapes where packing
// would double the traffic. It reports false when it does not apply.
func gemv(kr *kernels, transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int, t int) bool {
	if m == 1 && !transA && b.trans {
		// c[j] = alpha·a·B[j,:] + beta·c[j]: one dot per row of B (four
		// rows a quarter apart per call on a level with f32dot4). A
		// decoding step's matvec from pollSplitBytes of weights up: split
		// as the bf16 and quantised ones are, a few chunks per thread taken
		// in turn by polling workers (parallelChunks). Smaller ones (the
		// embedded tiny decoder's, whose token takes well under a
		// millisecond) keep the parked hand-off: a worker polling after
		// each would take the core the pipeline's other lane is using.
		j := gemvJob(kr, n, a[:k], b, alpha, beta, c)
		if parts := splitParts(n, k, t); parts > 1 && 4*n*k >= pollSplitBytes {
			runMatvecs(parts, []mvJob{j})
		} else {
			splitRows(n, k, t, j.run)
		}
		return true
	}
	if n == 1 && !transA && !b.trans && b.bf16 == nil && b.ld == 1 {
		// c[i] = alpha·A[i,:]·b + beta·c[i].
		x := b.f32[:k]
		splitRows(m, k, t, func(i0, i1 int) {
			for i := i0; i < i1; i++ {
				d := kr.dot(a[i*lda:i*lda+k], x)
				if beta == 0 {
					c[i*ldc] = alpha * d
				} else {
					c[i*ldc] = alpha*d + beta*c[i*ldc]
				}
			}
		})
		return true
	}
	return false
}

// gemvJob is gemv's c[j] = alpha·x·B[j,:] + beta·c[j] for j < n (B
// transposed, one dot per row, len(x) = k) as a job of its rows.
func gemvJob(kr *kernels, n int, x []float32, b *bOperand, alpha, beta float32, c []float32) mvJob {
	k, bf, ld := len(x), b.f32, b.ld
	rows := func(j0, j1 int) {
		if kr.f32dot4 != nil && k > 0 {
			f32mvRows(kr.f32dot4, x, bf, ld, j0, j1, alpha, beta, c)
			return
		}
		for j := j0; j < j1; j++ {
			d := kr.dot(x, bf[j*ld:j*ld+k])
			if beta == 0 {
				c[j] = alpha * d
			} else {
				c[j] = alpha*d + beta*c[j]
			}
		}
	}
	return mvJob{units: n, maxChunks: n, bytes: 4 * n * k, run: rows}
}

// pollSplitBytes is the float32 weights from which a decoding matvec
// splits through parallelChunks (see gemv).
const pollSplitBytes = 4 << 20

// splitParts is how many threads (of t) a product of rows rows of k
// multiply-adds each is split over: one below parallelFlops/4 flops.
func splitParts(rows, k, t int) int {
	if 2*rows*k >= parallelFlops/4 {
		return max(1, min(t, rows))
	}
	return 1
}

// smallM is the row count up to which C = A·Bᵀ skips packing: with a few
// rows (decoding a small batch) the GEMM is memory-bound on B, and packing
// would copy all of B for a handful of flops per element.
const smallM = 4

// gemmSmallM computes C = alpha·A·Bᵀ + beta·C for m ≤ smallM rows as dot
// products, reading each row of B for all rows of A (bf16 B takes
// gemmBF16SmallM instead).
func gemmSmallM(kr *kernels, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int, t int) {
	splitRows(n, m*k, t, func(j0, j1 int) {
		for j := j0; j < j1; j++ {
			brow := b.f32[j*b.ld : j*b.ld+k]
			for i := 0; i < m; i++ {
				d := kr.dot(a[i*lda:i*lda+k], brow)
				if beta == 0 {
					c[i*ldc+j] = alpha * d
				} else {
					c[i*ldc+j] = alpha*d + beta*c[i*ldc+j]
				}
			}
		}
	})
}

// splitRows runs f over [0, rows) in up to t contiguous chunks; k is the
// work per row (multiply-adds), which decides whether splitting pays.
func splitRows(rows, k, t int, f func(r0, r1 int)) {
	parts := splitParts(rows, k, t)
	if parts == 1 {
		f(0, rows)
		return
	}
	parallel(parts, func(w int) { f(w*rows/parts, (w+1)*rows/parts) })
}
