// Package testutil holds helpers shared by llink's tests: seeded random
// data that is never all-zero and tolerance comparisons with messages that
// name the offending element. The float64 reference GEMM is in
// internal/refgemm, since `llink selfcheck` uses it too.
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
