package asm

import (
	"math"
	"sync"
)

// The bf16 dot-product matvec: C = A·Bᵀ for a few rows of A against
// bfloat16 rows of B with A rounded to bfloat16 as well, so that the
// AVX512-BF16 instruction VDPBF16PS multiplies two bf16 pairs per 32-bit
// lane and accumulates in float32. Against the widening kernels (bf16.go),
// which keep A in float32, each product carries A's rounding error (relative
// 2⁻⁹ at most); the sums stay float32. The instruction reads subnormal
// inputs as zero and flushes subnormal results to zero; the twin below
// emulates it lane for lane, so the kernel's results are reproduced bit for
// bit.

// bf16DAZ widens h as VDPBF16PS reads it: a subnormal is a zero of its sign.
func bf16DAZ(h uint16) float32 {
	if h&0x7f80 == 0 {
		return math.Float32frombits(uint32(h&0x8000) << 16)
	}
	return BF16ToF32(h)
}

// ftz flushes a subnormal float32 to a zero of its sign.
func ftz(f float32) float32 {
	if b := math.Float32bits(f); b&0x7f800000 == 0 {
		return math.Float32frombits(b & 0x80000000)
	}
	return f
}

// dpbf16Lanes is one VDPBF16PS on 16 lanes: lane l adds the products of the
// pair x[2l+1]·w[2l+1] then x[2l]·w[2l] (each product exact in float32, each
// sum rounded). Elements at or past len(x) are zeros.
func dpbf16Lanes(acc *[16]float32, x, w []uint16) {
	at := func(s []uint16, i int) float32 {
		if i < len(s) {
			return bf16DAZ(s[i])
		}
		return 0
	}
	for l := range acc {
		acc[l] = ftz(acc[l] + float32(at(x, 2*l+1)*at(w, 2*l+1)))
		acc[l] = ftz(acc[l] + float32(at(x, 2*l)*at(w, 2*l)))
	}
}

// bf16DotRowGeneric returns Σ x[p]·w[p] (len(w) ≥ len(x)) in the kernel's
// order: 64-element blocks into two accumulators (the first and second 32),
// a last full 32 and the zero-padded rest into the first; then the two added
// lane by lane, the 16 lanes folded to 8 and 4 (lane i + lane i+half), and
// (l0+l1) + (l2+l3).
func bf16DotRowGeneric(x, w []uint16) float32 {
	var a, b [16]float32
	k, p := len(x), 0
	for ; p+64 <= k; p += 64 {
		dpbf16Lanes(&a, x[p:p+32], w[p:p+32])
		dpbf16Lanes(&b, x[p+32:p+64], w[p+32:p+64])
	}
	if p+32 <= k {
		dpbf16Lanes(&a, x[p:p+32], w[p:p+32])
		p += 32
	}
	if p < k {
		dpbf16Lanes(&a, x[p:k], w[p:k])
	}
	for l := range a {
		a[l] += b[l]
	}
	for l := range 8 {
		a[l] += a[l+8]
	}
	for l := range 4 {
		a[l] += a[l+4]
	}
	return (a[0] + a[1]) + (a[2] + a[3])
}

// bf16Scratch holds the rounded rows of A between calls (a decoding step
// makes hundreds of them).
var bf16Scratch = sync.Pool{New: func() any { return new([]uint16) }}

// roundRows rounds the m rows of x (k each, stride ldx) to bf16 into a
// pooled buffer of m·k elements (row stride k), xb; the caller returns s to
// bf16Scratch when done with it.
func roundRows(tobf16 func([]uint16, []float32), m, k int, x []float32, ldx int) (xb []uint16, s *[]uint16) {
	s = bf16Scratch.Get().(*[]uint16)
	if cap(*s) < m*k {
		*s = make([]uint16, m*k)
	}
	xb = (*s)[:m*k]
	for i := 0; i < m; i++ {
		tobf16(xb[i*k:(i+1)*k], x[i*ldx:i*ldx+k])
	}
	return xb, s
}

// bf16mvDotGeneric is the pure-Go twin of the bf16 dot-product matvec
// kernels (the bf16mvKernel contract with x rounded to bf16 first).
func bf16mvDotGeneric(m, n, k int, x []float32, ldx int, b []uint16, ldb int, c []float32, ldc int) {
	bf16mvCheck(m, n, k, x, ldx, b, ldb, c, ldc)
	if k == 0 { // x and b may be empty
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
		return
	}
	xb, s := roundRows(f32ToBF16Generic, m, k, x, ldx)
	defer bf16Scratch.Put(s)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			c[i*ldc+j] = bf16DotRowGeneric(xb[i*k:(i+1)*k], b[j*ldb:j*ldb+k])
		}
	}
}
