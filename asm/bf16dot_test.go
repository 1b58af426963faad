package asm

import (
	"math"
	"sync"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// TestBF16DotExact checks every bf16 dot-product level's matvec against its
// Go twin bit for bit (the twin emulates VDPBF16PS lane by lane and the
// kernel's reduction order) on awkward k around the 32- and 64-element
// blocks, row counts around the four-row groups, and m = 1..4; and the twin
// against a float64 reference of the bf16-rounded operands within
// (k+1)·u·Σ|terms|. Operands sit among NaN sentinels (newBF16Case).
func TestBF16DotExact(t *testing.T) {
	ks := []int{0, 1, 2, 3, 7, 15, 17, 31, 32, 33, 63, 64, 65, 95, 127, 129, 255, 300, 1000, 2048}
	ns := []int{1, 2, 3, 4, 5, 7, 8, 9, 17, 33, 131}
	levels := []Level{Generic} // the twin alone, on every machine
	for _, l := range Available() {
		if tables[l].bf16dot != nil {
			levels = append(levels, l)
		}
	}
	for _, l := range levels {
		f := bf16mvKernel(bf16mvDotGeneric)
		if l != Generic {
			f = tables[l].bf16dot
		}
		t.Run(l.String(), func(t *testing.T) {
			r := testutil.RNG(31)
			for _, k := range ks {
				for _, n := range ns {
					m := 1 + (k+n)%bf16MaxM
					g := newBF16Case(r, m, n, k, (k+n)%16)
					g.run(bf16mvDotGeneric)
					twin := append([]float32(nil), g.c...)
					for i := range g.c {
						g.c[i] = float32(math.NaN())
					}
					g.run(f)
					if msg := g.check(nil, true); msg != "" {
						t.Fatalf("m=%d n=%d k=%d: %s", m, n, k, msg)
					}
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							got, want := g.c[i*g.ldc+j], twin[i*g.ldc+j]
							if math.Float32bits(got) != math.Float32bits(want) {
								t.Fatalf("m=%d n=%d k=%d: C[%d,%d] = %g (%#x), twin %g (%#x)", m, n, k, i, j, got, math.Float32bits(got), want, math.Float32bits(want))
							}
						}
					}
				}
			}
		})
	}
}

// TestBF16DotRounding pins the instruction semantics on hand-made rows, bit
// for bit, on the twin and every bf16 dot-product level: subnormal operands
// read as zero, a subnormal result flushed to zero, the odd element of a
// pair added before the even one (elements 64 and 65 meet the 2²⁴ that
// elements 0, 1 left in the same lane: odd first, 2²⁴ + 1 rounds to 2²⁴ and
// −2²⁴ then gives 0; even first would give 1), each product added unrounded
// (a fused multiply-add: found by FuzzBF16MatVec, whose seed 4cad6082f769e4c9
// has two overflowing products of opposite signs), and which NaN survives.
func TestBF16DotRounding(t *testing.T) {
	row := func(k int, set map[int]float32) []float32 {
		x := make([]float32, k)
		for i, v := range set {
			x[i] = v
		}
		return x
	}
	ones := func(k int) []uint16 {
		w := make([]uint16, k)
		for i := range w {
			w[i] = F32ToBF16(1)
		}
		return w
	}
	bf := func(vs ...float32) []uint16 {
		w := make([]uint16, len(vs))
		F32ToBF16Slice(w, vs)
		return w
	}
	pairs := func(k int, even, odd float32) []float32 {
		x := make([]float32, k)
		for i := 0; i < k; i += 2 {
			x[i], x[i+1] = even, odd
		}
		return x
	}
	nan := func(bits uint32) float32 { return math.Float32frombits(bits) }
	inf := float32(math.Inf(1))
	tests := []struct {
		name string
		x    []float32
		w    []uint16
		want float32
	}{
		{"subnormal x", row(2, map[int]float32{0: 1e-39}), ones(2), 0},
		{"subnormal w", row(2, map[int]float32{0: 1}), []uint16{0x0001, 0}, 0},
		{"subnormal product", row(2, map[int]float32{0: 0x1p-70}), []uint16{F32ToBF16(0x1p-70), 0}, 0},
		// In every lane 2⁻¹²⁶ − 1.5·2⁻¹²⁶ = −2⁻¹²⁷, flushed to −0.
		{"flushed to a zero of its sign", pairs(64, -0x1p-63, 0x1p-63), bf(pairs(64, 0x1.8p-63, 0x1p-63)...), float32(math.Copysign(0, -1))},
		{"odd before even", row(128, map[int]float32{0: 1 << 24, 64: -1 << 24, 65: 1}), ones(128), 0},
		{"plain", row(128, map[int]float32{0: 3, 63: -0.5, 127: 0.25}), ones(128), 2.75},
		{"overflowing products of opposite signs", []float32{-0x1p100, 0x1p100}, bf(0x1p100, 0x1p100), inf},
		{"overflowing product, finite sum", []float32{0x1p64, -0x1p64}, bf(0x1p64, 0x1p63), 0x1p127},
		{"underflowing product, exact", []float32{0x1.4p-100, 0x1p-63}, bf(0x1p-49, 0x1p-62), 0x1p-125 + 0x1p-148},
		{"Inf·0 is NaN", []float32{0, inf}, bf(0, 0), nan(0xffc00000)},
		{"Inf·subnormal is NaN", []float32{0, inf}, []uint16{0, 0x0001}, nan(0xffc00000)},
		{"the product's NaN over the sum's", []float32{nan(0xffc20000), nan(0x7fc10000)}, ones(2), nan(0xffc20000)},
		{"x's NaN over w's", []float32{0, nan(0x7fc10000)}, []uint16{0, 0xffc2}, nan(0x7fc10000)},
	}
	kernels := map[string]bf16mvKernel{"twin": bf16mvDotGeneric}
	for _, l := range Available() {
		if tables[l].bf16dot != nil {
			kernels[l.String()] = tables[l].bf16dot
		}
	}
	for name, f := range kernels {
		for _, tc := range tests {
			var c [1]float32
			k := len(tc.x)
			f(1, 1, k, tc.x, k, tc.w, k, c[:], 1)
			if math.Float32bits(c[0]) != math.Float32bits(tc.want) {
				t.Errorf("%s, %s: %g (%#x), want %g (%#x)", name, tc.name, c[0], math.Float32bits(c[0]), tc.want, math.Float32bits(tc.want))
			}
		}
	}
}

