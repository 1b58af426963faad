package asm

import (
	"sync"
	"time"
	"unsafe"
)

// The packed bf16 dot-product GEMM: C = A·B for A (m×k float32, rounded
// to bf16 once per call) and B (k×n bf16, row-major: a frozen weight [out,
// in] as the backward pass's dx = dy·W reads it), or B stored transposed
// (x·Wᵀ for more rows than a prompt). VDPBF16PS multiplies pairs of
// adjacent elements, so the pairs must run along k in both operands: each
// call packs B, a block of bf16NNKC rows by bf16NNNC columns at a time into
// a reused buffer, in panels of bf16NNNR columns whose rows are pairs
// (column j's two values side by side); A's rounded rows are read as they
// are, each k pair broadcast to the 16 lanes. For B as stored the packing
// interleaves two rows, for B transposed it transposes 32-bit pairs; either
// way its cost is shared by all m rows of A. Each output is one float32
// lane summing its pairs in k order, so the result differs from the 4×4
// tile kernel's (bf16gemm.go, 16 lanes then a tree) by the summation order
// only. The Go twins below reproduce the kernels bit for bit, NaN and Inf
// included.

const (
	// bf16NNMR and bf16NNNR are the tile: rows of A by columns of B (24
	// accumulator registers of 16 lanes).
	bf16NNMR, bf16NNNR = 6, 64
	// bf16NNKC is the depth of one pass in elements of k (even): a tile's
	// 6 rows of A (6 KiB) stay in L1 while the block's panels stream from
	// L2. Each pass's sums are added to C, so the result depends on it.
	bf16NNKC = 512
	// bf16NNNC is the columns of one packed block (bf16NNKC·bf16NNNC·2
	// bytes: 512 KiB, half of L2).
	bf16NNNC = 512
)

// bf16PackedMinM is the fewest rows of A for which SgemmBF16Dot runs a
// product with B transposed (x·Wᵀ) on the packed kernel rather than on the
// tile kernel of bf16gemm.go, which reads B as stored (fewer rows leave
// less work to share each call's packing; BenchmarkPromptGEMM: at 64 rows
// the packed kernel is ahead, at 32 behind). A variable so that benchmarks
// can compare the two.
var bf16PackedMinM = 64

// bf16NNTile is the argument block of the tile kernel: rows a[i] of A
// (each at the pass's first element; pair p read at a[i][2p:2p+2]), the
// packed panel b (q pairs of 64 columns: pair p of column j at
// b[2·(p·64+j)], b[2·(p·64+j)+1]), and the 6×64 corner of C at c (row
// stride ldc) that receives the sums: rows i < mr, and in each 16-column
// group v the columns whose bit is set in mask[v]. Rows i ≥ mr are
// computed and dropped (the caller repeats a valid row there). With acc ≠
// 0 the sums are added to C, otherwise they overwrite it.
type bf16NNTile struct {
	a    [bf16NNMR]*uint16
	b    *uint16
	q    int
	c    *float32
	ldc  int
	mr   int
	mask [bf16NNNR / 16]int
	acc  int
}

// bf16nnGeneric is the Go twin of the packed tile kernels: each output
// lane sums its pairs in order as VDPBF16PS does (element 2p+1's product,
// then 2p's).
func bf16nnGeneric(t *bf16NNTile) {
	b := unsafe.Slice(t.b, 2*bf16NNNR*t.q)
	nr := 0 // the columns up to the last one stored
	for j := 0; j < bf16NNNR; j++ {
		if t.mask[j/16]>>(j%16)&1 != 0 {
			nr = j + 1
		}
	}
	c := unsafe.Slice(t.c, (t.mr-1)*t.ldc+nr)
	for i := 0; i < t.mr; i++ {
		a := unsafe.Slice(t.a[i], 2*t.q)
		for j := 0; j < bf16NNNR; j++ {
			if t.mask[j/16]>>(j%16)&1 == 0 {
				continue
			}
			var s float32
			for p := 0; p < t.q; p++ {
				s = fmaDAZ(a[2*p+1], b[2*(p*bf16NNNR+j)+1], s)
				s = fmaDAZ(a[2*p], b[2*(p*bf16NNNR+j)], s)
			}
			if t.acc != 0 {
				s = addX86(c[i*t.ldc+j], s)
			}
			c[i*t.ldc+j] = s
		}
	}
}

