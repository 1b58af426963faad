package asm

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// TestProducts checks that Products gives every product exactly the bits of
// its own call (SgemmQ, SgemmBF16Dot, Sgemm) on every level, for 1–4 rows
// of X, on 1–3 threads with callers competing for the pool: sets of
// products that split together (large quantised, bf16 and f32 matrices of
// awkward row counts, packed K types with rows past the last group) beside
// ones that run on their own (under the split thresholds).
func TestProducts(t *testing.T) {
	const k = 1024
	r := testutil.RNG(91)
	x := testutil.Normal(r, bf16MaxM*k+7, 1)
	q := func(qt QType, n int, packed bool) Product {
		w := randomQMatrix(t, r, qt, n, k)
		if packed {
			w = &QMatrix{Type: qt, Rows: n, Cols: k, Blocks: bytes.Clone(w.Blocks)}
			w.Repack()
		}
		return Product{Q: w}
	}
	bf := func(n int) Product {
		h := make([]uint16, n*k)
		F32ToBF16Slice(h, testutil.Normal(r, n*k, 0.05))
		return Product{BF16: h, Rows: n}
	}
	f32 := func(n int) Product { return Product{F32: testutil.Normal(r, n*k, 0.05), Rows: n} }
	sets := [][]Product{
		// q, k, v of a Q4_K_M layer: packed Q4_K and Q6_K, with rows past
		// the last group, and a small one on its own.
		{q(Q4_K, 1047, true), q(Q4_K, 600, true), q(Q6_K, 333, true), q(Q6_K, 40, true)},
		// gate and up, stored layout; a small one beside them.
		{q(Q4_0, 517, false), q(Q8_0, 333, false), q(Q4_K, 17, false), q(Q6_K, 129, false)},
		{bf(1030), bf(517), bf(200), bf(7), bf(33)},
		{f32(1030), f32(1031), f32(3)},
		{q(Q4_K, 15, true), q(Q8_0, 600, false), bf(600), f32(1100)},
	}
	run := func(ps []Product, m int, fused bool) [][]float32 {
		out := make([][]float32, len(ps))
		mine := make([]Product, len(ps))
		for i, p := range ps {
			n := p.Rows
			if p.Q != nil {
				n = p.Q.Rows
			}
			ldc := n + 3
			out[i] = make([]float32, (m-1)*ldc+n)
			for j := range out[i] {
				out[i][j] = float32(math.NaN())
			}
			p.C, p.LDC = out[i], ldc
			mine[i] = p
		}
		if fused {
			Products(m, x[1:], k+2, k, mine)
			return out
		}
		for _, p := range mine {
			switch {
			case p.Q != nil:
				SgemmQ(m, x[1:], k+2, p.Q, p.C, p.LDC)
			case p.BF16 != nil:
				SgemmBF16Dot(false, true, m, p.Rows, k, 1, x[1:], k+2, p.BF16, k, 0, p.C, p.LDC)
			default:
				Sgemm(false, true, m, p.Rows, k, 1, x[1:], k+2, p.F32, k, 0, p.C, p.LDC)
			}
		}
		return out
	}
	forEachLevel(t, func(t *testing.T) {
		for si, ps := range sets {
			for m := 1; m <= bf16MaxM; m++ {
				restore := SetThreads(1)
				want := run(ps, m, false)
				restore()
				for _, th := range []int{1, 2, 3} {
					restore := SetThreads(th)
					got := concurrentCalls(3, func() [][]float32 { return run(ps, m, true) })
					restore()
					for g := range got {
						for p := range want {
							if i := firstBitDiff(got[g][p], want[p]); i >= 0 {
								t.Fatalf("set %d m=%d threads=%d caller %d product %d: c[%d] = %g, own call on one thread %g", si, m, th, g, p, i, got[g][p][i], want[p][i])
							}
						}
					}
				}
			}
		}
	})
}

// TestProductsErrors checks that malformed products are refused with the
// product's index.
func TestProductsErrors(t *testing.T) {
	w := randomQMatrix(t, testutil.RNG(3), Q8_0, 4, 64)
	c := make([]float32, 8)
	x := make([]float32, 64)
	for _, tc := range []struct {
		name string
		p    Product
	}{
		{"none", Product{Rows: 4, C: c, LDC: 4}},
		{"two", Product{Q: w, F32: make([]float32, 256), Rows: 4, C: c, LDC: 4}},
		{"cols", Product{Q: &QMatrix{Type: Q8_0, Rows: 4, Cols: 32, Blocks: w.Blocks[:4*34]}, C: c, LDC: 4}},
		{"rows", Product{Q: w, Rows: 3, C: c, LDC: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if e := recover(); e == nil || !bytes.Contains([]byte(fmt.Sprint(e)), []byte("product 1")) {
					t.Fatalf("panic %v, want one naming product 1", e)
				}
			}()
			Products(1, x, 64, 64, []Product{{Q: w, C: c, LDC: 4}, tc.p})
		})
	}
}

// firstBitDiff returns the first index at which got and want differ in
// their bits, or -1.
func firstBitDiff(got, want []float32) int {
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return i
		}
	}
	return -1
}
