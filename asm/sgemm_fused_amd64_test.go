//go:build !purego

package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/llink-go/llink/internal/testutil"
)

// fusedTile is one fused pack-and-multiply case: C is a mr×nr tile with a
// NaN guard band (rows padded to ldc; with beta = 0 the whole tile starts as
// NaN), panel the kernel packs into (NaN, with a tail that must stay NaN).
type fusedTile struct {
	c, c0, want, panel []float32
}

const fusedLDC = 35

func newFusedTile(r *rand.Rand, beta float32, panelLen int) *fusedTile {
	const mr, nr = avx512MR, 32
	nan := float32(math.NaN())
	c := testutil.Uniform(r, mr*fusedLDC)
	for i := range c {
		if i%fusedLDC >= nr || beta == 0 {
			c[i] = nan
		}
	}
	panel := make([]float32, panelLen+16)
	for i := range panel {
		panel[i] = nan
	}
	return &fusedTile{c: c, c0: append([]float32(nil), c...), want: append([]float32(nil), c...), panel: panel}
}

// check compares the kernel's panel with the twin's packed ref bit for bit,
// its C with the twin's (same FMA order: bit for bit) and with a float64
// reference Σ_p prod(i, j, p) within 2·(kc+4)·2⁻²⁴ of the magnitudes, and
// the guard bands with NaN. what names the case in failures.
func (f *fusedTile) check(t *testing.T, what string, kc int, ref []float32, alpha, beta float32, prod func(i, j, p int) float64) {
	t.Helper()
	const mr, nr, ldc = avx512MR, 32, fusedLDC
	for i, v := range f.panel {
		switch {
		case i >= len(ref) && !math.IsNaN(float64(v)):
			t.Fatalf("%s: wrote panel[%d] past the panel", what, i)
		case i < len(ref) && v != ref[i]:
			t.Fatalf("%s: panel[%d] = %g, want %g", what, i, v, ref[i])
		}
	}
	for i := 0; i < mr; i++ {
		for j := 0; j < ldc; j++ {
			got, w := f.c[i*ldc+j], f.want[i*ldc+j]
			if j >= nr {
				if !math.IsNaN(float64(got)) {
					t.Fatalf("%s: wrote C[%d,%d] outside the tile", what, i, j)
				}
				continue
			}
			if math.Float32bits(got) != math.Float32bits(w) {
				t.Fatalf("%s beta=%g: C[%d,%d] = %g, twin %g", what, beta, i, j, got, w)
			}
			var s, mag float64
			for p := 0; p < kc; p++ {
				v := prod(i, j, p)
				s += v
				mag += math.Abs(v)
			}
			ref := float64(alpha) * s
			mag *= math.Abs(float64(alpha))
			if beta != 0 {
				ref += float64(beta) * float64(f.c0[i*ldc+j])
				mag += math.Abs(float64(beta) * float64(f.c0[i*ldc+j]))
			}
			if tol := 2*float64(kc+4)*math.Ldexp(1, -24)*mag + 1e-30; math.Abs(float64(got)-ref) > tol {
				t.Fatalf("%s beta=%g: C[%d,%d] = %g, float64 reference %g", what, beta, i, j, got, ref)
			}
		}
	}
}