// packBF16Pairs packs rows p0..p0+kc-1 and columns j0..j0+nc-1 of b (row
// stride ldb) into dst as the tile kernel reads them: panels of bf16NNNR
// columns, each (kc+1)/2 rows of pairs, pair p of column j being b's rows
// p0+2p and p0+2p+1 in column j0+j. A missing odd row and the columns past
// nc in the last panel are zeros. dst needs bf16NNNR·2·((kc+1)/2) elements
// per panel. Whole pairs of rows across whole panels go through pair (the
// level's bf16pair); the rest is packed here.
func packBF16Pairs(pair func(dst, src *uint16, ldb, np, pstride int), dst, b []uint16, ldb, p0, kc, j0, nc int) {
	q := (kc + 1) / 2
	ps := 2 * bf16NNNR * q // elements per panel
	full := nc / bf16NNNR
	if full > 0 {
		for p := 0; p < kc/2; p++ {
			pair(&dst[2*bf16NNNR*p], &b[(p0+2*p)*ldb+j0], ldb, full, ps)
		}
		if kc&1 != 0 { // the last row pairs with zeros
			r0 := b[(p0+kc-1)*ldb+j0:]
			r0 = r0[:full*bf16NNNR]
			for i := 0; i < full; i++ {
				out := dst[i*ps+2*bf16NNNR*(q-1):]
				out = out[:2*bf16NNNR]
				for j, v := range r0[i*bf16NNNR : (i+1)*bf16NNNR] {
					out[2*j], out[2*j+1] = v, 0
				}
			}
		}
	}
	w := nc - full*bf16NNNR
	if w == 0 {
		return
	}
	panel := dst[full*ps:]
	panel = panel[:ps]
	for p := 0; p < q; p++ {
		out := panel[2*bf16NNNR*p : 2*bf16NNNR*(p+1)]
		r0 := b[(p0+2*p)*ldb+j0+full*bf16NNNR:]
		r0 = r0[:w]
		if 2*p+1 < kc {
			r1 := b[(p0+2*p+1)*ldb+j0+full*bf16NNNR:]
			r1 = r1[:w]
			for j, v := range r0 {
				out[2*j], out[2*j+1] = v, r1[j]
			}
		} else {
			for j, v := range r0 {
				out[2*j], out[2*j+1] = v, 0
			}
		}
		clear(out[2*w:])
	}
}

// bf16PairPackGeneric is the Go twin of the pair-packing kernels: for
// panels i < np and columns j < bf16NNNR, dst[i·pstride+2j] and the element
// after it get src[i·bf16NNNR+j] and src[ldb+i·bf16NNNR+j] (rows r and
// r+1 of B from column i·bf16NNNR on).
func bf16PairPackGeneric(dst, src *uint16, ldb, np, pstride int) {
	if np <= 0 {
		return
	}
	s := unsafe.Slice(src, ldb+np*bf16NNNR)
	d := unsafe.Slice(dst, (np-1)*pstride+2*bf16NNNR)
	for i := 0; i < np; i++ {
		out := d[i*pstride : i*pstride+2*bf16NNNR]
		r0, r1 := s[i*bf16NNNR:(i+1)*bf16NNNR], s[ldb+i*bf16NNNR:ldb+(i+1)*bf16NNNR]
		for j, v := range r0 {
			out[2*j], out[2*j+1] = v, r1[j]
		}
	}
}

