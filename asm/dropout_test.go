package asm

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// dropoutValues returns n floats, normal with special values planted:
// ±0, ±Inf, NaN, subnormals and values whose product with a scale
// overflows or underflows.
func dropoutValues(r *rand.Rand, n int) []float32 {
	x := testutil.Normal(r, n, 1)
	for i := range x {
		switch r.IntN(16) {
		case 0:
			x[i] = []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}[r.IntN(5)]
		case 1:
			x[i] = float32(math.Ldexp(r.NormFloat64(), -135)) // subnormal
		case 2:
			x[i] = float32(math.Ldexp(r.NormFloat64(), 126)) // overflows when scaled up
		}
	}
	return x
}

// randomKept returns a mask for n elements that keeps each with
// probability keep, its bits past n set (the kernels must not read them).
func randomKept(r *rand.Rand, n int, keep float64) []uint64 {
	kept := make([]uint64, (n+63)/64)
	for i := range kept {
		for b := range 64 {
			if 64*i+b >= n || r.Float64() < keep {
				kept[i] |= 1 << b
			}
		}
	}
	return kept
}

// keptBit reports bit i of kept.
func keptBit(kept []uint64, i int) bool { return kept[i>>6]>>(i&63)&1 != 0 }

// maskedRef is the float64 reference of MaskedScale (add false) and
// MaskedAddScaled (add true): the product is exact in float64, so one
// rounding to float32 gives the float32 product, and the sum of two
// float32 rounded in float64 then float32 is the float32 sum (53 ≥ 2·24+2
// bits: the double rounding is harmless).
func maskedRef(dst0, src []float32, s float32, kept []uint64, add bool) []float32 {
	out := make([]float32, len(dst0))
	for i := range out {
		switch {
		case !keptBit(kept, i) && add:
			out[i] = dst0[i]
		case !keptBit(kept, i):
			out[i] = 0
		case add:
			p := float32(float64(src[i]) * float64(s))
			out[i] = float32(float64(dst0[i]) + float64(p))
		default:
			out[i] = float32(float64(src[i]) * float64(s))
		}
	}
	return out
}

// checkMasked runs MaskedScale or MaskedAddScaled (add) on a guarded copy
// of dst0 (or in place on src when inPlace) and compares it with want bit
// for bit (NaNs equal).
func checkMasked(t *testing.T, what string, dst0, src []float32, s float32, kept []uint64, add, inPlace bool, off int, want []float32) {
	t.Helper()
	n := len(dst0)
	dst, check := guarded(n, off)
	copy(dst, dst0)
	in := src
	if inPlace {
		copy(dst, src)
		in = dst
	}
	if add {
		MaskedAddScaled(dst, in, s, kept)
	} else {
		MaskedScale(dst, in, s, kept)
	}
	if msg := check(); msg != "" {
		t.Fatalf("%s n=%d off=%d: %s", what, n, off, msg)
	}
	for i := range dst {
		if !sameFloat(dst[i], want[i]) {
			t.Fatalf("%s n=%d off=%d [%d]: %g (%08x), want %g (%08x); src %g, dst %g, kept %v",
				what, n, off, i, dst[i], math.Float32bits(dst[i]), want[i], math.Float32bits(want[i]), src[i], dst0[i], keptBit(kept, i))
		}
	}
}

