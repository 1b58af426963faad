package asm

import "unsafe"

// The float32 decoding matvec (c[j] = x·W[j,:], gemv's m = 1 case) on a
// four-row dot kernel: each call reads four rows a quarter of the rows
// apart, so that its four load streams run on through consecutive rows and
// the hardware prefetchers follow them across rows and pages, as the bf16
// matvec reads (bf16mvDotAVX512Go); one dot kernel per row ends its one
// stream every row (8 KB at the 1B width).

// f32dot4Kernel computes out[r] = x·w[r·ldw : r·ldw+k] for r = 0..3, each
// as f32DotRowGeneric sums it, prefetching each row pf bytes ahead (a
// hint: no result depends on it). ldw 0 gives one row's dot four times.
type f32dot4Kernel func(x, w *float32, ldw, k int, out *float32, pf int)

// f32StreamPF is how far ahead (bytes) the matvec prefetches each of its
// four streams. (A variable so that benchmarks can vary it.)
var f32StreamPF = 1024

// f32DotRowGeneric is the four-row kernels' dot of one row, their Go twin
// lane for lane: two 16-lane accumulators a and b take elements p+l and
// p+16+l of every 32 with one rounding per multiply-add (VFMADD231PS), the
// next 16 go to a, the last k mod 16 to a's first lanes (the others adding
// 0·0), then a+b, the halves folded 16 → 8 → 4 lanes, and (l0+l1)+(l2+l3).
func f32DotRowGeneric(x, w []float32) float32 {
	var a, b [16]float32
	k, p := len(x), 0
	w = w[:k]
	for ; p+32 <= k; p += 32 {
		for l := range 16 {
			a[l] = fma32(x[p+l], w[p+l], a[l])
			b[l] = fma32(x[p+16+l], w[p+16+l], b[l])
		}
	}
	if p+16 <= k {
		for l := range 16 {
			a[l] = fma32(x[p+l], w[p+l], a[l])
		}
		p += 16
	}
	if p < k {
		for l := range 16 {
			var xv, wv float32
			if p+l < k {
				xv, wv = x[p+l], w[p+l]
			}
			a[l] = fma32(xv, wv, a[l])
		}
	}
	return fold16(&a, &b)
}

// f32dot4Generic is f32dot4Kernel in Go (the twin of the assembly ones).
func f32dot4Generic(x, w *float32, ldw, k int, out *float32, _ int) {
	xs := unsafe.Slice(x, k)
	o := unsafe.Slice(out, 4)
	for r := range 4 {
		o[r] = f32DotRowGeneric(xs, unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(w), 4*r*ldw)), k))
	}
}

// f32mvRows computes c[j] = alpha·x·B[j,:] + beta·c[j] for rows j0 ≤ j <
// j1 of B (row stride ld, k = len(x) > 0 columns) with dot4: rows j, j+q,
// j+2q, j+3q per call for j < j0+q, q = (j1-j0)/4; the rows past j0+4q
// from a last call on the range's last four rows (whose other results are
// dropped); fewer than four rows one at a time. Every row's result is its
// own f32DotRowGeneric, wherever a split puts it.
func f32mvRows(dot4 f32dot4Kernel, x, b []float32, ld, j0, j1 int, alpha, beta float32, c []float32) {
	k := len(x)
	store := func(j int, d float32) {
		if beta == 0 {
			c[j] = alpha * d
		} else {
			c[j] = alpha*d + beta*c[j]
		}
	}
	row := func(j int) *float32 { return &b[j*ld : j*ld+k][0] }
	var out [4]float32
	n := j1 - j0
	if n < 4 {
		for j := j0; j < j1; j++ {
			dot4(&x[0], row(j), 0, k, &out[0], 0)
			store(j, out[0])
		}
		return
	}
	q := n / 4
	_ = b[(j0+4*q-1)*ld : (j0+4*q-1)*ld+k] // the calls' last rows
	for j := j0; j < j0+q; j++ {
		dot4(&x[0], row(j), q*ld, k, &out[0], f32StreamPF)
		store(j, out[0])
		store(j+q, out[1])
		store(j+2*q, out[2])
		store(j+3*q, out[3])
	}
	if j0+4*q < j1 {
		_ = b[(j1-1)*ld : (j1-1)*ld+k]
		dot4(&x[0], row(j1-4), ld, k, &out[0], f32StreamPF)
		for r := range 4 {
			if j := j1 - 4 + r; j >= j0+4*q {
				store(j, out[r])
			}
		}
	}
}
