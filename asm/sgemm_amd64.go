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