// TestMaskedKernels checks every level's MaskedScale and MaskedAddScaled
// against the twins and the twins against the float64 reference, bit for
// bit (a zero's sign counts), on every awkward length and offset, at
// several keep rates and scales, in place too.
func TestMaskedKernels(t *testing.T) {
	r := testutil.RNG(83)
	scales := []float32{1 / (1 - 0.05), 1 / (1 - 0.1), 1, -2.5, 0}
	for _, n := range vecLengths() {
		for _, off := range vecOffsets() {
			src, dst0 := dropoutValues(r, n), dropoutValues(r, n)
			kept := randomKept(r, n, []float64{0.95, 0.5, 0, 1}[r.IntN(4)])
			s := scales[r.IntN(len(scales))]
			for _, add := range []bool{false, true} {
				want := maskedRef(dst0, src, s, kept, add)
				twin := append([]float32(nil), dst0...)
				if add {
					maskedAddGeneric(twin, src, s, kept)
				} else {
					maskedScaleGeneric(twin, src, s, kept)
				}
				for i := range twin {
					if !sameFloat(twin[i], want[i]) {
						t.Fatalf("twin add=%v n=%d [%d]: %g, float64 reference %g", add, n, i, twin[i], want[i])
					}
				}
				forEachLevelQuiet(func(l Level) {
					checkMasked(t, l.String(), dst0, src, s, kept, add, false, off, want)
					if !add {
						checkMasked(t, l.String()+" in place", dst0, src, s, kept, add, true, off, want)
					}
				})
			}
		}
	}
}

// forEachLevelQuiet runs f at every available level (no subtests: the
// callers loop over thousands of cases).
func forEachLevelQuiet(f func(l Level)) {
	for _, l := range Available() {
		restore := SetLevel(l)
		f(l)
		restore()
	}
}

// dropMaskRef is DropoutMask one element at a time.
func dropMaskRef(draws []uint64, n int, drop uint16) []uint64 {
	kept := make([]uint64, (n+63)/64)
	for i := range n {
		if uint16(draws[i/4]>>(16*(i%4))) >= drop {
			kept[i>>6] |= 1 << (i & 63)
		}
	}
	return kept
}

// TestDropoutMask checks every level's DropoutMask against the
// element-at-a-time reference on awkward lengths and thresholds (0, 1,
// the default run's 0.05 and 0.1, 2¹⁵ and 2¹⁶−1, random), with draws that
// hit the threshold exactly, and that it writes no word past ⌈n/4⌉'s.
func TestDropoutMask(t *testing.T) {
	r := testutil.RNG(89)
	for _, n := range vecLengths() {
		for _, drop := range []uint16{0, 1, 3277, 6554, 0x7fff, 0x8000, 0xffff, uint16(r.Uint32())} {
			draws := make([]uint64, (n+3)/4)
			for i := range draws {
				draws[i] = r.Uint64()
				for j := range 4 {
					if r.IntN(8) == 0 { // the threshold itself and its neighbours
						c := uint64(drop) + uint64(r.IntN(3)) - 1
						draws[i] = draws[i]&^(0xffff<<(16*j)) | (c&0xffff)<<(16*j)
					}
				}
			}
			want := dropMaskRef(draws, n, drop)
			forEachLevelQuiet(func(l Level) {
				kept := make([]uint64, len(want)+2)
				for i := range kept {
					kept[i] = 0xa5a5a5a5a5a5a5a5
				}
				DropoutMask(kept, draws, n, drop)
				for i, w := range want {
					if kept[i] != w {
						t.Fatalf("%s n=%d drop=%d: word %d = %016x, want %016x", l, n, drop, i, kept[i], w)
					}
				}
				for i := len(want); i < len(kept); i++ {
					if kept[i] != 0xa5a5a5a5a5a5a5a5 {
						t.Fatalf("%s n=%d: wrote word %d past the mask's %d", l, n, i, len(want))
					}
				}
			})
		}
	}
}

// TestKeep4 checks the branch-free comparison of four 16-bit chunks against
// a chunk-by-chunk one on edge values (0, 1, 2¹⁵−1, 2¹⁵, 2¹⁶−1) and random
// ones.
func TestKeep4(t *testing.T) {
	r := testutil.RNG(7)
	edges := []uint64{0, 1, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff}
	for range 20000 {
		pick := func() uint64 {
			if r.IntN(2) == 0 {
				return edges[r.IntN(len(edges))]
			}
			return r.Uint64() & 0xffff
		}
		var x uint64
		for j := range 4 {
			x |= pick() << (16 * j)
		}
		y := pick()
		var want uint64
		for j := range 4 {
			if x>>(16*j)&0xffff >= y {
				want |= 1 << j
			}
		}
		if got := keep4(x, y*0x0001000100010001); got != want {
			t.Fatalf("keep4(%016x, %04x) = %04b, want %04b", x, y, got, want)
		}
	}
}

