package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// The vector kernels are checked on every level against their pure-Go twins
// (or a float64 reference), on every length 0..300, then strided lengths and
// the awkward ones around powers of two up to 2000, each at start offsets
// 0..15, with sentinel guard bands around every output.

// vecLengths returns the lengths the sweep covers.
func vecLengths() []int {
	var ls []int
	top, stride := 300, 37
	if testing.Short() {
		top, stride = 80, 151
	}
	for n := 0; n <= top; n++ {
		ls = append(ls, n)
	}
	for n := top + 1; n <= 2000; n += stride {
		ls = append(ls, n)
	}
	return append(ls, 511, 512, 513, 1023, 1024, 1025, 1999, 2000)
}

// vecOffsets returns the start offsets (in elements) the sweep covers.
func vecOffsets() []int {
	if testing.Short() {
		return []int{0, 1, 3, 7, 8, 15}
	}
	return []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
}

// sentinel is a NaN with a payload no kernel produces, so a guard element
// that still holds it has certainly not been written.
const sentinel = 0x7fa5a5a5

const vecGuard = 19

// guarded returns a slice of n elements at offset off inside a buffer whose
// other elements hold the sentinel, and a check that they still do.
func guarded(n, off int) ([]float32, func() string) {
	buf := make([]float32, vecGuard+off+n+vecGuard)
	s := math.Float32frombits(sentinel)
	for i := range buf {
		buf[i] = s
	}
	lo, hi := vecGuard+off, vecGuard+off+n
	check := func() string {
		for i, v := range buf {
			if (i < lo || i >= hi) && math.Float32bits(v) != sentinel {
				return fmt.Sprintf("wrote outside the slice: buf[%d] (slice is [%d:%d]) = %g", i, lo, hi, v)
			}
		}
		return ""
	}
	return buf[lo:hi:hi], check
}

// ulpDiff is the number of float32 values between a and b (0 if both are
// NaN, a large number if only one is).
func ulpDiff(a, b float32) int64 {
	an, bn := a != a, b != b
	if an || bn {
		if an && bn {
			return 0
		}
		return math.MaxInt32
	}
	ord := func(f float32) int64 {
		u := math.Float32bits(f)
		if u&0x80000000 != 0 {
			return -int64(u & 0x7fffffff)
		}
		return int64(u)
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return d
}

// sameFloat reports bitwise equality, treating every NaN as equal.
func sameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// unaryOp is an elementwise kernel dst[i] = f(x[i]) with its twin, an input
// generator and the largest ulp distance from the twin allowed.
type unaryOp struct {
	name  string
	simd  func(dst, x []float32) // the exported wrapper, so the active level runs
	twin  func(dst, x []float32)
	gen   func(r *rand.Rand, n int) []float32
	ulps  int64
	sweep bool // also sweep the whole float32 range (strided)
}

func mixed(scale float64) func(r *rand.Rand, n int) []float32 {
	return func(r *rand.Rand, n int) []float32 {
		x := testutil.Normal(r, n, scale)
		for i := range x {
			switch r.IntN(16) {
			case 0:
				x[i] = float32(r.Float64()*220 - 110)
			case 1:
				x[i] = float32(r.Float64()*2 - 1)
			}
		}
		return x
	}
}

// Bounds. exp is ≤ 2 ulp from math.Exp by the task's contract (measured:
// ≤ 1, see TestExpSweep). SiLU, GELU and GELU-tanh are evaluated in float64
// with approximations whose relative error is < 1e-10, so the float32 result
// is the correctly rounded value except within 1e-10 ulp... of a tie: ≤ 1 ulp.
var unaryOps = []unaryOp{
	{"Exp", Exp, expGeneric, mixed(30), 2, true},
	{"SiLU", SiLU, siluGeneric, mixed(6), 1, true},
	{"GELU", GELU, geluGeneric, mixed(4), 1, true},
	{"GELUTanh", GELUTanh, geluTanhGeneric, mixed(4), 1, true},
}

func TestVecUnary(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, op := range unaryOps {
			r := testutil.RNG(11)
			for _, n := range vecLengths() {
				for _, off := range vecOffsets() {
					x := op.gen(r, n)
					want := make([]float32, n)
					op.twin(want, x)
					dst, check := guarded(n, off)
					op.simd(dst, x)
					if msg := check(); msg != "" {
						t.Fatalf("%s n=%d off=%d: %s", op.name, n, off, msg)
					}
					for i := range dst {
						if d := ulpDiff(dst[i], want[i]); d > op.ulps {
							t.Fatalf("%s n=%d off=%d: [%d] f(%g) = %g, want %g (%d ulp > %d)", op.name, n, off, i, x[i], dst[i], want[i], d, op.ulps)
						}
					}
					if n%17 == 3 { // in place (dst aliases x)
						op.simd(x, x)
						for i := range x {
							if d := ulpDiff(x[i], want[i]); d > op.ulps {
								t.Fatalf("%s in place n=%d: [%d] = %g, want %g", op.name, n, i, x[i], want[i])
							}
						}
					}
				}
			}
		}
	})
}

