package autograd

import (
	"math"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// checkGELUDeriv reports the first float32 bit pattern in [lo, hi) (bits
// of non-negative floats, or of negative ones walking away from zero),
// stepping by step, where geluDerivFast differs from geluDeriv.
func checkGELUDeriv(lo, hi, step uint32) (bad uint32, ok bool) {
	for b := lo; b < hi && b >= lo; b += step {
		x := math.Float32frombits(b)
		if got, want := geluDerivFast(x), geluDeriv(x); math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			return b, false
		}
	}
	return 0, true
}

// TestGELUDerivFast checks that the interpolated GELU derivative rounds to
// the bits of the float64 definition: on edge values (knots, zeros,
// subnormals, the range's ends, the derivative's zero near −0.7518, NaN,
// ±Inf), random inputs of several spreads, and every 1021st float32 of
// both signs up to past the range (fewer with -short); with LLINK_EXHAUSTIVE=1, every float32
// in the range (about 2.2·10⁹ values, a few minutes on two cores).
func TestGELUDerivFast(t *testing.T) {
	same := func(x float32) {
		t.Helper()
		if got, want := geluDerivFast(x), geluDeriv(x); math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("x = %g (%#08x): %g (%#08x), want %g (%#08x)", x, math.Float32bits(x), got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	edges := []float32{0, float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		1e-30, -1e-30, 1e-7, -1e-7, 0.5, -0.5, -0.7518, -0.75, 1, -1, 2.5, -2.5, 5.999, -5.999, 6, -6, 6.5, -6.5, 7, -20,
		math.MaxFloat32, -math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for k := -geluRange * 512; k <= geluRange*512; k += 7 { // knots and their neighbours
		v := float32(float64(k) * geluStep)
		edges = append(edges, v, math.Nextafter32(v, -10), math.Nextafter32(v, 10))
	}
	for _, x := range edges {
		same(x)
	}
	n, stride := 200000, uint32(1021)
	if testing.Short() {
		n, stride = 20000, 16381
	}
	r := testutil.RNG(9)
	for _, sd := range []float64{0.1, 1, 2, 4} {
		for range n {
			same(float32(r.NormFloat64() * sd))
		}
	}
	// Bit patterns from 0 up to 8.0 (0x41000000), then their negatives.
	for _, sign := range []uint32{0, 1 << 31} {
		if b, ok := checkGELUDeriv(sign, sign|0x41000000, stride); !ok {
			same(math.Float32frombits(b))
		}
	}
	if os.Getenv("LLINK_EXHAUSTIVE") != "1" {
		return
	}
	// Every float32 of magnitude below 6.5 (0x40d00000), both signs, split
	// over the cores.
	const top = 0x40d00000
	parts := 4 * runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	bads := make([]uint32, 2*parts)
	oks := make([]bool, 2*parts)
	for i := range 2 * parts {
		sign, p := uint32(i/parts)<<31, uint32(i%parts)
		wg.Go(func() {
			lo, hi := p*top/uint32(parts), (p+1)*top/uint32(parts)
			bads[i], oks[i] = checkGELUDeriv(sign|lo, sign|hi, 1)
		})
	}
	wg.Wait()
	for i, ok := range oks {
		if !ok {
			same(math.Float32frombits(bads[i]))
		}
	}
}

// BenchmarkGELUBackward times the GELU derivative over a Stage A batch's
// hidden layer (128 × 1024 normal activations): "fast" is the
// interpolation with its fallback, "exact" the float64 definition alone
// (the same-run baseline).
func BenchmarkGELUBackward(b *testing.B) {
	r := testutil.RNG(1)
	x := testutil.Normal(r, 128*1024, 1)
	dx := make([]float32, len(x))
	for _, c := range []struct {
		name string
		f    func(float32) float32
	}{{"fast", geluDerivFast}, {"exact", geluDeriv}} {
		b.Run(c.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c0, ok := testutil.ThreadCPU()
			for b.Loop() {
				for i, v := range x {
					dx[i] += c.f(v)
				}
			}
			if c1, _ := testutil.ThreadCPU(); ok {
				b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
