//go:build !purego

package asm

// Assembly vector kernels for amd64. Each stub's doc comment is its Go
// reference; the generic twins in vec_generic.go are what the tests compare
// against. Slices are read up to len(dst) (or len(x) for reductions and
// in-place ops); the exported wrappers in vec.go check the other lengths.

// vecAVX2 installs the AVX2+FMA vector kernels into k.
func vecAVX2(k *kernels) {
	k.dot = dotAVX2
	k.axpy = axpyAVX2
	k.scale = scaleAVX2
	k.add = addAVX2
	k.mul = mulAVX2
	k.sum = sumAVX2
	k.max = maxAVX2
	k.exp = expAVX2
	k.expSum = expSumAVX2
	k.adamw = adamwBlocks(8, adamwAVX2)
	k.silu = func(dst, x []float32) { sigmulAVX2(dst, x, -1, 0) }
	k.gelu = geluAVX2
	k.geluTan = func(dst, x []float32) { sigmulAVX2(dst, x, geluTanK1, geluTanK2) }
	k.bf16to = bf16ToF32AVX2
	k.tobf16 = f32ToBF16AVX2
}

// vecAVX512 installs the AVX-512 vector kernels into k (on top of the AVX2
// ones). The elementwise memory-bound kernels (scale, add, mul, bf16), and
// max, measured no faster with zmm than with ymm on Zen 5, so they keep the
// AVX2 code.
func vecAVX512(k *kernels) {
	k.dot = dotAVX512
	k.sum = sumAVX512
	k.axpy = axpyAVX512
	k.exp = expAVX512
	k.expSum = expSumAVX512
	k.adamw = adamwBlocks(16, adamwAVX512)
	k.silu = func(dst, x []float32) { sigmulAVX512(dst, x, -1, 0) }
	k.gelu = geluAVX512
	k.geluTan = func(dst, x []float32) { sigmulAVX512(dst, x, geluTanK1, geluTanK2) }
	k.swiglu32 = swiglu32AVX512
	k.swigluBack = swigluBackAVX512
}

// geluTanK1 and geluTanK2 write GELU-tanh as x/(1+e^(x(k1+k2x²))): since
// ½(1+tanh(y)) = 1/(1+e^(-2y)) with y = √(2/π)(x+0.044715x³).
const (
	geluTanK1 = -2 * 0.7978845608028654
	geluTanK2 = -2 * 0.7978845608028654 * 0.044715
)

// dotAVX2 returns Σ x[i]*y[i] (eight ymm accumulators, so the summation
// order differs from dotGeneric's):
//
//	var s float32
//	for i, v := range x {
//		s += v * y[i]
//	}
//	return s
//
//go:noescape
func dotAVX2(x, y []float32) float32

// sumAVX2 returns Σ x[i] (eight ymm accumulators):
//
//	var s float32
//	for _, v := range x {
//		s += v
//	}
//	return s
//
//go:noescape
func sumAVX2(x []float32) float32

// maxAVX2 returns the largest element, NaN if any is NaN, -Inf if empty:
//
//	m := float32(math.Inf(-1))
//	for _, v := range x {
//		if v != v {
//			return v
//		}
//		if v > m {
//			m = v
//		}
//	}
//	return m
//
//go:noescape
func maxAVX2(x []float32) float32

// axpyAVX2 computes, with one FMA rounding per element:
//
//	for i, v := range x {
//		y[i] += alpha * v
//	}
//
//go:noescape
func axpyAVX2(alpha float32, x, y []float32)

// scaleAVX2 computes:
//
//	for i := range x {
//		x[i] *= alpha
//	}
//
//go:noescape
func scaleAVX2(alpha float32, x []float32)

// addAVX2 computes:
//
//	for i := range dst {
//		dst[i] = x[i] + y[i]
//	}
//
//go:noescape
func addAVX2(dst, x, y []float32)

// mulAVX2 computes:
//
//	for i := range dst {
//		dst[i] = x[i] * y[i]
//	}
//
//go:noescape
func mulAVX2(dst, x, y []float32)

// expAVX2 computes, within 2 ulp (subnormal results included, +Inf past
// overflow, NaN for NaN):
//
//	for i := range dst {
//		dst[i] = float32(math.Exp(float64(x[i])))
//	}
//
//go:noescape
func expAVX2(dst, x []float32)

// sigmulAVX2 computes, in float64 (so the float32 result is within about
// 1 ulp; x = -Inf gives NaN as the reference does):
//
//	for i := range dst {
//		v := float64(x[i])
//		dst[i] = float32(v / (1 + math.Exp(v*(k1+k2*v*v))))
//	}
//
// k1 = -1, k2 = 0 is SiLU; geluTanK1, geluTanK2 is GELU-tanh.
//
//go:noescape
func sigmulAVX2(dst, x []float32, k1, k2 float64)

// geluAVX2 computes, in float64 with a vectorised erfc (relative error
// < 3e-11), so the float32 result is within about 1 ulp:
//
//	for i := range dst {
//		v := float64(x[i])
//		dst[i] = float32(0.5 * v * math.Erfc(-v/math.Sqrt2))
//	}
//
//go:noescape
func geluAVX2(dst, x []float32)

// bf16ToF32AVX2 computes:
//
//	for i := range dst {
//		dst[i] = math.Float32frombits(uint32(src[i]) << 16)
//	}
//
//go:noescape
func bf16ToF32AVX2(dst []float32, src []uint16)

// f32ToBF16AVX2 computes:
//
//	for i := range dst {
//		dst[i] = F32ToBF16(src[i])
//	}
//
//go:noescape
func f32ToBF16AVX2(dst []uint16, src []float32)

// dotAVX512 is dotAVX2 with eight zmm accumulators.
//
//go:noescape
func dotAVX512(x, y []float32) float32

// sumAVX512 is sumAVX2 with eight zmm accumulators.
//
//go:noescape
func sumAVX512(x []float32) float32

// axpyAVX512 is axpyAVX2 on zmm registers:
//
//	for i, v := range x {
//		y[i] += alpha * v
//	}
//
//go:noescape
func axpyAVX512(alpha float32, x, y []float32)

// expAVX512 is expAVX2 with VSCALEFPS for the ·2^n step:
//
//	for i := range dst {
//		dst[i] = float32(math.Exp(float64(x[i])))
//	}
//
//go:noescape
func expAVX512(dst, x []float32)

// sigmulAVX512 is sigmulAVX2 on 8 float64 lanes per zmm:
//
//	for i := range dst {
//		v := float64(x[i])
//		dst[i] = float32(v / (1 + math.Exp(v*(k1+k2*v*v))))
//	}
//
//go:noescape
func sigmulAVX512(dst, x []float32, k1, k2 float64)

// geluAVX512 is geluAVX2 on 8 float64 lanes per zmm:
//
//	for i := range dst {
//		v := float64(x[i])
//		dst[i] = float32(0.5 * v * math.Erfc(-v/math.Sqrt2))
//	}
//
//go:noescape
func geluAVX512(dst, x []float32)

// expSumAVX2 is softmax's fused pass: exp as expAVX2, and the sum (eight
// lanes per accumulator, so the order differs from the twin's):
//
//	var s float32
//	for i := range dst {
//		dst[i] = float32(math.Exp(float64(x[i] - shift)))
//		s += dst[i]
//	}
//	return s
//
//go:noescape
func expSumAVX2(dst, x []float32, shift float32) float32

// expSumAVX512 is expSumAVX2 on zmm registers.
//
//go:noescape
func expSumAVX512(dst, x []float32, shift float32) float32

// swiglu32AVX512 is swiglu32Go for len(dst) a multiple of 16, on
// expAVX512's exp (u empty: silu alone).
//
//go:noescape
func swiglu32AVX512(dst, g, u []float32)

// swigluBackAVX512 is swigluBackGo for len(dy) a multiple of 16, on
// expAVX512's exp: mode 1 dg wanted, 2 added to dg, 4 du wanted, 8 added
// to du (an unwanted gradient's slice is not touched).
//
//go:noescape
func swigluBackAVX512(dg, du, dy, g, u []float32, mode int)