// TestBF16DotAccuracy states the cost of rounding the activations: on
// decode-like rows (normal x and weights, k = 2048) the dot product's error
// against the float64 value with x unrounded stays within 2⁻⁸·Σ|terms|
// (each product carries x's rounding, relative 2⁻⁹ at most, plus the float32
// sums), while the twin with x unrounded is exact to the float32 bound.
func TestBF16DotAccuracy(t *testing.T) {
	r := testutil.RNG(32)
	const k = 2048
	for trial := range 20 {
		x := testutil.Normal(r, k, 1)
		w := make([]uint16, k)
		F32ToBF16Slice(w, testutil.Normal(r, k, 0.02))
		xb := make([]uint16, k)
		f32ToBF16Generic(xb, x)
		got := float64(bf16DotRowGeneric(xb, w))
		var ref, mag float64
		for p := range k {
			tm := float64(x[p]) * float64(BF16ToF32(w[p]))
			ref, mag = ref+tm, mag+math.Abs(tm)
		}
		if d := math.Abs(got - ref); d > mag/256 {
			t.Errorf("trial %d: %g, want %g (|diff| %g > Σ|terms|/256 = %g)", trial, got, ref, d, mag/256)
		}
	}
}

// TestBF16DotExtremes checks every bf16 dot-product level against its twin
// bit for bit on operands drawn where the instruction's semantics show:
// infinities and NaNs (quiet and signalling, both signs), subnormals,
// values whose products overflow float32, and values whose products and
// sums straddle the smallest normal (the flush to zero after rounding).
func TestBF16DotExtremes(t *testing.T) {
	var levels []Level
	for _, l := range Available() {
		if tables[l].bf16dot != nil {
			levels = append(levels, l)
		}
	}
	if len(levels) == 0 {
		t.Skip("no bf16 dot-product kernel on this machine (the twin's semantics are pinned by TestBF16DotRounding)")
	}
	r := testutil.RNG(33)
	// extreme returns a bf16 value of one of the classes above; tiny
	// (exponents around 2⁻⁶³) pairs up into products near 2⁻¹²⁶.
	extreme := func() uint16 {
		sign := uint16(r.IntN(2)) << 15
		switch r.IntN(7) {
		case 0:
			return uint16(r.IntN(1 << 16))
		case 1:
			return sign | 0x7f80 | uint16(r.IntN(3))<<5 | uint16(r.IntN(2)) // Inf, NaNs
		case 2:
			return sign | uint16(r.IntN(0x100)) // subnormal or the smallest normals
		case 3:
			return sign | uint16(0x7f00+r.IntN(0x80)) // near the largest
		case 4, 5:
			return sign | uint16(61+r.IntN(7))<<7 | uint16(r.IntN(128)) // near 2⁻⁶³
		default:
			return F32ToBF16(float32(r.NormFloat64()))
		}
	}
	trials := 4000
	if testing.Short() {
		trials = 500
	}
	for _, l := range levels {
		for trial := range trials {
			m, n, k := 1+r.IntN(bf16MaxM), 1+r.IntN(6), 1+r.IntN(140)
			x := make([]float32, m*k)
			b := make([]uint16, n*k)
			for i := range x {
				x[i] = BF16ToF32(extreme())
			}
			for i := range b {
				b[i] = extreme()
			}
			got, want := make([]float32, m*n), make([]float32, m*n)
			tables[l].bf16dot(m, n, k, x, k, b, k, got, n)
			bf16mvDotGeneric(m, n, k, x, k, b, k, want, n)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s trial %d m=%d n=%d k=%d: C[%d] = %g (%#x), twin %g (%#x)", l, trial, m, n, k, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
}

// TestDecodeSplit checks that the decoding matvecs split over threads
// (parallelChunks) give bit for bit their one-thread results — float32,
// bf16 with f32 and bf16 activations, and every quantised type — on row counts that
// leave ragged chunks, also with several callers at once competing for the
// pool (a caller then runs the chunks no worker took).
func TestDecodeSplit(t *testing.T) {
	const k = 1024
	r := testutil.RNG(77)
	x := testutil.Uniform(r, 4*k)
	for _, n := range []int{517, 1030} { // 2·n·k ≥ bf16SplitBytes; 4·1030·k ≥ pollSplitBytes
		wf := testutil.Uniform(r, n*k)
		wb := make([]uint16, n*k)
		F32ToBF16Slice(wb, wf)
		qs := map[QType]*QMatrix{}
		for _, qt := range allQTypes {
			bs := make([]byte, n*k/qt.BlockWeights()*qt.BlockBytes())
			Quantize(qt, bs, testutil.Normal(r, n*k, 0.05))
			qs[qt], _ = NewQMatrix(qt, n, k, bs)
		}
		run := func(m int) [][]float32 {
			var out [][]float32
			for _, f := range []func(x []float32, c []float32){
				func(x, c []float32) { Sgemm(false, true, m, n, k, 1, x, k, wf, k, 0, c, n) },
				func(x, c []float32) { SgemmBF16(false, true, m, n, k, 1, x, k, wb, k, 0, c, n) },
				func(x, c []float32) { SgemmBF16Dot(false, true, m, n, k, 1, x, k, wb, k, 0, c, n) },
				func(x, c []float32) { SgemmQ(m, x, k, qs[Q8_0], c, n) },
				func(x, c []float32) { SgemmQ(m, x, k, qs[Q4_0], c, n) },
				func(x, c []float32) { SgemmQ(m, x, k, qs[Q4_K], c, n) },
				func(x, c []float32) { SgemmQ(m, x, k, qs[Q6_K], c, n) },
			} {
				c := make([]float32, m*n)
				f(x, c)
				out = append(out, c)
			}
			return out
		}
		for m := 1; m <= bf16MaxM; m++ {
			restore := SetThreads(1)
			want := run(m)
			restore()
			for _, th := range []int{2, 3} {
				restore := SetThreads(th)
				got := concurrentCalls(3, func() [][]float32 { return run(m) })
				restore()
				for g := range got {
					for f := range want {
						if i := firstBitDiff(got[g][f], want[f]); i >= 0 {
							t.Fatalf("n=%d m=%d threads=%d caller %d kernel %d: c[%d] = %g, one thread %g", n, m, th, g, f, i, got[g][f][i], want[f][i])
						}
					}
				}
			}
		}
	}
}

// concurrentCalls runs call on n goroutines at once and returns their
// results, for tests of kernels whose callers compete for the pool.
func concurrentCalls(n int, call func() [][]float32) [][][]float32 {
	var wg sync.WaitGroup
	got := make([][][]float32, n)
	for g := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[g] = call() }()
	}
	wg.Wait()
	return got
}