// sweepValues returns float32 values spread over every bit pattern (a prime
// stride through the 2³² patterns, so all exponents, both signs, subnormals,
// infinities and NaNs are hit), plus every float32 in [lo, hi] strided finely.
func sweepValues(stride uint32) []float32 {
	var xs []float32
	for b := uint64(0); b < 1<<32; b += uint64(stride) {
		xs = append(xs, math.Float32frombits(uint32(b)))
	}
	for _, b := range []uint32{0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x00000001, 0x80000001, 0x7f7fffff, 0xff7fffff} {
		xs = append(xs, math.Float32frombits(b))
	}
	return xs
}

// TestVecSweep checks the elementwise transcendental kernels over the whole
// float32 range and reports the largest ulp error seen.
func TestVecSweep(t *testing.T) {
	stride := uint32(4093)
	if testing.Short() {
		stride = 40009
	}
	xs := sweepValues(stride)
	// A denser sweep of exp's useful range [-104, 89] (results from the
	// subnormals to overflow) on top of the whole-range one.
	lo, hi := math.Float32bits(-104), math.Float32bits(89)
	for b := uint32(0); b <= hi; b += stride / 2 {
		xs = append(xs, math.Float32frombits(b))
	}
	for b := uint32(0x80000000); b <= lo; b += stride / 2 {
		xs = append(xs, math.Float32frombits(b))
	}
	wants := make([][]float32, len(unaryOps))
	for i, op := range unaryOps {
		wants[i] = make([]float32, len(xs))
		op.twin(wants[i], xs)
	}
	got := make([]float32, len(xs))
	forEachLevel(t, func(t *testing.T) {
		if Active() == Generic {
			t.Skip("the twins are the reference")
		}
		for k, op := range unaryOps {
			want := wants[k]
			op.simd(got, xs)
			var worst int64
			worstX := float32(0)
			for i := range xs {
				d := ulpDiff(got[i], want[i])
				if d > op.ulps {
					t.Errorf("%s(%g) = %g, want %g (%d ulp > %d)", op.name, xs[i], got[i], want[i], d, op.ulps)
					break
				}
				if d > worst {
					worst, worstX = d, xs[i]
				}
			}
			t.Logf("%s: %d values, max error %d ulp (at x=%g)", op.name, len(xs), worst, worstX)
		}
	})
}

// TestVecBinary checks Add and Mul (exact: one IEEE operation each).
func TestVecBinary(t *testing.T) {
	ops := []struct {
		name       string
		simd, twin func(dst, x, y []float32)
	}{{"Add", Add, addGeneric}, {"Mul", Mul, mulGeneric}}
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(12)
		for _, op := range ops {
			for _, n := range vecLengths() {
				for _, off := range vecOffsets() {
					x, y := testutil.Normal(r, n, 3), testutil.Normal(r, n+off%3, 3)
					want := make([]float32, n)
					op.twin(want, x, y)
					dst, check := guarded(n, off)
					op.simd(dst, x, y)
					if msg := check(); msg != "" {
						t.Fatalf("%s n=%d off=%d: %s", op.name, n, off, msg)
					}
					for i := range dst {
						if !sameFloat(dst[i], want[i]) {
							t.Fatalf("%s n=%d off=%d: [%d] = %g, want %g", op.name, n, off, i, dst[i], want[i])
						}
					}
				}
			}
		}
	})
}

// TestVecInPlace checks Scale (exact) and Axpy. Axpy uses one FMA per element
// where the twin rounds the product first; both are within u·(|αx|+|y|) of
// the exact value (u = 2⁻²⁴), so they differ by at most 2u·(|αx|+|y|).
func TestVecInPlace(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(13)
		u := math.Ldexp(1, -24)
		for _, n := range vecLengths() {
			for _, off := range vecOffsets() {
				alpha := float32(r.NormFloat64())
				x := testutil.Normal(r, n, 2)
				y0 := testutil.Normal(r, n, 2)

				want := append([]float32(nil), y0...)
				scaleGeneric(alpha, want)
				dst, check := guarded(n, off)
				copy(dst, y0)
				Scale(alpha, dst)
				if msg := check(); msg != "" {
					t.Fatalf("Scale n=%d off=%d: %s", n, off, msg)
				}
				for i := range dst {
					if !sameFloat(dst[i], want[i]) {
						t.Fatalf("Scale n=%d off=%d: [%d] = %g, want %g", n, off, i, dst[i], want[i])
					}
				}

				copy(want, y0)
				axpyGeneric(alpha, x, want)
				dst, check = guarded(n, off)
				copy(dst, y0)
				Axpy(alpha, x, dst)
				if msg := check(); msg != "" {
					t.Fatalf("Axpy n=%d off=%d: %s", n, off, msg)
				}
				for i := range dst {
					bound := 2 * u * (math.Abs(float64(alpha*x[i])) + math.Abs(float64(y0[i])))
					if math.Abs(float64(dst[i])-float64(want[i])) > bound {
						t.Fatalf("Axpy n=%d off=%d: [%d] = %g, want %g (bound %g)", n, off, i, dst[i], want[i], bound)
					}
				}
			}
		}
	})
}

// TestVecReduce checks Dot and Sum against a float64 reference: any order
// of n float32 additions is within (n-1)·u·Σ|terms| of the exact sum (plus
// u·|term| per product for Dot), so we allow (n+1)·u·Σ|terms|.
func TestVecReduce(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(14)
		u := math.Ldexp(1, -24)
		for _, n := range vecLengths() {
			for _, off := range vecOffsets() {
				buf := testutil.Normal(r, 2*n+off, 1)
				x, y := buf[off:off+n], buf[n+off:]
				var dref, dmag, sref, smag float64
				for i := range x {
					p := float64(x[i]) * float64(y[i])
					dref, dmag = dref+p, dmag+math.Abs(p)
					sref, smag = sref+float64(x[i]), smag+math.Abs(float64(x[i]))
				}
				if got := float64(Dot(x, y)); math.Abs(got-dref) > float64(n+1)*u*dmag {
					t.Fatalf("Dot n=%d off=%d = %g, want %g (bound %g)", n, off, got, dref, float64(n+1)*u*dmag)
				}
				if got := float64(Sum(x)); math.Abs(got-sref) > float64(n+1)*u*smag {
					t.Fatalf("Sum n=%d off=%d = %g, want %g (bound %g)", n, off, got, sref, float64(n+1)*u*smag)
				}
			}
		}
	})
}

// TestVecMax checks Max (exact), with NaNs and infinities planted at every
// kind of position (main loop, 8-wide loop, masked or overlapping tail).
func TestVecMax(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(15)
		for _, n := range vecLengths() {
			for _, off := range vecOffsets() {
				buf := testutil.Normal(r, n+off, 5)
				x := buf[off:]
				if n > 0 {
					switch r.IntN(5) {
					case 0:
						x[r.IntN(n)] = float32(math.NaN())
					case 1:
						x[r.IntN(n)] = float32(math.Inf(1))
					case 2:
						for i := range x { // all negative: the masked lanes must not contribute 0
							x[i] = -float32(math.Abs(float64(x[i]))) - 1
						}
					}
				}
				if got, want := Max(x), maxGeneric(x); !sameFloat(got, want) {
					t.Fatalf("Max n=%d off=%d = %g, want %g", n, off, got, want)
				}
			}
		}
		for n := 1; n <= 70; n++ { // a NaN at every position
			x := testutil.Normal(r, n, 1)
			for p := range x {
				x[p] = float32(math.NaN())
				if got := Max(x); got == got {
					t.Fatalf("Max n=%d with NaN at %d = %g, want NaN", n, p, got)
				}
				x[p] = 0
			}
		}
	})
}

