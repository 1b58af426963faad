// Package refgemm is the float64 reference that llink's SGEMM kernels are
// checked against: by the tests, and by `llink selfcheck` on the user's
// machine. Besides the product it returns, per element, a bound on the
// rounding error any float32 evaluation order may make, so a check can
// compare relative to that bound instead of guessing a tolerance.
package refgemm

import "math"

// Compute returns C = alpha·op(A)·op(B) + beta·C in float64, row-major m×n
// (C is only read when beta != 0, so it may be nil then), and, per element,
// the magnitude |alpha|·Σ|a·b| + |beta·c|, which bounds the rounding error of
// any float32 evaluation order up to a factor of about k·2⁻²⁴.
func Compute(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (ref, mag []float64) {
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