// packBF16PairsT is packBF16Pairs for B stored transposed (n rows of k,
// row stride ldb, as a Linear layer stores its weight): pair p of column j
// is the two adjacent elements p0+2p, p0+2p+1 of row j0+j. Whole panels
// go through pairT (the level's bf16pairT) 16 pairs at a time; the pairs
// left over, the odd last element and a partial panel are packed here.
// dst is laid out as packBF16Pairs's.
func packBF16PairsT(pairT func(dst, src *uint16, ldb, q16 int), dst, b []uint16, ldb, p0, kc, j0, nc int) {
	q := (kc + 1) / 2
	ps := 2 * bf16NNNR * q
	full := nc / bf16NNNR
	q16 := kc / 32
	for i := 0; i < full; i++ {
		if q16 > 0 {
			pairT(&dst[i*ps], &b[(j0+i*bf16NNNR)*ldb+p0], ldb, q16)
		}
		packPairsTGo(dst[i*ps:(i+1)*ps], b, ldb, p0, kc, j0+i*bf16NNNR, bf16NNNR, 16*q16)
	}
	if w := nc - full*bf16NNNR; w > 0 {
		packPairsTGo(dst[full*ps:(full+1)*ps], b, ldb, p0, kc, j0+full*bf16NNNR, w, 0)
	}
}

// packPairsTGo packs pairs p ≥ from of one panel of w ≤ bf16NNNR rows of a
// transposed B from row j0 (zeros past an odd kc and past w).
func packPairsTGo(panel, b []uint16, ldb, p0, kc, j0, w, from int) {
	for p := from; p < (kc+1)/2; p++ {
		out := panel[2*bf16NNNR*p : 2*bf16NNNR*(p+1)]
		for j := 0; j < w; j++ {
			row := b[(j0+j)*ldb+p0+2*p:]
			out[2*j] = row[0]
			if 2*p+1 < kc {
				out[2*j+1] = row[1]
			} else {
				out[2*j+1] = 0
			}
		}
		clear(out[2*w:])
	}
}

// bf16PairPackTGeneric is the Go twin of the transposed pair-packing
// kernels: for p < 16·q16 and l < bf16NNNR, dst[2·(p·bf16NNNR+l)] and the
// element after it get elements 2p and 2p+1 of row l (row stride ldb).
func bf16PairPackTGeneric(dst, src *uint16, ldb, q16 int) {
	if q16 <= 0 {
		return
	}
	q := 16 * q16
	s := unsafe.Slice(src, (bf16NNNR-1)*ldb+2*q)
	d := unsafe.Slice(dst, 2*bf16NNNR*q)
	for l := 0; l < bf16NNNR; l++ {
		row := s[l*ldb : l*ldb+2*q]
		for p := 0; p < q; p++ {
			d[2*(p*bf16NNNR+l)], d[2*(p*bf16NNNR+l)+1] = row[2*p], row[2*p+1]
		}
	}
}

// bf16NNPack holds a packed block between calls (one per concurrent part).
var bf16NNPack = sync.Pool{New: func() any {
	s := make([]uint16, 2*((bf16NNKC+1)/2)*bf16NNNC)
	return &s
}}

// gemmBF16Packed computes C = alpha·A·op(B) + beta·C with A (m×k float32,
// row stride lda) rounded to bf16 by kr.tobf16 and B (k×n bf16, or n×k
// when trans, row stride ldb) packed in pairs through kr.bf16nn, the
// columns of C split over up to t threads.
func gemmBF16Packed(kr *kernels, trans bool, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int, t int) {
	// A's rows at an even stride with a zero after an odd k, so that the
	// last pair reads zero against the packing's zero row.
	kp := k + k&1
	s := bf16Scratch.Get().(*[]uint16)
	defer bf16Scratch.Put(s)
	if cap(*s) < m*kp {
		*s = make([]uint16, m*kp)
	}
	xb := (*s)[:m*kp]
	for i := 0; i < m; i++ {
		kr.tobf16(xb[i*kp:i*kp+k], a[i*lda:i*lda+k])
		if kp > k {
			xb[i*kp+k] = 0
		}
	}
	cols := func(j0, j1 int) {
		if alpha == 1 && (beta == 0 || beta == 1) {
			bf16NNCols(kr, trans, m, j0, j1, k, kp, xb, b, ldb, c[j0:], ldc, beta == 1)
			return
		}
		// Block by block through a scratch C, then scaled into C.
		tmp := make([]float32, m*min(bf16NNNC, j1-j0))
		for jc := j0; jc < j1; jc += bf16NNNC {
			nc := min(bf16NNNC, j1-jc)
			bf16NNCols(kr, trans, m, jc, jc+nc, k, kp, xb, b, ldb, tmp, nc, false)
			addScaled(m, nc, alpha, tmp, nc, beta, c[jc:], ldc)
		}
	}
	if t <= 1 || 2*m*n*k < parallelFlops {
		cols(0, n)
		return
	}
	// Chunks of whole panels taken in turn by the threads (parallelFor).
	nc := ceilDiv(n, bf16NNChunk)
	parallelFor(t, nc, func(ci int) { cols(ci*bf16NNChunk, min((ci+1)*bf16NNChunk, n)) })
}