// checkPackBKernel runs the fused pack-and-multiply kernel on a random A
// panel and a kc×32 window (column offset off, row stride ldb) of a random
// source, and compares it with its twin — packCGeneric into a panel, then
// gemmAVX512 — and a float64 reference ([fusedTile.check]).
func checkPackBKernel(t *testing.T, kc, ldb, off int, alpha, beta float32, seed uint64) {
	t.Helper()
	const mr, nr = avx512MR, 32
	r := testutil.RNG(seed)
	a := testutil.Uniform(r, kc*mr)
	src := testutil.Uniform(r, off+(kc-1)*ldb+nr)
	f := newFusedTile(r, beta, kc*nr)
	ref := make([]float32, kc*nr)
	packCGeneric(ref, nr, src[off:], ldb, nr, kc)
	gemmAVX512(kc, unsafe.Pointer(&a[0]), unsafe.Pointer(&ref[0]), unsafe.Pointer(&f.want[0]), fusedLDC, alpha, beta)
	gemmAVX512PackB(kc, unsafe.Pointer(&a[0]), unsafe.Pointer(&f.panel[0]), unsafe.Pointer(&f.c[0]), fusedLDC, alpha, beta, unsafe.Pointer(&src[off]), ldb)
	f.check(t, fmt.Sprintf("kc=%d ldb=%d off=%d", kc, ldb, off), kc, ref, alpha, beta, func(i, j, p int) float64 {
		return float64(a[p*mr+i]) * float64(src[off+p*ldb+j])
	})
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

// checkPackAKernel is checkPackBKernel for gemmAVX512PackA: A is read from a
// 12×kc window (column offset off, row stride lda) of a random source, and
// the twin is packTGeneric into a panel, then gemmAVX512.
func checkPackAKernel(t *testing.T, kc, lda, off int, alpha, beta float32, seed uint64) {
	t.Helper()
	const mr, nr = avx512MR, 32
	r := testutil.RNG(seed)
	src := testutil.Uniform(r, off+(mr-1)*lda+kc)
	b := testutil.Uniform(r, kc*nr)
	f := newFusedTile(r, beta, kc*mr)
	ref := make([]float32, kc*mr)
	packTGeneric(ref, mr, mr, src[off:], lda, mr, kc)
	gemmAVX512(kc, unsafe.Pointer(&ref[0]), unsafe.Pointer(&b[0]), unsafe.Pointer(&f.want[0]), fusedLDC, alpha, beta)
	gemmAVX512PackA(kc, unsafe.Pointer(&f.panel[0]), unsafe.Pointer(&b[0]), unsafe.Pointer(&f.c[0]), fusedLDC, alpha, beta, unsafe.Pointer(&src[off]), lda)
	f.check(t, fmt.Sprintf("kc=%d lda=%d off=%d", kc, lda, off), kc, ref, alpha, beta, func(i, j, p int) float64 {
		return float64(src[off+i*lda+p]) * float64(b[p*nr+j])
	})
}

// TestPackAKernel checks gemmAVX512PackA over kc 1..600 (the vector stores
// of the unrolled loop and the scalar tail), source strides from kc up
// (including powers of two) and column offsets 0..15.
func TestPackAKernel(t *testing.T) {
	if _, ok := tables[AVX512]; !ok {
		t.Skip("no AVX-512")
	}
	r := testutil.RNG(29)
	seed := uint64(100)
	for kc := 1; kc <= 600; kc += 1 + kc/8 {
		for _, beta := range []float32{0, 1, -0.5} {
			lda := kc + r.IntN(100)
			if kc%3 == 0 {
				lda = 1024
			}
			seed++
			checkPackAKernel(t, kc, lda, r.IntN(16), 0.75, beta, seed)
		}
	}
}

// FuzzPackAKernel is the differential fuzz target for gemmAVX512PackA.
func FuzzPackAKernel(f *testing.F) {
	if _, ok := tables[AVX512]; !ok {
		f.Skip("no AVX-512")
	}
	f.Add(uint16(1), uint16(0), uint8(0), float32(1), float32(0), uint64(1))
	f.Add(uint16(37), uint16(5), uint8(3), float32(-0.5), float32(1), uint64(2))
	f.Add(uint16(256), uint16(768), uint8(15), float32(2), float32(-1.5), uint64(3))
	f.Fuzz(func(t *testing.T, kc, pad uint16, off uint8, alpha, beta float32, seed uint64) {
		k := 1 + int(kc)%700
		checkPackAKernel(t, k, k+int(pad)%2048, int(off)%16, finiteCoef(alpha), finiteCoef(beta), seed)
	})
}

// TestSgemmFusedPacking runs whole GEMMs through the fused-packing paths of
// gemmSerial — B packed by the first A panel's calls, A by each panel's
// first call, both off, and the fallbacks for partial panels (m or n not a
// multiple of the tile, m < 12, n < 32) — with k > KC (several C passes,
// β ∉ {0, 1} on the first) against the float64 reference of gemmCase.run.
func TestSgemmFusedPacking(t *testing.T) {
	if _, ok := tables[AVX512]; !ok {
		t.Skip("no AVX-512")
	}
	defer SetLevel(AVX512)()
	defer SetThreads(1)()
	bl := blocking{mc: 36, kc: 20, nc: 96}
	blockOverride = &bl
	defer func() { blockOverride = nil }()
	r := testutil.RNG(31)
	for _, off := range []struct{ a, b bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		noFuseA, noFuseB = off.a, off.b
		for _, s := range []struct{ m, n, k int }{{12, 32, 21}, {37, 97, 61}, {48, 200, 100}, {11, 70, 45}, {40, 31, 45}, {100, 33, 7}} {
			for _, beta := range []float32{0, 1, -1.25} {
				g := gemmCase{m: s.m, n: s.n, k: s.k, lda: s.k + 3, ldb: s.n + 5, ldc: s.n + 1, alpha: 0.75, beta: beta}
				if msg := g.run(r, false); msg != "" {
					noFuseA, noFuseB = false, false
					t.Fatalf("noFuseA=%v noFuseB=%v %v: %s", off.a, off.b, g, msg)
				}
			}
		}
	}
	noFuseA, noFuseB = false, false
}
