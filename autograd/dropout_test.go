package autograd

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/internal/testutil"
)

// dropIntoRef is dropout one element at a time, with a branch per element:
// the definition dropInto must match bit for bit (same draws, same mask,
// same values).
func dropIntoRef(dst, src []float32, p float32, rng *rand.Rand) (kept []uint64, scale float32) {
	kept = make([]uint64, (len(src)+63)/64)
	scale = 1 / (1 - p)
	drop := uint64(float64(p)*65536 + 0.5)
	var bits uint64
	for i, v := range src {
		if i&3 == 0 {
			bits = rng.Uint64()
		}
		if bits&0xffff < drop {
			dst[i] = 0
		} else {
			dst[i] = v * scale
			kept[i>>6] |= 1 << (i & 63)
		}
		bits >>= 16
	}
	return kept, scale
}

// maskedScaleRef is asm.MaskedScale (add false) and asm.MaskedAddScaled
// (add true) with a branch per element.
func maskedScaleRef(dst, src []float32, s float32, kept []uint64, add bool) {
	for i, v := range src {
		if kept[i>>6]>>(i&63)&1 == 0 {
			if !add {
				dst[i] = 0
			}
			continue
		}
		if add {
			dst[i] += float32(v * s) // rounded apart, as the vector passes do (no fused multiply-add on arm64)
		} else {
			dst[i] = v * s
		}
	}
}

// sameBits reports the first index where a and b differ as bit patterns
// (−1 if none): a zero's sign counts, a NaN's payload does not (the vector
// add may quiet a signalling NaN; training refuses NaN anyway).
func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}

// checkDropout compares dropInto, asm.MaskedScale and asm.MaskedAddScaled
// with their references on src (and, for the add mode, on a destination
// holding dst0), and checks that dropInto took exactly the reference's
// draws (the next draw of both generators agrees).
func checkDropout(t *testing.T, src, dst0 []float32, p float32, seed uint64) {
	t.Helper()
	n := len(src)
	got, want := make([]float32, n), make([]float32, n)
	rg, rw := testutil.RNG(seed), testutil.RNG(seed)
	kg, sg := dropInto(got, src, p, rg)
	kw, sw := dropIntoRef(want, src, p, rw)
	if a, b := rg.Uint64(), rw.Uint64(); a != b {
		t.Fatalf("n=%d p=%g: the draw after dropInto is %x, after the reference %x", n, p, a, b)
	}
	if sg != sw {
		t.Fatalf("n=%d p=%g: scale %g, want %g", n, p, sg, sw)
	}
	for i := range kw {
		if kg[i] != kw[i] {
			t.Fatalf("n=%d p=%g: mask word %d is %x, want %x", n, p, i, kg[i], kw[i])
		}
	}
	if i := sameBits(got, want); i >= 0 {
		t.Fatalf("n=%d p=%g: dropInto element %d is %g, want %g", n, p, i, got[i], want[i])
	}
	// The float64 reference: kept elements are src·scale, the others +0.
	for i, v := range src {
		w := float32(0)
		if kw[i>>6]>>(i&63)&1 != 0 {
			w = float32(float64(v) * float64(sw))
		}
		if math.Float32bits(got[i]) != math.Float32bits(w) && !(w != w && got[i] != got[i]) {
			t.Fatalf("n=%d p=%g: element %d is %g, want %g", n, p, i, got[i], w)
		}
	}
	for _, add := range []bool{false, true} {
		g, w := append([]float32(nil), dst0...), append([]float32(nil), dst0...)
		if add {
			asm.MaskedAddScaled(g, src, 1.75, kw)
		} else {
			asm.MaskedScale(g, src, 1.75, kw)
		}
		maskedScaleRef(w, src, 1.75, kw, add)
		if i := sameBits(g, w); i >= 0 {
			t.Fatalf("n=%d p=%g add=%v: masked kernel element %d is %g, want %g", n, p, add, i, g[i], w[i])
		}
		if !add { // in place, as the LoRA backward pass masks its input gradient
			g = append([]float32(nil), src...)
			asm.MaskedScale(g, g, 1.75, kw)
			if i := sameBits(g, w); i >= 0 {
				t.Fatalf("n=%d p=%g: maskedScale in place, element %d is %g, want %g", n, p, i, g[i], w[i])
			}
		}
	}
}

// TestDropoutKernels checks the branch-free dropout kernels against the
// element-at-a-time references on awkward sizes and dropout rates,
// with signed zeros in the destination of the add mode.
func TestDropoutKernels(t *testing.T) {
	r := testutil.RNG(5)
	for _, n := range []int{1, 3, 4, 7, 15, 17, 31, 33, 63, 64, 65, 127, 129, 1000, 3*drawChunk + 65} {
		for _, p := range []float32{0.05, 0.3, 0.5, 0.9, 1 - 1e-6} {
			src := testutil.Normal(r, n, 1)
			dst0 := testutil.Normal(r, n, 1)
			for i := 0; i < n; i += 5 {
				dst0[i] = float32(math.Copysign(0, -1))
			}
			checkDropout(t, src, dst0, p, uint64(n)*7+uint64(p*100))
		}
	}
}

// FuzzDropoutKernels compares the kernels with their references on
// arbitrary values (NaN, ±Inf, signed zeros, subnormals included).
func FuzzDropoutKernels(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 128, 255, 255, 255, 127}, uint16(3277), uint64(1))
	f.Add(make([]byte, 4*70), uint16(60000), uint64(2))
	f.Fuzz(func(t *testing.T, raw []byte, p16 uint16, seed uint64) {
		n := len(raw) / 4
		src := make([]float32, n)
		for i := range src {
			src[i] = math.Float32frombits(uint32(raw[4*i]) | uint32(raw[4*i+1])<<8 | uint32(raw[4*i+2])<<16 | uint32(raw[4*i+3])<<24)
		}
		dst0 := make([]float32, n)
		for i := range dst0 {
			dst0[i] = src[(i*7+3)%n] // n > 0 here
		}
		p := float32(p16%65000) / 65536
		if p == 0 {
			return
		}
		checkDropout(t, src, dst0, p, seed)
	})
}

// BenchmarkDropout times the dropout kernels of a LoRA step on a
// [4096, 256] input at p = 0.05: the forward's dropInto and the backward's
// two masked passes (the rebuilt Dropout(x) and the masked add into dx);
// "ref" runs the element-at-a-time references, the same-run baseline.
// cpu-ns/op is the benchmark thread's CPU time (steady on a busy machine,
// unlike ns/op).
func BenchmarkDropout(b *testing.B) {
	r := testutil.RNG(1)
	src := testutil.Normal(r, 4096*256, 1)
	dst, t := make([]float32, len(src)), testutil.Normal(r, len(src), 1)
	for _, c := range []struct {
		name string
		run  func(rng *rand.Rand)
	}{
		{"vector", func(rng *rand.Rand) {
			kept, s := dropInto(dst, src, 0.05, rng)
			asm.MaskedScale(dst, src, s, kept)
			asm.MaskedAddScaled(dst, t, s, kept)
		}},
		{"ref", func(rng *rand.Rand) {
			kept, s := dropIntoRef(dst, src, 0.05, rng)
			maskedScaleRef(dst, src, s, kept, false)
			maskedScaleRef(dst, t, s, kept, true)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			rng := testutil.RNG(2)
			b.SetBytes(int64(4 * len(src)))
			c0, ok := testutil.ThreadCPU()
			for b.Loop() {
				c.run(rng)
			}
			if c1, _ := testutil.ThreadCPU(); ok {
				b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
