package asm

import "math"

// The pure-Go twins of the vector kernels. They are the reference the SIMD
// versions are tested against, and what runs with -tags purego.

func dotGeneric(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGeneric(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func scaleGeneric(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

func addGeneric(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

func mulGeneric(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}

func sumGeneric(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// maxGeneric returns the largest element; NaN if any element is NaN; -Inf
// for an empty slice.
func maxGeneric(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v != v {
			return v
		}
		if v > m {
			m = v
		}
	}
	return m
}

func expGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(math.Exp(float64(v)))
	}
}

// expSumGeneric computes dst[i] = e^(x[i]-shift) and returns their sum: the
// exp-and-normaliser pass of a softmax row in one sweep.
func expSumGeneric(dst, x []float32, shift float32) float32 {
	x = x[:len(dst)]
	var s float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - shift)))
		dst[i] = e
		s += e
	}
	return s
}

func siluGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(float64(v) / (1 + math.Exp(-float64(v))))
	}
}

// geluGeneric is the exact (erf) GELU: x·Φ(x) = ½x·erfc(-x/√2). The erfc
// form keeps full relative accuracy for negative x, where ½x(1+erf(x/√2))
// cancels (at x = -8 it is off by 10%).
func geluGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		f := float64(v)
		dst[i] = float32(0.5 * f * math.Erfc(-f/math.Sqrt2))
	}
}

// geluTanhGeneric is the tanh approximation of GELU used by GPT-2 style
// models, 0.5x(1+tanh(y)) with y = √(2/π)(x+0.044715x³), evaluated as
// x/(1+e^(-2y)) (the same function) so that it stays accurate where
// 1+tanh(y) would cancel.
func geluTanhGeneric(dst, x []float32) {
	x = x[:len(dst)]
	const c = 0.7978845608028654 // √(2/π)
	for i, v := range x {
		f := float64(v)
		dst[i] = float32(f / (1 + math.Exp(-2*c*(f+0.044715*f*f*f))))
	}
}

// bf16ToF32Generic widens bfloat16 bit patterns to float32 (exact).
func bf16ToF32Generic(dst []float32, src []uint16) {
	src = src[:len(dst)]
	for i, h := range src {
		dst[i] = math.Float32frombits(uint32(h) << 16)
	}
}

// f32ToBF16Generic rounds float32 to bfloat16, to nearest with ties to even;
// NaN stays a (quiet) NaN.
func f32ToBF16Generic(dst []uint16, src []float32) {
	src = src[:len(dst)]
	for i, f := range src {
		dst[i] = F32ToBF16(f)
	}
}

// F32ToBF16 rounds one float32 to the nearest bfloat16 (ties to even).
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep sign, force quiet bit
		return uint16(b>>16) | 0x0040
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// BF16ToF32 widens one bfloat16 bit pattern to float32.
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }
