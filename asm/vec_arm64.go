//go:build !purego

package asm

// The NEON vector kernels (vec_neon_arm64.s). Each stub's comment is its Go
// reference; the stubs trust their slice lengths, so vecNEON installs them
// behind wrappers that re-slice the operands (a bounds check, as in the
// generic twins) before any assembly runs.

// dotNEON returns Σ x[i]*y[i] with 16 lanes of partial sums (len(y) ≥ len(x)):
//
//	for i := range x { s += x[i] * y[i] }
//
//go:noescape
func dotNEON(x, y []float32) float32

// axpyNEON computes (fused multiply-add, as Go's arm64 compiler does)
//
//	for i, v := range x { y[i] += alpha * v }
//
//go:noescape
func axpyNEON(alpha float32, x, y []float32)

// scaleNEON computes
//
//	for i := range x { x[i] *= alpha }
//
//go:noescape
func scaleNEON(alpha float32, x []float32)

// addNEON computes (len(x), len(y) ≥ len(dst))
//
//	for i := range dst { dst[i] = x[i] + y[i] }
//
//go:noescape
func addNEON(dst, x, y []float32)

// mulNEON computes (len(x), len(y) ≥ len(dst))
//
//	for i := range dst { dst[i] = x[i] * y[i] }
//
//go:noescape
func mulNEON(dst, x, y []float32)

// sumNEON returns Σ x[i] with 16 lanes of partial sums:
//
//	for _, v := range x { s += v }
//
//go:noescape
func sumNEON(x []float32) float32

// maxNEON returns the largest element, NaN if any element is NaN, -Inf for
// an empty slice (FMAX propagates NaN):
//
//	m := -Inf; for _, v := range x { if v != v { return v }; if v > m { m = v } }
//
//go:noescape
func maxNEON(x []float32) float32

// bf16ToF32NEON widens bfloat16 bit patterns (len(src) ≥ len(dst)):
//
//	for i := range dst { dst[i] = math.Float32frombits(uint32(src[i]) << 16) }
//
//go:noescape
func bf16ToF32NEON(dst []float32, src []uint16)

// f32ToBF16NEON rounds to bfloat16, nearest with ties to even, NaN kept
// quiet (len(src) ≥ len(dst)):
//
//	for i := range dst { dst[i] = F32ToBF16(src[i]) }
//
//go:noescape
func f32ToBF16NEON(dst []uint16, src []float32)

// expNEON computes, within 1 ulp (subnormal results included, 0 below
// -104, +Inf past overflow, NaN for NaN), for len(dst) a multiple of 4:
//
//	for i := range dst { dst[i] = float32(math.Exp(float64(x[i]))) }
//
//go:noescape
func expNEON(dst, x []float32)

// expNEONAll runs expNEON over whole vectors and the tail through a
// 4-float buffer, so every element gets the same (vector) arithmetic.
func expNEONAll(dst, x []float32) {
	x = x[:len(dst)]
	n := len(dst) &^ 3
	expNEON(dst[:n], x[:n])
	if n < len(dst) {
		var b [4]float32
		copy(b[:], x[n:])
		expNEON(b[:], b[:])
		copy(dst[n:], b[:])
	}
}

// sigmulNEON computes, in float64 (so the float32 result is within 1 ulp;
// x = -Inf gives NaN as the reference does), for len(dst) a multiple of 4:
//
//	for i := range dst {
//		v := float64(x[i])
//		dst[i] = float32(v / (1 + math.Exp(v*(k1+k2*v*v))))
//	}
//
// k1 = -1, k2 = 0 is SiLU; k1 = -2√(2/π), k2 = 0.044715·k1 is GELU-tanh
// (½v(1+tanh u) = v/(1+e^(-2u))).
//
//go:noescape
func sigmulNEON(dst, x []float32, k1, k2 float64)

// sigmulNEONAll is sigmulNEON over any length (tail via a 4-float buffer).
func sigmulNEONAll(dst, x []float32, k1, k2 float64) {
	x = x[:len(dst)]
	n := len(dst) &^ 3
	sigmulNEON(dst[:n], x[:n], k1, k2)
	if n < len(dst) {
		var b [4]float32
		copy(b[:], x[n:])
		sigmulNEON(b[:], b[:], k1, k2)
		copy(dst[n:], b[:])
	}
}

const (
	neonGeluK1 = -2 * 0.7978845608028654
	neonGeluK2 = neonGeluK1 * 0.044715
)

// vecNEON installs the NEON vector kernels into k.
func vecNEON(k *kernels) {
	k.dot = func(x, y []float32) float32 { return dotNEON(x, y[:len(x)]) }
	k.axpy = func(alpha float32, x, y []float32) { axpyNEON(alpha, x, y[:len(x)]) }
	k.scale = scaleNEON
	k.add = func(dst, x, y []float32) { addNEON(dst, x[:len(dst)], y[:len(dst)]) }
	k.mul = func(dst, x, y []float32) { mulNEON(dst, x[:len(dst)], y[:len(dst)]) }
	k.sum = sumNEON
	k.exp = expNEONAll
	// Softmax's pass: exps bit for bit as k.exp makes them (cross-entropy
	// relies on that), summed by sumNEON.
	k.expSum = func(dst, x []float32, shift float32) float32 {
		x = x[:len(dst)]
		for i, v := range x {
			dst[i] = v - shift
		}
		expNEONAll(dst, dst)
		return sumNEON(dst)
	}
	k.silu = func(dst, x []float32) { sigmulNEONAll(dst, x, -1, 0) }
	k.geluTan = func(dst, x []float32) { sigmulNEONAll(dst, x, neonGeluK1, neonGeluK2) }
	k.max = maxNEON
	k.bf16to = func(dst []float32, src []uint16) { bf16ToF32NEON(dst, src[:len(dst)]) }
	k.tobf16 = func(dst []uint16, src []float32) { f32ToBF16NEON(dst, src[:len(dst)]) }
}
