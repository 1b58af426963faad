package refgemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestComputeSmall checks a 2×3·3×2 product by hand, in every transpose
// mode (the operands laid out transposed give the same product), with beta.
func TestComputeSmall(t *testing.T) {
	a := []float32{1, -2, 3, 4, 5, -6}   // 2×3
	b := []float32{7, 8, -9, 10, 11, 12} // 3×2
	c := []float32{1, 2, 3, 4}
	// A·B = [[1·7+2·9+3·11, 1·8−2·10+3·12], [4·7−5·9−6·11, 4·8+5·10−6·12]]
	want := []float64{58, 24, -83, 10}
	wantMag := []float64{58, 64, 139, 154}
	at := []float32{1, 4, -2, 5, 3, -6}   // Aᵀ, 3×2
	bt := []float32{7, -9, 11, 8, 10, 12} // Bᵀ, 2×3
	for _, tc := range []struct {
		name           string
		transA, transB bool
		a, b           []float32
		lda, ldb       int
	}{
		{"NN", false, false, a, b, 3, 2},
		{"TN", true, false, at, b, 2, 2},
		{"NT", false, true, a, bt, 3, 3},
		{"TT", true, true, at, bt, 2, 3},
	} {
		ref, mag := Compute(tc.transA, tc.transB, 2, 2, 3, 2, tc.a, tc.lda, tc.b, tc.ldb, -0.5, c, 2)
		for i := range ref {
			w := 2*want[i] - 0.5*float64(c[i])
			wm := 2*wantMag[i] + 0.5*math.Abs(float64(c[i]))
			if ref[i] != w || mag[i] != wm {
				t.Errorf("%s element %d: got %g (mag %g), want %g (mag %g)", tc.name, i, ref[i], mag[i], w, wm)
			}
		}
	}
	// beta == 0 never reads C: nil is allowed.
	ref, _ := Compute(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, nil, 2)
	for i := range ref {
		if ref[i] != want[i] {
			t.Errorf("beta 0 element %d: got %g, want %g", i, ref[i], want[i])
		}
	}
}

// TestComputeBoundsFloat32 checks the claim of the doc comment: a float32
// evaluation in plain order stays within k·2⁻²⁴·mag of the reference.
func TestComputeBoundsFloat32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	const m, n, k = 7, 9, 129
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = float32(r.NormFloat64())
	}
	for i := range b {
		b[i] = float32(r.NormFloat64())
	}
	ref, mag := Compute(false, false, m, n, k, 1, a, k, b, n, 0, nil, n)
	tol := float64(k) * math.Ldexp(1, -24)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				s += a[i*k+p] * b[p*n+j]
			}
			if d := math.Abs(float64(s) - ref[i*n+j]); d > tol*mag[i*n+j] {
				t.Fatalf("(%d,%d): float32 %g vs reference %g, error %g over bound %g", i, j, s, ref[i*n+j], d, tol*mag[i*n+j])
			}
		}
	}
}
