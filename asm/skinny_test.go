package asm

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/llink-go/llink/internal/testutil"
)

// skinnyLevels returns the available levels that have skinny kernels.
func skinnyLevels() []Level {
	var ls []Level
	for _, l := range Available() {
		if tables[l].skinny != nil {
			ls = append(ls, l)
		}
	}
	return ls
}

// skinnyAgainstPacked runs g (n ≤ skinnyN) on the active level with the
// skinny path and with it off (the packed path that ran before it), from
// the same inputs, and returns "" when every element of C, padding
// included, has the same bits, or a description of the first difference.
func skinnyAgainstPacked(g gemmCase, r *rand.Rand) string {
	a, b := g.operands(r)
	c := testutil.Uniform(r, need(g.m, g.n, g.ldc))
	got, want := append([]float32(nil), c...), append([]float32(nil), c...)
	Sgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, g.lda, b, g.ldb, g.beta, got, g.ldc)
	noSkinny = true
	Sgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, g.lda, b, g.ldb, g.beta, want, g.ldc)
	noSkinny = false
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return fmt.Sprintf("C[%d] = %g (%#08x), packed path %g (%#08x)", i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
	return ""
}

// skinnyShape builds the case of an m×n×k product with the given
// transposes, each leading dimension padded by pad.
func skinnyShape(transA, transB bool, m, n, k, pad int, alpha, beta float32) gemmCase {
	g := gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	g.lda, g.ldb, g.ldc = k+pad, n+pad, n+pad
	if transA {
		g.lda = m + pad
	}
	if transB {
		g.ldb = k + pad
	}
	return g
}

// TestSkinnySameBits checks that the skinny path gives the packed path's
// bits on awkward shapes — every row count a kernel sequence ends on,
// 1…16 columns, k across the KC blocks (the level's and tiny ones) — both
// transposes, α and β (0, 1 and others), padded strides, 1 and 2 threads.
func TestSkinnySameBits(t *testing.T) {
	ls := skinnyLevels()
	if len(ls) == 0 {
		t.Skip("no level with skinny kernels")
	}
	ms := []int{1, 2, 3, 7, 15, 16, 17, 31, 33, 127, 129, 600}
	ns := []int{1, 3, 7, 15, 16}
	ks := []int{1, 3, 7, 15, 17, 31, 33, 127, 129, 513, 1030}
	if testing.Short() {
		ms, ks = []int{1, 3, 17, 33, 129}, []int{1, 7, 33, 129, 1030}
	}
	r := testutil.RNG(41)
	coefs := []struct{ alpha, beta float32 }{{1, 0}, {1, 1}, {0.5, 1}, {-1.25, 0.75}, {1, float32(math.Copysign(0, -1))}}
	for _, l := range ls {
		restore := SetLevel(l)
		for _, th := range []int{1, 2} {
			restoreT := SetThreads(th)
			for _, m := range ms {
				for _, n := range ns {
					for _, k := range ks {
						for flags := 0; flags < 4; flags++ {
							co := coefs[r.IntN(len(coefs))]
							g := skinnyShape(flags&1 != 0, flags&2 != 0, m, n, k, r.IntN(3), co.alpha, co.beta)
							if msg := skinnyAgainstPacked(g, r); msg != "" {
								t.Fatalf("%s t%d %v: %s", l, th, g, msg)
							}
						}
					}
				}
			}
			restoreT()
		}
		// Tiny KC blocks: many passes over C, β = 1 after the first.
		bl := blocking{mc: 24, kc: 8, nc: 64}
		blockOverride = &bl
		for i := 0; i < 200; i++ {
			co := coefs[r.IntN(len(coefs))]
			g := skinnyShape(r.IntN(2) == 1, r.IntN(2) == 1, 1+r.IntN(70), 1+r.IntN(16), 1+r.IntN(90), r.IntN(3), co.alpha, co.beta)
			if msg := skinnyAgainstPacked(g, r); msg != "" {
				blockOverride = nil
				t.Fatalf("%s KC 8 %v: %s", l, g, msg)
			}
		}
		blockOverride = nil
		restore()
	}
}