// bf16NNChunk is the columns of C a thread takes at a time in a split
// gemmBF16Packed: four panels, so that a 2048-column product is 8 chunks
// (two threads finish within a chunk of each other) and a tile's rows of A
// still meet four panels per load.
const bf16NNChunk = 4 * bf16NNNR

// bf16NNCols writes dst[i*ldd+(j-j0)] = Σ_p xb[i*kp+p]·op(b)[p, j] for i <
// m and j0 ≤ j < j1 (with acc, adds each pass's sums to dst): blocks of
// bf16NNNC columns of op(B), passes of bf16NNKC rows packed in pairs, and
// within them every 6-row tile of A against every panel of the block.
func bf16NNCols(kr *kernels, trans bool, m, j0, j1, k, kp int, xb, b []uint16, ldb int, dst []float32, ldd int, acc bool) {
	bf16NNColsWith(kr, m, j0, j1, k, kp, xb, func(buf []uint16, pc, kc, jc, nc int) {
		if trans {
			packBF16PairsT(kr.bf16pairT, buf, b, ldb, pc, kc, jc, nc)
		} else {
			packBF16Pairs(kr.bf16pair, buf, b, ldb, pc, kc, jc, nc)
		}
	}, dst, ldd, acc)
}

// bf16NNColsWith is bf16NNCols with op(B) given by pack, which writes the
// pairs of rows pc..pc+kc-1 and columns jc..jc+nc-1 into buf as
// packBF16Pairs does (gemmQ widens packed quantised rows into it).
func bf16NNColsWith(kr *kernels, m, j0, j1, k, kp int, xb []uint16, pack func(buf []uint16, pc, kc, jc, nc int), dst []float32, ldd int, acc bool) {
	buf := bf16NNPack.Get().(*[]uint16)
	defer bf16NNPack.Put(buf)
	var t bf16NNTile
	t.ldc = ldd
	for jc := j0; jc < j1; jc += bf16NNNC {
		je := min(jc+bf16NNNC, j1)
		for pc := 0; pc < k; pc += bf16NNKC {
			kc := min(bf16NNKC, k-pc)
			t.q = (kc + 1) / 2
			pack(*buf, pc, kc, jc, je-jc)
			t.acc = min(pc, 1)
			if acc {
				t.acc = 1
			}
			for i0 := 0; i0 < m; i0 += bf16NNMR {
				t.mr = min(bf16NNMR, m-i0)
				for r := range t.a {
					t.a[r] = &xb[(i0+min(r, t.mr-1))*kp+pc]
				}
				for jr := jc; jr < je; jr += bf16NNNR {
					nr := min(bf16NNNR, je-jr)
					for v := range t.mask {
						t.mask[v] = 1<<min(max(nr-16*v, 0), 16) - 1
					}
					t.b = &(*buf)[(jr-jc)/bf16NNNR*2*bf16NNNR*t.q]
					t.c = &dst[i0*ldd+jr-j0]
					kr.bf16nn(&t)
				}
			}
		}
	}
}

// BF16DotPeak measures the bf16 dot-product throughput (VDPBF16PS, 64
// flops an instruction) on the calling goroutine for about d and returns
// it in GFLOP/s, ok false when the active level has no bf16 dot-product
// GEMM. Benchmarks quote the bf16 GEMMs as a share of it, measured in the
// same run.
func BF16DotPeak(d time.Duration) (gflops float64, ok bool) {
	if cur.bf16nn == nil || bf16DotPeakLoop == nil {
		return 0, false
	}
	const iters = 1 << 14
	n := 0
	t0 := time.Now()
	for time.Since(t0) < d {
		bf16DotPeakLoop(iters)
		n++
	}
	return 24 * 64 * iters * float64(n) / time.Since(t0).Seconds() / 1e9, true
}
