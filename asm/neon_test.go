//go:build arm64 && !purego

package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// The NEON vector kernels against their Go twins (and a float64 reference
// for the reductions), run directly on the NEON table so the sweep does not
// depend on the active level. Runs under qemu-user on amd64 hosts.

const (
	neonMaxLen = 2000
	neonGuard  = 16 // sentinels on each side of every operand
)

// neonLengths is every length up to 300, then a stride up to neonMaxLen
// (which crosses every residue of the 16/4/1-wide loops too).
func neonLengths() []int {
	var ls []int
	for n := 0; n <= 300; n++ {
		ls = append(ls, n)
	}
	step := 17
	if testing.Short() {
		step = 97
	}
	for n := 301; n < neonMaxLen; n += step {
		ls = append(ls, n)
	}
	return append(ls, neonMaxLen)
}

// neonOffsets is every start offset 0..15 (in floats), fewer in -short mode.
func neonOffsets() []int {
	if testing.Short() {
		return []int{0, 1, 2, 3, 5, 8, 13, 15}
	}
	offs := make([]int, 16)
	for i := range offs {
		offs[i] = i
	}
	return offs
}

// neonBuf is a float32 operand inside a buffer of NaN sentinels: reading past
// either end of the operand feeds a NaN into the result, writing past it
// overwrites a sentinel.
type neonBuf struct {
	buf []float32
	off int
}

func newNeonBuf() *neonBuf {
	return &neonBuf{buf: make([]float32, neonMaxLen+16+2*neonGuard)}
}

// fill sets the operand of length n at offset off to src (or random values)
// and everything else to NaN; it returns the operand.
func (g *neonBuf) fill(r *rand.Rand, n, off int, src []float32) []float32 {
	nan := float32(math.NaN())
	for i := range g.buf {
		g.buf[i] = nan
	}
	g.off = neonGuard + off
	s := g.buf[g.off : g.off+n : g.off+n]
	if src != nil {
		copy(s, src)
	} else {
		for i := range s {
			s[i] = 4*r.Float32() - 2
		}
	}
	return s
}

// intact reports whether every sentinel outside the operand of length n is
// still NaN.
func (g *neonBuf) intact(n int) bool {
	for i, v := range g.buf {
		if (i < g.off || i >= g.off+n) && v == v {
			return false
		}
	}
	return true
}

// neonSweep runs check over every length and offset; x and y start at
// different offsets so no two operands share an alignment pattern.
func neonSweep(t *testing.T, check func(r *rand.Rand, n, offX, offY int) string) {
	t.Helper()
	r := testutil.RNG(42)
	for _, n := range neonLengths() {
		for _, off := range neonOffsets() {
			if msg := check(r, n, off, (off*7+3)%16); msg != "" {
				t.Fatalf("n=%d off=%d: %s", n, off, msg)
			}
		}
	}
}

func neonTable(t *testing.T) *kernels {
	k, ok := tables[NEON]
	if !ok {
		t.Fatal("NEON level not registered on arm64")
	}
	return k
}

// neonUlps is |a-b| in units of the float32 spacing at b.
func neonUlps(a, b float32) float64 {
	if a == b || a != a && b != b {
		return 0
	}
	if a != a || b != b || math.IsInf(float64(a), 0) || math.IsInf(float64(b), 0) {
		return math.Inf(1)
	}
	ab := math.Abs(float64(b))
	u := float64(math.Nextafter32(float32(ab), float32(math.Inf(1)))) - ab
	return math.Abs(float64(a)-float64(b)) / u
}