// TestSkinnyTwin runs each skinny kernel against skinnyGeneric, bit for
// bit, on both A layouts, every column mask width, α/β with β = 0 (C
// poisoned with NaN: not read), and inputs with zeros of both signs,
// subnormals, huge values (overflow to ±Inf) and NaN; and the twin against
// a float64 reference within (kc+2)·u·Σ|terms|.
func TestSkinnyTwin(t *testing.T) {
	r := testutil.RNG(43)
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-41, -3e-39, 3e38, -2e38, float32(math.NaN()), float32(math.Inf(1))}
	for _, l := range skinnyLevels() {
		ks := tables[l].skinny
		for ri, rows := range skinnyKernelRows {
			for _, kc := range []int{0, 1, 3, 4, 5, 7, 8, 17, 64, 131} {
				for _, n := range []int{1, 5, 15, 16} {
					for _, transA := range []bool{false, true} {
						for _, beta := range []float32{0, 1, -0.5} {
							for _, sp := range []bool{false, true} {
								lda := kc + 3
								ai, ap := lda, 1
								if transA {
									lda = rows + 2
									ai, ap = 1, lda
								}
								a := testutil.Uniform(r, rows*kc+lda*max(kc, rows)+8)
								b := testutil.Uniform(r, kc*(n+2)+16)
								if sp {
									for range 6 {
										a[r.IntN(len(a))] = special[r.IntN(len(special))]
										b[r.IntN(len(b))] = special[r.IntN(len(special))]
									}
								}
								ldc := n + 1
								c := testutil.Uniform(r, rows*ldc+16)
								if beta == 0 {
									for i := range c {
										c[i] = float32(math.NaN())
									}
								}
								got, want := append([]float32(nil), c...), append([]float32(nil), c...)
								mask := uint64(1)<<n - 1
								ks[ri](kc, unsafe.Pointer(&a[0]), ai, ap, unsafe.Pointer(&b[0]), n+2, unsafe.Pointer(&got[0]), ldc, 0.75, beta, mask)
								skinnyGeneric(rows, kc, unsafe.Pointer(&a[0]), ai, ap, unsafe.Pointer(&b[0]), n+2, unsafe.Pointer(&want[0]), ldc, 0.75, beta, mask)
								for i := range got {
									g, w := got[i], want[i]
									if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
										t.Fatalf("%s x%d kc=%d n=%d transA=%v β=%g special=%v: C[%d] = %g, twin %g", l, rows, kc, n, transA, beta, sp, i, g, w)
									}
								}
								if sp {
									continue
								}
								u := math.Ldexp(1, -24)
								for i := 0; i < rows; i++ {
									for j := 0; j < n; j++ {
										var ref, mag float64
										for p := 0; p < kc; p++ {
											x := float64(a[i*ai+p*ap]) * float64(b[p*(n+2)+j])
											ref, mag = ref+x, mag+math.Abs(x)
										}
										ref, mag = 0.75*ref, 0.75*mag
										if beta != 0 {
											ref += float64(beta) * float64(c[i*ldc+j])
											mag += math.Abs(float64(beta) * float64(c[i*ldc+j]))
										}
										if d := math.Abs(float64(want[i*ldc+j]) - ref); d > float64(kc+2)*u*mag+1e-30 {
											t.Fatalf("twin x%d kc=%d n=%d: C[%d,%d] = %g, float64 %g", rows, kc, n, i, j, want[i*ldc+j], ref)
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestFMA32 checks fma32 against float64 arithmetic where that is exact,
// and on sums that round to a float32 tie only through a second rounding.
func TestFMA32(t *testing.T) {
	r := testutil.RNG(47)
	for range 100000 {
		x, y, z := float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())
		// With |z| ≪ |x·y| the exact sum can need more than 53 bits; scale
		// z to cover both regimes.
		if r.IntN(2) == 0 {
			z = float32(math.Ldexp(float64(z), -30-r.IntN(40)))
		}
		got := fma32(x, y, z)
		exact := bigFMA32(x, y, z)
		if got != exact {
			t.Fatalf("fma32(%g, %g, %g) = %g, want %g", x, y, z, got, exact)
		}
	}
	// 1 + 2⁻²⁴ (a float32 tie) from (1+2⁻¹²)², plus a tiny z: the exact sum
	// is above the tie, so it rounds up; rounding to float64 first would
	// land on the tie and round to even (1 + 2⁻¹¹).
	x := float32(1 + math.Ldexp(1, -12))
	z := float32(math.Ldexp(1, -80))
	if got, want := fma32(x, x, z), float32(1+math.Ldexp(1, -11)+math.Ldexp(1, -23)); got != want {
		t.Fatalf("fma32 on a double-rounding tie = %.10g, want %.10g", got, want)
	}
}

// bigFMA32 computes x·y + z exactly with math/big and rounds it once to
// float32 (to nearest, ties to even).
func bigFMA32(x, y, z float32) float32 {
	p := new(big.Float).SetPrec(1000).SetFloat64(float64(x))
	p.Mul(p, new(big.Float).SetPrec(1000).SetFloat64(float64(y)))
	p.Add(p, new(big.Float).SetPrec(1000).SetFloat64(float64(z)))
	f, _ := p.Float32()
	return f
}

// FuzzSkinny is a differential fuzz target for the skinny path: a
// fuzzer-chosen shape (m ≤ 200, n ≤ 16, k ≤ 700: one or two KC blocks),
// transposes, padding, α and β, on every level with skinny kernels, against
// the packed path bit for bit.
func FuzzSkinny(f *testing.F) {
	f.Add(uint8(17), uint8(16), uint16(33), uint8(0), uint8(0), float32(1), float32(0), uint64(1))
	f.Add(uint8(200), uint8(3), uint16(600), uint8(3), uint8(5), float32(-0.5), float32(1), uint64(2))
	f.Add(uint8(1), uint8(1), uint16(1), uint8(1), uint8(2), float32(2), float32(0.25), uint64(3))
	f.Fuzz(func(t *testing.T, m, n uint8, k uint16, flags, pads uint8, alpha, beta float32, seed uint64) {
		g := skinnyShape(flags&1 != 0, flags&2 != 0, 1+int(m)%200, 1+int(n)%skinnyN, 1+int(k)%700, int(pads&3), finiteCoef(alpha), finiteCoef(beta))
		if alpha == 0 {
			g.alpha = 1
		}
		th := 1 + int(flags>>2&1)
		for _, l := range skinnyLevels() {
			restore, restoreT := SetLevel(l), SetThreads(th)
			msg := skinnyAgainstPacked(g, testutil.RNG(seed))
			restoreT()
			restore()
			if msg != "" {
				t.Fatalf("%s t%d %v: %s", l, th, g, msg)
			}
		}
	})
}
