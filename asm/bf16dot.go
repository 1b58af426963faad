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
// inputs as zero, adds each product to its lane as a fused multiply-add (the
// product unrounded, so one that overflows or underflows float32 alone still
// counts at its exact value) and flushes a subnormal sum to a zero of its
// sign; the twin below emulates it lane for lane, so the kernel's results,
// infinities and NaNs included, are reproduced bit for bit.

// bf16DAZ widens h as VDPBF16PS reads it: a subnormal is a zero of its sign.
func bf16DAZ(h uint16) float32 {
	if h&0x7f80 == 0 {
		return math.Float32frombits(uint32(h&0x8000) << 16)
	}
	return BF16ToF32(h)
}

// dpbf16Lanes is one VDPBF16PS on 16 lanes: lane l adds the products of the
// pair x[2l+1]·w[2l+1] then x[2l]·w[2l] ([fmaDAZ]). Elements at or past
// len(x) are zeros.
func dpbf16Lanes(acc *[16]float32, x, w []uint16) {
	at := func(s []uint16, i int) uint16 {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	for l := range acc {
		acc[l] = fmaDAZ(at(x, 2*l+1), at(w, 2*l+1), acc[l])
		acc[l] = fmaDAZ(at(x, 2*l), at(w, 2*l), acc[l])
	}
}

// fmaDAZ is one accumulation step of VDPBF16PS, as measured on AMD Zen 4:
// c + x·w for bf16 x and w read with subnormals as zero, as a fused
// multiply-add (the product unrounded: 2¹⁰⁰·2¹⁰⁰ added to −2¹⁰⁰·2¹⁰⁰ is
// +Inf, the first product alone rounding to Inf, not Inf − Inf = NaN; and
// −2¹²⁷ + 2⁶⁴·2⁶⁴ is 2¹²⁷, not Inf), rounded to nearest even at float32's
// 24 bits with an unbounded exponent, then flushed to a zero of its sign
// when below the smallest normal (so 2⁻¹²⁶ − 2⁻¹⁵⁰ gives 0, while
// 2⁻¹²⁶ − 2⁻¹⁵¹ rounds up to 2⁻¹²⁶). A NaN x, else w, else c, is returned
// quieted; Inf·0 and Inf − Inf give x86's default NaN, on every GOARCH.
//
// The product of two bf16 values is exact in float64 (8-bit significands);
// the float64 sum is made round-to-odd (53 bits ≥ 24+2), so rounding it to
// 24 bits is the single correct rounding.
func fmaDAZ(x, w uint16, c float32) float32 {
	a, b := bf16DAZ(x), bf16DAZ(w)
	switch {
	case a != a:
		return quiet(a)
	case b != b:
		return quiet(b)
	case c != c:
		return quiet(c)
	}
	p, z := float64(a)*float64(b), float64(c)
	s := p + z
	switch {
	case s != s: // Inf·0, Inf − Inf
		return math.Float32frombits(defaultNaN)
	case math.IsInf(s, 0):
		return float32(s)
	}
	t := s - p
	if e := (p - (s - t)) + (z - t); e != 0 && math.Float64bits(s)&1 == 0 { // TwoSum's error
		if (e > 0) == (s > 0) {
			s = math.Float64frombits(math.Float64bits(s) + 1)
		} else {
			s = math.Float64frombits(math.Float64bits(s) - 1)
		}
	}
	if math.Abs(s) < 0x1p-126 {
		// Round at 24 bits in the normal range (scaling by 2⁶⁴ is exact),
		// then flush what stays below 2⁻¹²⁶.
		if r := float64(float32(s*0x1p64)) * 0x1p-64; math.Abs(r) >= 0x1p-126 {
			return float32(r)
		}
		return float32(math.Copysign(0, s))
	}
	return float32(s)
}

// addX86 returns x + y as an x86 vector addition does, on every GOARCH: a
// NaN x, else y, is returned quieted, and Inf − Inf gives the default NaN.
// The kernel's reduction keeps the lower lane's NaN, so x is the lower lane.
func addX86(x, y float32) float32 {
	switch {
	case x != x:
		return quiet(x)
	case y != y:
		return quiet(y)
	}
	if s := x + y; s == s {
		return s
	}
	return math.Float32frombits(defaultNaN)
}

// defaultNaN is the NaN x86 produces for an invalid operation (negative,
// quiet, zero payload).
const defaultNaN = 0xffc00000

// quiet returns NaN f with its quiet bit set.
func quiet(f float32) float32 { return math.Float32frombits(math.Float32bits(f) | 0x00400000) }

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
	return fold16(&a, &b)
}

// fold16 is the AVX-512 dot kernels' horizontal sum of their two 16-lane
// accumulators, in their order: a+b lane by lane, the 16 lanes folded to 8
// and 4 (lane i + lane i+half), then (l0+l1) + (l2+l3). It overwrites a.
func fold16(a, b *[16]float32) float32 {
	for l := range a {
		a[l] = addX86(a[l], b[l])
	}
	for l := range 8 {
		a[l] = addX86(a[l], a[l+8])
	}
	for l := range 4 {
		a[l] = addX86(a[l], a[l+4])
	}
	return addX86(addX86(a[0], a[1]), addX86(a[2], a[3]))
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