func TestNEONReductions(t *testing.T) {
	k := neonTable(t)
	gx, gy := newNeonBuf(), newNeonBuf()
	// Any summation order of n terms is within n·u·Σ|terms| of the exact
	// sum (u = 2⁻²⁴); the float64 reference is exact enough to compare.
	u := math.Ldexp(1, -24)
	neonSweep(t, func(r *rand.Rand, n, ox, oy int) string {
		x := gx.fill(r, n, ox, nil)
		y := gy.fill(r, n, oy, nil)
		var dot, dmag, sum, smag float64
		for i := range x {
			dot += float64(x[i]) * float64(y[i])
			dmag += math.Abs(float64(x[i]) * float64(y[i]))
			sum += float64(x[i])
			smag += math.Abs(float64(x[i]))
		}
		if got := k.dot(x, y); math.Abs(float64(got)-dot) > float64(n+1)*u*dmag {
			return fmt.Sprintf("dot = %g, want %g (Σ|xy| %g)", got, dot, dmag)
		}
		if got := k.sum(x); math.Abs(float64(got)-sum) > float64(n+1)*u*smag {
			return fmt.Sprintf("sum = %g, want %g (Σ|x| %g)", got, sum, smag)
		}
		if got, want := k.max(x), maxGeneric(x); got != want {
			return fmt.Sprintf("max = %g, want %g", got, want)
		}
		if n > 0 { // a NaN anywhere makes the max NaN
			j := r.IntN(n)
			x[j] = float32(math.NaN())
			if got := k.max(x); got == got {
				return fmt.Sprintf("max with NaN at %d = %g", j, got)
			}
			x[j] = float32(math.Inf(1))
			if got := k.max(x); !math.IsInf(float64(got), 1) {
				return fmt.Sprintf("max with +Inf at %d = %g", j, got)
			}
		}
		return ""
	})
	if got := k.max(nil); !math.IsInf(float64(got), -1) {
		t.Errorf("max(empty) = %g, want -Inf", got)
	}
	if got := k.max([]float32{float32(math.Inf(-1))}); !math.IsInf(float64(got), -1) {
		t.Errorf("max(-Inf) = %g, want -Inf", got)
	}
}

func TestNEONElementwise(t *testing.T) {
	k := neonTable(t)
	gx, gy, gd := newNeonBuf(), newNeonBuf(), newNeonBuf()
	neonSweep(t, func(r *rand.Rand, n, ox, oy int) string {
		x := gx.fill(r, n, ox, nil)
		y := gy.fill(r, n, oy, nil)
		want := make([]float32, n)

		// add, mul: exact.
		for _, op := range []struct {
			name string
			f    func(dst, x, y []float32)
			ref  func(dst, x, y []float32)
		}{{"add", k.add, addGeneric}, {"mul", k.mul, mulGeneric}} {
			dst := gd.fill(r, n, (ox+oy)%16, nil)
			op.ref(want, x, y)
			op.f(dst, x, y)
			if !gd.intact(n) {
				return op.name + ": wrote outside dst"
			}
			for i := range dst {
				if dst[i] != want[i] {
					return fmt.Sprintf("%s[%d] = %g, want %g", op.name, i, dst[i], want[i])
				}
			}
		}

		// scale in place: exact.
		alpha := 4*r.Float32() - 2
		dst := gd.fill(r, n, oy, y)
		scaleGeneric(alpha, y)
		k.scale(alpha, dst)
		if !gd.intact(n) {
			return "scale: wrote outside x"
		}
		for i := range dst {
			if dst[i] != y[i] {
				return fmt.Sprintf("scale[%d] = %g, want %g", i, dst[i], y[i])
			}
		}

		// axpy: y += alpha·x, fused (one rounding) or not (two).
		dst = gd.fill(r, n, oy, y)
		k.axpy(alpha, x, dst)
		if !gd.intact(n) {
			return "axpy: wrote outside y"
		}
		for i := range dst {
			fused := float32(math.FMA(float64(alpha), float64(x[i]), float64(y[i])))
			plain := alpha*x[i] + y[i]
			if dst[i] != fused && dst[i] != plain {
				return fmt.Sprintf("axpy[%d] = %g, want %g", i, dst[i], fused)
			}
		}
		return ""
	})
}