// TestVecBF16 checks both conversions exactly against the twins on random
// bit patterns (NaNs, infinities and subnormals included), the round trip,
// and ties to even.
func TestVecBF16(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(16)
		for _, n := range vecLengths() {
			for _, off := range vecOffsets() {
				src := make([]float32, n)
				h := make([]uint16, n)
				for i := range src {
					src[i] = math.Float32frombits(r.Uint32())
					h[i] = uint16(r.Uint32())
				}
				want16 := make([]uint16, n)
				f32ToBF16Generic(want16, src)
				buf := make([]uint16, vecGuard+off+n+vecGuard)
				for i := range buf {
					buf[i] = 0xdead
				}
				dst16 := buf[vecGuard+off : vecGuard+off+n]
				F32ToBF16Slice(dst16, src)
				for i, v := range buf {
					if (i < vecGuard+off || i >= vecGuard+off+n) && v != 0xdead {
						t.Fatalf("F32ToBF16Slice n=%d off=%d: wrote outside at %d", n, off, i)
					}
				}
				for i := range dst16 {
					if dst16[i] != want16[i] {
						t.Fatalf("F32ToBF16Slice n=%d off=%d: [%d] %#08x -> %#04x, want %#04x", n, off, i, math.Float32bits(src[i]), dst16[i], want16[i])
					}
				}
				want := make([]float32, n)
				bf16ToF32Generic(want, h)
				dst, check := guarded(n, off)
				BF16ToF32Slice(dst, h)
				if msg := check(); msg != "" {
					t.Fatalf("BF16ToF32Slice n=%d off=%d: %s", n, off, msg)
				}
				for i := range dst {
					if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
						t.Fatalf("BF16ToF32Slice n=%d off=%d: [%d] = %#08x, want %#08x", n, off, i, math.Float32bits(dst[i]), math.Float32bits(want[i]))
					}
				}
			}
		}
		// Ties to even, carries into the exponent, overflow to Inf, NaN.
		cases := []struct {
			in   uint32
			want uint16
		}{
			{0x3f808000, 0x3f80}, // tie, even below: stays
			{0x3f818000, 0x3f82}, // tie, odd below: rounds up
			{0x3f808001, 0x3f81}, // above the tie
			{0x3f807fff, 0x3f80}, // below the tie
			{0xbf818000, 0xbf82}, // negative tie
			{0x3fffffff, 0x4000}, // carry into the exponent
			{0x7f7fffff, 0x7f80}, // largest finite rounds to +Inf
			{0x7f800000, 0x7f80}, // +Inf
			{0xff800000, 0xff80}, // -Inf
			{0x7f800001, 0x7fc0}, // signalling NaN stays NaN (quiet)
			{0xffc00001, 0xffc0}, // negative quiet NaN
			{0x7fffffff, 0x7fff}, // NaN whose rounding would wrap
			{0x00008000, 0x0000}, // subnormal tie to even (zero)
			{0x00018000, 0x0002}, // subnormal tie to even (up)
		}
		src := make([]float32, len(cases))
		for i, c := range cases {
			src[i] = math.Float32frombits(c.in)
		}
		got := make([]uint16, len(cases))
		F32ToBF16Slice(got, src)
		for i, c := range cases {
			if got[i] != c.want {
				t.Errorf("F32ToBF16(%#08x) = %#04x, want %#04x", c.in, got[i], c.want)
			}
		}
		// Round trip: every bf16 that is not NaN widens and narrows to itself.
		all := make([]uint16, 1<<16)
		for i := range all {
			all[i] = uint16(i)
		}
		wide := make([]float32, len(all))
		back := make([]uint16, len(all))
		BF16ToF32Slice(wide, all)
		F32ToBF16Slice(back, wide)
		for i := range all {
			if wide[i] == wide[i] && back[i] != all[i] {
				t.Fatalf("round trip %#04x -> %g -> %#04x", all[i], wide[i], back[i])
			}
		}
	})
}