// FuzzDropout compares every SIMD level's dropout kernels with the twins
// (and the twins with the float64 reference) on fuzzer-chosen bit
// patterns: the data's first part is read as draws (the mask, via
// DropoutMask at threshold drop), the rest as src and dst floats.
func FuzzDropout(f *testing.F) {
	f.Add(uint16(3277), float32(1/(1-0.05)), uint8(0), []byte("\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\xc0\x7f\x00\x00\x80\xff\x01\x00\x00\x80"))
	b := make([]byte, 1000)
	for i := range b {
		b[i] = byte(i*37 + i>>3)
	}
	f.Add(uint16(0x8000), float32(-3), uint8(5), b)
	f.Add(uint16(0), float32(0), uint8(9), make([]byte, 4*67))
	f.Fuzz(func(t *testing.T, drop uint16, s float32, off uint8, data []byte) {
		n := len(data) / 10 // 2 bytes of draws and 2 × 4 bytes of floats per element
		draws := make([]uint64, (n+3)/4)
		for i := range draws {
			var w [8]byte
			copy(w[:], data[8*i:min(8*i+8, 2*n)])
			draws[i] = binary.LittleEndian.Uint64(w[:])
		}
		vals := make([]float32, 2*n)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[2*n+4*i:]))
		}
		src, dst0 := vals[:n], vals[n:]
		want := make([]uint64, (n+63)/64)
		dropMaskGeneric(want, draws, n, drop)
		ref := dropMaskRef(draws, n, drop)
		for i := range want {
			if want[i] != ref[i] {
				t.Fatalf("twin n=%d drop=%d: word %d = %016x, reference %016x", n, drop, i, want[i], ref[i])
			}
		}
		for _, l := range Available() {
			if l == Generic {
				continue
			}
			restore := SetLevel(l)
			kept := make([]uint64, len(want))
			DropoutMask(kept, draws, n, drop)
			for i := range want {
				if kept[i] != want[i] {
					restore()
					t.Fatalf("%s n=%d drop=%d: word %d = %016x, want %016x", l, n, drop, i, kept[i], want[i])
				}
			}
			for _, add := range []bool{false, true} {
				checkMasked(t, l.String(), dst0, src, s, want, add, false, int(off%16), maskedRef(dst0, src, s, want, add))
			}
			restore()
		}
	})
}

// BenchmarkDropoutKernels times the three kernels on a LoRA input of the
// default run's direct-FT step (16 prompts × 263 tokens × 256) at p = 0.05,
// against the vector multiply they replace (the same-run baseline);
// cpu-ns/op is the benchmark thread's CPU time.
func BenchmarkDropoutKernels(b *testing.B) {
	r := testutil.RNG(1)
	n := 16 * 263 * 256
	src, dst := testutil.Normal(r, n, 1), make([]float32, n)
	draws := make([]uint64, (n+3)/4)
	for i := range draws {
		draws[i] = r.Uint64()
	}
	kept := make([]uint64, (n+63)/64)
	DropoutMask(kept, draws, n, 3277)
	ones := make([]float32, n)
	for i := range ones {
		ones[i] = 1.05
	}
	for _, c := range []struct {
		name string
		run  func()
	}{
		{"mask", func() { DropoutMask(kept, draws, n, 3277) }},
		{"scale", func() { MaskedScale(dst, src, 1.05, kept) }},
		{"add", func() { MaskedAddScaled(dst, src, 1.05, kept) }},
		{"mul", func() { Mul(dst, src, ones) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.SetBytes(int64(4 * n))
			t0, _ := threadCPU()
			for b.Loop() {
				c.run()
			}
			if t1, ok := threadCPU(); ok && t1 > t0 {
				b.ReportMetric(float64(t1-t0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
