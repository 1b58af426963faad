//go:build !purego

package asm

import "unsafe"

// bf16dot4AVX512 computes the dots of one bf16 row x (k elements) with four
// rows of w (row stride ldw elements), by VDPBF16PS on 32 elements at a time
// (the last k mod 32 through masked loads), and prefetches each row's data
// pf bytes ahead:
//
//	for r := 0; r < 4; r++ {
//		out[r] = bf16DotRowGeneric(x[:k], w[r*ldw:r*ldw+k])
//	}
//
//go:noescape
func bf16dot4AVX512(x, w *uint16, ldw, k int, out *float32, pf int)

// bf16mvDotAVX512Go is the AVX512-BF16 level's bf16mv: A rounded to bf16
// (the level's tobf16), then B's rows four at a time against each row of A.
// The four rows of a kernel call are a quarter of B apart (rows j, j+n/4,
// j+n/2, j+3n/4 for j < n/4), so that each of the kernel's four load streams
// runs on through consecutive rows, which the hardware prefetchers follow
// across rows and pages, where four adjacent rows end all four streams
// every row (from DRAM, 2048-element rows, one thread: 1.1–1.5× the GB per
// CPU-second, BenchmarkMatvecStreams). Each call also prefetches its rows
// bf16StreamPF bytes ahead. The rows past 4·(n/4) are the last four rows
// (recomputing up to three, with identical results); fewer than four rows
// in all go one at a time (row stride 0: the four dots are the same row).
func bf16mvDotAVX512Go(m, n, k int, x []float32, ldx int, b []uint16, ldb int, c []float32, ldc int) {
	bf16mvCheck(m, n, k, x, ldx, b, ldb, c, ldc)
	if n == 0 {
		return
	}
	if k == 0 { // x and b may be empty: no pointer may be formed into them
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
		return
	}
	xb, s := roundRows(f32ToBF16AVX512, m, k, x, ldx)
	defer bf16Scratch.Put(s)
	xp, bp := unsafe.SliceData(xb), unsafe.SliceData(b)
	xrow := func(i int) *uint16 { return (*uint16)(unsafe.Add(unsafe.Pointer(xp), 2*i*k)) }
	brow := func(j int) *uint16 { return (*uint16)(unsafe.Add(unsafe.Pointer(bp), 2*j*ldb)) }
	var out [4]float32
	if n < 4 {
		for j := 0; j < n; j++ {
			for i := 0; i < m; i++ {
				bf16dot4AVX512(xrow(i), brow(j), 0, k, &out[0], 0)
				c[i*ldc+j] = out[0]
			}
		}
		return
	}
	q := n / 4
	for j := 0; j < q; j++ {
		for i := 0; i < m; i++ {
			bf16dot4AVX512(xrow(i), brow(j), q*ldb, k, &out[0], bf16StreamPF)
			ci := c[i*ldc+j:]
			ci[0], ci[q], ci[2*q], ci[3*q] = out[0], out[1], out[2], out[3]
		}
	}
	if 4*q < n {
		for i := 0; i < m; i++ {
			bf16dot4AVX512(xrow(i), brow(n-4), ldb, k, &c[i*ldc+n-4], bf16StreamPF)
		}
	}
}

// bf16StreamPF is how far ahead (bytes) the bf16 matvec prefetches each of
// its four streams: 1 KiB measured best of 0, 1, 2, 4 and 8 KiB
// (BenchmarkMatvecStreams).
const bf16StreamPF = 1024
