//go:build !purego

package asm

import (
	"math"
	"testing"
	"unsafe"

	"github.com/llink-go/llink/internal/testutil"
)

// checkPackBKernel runs the fused pack-and-multiply kernel on a random A
// panel and a kc×32 window (column offset off, row stride ldb) of a random
// source, and compares it with its twin — packCGeneric into a panel, then
// gemmAVX512 — bit for bit (the FMA order is the same), and with a float64
// reference. C has a NaN guard band (rows padded to ldc; with beta = 0 the
// whole tile starts as NaN) and the packed panel a NaN tail that must stay.
func checkPackBKernel(t *testing.T, kc, ldb, off int, alpha, beta float32, seed uint64) {
	t.Helper()
	const mr, nr, ldc = avx512MR, 32, 35
	r := testutil.RNG(seed)
	nan := float32(math.NaN())
	a := testutil.Uniform(r, kc*mr)
	src := testutil.Uniform(r, off+(kc-1)*ldb+nr)
	c := testutil.Uniform(r, mr*ldc)
	for i := range c {
		if i%ldc >= nr || beta == 0 {
			c[i] = nan
		}
	}
	c0 := append([]float32(nil), c...)
	want := append([]float32(nil), c...)
	panel := make([]float32, kc*nr+16)
	ref := make([]float32, kc*nr)
	for i := range panel {
		panel[i] = nan
	}
	packCGeneric(ref, nr, src[off:], ldb, nr, kc)
	gemmAVX512(kc, unsafe.Pointer(&a[0]), unsafe.Pointer(&ref[0]), unsafe.Pointer(&want[0]), ldc, alpha, beta)
	gemmAVX512PackB(kc, unsafe.Pointer(&a[0]), unsafe.Pointer(&panel[0]), unsafe.Pointer(&c[0]), ldc, alpha, beta, unsafe.Pointer(&src[off]), ldb)
	for i, v := range panel {
		switch {
		case i >= kc*nr && !math.IsNaN(float64(v)):
			t.Fatalf("kc=%d ldb=%d: wrote panel[%d] past the panel", kc, ldb, i)
		case i < kc*nr && v != ref[i]:
			t.Fatalf("kc=%d ldb=%d off=%d: panel[%d] = %g, want %g", kc, ldb, off, i, v, ref[i])
		}
	}
	for i := 0; i < mr; i++ {
		for j := 0; j < ldc; j++ {
			got, w := c[i*ldc+j], want[i*ldc+j]
			if j >= nr {
				if !math.IsNaN(float64(got)) {
					t.Fatalf("kc=%d: wrote C[%d,%d] outside the tile", kc, i, j)
				}
				continue
			}
			if math.Float32bits(got) != math.Float32bits(w) {
				t.Fatalf("kc=%d ldb=%d off=%d beta=%g: C[%d,%d] = %g, twin %g", kc, ldb, off, beta, i, j, got, w)
			}
			var s, mag float64
			for p := 0; p < kc; p++ {
				v := float64(a[p*mr+i]) * float64(src[off+p*ldb+j])
				s += v
				mag += math.Abs(v)
			}
			ref := float64(alpha) * s
			mag *= math.Abs(float64(alpha))
			if beta != 0 {
				ref += float64(beta) * float64(c0[i*ldc+j])
				mag += math.Abs(float64(beta) * float64(c0[i*ldc+j]))
			}
			if tol := 2*float64(kc+4)*math.Ldexp(1, -24)*mag + 1e-30; math.Abs(float64(got)-ref) > tol {
				t.Fatalf("kc=%d beta=%g: C[%d,%d] = %g, float64 reference %g", kc, beta, i, j, got, ref)
			}
		}
	}
}

// TestPackBKernel checks gemmAVX512PackB over kc 1..600 (unroll tails,
// prefetch distance), source strides from 32 up and column offsets 0..15.
func TestPackBKernel(t *testing.T) {
	if _, ok := tables[AVX512]; !ok {
		t.Skip("no AVX-512")
	}
	r := testutil.RNG(23)
	seed := uint64(1)
	for kc := 1; kc <= 600; kc += 1 + kc/8 {
		for _, beta := range []float32{0, 1, -0.5} {
			ldb := 32 + r.IntN(100)
			if kc%3 == 0 {
				ldb = 1024 // power-of-two stride
			}
			seed++
			checkPackBKernel(t, kc, ldb, r.IntN(16), 1.25, beta, seed)
		}
	}
}

// FuzzPackBKernel is the differential fuzz target for gemmAVX512PackB.
func FuzzPackBKernel(f *testing.F) {
	if _, ok := tables[AVX512]; !ok {
		f.Skip("no AVX-512")
	}
	f.Add(uint16(1), uint16(0), uint8(0), float32(1), float32(0), uint64(1))
	f.Add(uint16(37), uint16(5), uint8(3), float32(-0.5), float32(1), uint64(2))
	f.Add(uint16(300), uint16(992), uint8(15), float32(2), float32(-1.5), uint64(3))
	f.Fuzz(func(t *testing.T, kc, pad uint16, off uint8, alpha, beta float32, seed uint64) {
		checkPackBKernel(t, 1+int(kc)%700, 32+int(pad)%2048, int(off)%16, finiteCoef(alpha), finiteCoef(beta), seed)
	})
}
