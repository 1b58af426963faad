//go:build !purego

package asm

import "unsafe"

// avx512MR is the row count of the AVX-512 micro-kernel tile (×32 columns).
const avx512MR = 12

// gemmAVX2 is the 6×16 AVX2+FMA micro-kernel: 12 ymm accumulators, two ymm
// B loads and one broadcast per row per k step. Reference: gemmGeneric with
// MR=6, NR=16.
//
//go:noescape
func gemmAVX2(kc int, a, b, c unsafe.Pointer, ldc int, alpha, beta float32)

// gemmAVX512 is the 12×32 AVX-512 micro-kernel: 24 zmm accumulators, two
// zmm B loads and one broadcast per row per k step. Reference: gemmGeneric
// with MR=12, NR=32.
//
//go:noescape
func gemmAVX512(kc int, a, b, c unsafe.Pointer, ldc int, alpha, beta float32)

//go:generate go run ./_gen -out .

// gemmAVX512PackB is gemmAVX512 that packs its B micro-panel on the way:
// step p reads the 32 floats of B row p from bsrc+p·ldb (the source matrix,
// row-major, prefetched 32 rows ahead), stores them to b+p·32 (the packed
// panel, as packCGeneric would) and multiplies them into the tile. The first
// A panel of a block runs it for every full B panel, so packing B costs no
// separate pass over the source. Reference: packCGeneric(b, 32, bsrc, ldb,
// 32, kc) followed by gemmAVX512 (bit-identical).
//
//go:noescape
func gemmAVX512PackB(kc int, a, b, c unsafe.Pointer, ldc int, alpha, beta float32, bsrc unsafe.Pointer, ldb int)

// gemmAVX512PackA is gemmAVX512 that packs its A micro-panel on the way:
// step p broadcasts A[i, p] for the 12 rows i from asrc+i·lda (the source
// matrix as stored, rows prefetched 256 bytes ahead), stores each value to
// a[p*12+i] (the packed panel, as packTGeneric would) and multiplies it into
// the tile. Each A panel's first call of a KC step runs it, so packing A
// costs no separate pass over the source. Reference: packTGeneric(a, 12,
// 12, asrc, lda, 12, kc) followed by gemmAVX512 (bit-identical).
//
//go:noescape
func gemmAVX512PackA(kc int, a, b, c unsafe.Pointer, ldc int, alpha, beta float32, asrc unsafe.Pointer, lda int)

// gemmAVX512x8 and gemmAVX512x4 are gemmAVX512 for the first 8 or 4 rows
// of a 12-row A panel: the last panel of a block with that few rows is
// computed straight into C, without the 12-row tile's wasted rows and copy.
// Reference: gemmGeneric with MR=8 (4), NR=32, A panels 12 rows high.
//
//go:noescape
func gemmAVX512x8(kc int, a, b, c unsafe.Pointer, ldc int, alpha, beta float32)

//go:noescape
func gemmAVX512x4(kc int, a, b, c unsafe.Pointer, ldc int, alpha, beta float32)

// edgeKernel returns the micro-kernel for a panel of mrr ≤ kr.mr rows and
// the number of rows it computes: kr's own kernel (kr.mr rows), or on
// AVX-512 the 8- or 4-row kernel when mrr fits in it.
func edgeKernel(kr *kernels, mrr int) (microKernel, int) {
	if kr.level == AVX512 && kr.mr == avx512MR {
		switch {
		case mrr <= 4:
			return gemmAVX512x4, 4
		case mrr <= 8:
			return gemmAVX512x8, 8
		}
	}
	return kr.gemm, kr.mr
}