// TestVecRows checks Softmax, RMSNorm and LayerNorm rows against float64
// references. Bounds (u = 2⁻²⁴): the row statistics (max, Σe, Σx², mean,
// variance) come from n-term sums with relative error ≤ n·u and each output
// adds a few roundings (exp ≤ 2 ulp, products), so outputs are compared with
// (n+8)·u relative to the magnitude of the terms that produced them.
func TestVecRows(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(17)
		u := math.Ldexp(1, -24)
		for _, n := range vecLengths() {
			if n == 0 {
				continue
			}
			off := n % 16
			tol := float64(n+8) * u

			x := testutil.Normal(r, n, 4)
			if n%5 == 0 {
				x[r.IntN(n)] = float32(math.Inf(-1)) // a masked position
			}
			ref := make([]float64, n)
			m := math.Inf(-1)
			for _, v := range x {
				m = math.Max(m, float64(v))
			}
			var s float64
			for i, v := range x {
				ref[i] = math.Exp(float64(v) - m)
				s += ref[i]
			}
			dst, check := guarded(n, off)
			copy(dst, x)
			lse := Softmax(dst)
			if msg := check(); msg != "" {
				t.Fatalf("Softmax n=%d: %s", n, msg)
			}
			if want := m + math.Log(s); math.Abs(float64(lse)-want) > tol*math.Max(1, math.Abs(want)) {
				t.Fatalf("Softmax n=%d: log-sum-exp %g, want %g", n, lse, want)
			}
			for i := range dst {
				if w := ref[i] / s; math.Abs(float64(dst[i])-w) > tol*w+1e-45 {
					t.Fatalf("Softmax n=%d: [%d] = %g, want %g", n, i, dst[i], w)
				}
			}

			x = testutil.Normal(r, n, 2)
			w := testutil.Normal(r, n, 1)
			b := testutil.Normal(r, n, 1)
			const eps = 1e-5
			var ss float64
			for _, v := range x {
				ss += float64(v) * float64(v)
			}
			rstd := 1 / math.Sqrt(ss/float64(n)+eps)
			dst, check = guarded(n, off)
			gotR := RMSNorm(dst, x, w, eps)
			if msg := check(); msg != "" {
				t.Fatalf("RMSNorm n=%d: %s", n, msg)
			}
			if math.Abs(float64(gotR)-rstd) > tol*rstd {
				t.Fatalf("RMSNorm n=%d: rstd %g, want %g", n, gotR, rstd)
			}
			for i := range dst {
				want := float64(x[i]) * rstd * float64(w[i])
				if math.Abs(float64(dst[i])-want) > tol*math.Abs(want)+1e-30 {
					t.Fatalf("RMSNorm n=%d: [%d] = %g, want %g", n, i, dst[i], want)
				}
			}

			for i := range x {
				x[i] += 3 // a mean well away from 0
			}
			var mean, v float64
			for _, xi := range x {
				mean += float64(xi)
			}
			mean /= float64(n)
			for _, xi := range x {
				v += (float64(xi) - mean) * (float64(xi) - mean)
			}
			rstd = 1 / math.Sqrt(v/float64(n)+eps)
			dst, check = guarded(n, off)
			gotM, gotS := LayerNorm(dst, x, w, b, eps)
			if msg := check(); msg != "" {
				t.Fatalf("LayerNorm n=%d: %s", n, msg)
			}
			if math.Abs(float64(gotM)-mean) > tol*5 || math.Abs(float64(gotS)-rstd) > tol*rstd*10 {
				t.Fatalf("LayerNorm n=%d: mean, rstd = %g, %g, want %g, %g", n, gotM, gotS, mean, rstd)
			}
			for i := range dst {
				want := (float64(x[i])-mean)*rstd*float64(w[i]) + float64(b[i])
				// The centred value's error is set by |x| and |mean|, not by
				// the (possibly small) difference.
				mag := (math.Abs(float64(x[i]))+math.Abs(mean))*rstd*math.Abs(float64(w[i])) + math.Abs(float64(b[i]))
				if math.Abs(float64(dst[i])-want) > 4*tol*mag {
					t.Fatalf("LayerNorm n=%d: [%d] = %g, want %g", n, i, dst[i], want)
				}
			}
		}
	})
}

// TestVecExpSum checks softmax's fused pass: each element within the exp
// bound of the twin and equal, bit for bit, to the level's Exp of the
// float32 difference (ExpSum's contract, which cross-entropy relies on), the
// returned sum within (n+1)·u·Σ of the float64 sum of the twin's elements
// (all terms are positive) plus each element's 2 ulp.
func TestVecExpSum(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(18)
		u := math.Ldexp(1, -24)
		for _, n := range vecLengths() {
			for _, off := range vecOffsets() {
				x := testutil.Normal(r, n, 5)
				shift := float32(r.NormFloat64() * 3)
				want := make([]float32, n)
				expSumGeneric(want, x, shift)
				diff := make([]float32, n)
				for i, v := range x {
					diff[i] = v - shift
				}
				Exp(diff, diff)
				dst, check := guarded(n, off)
				got := cur.expSum(dst, x, shift)
				if msg := check(); msg != "" {
					t.Fatalf("expSum n=%d off=%d: %s", n, off, msg)
				}
				var ref float64
				for i := range dst {
					if !sameFloat(dst[i], diff[i]) {
						t.Fatalf("expSum n=%d off=%d: [%d] = %g, Exp of the difference %g", n, off, i, dst[i], diff[i])
					}
					if d := ulpDiff(dst[i], want[i]); d > 2 {
						t.Fatalf("expSum n=%d off=%d: [%d] = %g, want %g", n, off, i, dst[i], want[i])
					}
					ref += float64(want[i])
				}
				if b := (float64(n+1)*u + 4*u) * ref; math.Abs(float64(got)-ref) > b {
					t.Fatalf("expSum n=%d off=%d: sum %g, want %g (bound %g)", n, off, got, ref, b)
				}
			}
		}
	})
}
