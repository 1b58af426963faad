// Package asm holds llink's compute kernels: a BLIS-style single-precision
// GEMM (packed panels, cache blocking, register-blocked micro-kernels written
// in Go assembly for AVX2+FMA, AVX-512 and NEON) and the vector kernels the
// layers above need (dot, axpy, exp, softmax, norms, activations, bf16
// conversion).
//
// Every kernel has a pure-Go twin. The instruction-set level is chosen once at
// start-up from the CPU features; the environment variable LLINK_SIMD
// (generic, avx2, avx512, neon) caps it, and the build tag purego forces the
// Go twins. Tests and benchmarks iterate over [Available] levels and switch
// with [SetLevel], so every implementation the machine can run is checked in
// one process.
//
// All matrices are row-major float32. Slices must be long enough for the
// shapes and leading dimensions given; a violation is a programmer error and
// panics with the offending sizes.
package asm