// TestNEONAlias checks dst may alias an operand.
func TestNEONAlias(t *testing.T) {
	k := neonTable(t)
	r := testutil.RNG(5)
	x := testutil.Uniform(r, 1003)
	y := testutil.Uniform(r, 1003)
	want := make([]float32, len(x))
	addGeneric(want, x, y)
	k.add(x, x, y)
	for i := range x {
		if x[i] != want[i] {
			t.Fatalf("add aliased [%d] = %g, want %g", i, x[i], want[i])
		}
	}
	mulGeneric(want, x, y)
	k.mul(y, x, y)
	for i := range y {
		if y[i] != want[i] {
			t.Fatalf("mul aliased [%d] = %g, want %g", i, y[i], want[i])
		}
	}
}

// bf16Specials are float32 bit patterns where bf16 rounding is delicate:
// ties (odd and even), values that round up into the exponent or to Inf,
// signed zeros, subnormals, Inf and NaNs (quiet, signalling, payload only in
// the low half).
var bf16Specials = []uint32{
	0x3f808000, 0x3f818000, 0x3f807fff, 0x3f808001, 0x3fffffff, 0x7f7fffff,
	0x7f7f8000, 0xff7fffff, 0x00000000, 0x80000000, 0x00000001, 0x007fffff,
	0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xff800001, 0x7fbfffff,
	0x7f80ffff, 0xffc00001,
}

func TestNEONBF16(t *testing.T) {
	k := neonTable(t)
	src32 := make([]float32, neonMaxLen+16+2*neonGuard)
	dst16 := make([]uint16, len(src32))
	src16 := make([]uint16, len(src32))
	gd := newNeonBuf()
	neonSweep(t, func(r *rand.Rand, n, ox, oy int) string {
		// f32 → bf16: random bit patterns (every class) plus the specials.
		for i := range src32 {
			src32[i] = math.Float32frombits(r.Uint32())
			if r.IntN(8) == 0 {
				src32[i] = math.Float32frombits(bf16Specials[r.IntN(len(bf16Specials))])
			}
		}
		for i := range dst16 {
			dst16[i] = 0xdead
		}
		s := src32[neonGuard+ox : neonGuard+ox+n]
		d := dst16[neonGuard+oy : neonGuard+oy+n]
		k.tobf16(d, s)
		for i, v := range dst16 {
			inside := i >= neonGuard+oy && i < neonGuard+oy+n
			if !inside && v != 0xdead {
				return "tobf16: wrote outside dst"
			}
			if inside {
				j := i - neonGuard - oy
				if want := F32ToBF16(s[j]); v != want {
					return fmt.Sprintf("tobf16(%#08x) = %#04x, want %#04x", math.Float32bits(s[j]), v, want)
				}
			}
		}
		// bf16 → f32: exact widening of random patterns.
		for i := range src16 {
			src16[i] = uint16(r.Uint32())
		}
		h := src16[neonGuard+ox : neonGuard+ox+n]
		f := gd.fill(r, n, oy, nil)
		k.bf16to(f, h)
		if !gd.intact(n) {
			return "bf16to: wrote outside dst"
		}
		for i := range f {
			if math.Float32bits(f[i]) != uint32(h[i])<<16 {
				return fmt.Sprintf("bf16to(%#04x) = %#08x", h[i], math.Float32bits(f[i]))
			}
		}
		return ""
	})
}

// expSpecials are inputs at the edges of exp's range and its special cases.
var expSpecials = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, 1e-10, -1e-10, 1e-45, 0.34657359, -0.34657359,
	88.72283, 88.72284, 88.7229, 88.8, 89, 1000, -87.33654, -87.3366, -100, -103.27893,
	-103.97208, -103.9721, -104, -104.5, -150, -1000,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
}

