package asm

import "unsafe"

// The bf16 dot-product GEMM: C = A·Bᵀ for more rows of A than a decoding
// step (a prompt) against bf16 rows of B as stored (a weight matrix, k
// contiguous: nothing is packed), with A rounded to bf16 once per call so
// that VDPBF16PS multiplies two bf16 pairs per lane. Tiles of 4 rows of A
// by 4 rows of B keep one 16-lane float32 accumulator per output over a pass
// of up to bf16KC elements; the 16 accumulators are then reduced together
// (bf16DotTileGeneric gives the order) and added to C. As bf16dot.go, the
// Go twin below reproduces the kernel bit for bit, NaN and Inf included.

// bf16KC is the depth of one pass: a 4-row tile of A (8 KiB) stays in L1
// while 4-row tiles of B stream past it from L2. The result depends on it
// (each pass's sum is added to C), so the twin uses the same passes.
const bf16KC = 1024

// bf16MR and bf16NR are the tile: rows of A by rows of B.
const bf16MR, bf16NR = 4, 4

// bf16NB is how many rows of B one block holds (bf16NB·bf16KC·2 bytes:
// 512 KiB, half of L2) while every tile of A runs over them.
const bf16NB = 256

// bf16Tile is the argument block of a bf16 GEMM tile kernel: rows a[i]
// (i < bf16MR) and b[j] (j < bf16NR) of k bf16 elements each, and the mr×nr corner of
// C at c (row stride ldc) that receives the dots. Rows i ≥ mr of A and j ≥
// nr of B are computed and dropped (the caller repeats a valid row there).
// With acc ≠ 0 the dots are added to C, otherwise they overwrite it.
type bf16Tile struct {
	a      [6]*uint16 // bf16MR used; room for the generator's 6-row kernels
	b      [bf16NR]*uint16
	k      int
	c      *float32
	ldc    int
	mr, nr int
	acc    int
}

// bf16DotTileGeneric returns Σ x[p]·w[p] over len(x) elements as the tile
// kernel sums one output: VDPBF16PS on 32 elements at a time into one
// 16-lane accumulator (the zero-padded rest last), then lanes folded
// 16 → 8 → 4 → 2 → 1, each lane l plus lane l + half.
func bf16DotTileGeneric(x, w []uint16) float32 {
	var a [16]float32
	for p := 0; p < len(x); p += 32 {
		e := min(p+32, len(x))
		dpbf16Lanes(&a, x[p:e], w[p:e])
	}
	for h := 8; h >= 1; h /= 2 {
		for l := 0; l < h; l++ {
			a[l] = addX86(a[l], a[l+h])
		}
	}
	return a[0]
}

// bf16tileGeneric is the Go twin of the tile kernels.
func bf16tileGeneric(t *bf16Tile) {
	c := unsafe.Slice(t.c, (t.mr-1)*t.ldc+t.nr)
	for i := 0; i < t.mr; i++ {
		x := unsafe.Slice(t.a[i], t.k)
		for j := 0; j < t.nr; j++ {
			d := bf16DotTileGeneric(x, unsafe.Slice(t.b[j], t.k))
			if t.acc != 0 {
				d = addX86(c[i*t.ldc+j], d)
			}
			c[i*t.ldc+j] = d
		}
	}
}

// gemmBF16Dot computes C = alpha·A·Bᵀ + beta·C with A (m×k, float32, row
// stride lda) rounded to bf16 by kr.tobf16 and B (n×k bf16, row stride ldb)
// through kr.bf16tile, the columns of C split over up to t threads.
func gemmBF16Dot(kr *kernels, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int, t int) {
	xb, s := roundRows(kr.tobf16, m, k, a, lda)
	defer bf16Scratch.Put(s)
	cols := func(j0, j1 int) {
		if alpha == 1 && (beta == 0 || beta == 1) { // C = A·Bᵀ, or C += A·Bᵀ pass by pass (a gradient's sum)
			bf16GemmCols(kr.bf16tile, m, j0, j1, k, xb, b, ldb, c[j0:], ldc, beta == 1)
			return
		}
		// Block by block through a scratch C, then scaled into C.
		tmp := make([]float32, m*min(bf16NB, j1-j0))
		for jc := j0; jc < j1; jc += bf16NB {
			nc := min(bf16NB, j1-jc)
			bf16GemmCols(kr.bf16tile, m, jc, jc+nc, k, xb, b, ldb, tmp, nc, false)
			addScaled(m, nc, alpha, tmp, nc, beta, c[jc:], ldc)
		}
	}
	parts := 1
	if t > 1 && 2*m*n*k >= parallelFlops {
		parts = min(t, ceilDiv(n, 4))
	}
	if parts == 1 {
		cols(0, n)
		return
	}
	parallel(parts, func(w int) {
		// Part boundaries on multiples of 4 rows of B (whole tiles).
		j0, j1 := w*n/parts&^3, (w+1)*n/parts&^3
		if w == parts-1 {
			j1 = n
		}
		if j1 > j0 {
			cols(j0, j1)
		}
	})
}

// bf16GemmCols writes dst[i*ldd+(j-j0)] = Σ_p xb[i*k+p]·b[j*ldb+p] for i <
// m and j0 ≤ j < j1 (with acc, adds each pass's sums to dst): blocks of
// bf16NB rows of B, passes of bf16KC elements, and within them every 4-row
// tile of A against every 4-row tile of the block.
func bf16GemmCols(tile func(*bf16Tile), m, j0, j1, k int, xb, b []uint16, ldb int, dst []float32, ldd int, acc bool) {
	var t bf16Tile
	t.ldc = ldd
	for jc := j0; jc < j1; jc += bf16NB {
		je := min(jc+bf16NB, j1)
		for pc := 0; pc < k; pc += bf16KC {
			t.k = min(bf16KC, k-pc)
			t.acc = min(pc, 1)
			if acc {
				t.acc = 1
			}
			for i0 := 0; i0 < m; i0 += bf16MR {
				t.mr = min(bf16MR, m-i0)
				for r := range t.a[:bf16MR] {
					t.a[r] = &xb[(i0+min(r, t.mr-1))*k+pc]
				}
				for j := jc; j < je; j += bf16NR {
					t.nr = min(bf16NR, je-j)
					for r := range t.b {
						t.b[r] = &b[(j+min(r, t.nr-1))*ldb+pc]
					}
					t.c = &dst[i0*ldd+j-j0]
					tile(&t)
				}
			}
		}
	}
}
