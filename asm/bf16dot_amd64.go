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
// A last group short of four rows is the last four rows (recomputing up to
// three, with identical results); fewer than four rows in all go one at a
// time (row stride 0: the four dots are the same row).
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
	if n < 4 {
		var out [4]float32
		for j := 0; j < n; j++ {
			for i := 0; i < m; i++ {
				bf16dot4AVX512((*uint16)(unsafe.Add(unsafe.Pointer(xp), 2*i*k)), (*uint16)(unsafe.Add(unsafe.Pointer(bp), 2*j*ldb)), 0, k, &out[0], 0)
				c[i*ldc+j] = out[0]
			}
		}
		return
	}
	pf := 2 * 4 * ldb // the next group's rows
	for j0 := 0; j0 < n; j0 += 4 {
		j0 := min(j0, n-4)
		w := (*uint16)(unsafe.Add(unsafe.Pointer(bp), 2*j0*ldb))
		for i := 0; i < m; i++ {
			bf16dot4AVX512((*uint16)(unsafe.Add(unsafe.Pointer(xp), 2*i*k)), w, ldb, k, &c[i*ldc+j0], pf)
		}
	}
}