// expWithin checks got against float32(math.Exp(x)) within maxUlp.
func expWithin(x, got float32, maxUlp float64) string {
	want := float32(math.Exp(float64(x)))
	if d := neonUlps(got, want); d > maxUlp {
		return fmt.Sprintf("exp(%g) = %g, want %g (%.1f ulp)", x, got, want, d)
	}
	return ""
}

// TestNEONExp sweeps lengths and offsets with inputs over exp's whole float32
// range, then scans the range densely. Bound: 2 ulp (Exp's contract; the
// kernel is designed for 1).
func TestNEONExp(t *testing.T) {
	k := neonTable(t)
	gx, gd := newNeonBuf(), newNeonBuf()
	neonSweep(t, func(r *rand.Rand, n, ox, oy int) string {
		x := gx.fill(r, n, ox, nil)
		for i := range x {
			x[i] = 200*r.Float32() - 110
			if r.IntN(16) == 0 {
				x[i] = expSpecials[r.IntN(len(expSpecials))]
			}
		}
		dst := gd.fill(r, n, oy, nil)
		k.exp(dst, x)
		if !gd.intact(n) {
			return "wrote outside dst"
		}
		for i := range dst {
			if msg := expWithin(x[i], dst[i], 2); msg != "" {
				return msg
			}
		}
		// In place.
		y := append([]float32(nil), x...)
		k.exp(y, y)
		for i := range y {
			if math.Float32bits(y[i]) != math.Float32bits(dst[i]) && y[i] == y[i] {
				return fmt.Sprintf("in place [%d] = %g, out of place %g", i, y[i], dst[i])
			}
		}
		return ""
	})
	// Dense scan: a stride of float32 bit patterns across [-110, 90].
	step := uint32(61)
	if testing.Short() {
		step = 997
	}
	var xs []float32
	for b := uint32(0); b < 0x42b40000; b += step { // 0 ≤ x < 90
		xs = append(xs, math.Float32frombits(b), -math.Float32frombits(b))
		if len(xs) >= 1<<14 || b+step >= 0x42b40000 {
			got := make([]float32, len(xs))
			k.exp(got, xs)
			for i, x := range xs {
				if x < -110 {
					continue
				}
				if msg := expWithin(x, got[i], 2); msg != "" {
					t.Fatal(msg)
				}
			}
			xs = xs[:0]
		}
	}
}

// TestNEONSigmul checks SiLU and GELU-tanh (both v/(1+e^(v(k1+k2v²))) in
// float64) within 1 ulp of their float64 twins: the float64 evaluation's
// relative error (< 1e-9) only matters within that distance of a float32
// rounding tie.
func TestNEONSigmul(t *testing.T) {
	k := neonTable(t)
	gx, gd := newNeonBuf(), newNeonBuf()
	specials := append([]float32{1e4, -1e4, 3e38, -3e38, 20, -20, 87, -87, 90, -90, 200, -200, 1e-30, -1e-30}, expSpecials...)
	for _, op := range []struct {
		name string
		f    func(dst, x []float32)
		twin func(dst, x []float32)
	}{{"silu", k.silu, siluGeneric}, {"geluTanh", k.geluTan, geluTanhGeneric}} {
		neonSweep(t, func(r *rand.Rand, n, ox, oy int) string {
			x := gx.fill(r, n, ox, nil)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 6)
				if r.IntN(16) == 0 {
					x[i] = specials[r.IntN(len(specials))]
				}
			}
			want := make([]float32, n)
			op.twin(want, x)
			dst := gd.fill(r, n, oy, nil)
			op.f(dst, x)
			if !gd.intact(n) {
				return op.name + ": wrote outside dst"
			}
			for i := range dst {
				if d := neonUlps(dst[i], want[i]); d > 1 {
					return fmt.Sprintf("%s(%g) = %g, want %g (%.1f ulp)", op.name, x[i], dst[i], want[i], d)
				}
			}
			return ""
		})
	}
}
