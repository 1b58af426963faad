package asm

import (
	"fmt"
	"math"
)

func checkLen(op string, want int, names string, got ...int) {
	for _, g := range got {
		if g < want {
			// A copy, so got does not escape: the variadic slice of every
			// call then stays on the stack (no allocation per kernel call).
			panic(fmt.Sprintf("asm.%s: %s lengths %v shorter than %d", op, names, append([]int(nil), got...), want))
		}
	}
}

// Dot returns Σ x[i]*y[i]. len(y) must be ≥ len(x).
func Dot(x, y []float32) float32 {
	checkLen("Dot", len(x), "y", len(y))
	return cur.dot(x, y)
}

// Axpy computes y[i] += alpha*x[i] for i < len(x). len(y) must be ≥ len(x).
func Axpy(alpha float32, x, y []float32) {
	checkLen("Axpy", len(x), "y", len(y))
	cur.axpy(alpha, x, y)
}

// Scale computes x[i] *= alpha.
func Scale(alpha float32, x []float32) { cur.scale(alpha, x) }

// Add computes dst[i] = x[i] + y[i] for i < len(dst). dst may alias x or y.
func Add(dst, x, y []float32) {
	checkLen("Add", len(dst), "x, y", len(x), len(y))
	cur.add(dst, x, y)
}

// Mul computes dst[i] = x[i] * y[i] for i < len(dst). dst may alias x or y.
func Mul(dst, x, y []float32) {
	checkLen("Mul", len(dst), "x, y", len(x), len(y))
	cur.mul(dst, x, y)
}

// Sum returns Σ x[i] (0 for an empty slice).
func Sum(x []float32) float32 { return cur.sum(x) }

// Max returns the largest element of x, NaN if x holds a NaN, and -Inf for an
// empty slice. When the largest value is zero its sign is not specified
// (+0 and -0 compare equal; SIMD max instructions keep either).
func Max(x []float32) float32 { return cur.max(x) }

// Exp computes dst[i] = e^x[i] for i < len(dst), within 2 ulp of math.Exp.
// dst may alias x.
func Exp(dst, x []float32) {
	checkLen("Exp", len(dst), "x", len(x))
	cur.exp(dst, x)
}

// ExpSum computes dst[i] = e^(x[i]−shift) for i < len(dst), each bit for
// bit as [Exp] of the float32 difference x[i]−shift, and returns their sum
// in the kernel's own order (which differs from [Sum]'s). dst may alias x.
func ExpSum(dst, x []float32, shift float32) float32 {
	checkLen("ExpSum", len(dst), "x", len(x))
	return cur.expSum(dst, x, shift)
}

// SiLU computes dst[i] = x[i]·σ(x[i]). dst may alias x.
func SiLU(dst, x []float32) {
	checkLen("SiLU", len(dst), "x", len(x))
	cur.silu(dst, x)
}

// GELU computes the exact GELU dst[i] = x[i]·Φ(x[i]) = ½x(1+erf(x/√2)), as
// in BERT/XLM-R (PyTorch's approximate="none"). dst may alias x.
func GELU(dst, x []float32) {
	checkLen("GELU", len(dst), "x", len(x))
	cur.gelu(dst, x)
}

// GELUTanh computes the tanh approximation of GELU
// ½x(1+tanh(√(2/π)(x+0.044715x³))). dst may alias x.
func GELUTanh(dst, x []float32) {
	checkLen("GELUTanh", len(dst), "x", len(x))
	cur.geluTan(dst, x)
}

// BF16ToF32Slice widens len(dst) bfloat16 values from src.
func BF16ToF32Slice(dst []float32, src []uint16) {
	checkLen("BF16ToF32Slice", len(dst), "src", len(src))
	cur.bf16to(dst, src)
}

// F32ToBF16Slice rounds len(dst) float32 values from src to bfloat16
// (nearest, ties to even).
func F32ToBF16Slice(dst []uint16, src []float32) {
	checkLen("F32ToBF16Slice", len(dst), "src", len(src))
	cur.tobf16(dst, src)
}

// Softmax replaces x by softmax(x) = e^(x-max)/Σe^(x-max) and returns the
// log of the normaliser, max + log Σ e^(x-max) (the log-sum-exp), which
// cross-entropy and the backward pass need. An empty x returns -Inf.
func Softmax(x []float32) (logSumExp float32) {
	if len(x) == 0 {
		return float32(math.Inf(-1))
	}
	m := cur.max(x)
	if math.IsInf(float64(m), -1) { // all -Inf (fully masked row): uniform is meaningless; return zeros
		for i := range x {
			x[i] = 0
		}
		return m
	}
	s := cur.expSum(x, x, m)
	cur.scale(1/s, x)
	return m + float32(math.Log(float64(s)))
}

// RMSNorm computes dst = x · rstd · w with rstd = 1/√(mean(x²)+eps), the
// LLaMA RMSNorm of one row, and returns rstd for the backward pass. w may be
// nil (no gain). dst may alias x.
func RMSNorm(dst, x, w []float32, eps float32) (rstd float32) {
	n := len(x)
	checkLen("RMSNorm", n, "dst", len(dst))
	if w != nil {
		checkLen("RMSNorm", n, "w", len(w))
	}
	if n == 0 {
		return 0
	}
	ss := float64(cur.dot(x, x))
	rstd = float32(1 / math.Sqrt(ss/float64(n)+float64(eps)))
	if w != nil {
		cur.mul(dst[:n], x, w)
		cur.scale(rstd, dst[:n])
	} else {
		copy(dst, x)
		cur.scale(rstd, dst[:n])
	}
	return rstd
}

// LayerNorm computes dst = (x-mean)·rstd·w + b with rstd = 1/√(var(x)+eps)
// (biased variance, as PyTorch) for one row and returns mean and rstd for the
// backward pass. w and b may be nil (no affine part). dst may alias x.
func LayerNorm(dst, x, w, b []float32, eps float32) (mean, rstd float32) {
	n := len(x)
	checkLen("LayerNorm", n, "dst", len(dst))
	if n == 0 {
		return 0, 0
	}
	mean = cur.sum(x) / float32(n)
	// Two-pass variance: stable when |mean| ≫ std.
	var v float64
	for _, xi := range x {
		d := float64(xi - mean)
		v += d * d
	}
	rstd = float32(1 / math.Sqrt(v/float64(n)+float64(eps)))
	d := dst[:n]
	for i, xi := range x {
		d[i] = (xi - mean) * rstd
	}
	if w != nil {
		checkLen("LayerNorm", n, "w", len(w))
		cur.mul(d, d, w)
	}
	if b != nil {
		checkLen("LayerNorm", n, "b", len(b))
		cur.add(d, d, b)
	}
	return mean, rstd
}
