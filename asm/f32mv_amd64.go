//go:build !purego

package asm

// f32dot4AVX512 is f32dot4Kernel on AVX-512: per row two zmm accumulators,
// VFMADD231PS on 32 elements at a time, the last k mod 16 through masked
// loads; each row's next cache lines prefetched pf bytes ahead.
//
//go:noescape
func f32dot4AVX512(x, w *float32, ldw, k int, out *float32, pf int)
