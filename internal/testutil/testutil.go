// Package testutil holds helpers shared by llink's tests: seeded random
// data that is never all-zero, a float64 reference GEMM, and tolerance
// comparisons with messages that name the offending element.
package testutil

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// RNG returns a deterministic generator for a test, seeded by seed.
func RNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// Uniform returns n values uniform in [-1, 1).
func Uniform(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

// Normal returns n standard-normal values scaled by std.
func Normal(r *rand.Rand, n int, std float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64() * std)
	}
	return s
}

// RefGemm computes C = alpha·op(A)·op(B) + beta·C in float64 and also
// returns, per element, the magnitude |alpha|·Σ|a||b| + |beta||c| that bounds
// the rounding error of any float32 evaluation order.
func RefGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (ref, mag []float64) {
	ref = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sa float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				sa += math.Abs(float64(av) * float64(bv))
			}
			r := float64(alpha) * s
			g := math.Abs(float64(alpha)) * sa
			if beta != 0 {
				r += float64(beta) * float64(c[i*ldc+j])
				g += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			ref[i*n+j] = r
			mag[i*n+j] = g
		}
	}
	return ref, mag
}

// CloseRel reports the first index where got and want differ by more than
// tol·max(|want|, floor), or "" if all are close.
func CloseRel(got []float32, want []float64, tol, floor float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("length %d, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), want[i]
		if math.IsNaN(w) != math.IsNaN(g) || math.Abs(g-w) > tol*math.Max(math.Abs(w), floor) {
			return fmt.Sprintf("element %d: got %g, want %g (tol %g)", i, g, w, tol)
		}
	}
	return ""
}
