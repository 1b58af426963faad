//go:build !purego

package asm

import (
	"math"
	"testing"
	"unsafe"

	"github.com/llink-go/llink/internal/testutil"
)

// TestEdgeKernels runs the AVX-512 micro-kernel and its 8- and 4-row edge
// variants on random 12-row A panels and 32-column B panels (kc 1..300,
// α/β including β = 0 over NaN), against a float64 reference; C rows past
// the kernel's row count and the padding between rows must keep their NaN
// sentinels.
func TestEdgeKernels(t *testing.T) {
	if _, ok := tables[AVX512]; !ok {
		t.Skip("no AVX-512")
	}
	const mr, nr, ldc = avx512MR, 32, 37
	r := testutil.RNG(17)
	nan := float32(math.NaN())
	for _, kk := range []struct {
		rows int
		f    microKernel
	}{{12, gemmAVX512}, {8, gemmAVX512x8}, {4, gemmAVX512x4}} {
		for kc := 1; kc <= 300; kc += 1 + kc/16 {
			for _, beta := range []float32{0, 1, -0.5} {
				alpha := float32(1.25)
				a := testutil.Uniform(r, kc*mr)
				b := testutil.Uniform(r, kc*nr)
				c := testutil.Uniform(r, mr*ldc)
				for i := range c {
					if i/ldc >= kk.rows || i%ldc >= nr || beta == 0 {
						c[i] = nan
					}
				}
				c0 := append([]float32(nil), c...)
				kk.f(kc, unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), unsafe.Pointer(&c[0]), ldc, alpha, beta)
				for i := 0; i < mr; i++ {
					for j := 0; j < ldc; j++ {
						got := c[i*ldc+j]
						if i >= kk.rows || j >= nr {
							if !math.IsNaN(float64(got)) {
								t.Fatalf("rows=%d kc=%d: wrote C[%d,%d] outside the tile", kk.rows, kc, i, j)
							}
							continue
						}
						var s, mag float64
						for p := 0; p < kc; p++ {
							v := float64(a[p*mr+i]) * float64(b[p*nr+j])
							s += v
							mag += math.Abs(v)
						}
						want := float64(alpha) * s
						mag *= math.Abs(float64(alpha))
						if beta != 0 {
							want += float64(beta) * float64(c0[i*ldc+j])
							mag += math.Abs(float64(beta) * float64(c0[i*ldc+j]))
						}
						tol := 2*float64(kc+4)*math.Ldexp(1, -24)*mag + 1e-30
						if math.IsNaN(float64(got)) || math.Abs(float64(got)-want) > tol {
							t.Fatalf("rows=%d kc=%d beta=%g: C[%d,%d] = %g, want %g", kk.rows, kc, beta, i, j, got, want)
						}
					}
				}
			}
		}
	}
}
