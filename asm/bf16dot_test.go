package asm

import (
	"math"
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
	ns := []int{1, 2, 3, 4, 5, 7, 8, 9, 17}
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

// TestBF16DotRounding pins the instruction semantics on hand-made rows, on
// the twin and every bf16 dot-product level: subnormal operands read as zero,
// a subnormal result flushed to zero, and the odd element of a pair added
// before the even one (elements 64 and 65 meet the 2²⁴ that elements 0, 1
// left in the same lane: odd first, 2²⁴ + 1 rounds to 2²⁴ and −2²⁴ then
// gives 0; even first would give 1).
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
	tests := []struct {
		name string
		x    []float32
		w    []uint16
		want float32
	}{
		{"subnormal x", row(2, map[int]float32{0: 1e-39}), ones(2), 0},
		{"subnormal w", row(2, map[int]float32{0: 1}), []uint16{0x0001, 0}, 0},
		{"subnormal product", row(2, map[int]float32{0: 0x1p-70}), []uint16{F32ToBF16(0x1p-70), 0}, 0},
		{"odd before even", row(128, map[int]float32{0: 1 << 24, 64: -1 << 24, 65: 1}), ones(128), 0},
		{"plain", row(128, map[int]float32{0: 3, 63: -0.5, 127: 0.25}), ones(128), 2.75},
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
			if c[0] != tc.want {
				t.Errorf("%s, %s: %g, want %g", name, tc.name, c[0], tc.want)
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
