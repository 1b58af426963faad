package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/internal/refgemm"
	"github.com/llink-go/llink/internal/testutil"
)

// forEachLevel runs f once per available level with that level active.
func forEachLevel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, l := range Available() {
		t.Run(l.String(), func(t *testing.T) {
			defer SetLevel(l)()
			f(t)
		})
	}
}

const guard = 16 // sentinel floats on each side of C

// gemmCase is one randomised SGEMM problem.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	lda, ldb, ldc  int
	alpha, beta    float32
	dot            bool // bf16 runs SgemmBF16Dot
}

func (g gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d α=%g β=%g",
		g.transA, g.transB, g.m, g.n, g.k, g.lda, g.ldb, g.ldc, g.alpha, g.beta)
}

// operands returns random A and B for the case, as stored.
func (g gemmCase) operands(r *rand.Rand) (a, b []float32) {
	ar, ac := g.m, g.k
	if g.transA {
		ar, ac = g.k, g.m
	}
	br, bc := g.k, g.n
	if g.transB {
		br, bc = g.n, g.k
	}
	return testutil.Uniform(r, max(need(ar, ac, g.lda), 1)), testutil.Uniform(r, max(need(br, bc, g.ldb), 1))
}

// run executes the case with the active level (and bf16 B when bf16 is set)
// and returns "" or a description of the first wrong element.
func (g gemmCase) run(r *rand.Rand, bf16 bool) string {
	a, b := g.operands(r)
	var bh []uint16
	if bf16 {
		bh = make([]uint16, len(b))
		for i, v := range b {
			bh[i] = F32ToBF16(v)
			b[i] = BF16ToF32(bh[i]) // the reference sees the rounded weights
		}
	}
	nc := need(g.m, g.n, g.ldc)
	buf := testutil.Uniform(r, nc+2*guard)
	nan := float32(math.NaN())
	for i := 0; i < guard; i++ {
		buf[i], buf[guard+nc+i] = nan, nan
	}
	c := buf[guard : guard+nc]
	// Elements of C between rows (padding) are sentinels too.
	for i := 0; i < g.m; i++ {
		for j := g.n; j < g.ldc && i*g.ldc+j < nc; j++ {
			c[i*g.ldc+j] = nan
		}
	}
	if g.beta == 0 { // C must not be read: poison it
		for i := 0; i < g.m; i++ {
			for j := 0; j < g.n; j++ {
				c[i*g.ldc+j] = nan
			}
		}
	}
	c0 := append([]float32(nil), c...)
	aRef := a
	if bf16 && g.dot && cur.bf16dot != nil && g.m <= bf16MaxM && !g.transA && g.transB {
		// The bf16 dot-product matvec rounds A to bf16 (bf16dot.go).
		aRef = make([]float32, len(a))
		for i, v := range a {
			aRef[i] = bf16DAZ(F32ToBF16(v))
		}
	}
	ref, mag := refgemm.Compute(g.transA, g.transB, g.m, g.n, g.k, g.alpha, aRef, g.lda, b, g.ldb, g.beta, c0, g.ldc)
	if bf16 && g.dot {
		SgemmBF16Dot(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, g.lda, bh, g.ldb, g.beta, c, g.ldc)
	} else if bf16 {
		SgemmBF16(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, g.lda, bh, g.ldb, g.beta, c, g.ldc)
	} else {
		Sgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, g.lda, b, g.ldb, g.beta, c, g.ldc)
	}
	for i := 0; i < guard; i++ {
		if !math.IsNaN(float64(buf[i])) || !math.IsNaN(float64(buf[guard+nc+i])) {
			return "wrote outside C (guard band overwritten)"
		}
	}
	// Tolerance: any summation order of k products has error ≤ k·u·Σ|a·b|
	// (u = 2⁻²⁴); the α/β scaling adds a few u more. We allow 2(k+4)u, plus
	// a floor of 1e-30 so exact zeros compare.
	u := math.Ldexp(1, -24)
	tol := 2 * float64(g.k+4) * u
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.ldc && i*g.ldc+j < nc; j++ {
			got := float64(c[i*g.ldc+j])
			if j >= g.n {
				if !math.IsNaN(got) {
					return fmt.Sprintf("wrote padding C[%d,%d]", i, j)
				}
				continue
			}
			w, bound := ref[i*g.n+j], tol*mag[i*g.n+j]+1e-30
			if math.IsNaN(got) || math.Abs(got-w) > bound {
				return fmt.Sprintf("C[%d,%d] = %g, want %g (bound %g)", i, j, got, w, bound)
			}
		}
	}
	return ""
}

// randomCase draws a shape biased towards the edges of the tiles and blocks.
func randomCase(r *rand.Rand, mr, nr, kc int) gemmCase {
	pick := func(unit int) int {
		switch r.IntN(6) {
		case 0:
			return 1 + r.IntN(3)
		case 1:
			return max(1, unit+r.IntN(3)-1)
		case 2:
			return max(1, 2*unit+r.IntN(3)-1)
		case 3:
			primes := []int{2, 3, 5, 7, 13, 17, 31, 37, 61, 127, 131}
			return primes[r.IntN(len(primes))]
		case 4:
			return 1 + r.IntN(100)
		default:
			return 1 + r.IntN(300)
		}
	}
	g := gemmCase{transA: r.IntN(2) == 1, transB: r.IntN(2) == 1, m: pick(mr), n: pick(nr), k: pick(kc)}
	if r.IntN(20) == 0 {
		g.k = 0
	}
	pad := func() int {
		if r.IntN(2) == 0 {
			return 0
		}
		return 1 + r.IntN(5)
	}
	ac, bc := g.k, g.n
	if g.transA {
		ac = g.m
	}
	if g.transB {
		bc = g.k
	}
	g.lda, g.ldb, g.ldc = max(ac, 1)+pad(), max(bc, 1)+pad(), g.n+pad()
	alphas := []float32{1.5, -0.75, 1, 0.3}
	betas := []float32{0, 0.5, -1.25, 1}
	g.alpha, g.beta = alphas[r.IntN(len(alphas))], betas[r.IntN(len(betas))]
	return g
}

// TestSgemmRandom checks every level on ≥2,000 random shapes (per level,
// split between the cache-derived blocks and tiny blocks that make small
// shapes cross every MC/KC/NC edge), against the float64 reference.
func TestSgemmRandom(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 400
	}
	forEachLevel(t, func(t *testing.T) {
		mr, nr := TileSize()
		r := testutil.RNG(uint64(Active()) + 1)
		for i := 0; i < n; i++ {
			kc := cur.blocks().kc
			if i%2 == 1 {
				bl := blocking{mc: 2 * mr, kc: 7 + r.IntN(9), nc: 2 * nr}
				blockOverride, kc = &bl, bl.kc
			}
			g := randomCase(r, mr, nr, kc)
			msg := g.run(r, i%5 == 4)
			blockOverride = nil
			if msg != "" {
				t.Fatalf("case %d (%v, bf16=%v): %s", i, g, i%5 == 4, msg)
			}
		}
	})
}

// TestSgemmThreads checks the multi-threaded split (by rows and by columns)
// and the single-thread path give results within the reference bound.
func TestSgemmThreads(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(7)
		for _, th := range []int{1, 2, 3} {
			for _, g := range []gemmCase{
				{m: 301, n: 67, k: 129, lda: 129, ldb: 67, ldc: 67, alpha: 1, beta: 0},
				{m: 67, n: 301, k: 129, lda: 129, ldb: 301, ldc: 301, alpha: 0.5, beta: 1.5},
				{transA: true, transB: true, m: 130, n: 257, k: 77, lda: 130, ldb: 77, ldc: 260, alpha: -1, beta: 0.25},
				{m: 1, n: 1000, k: 300, transB: true, lda: 300, ldb: 300, ldc: 1000, alpha: 1, beta: 0.5},
				{m: 1000, n: 1, k: 300, lda: 300, ldb: 1, ldc: 1, alpha: 2, beta: 0},
			} {
				restore := SetThreads(th)
				msg := g.run(r, false)
				if msg == "" {
					msg = g.run(r, true)
				}
				restore()
				if msg != "" {
					t.Fatalf("threads=%d %v: %s", th, g, msg)
				}
			}
		}
	})
}

func TestSgemmLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large shapes in -short mode: covered by TestSgemmRandom at small sizes")
	}
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(11)
		for _, g := range []gemmCase{
			{transA: true, m: 600, n: 520, k: 700, lda: 600, ldb: 520, ldc: 520, alpha: 1, beta: 0},
			{transB: true, m: 129, n: 1031, k: 513, lda: 513, ldb: 513, ldc: 1031, alpha: 1, beta: 1},
		} {
			if msg := g.run(r, false); msg != "" {
				t.Fatalf("%v: %s", g, msg)
			}
		}
	})
}

func TestSgemmStrided(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(3)
		const batch, m, n, k = 5, 17, 33, 31
		a := testutil.Uniform(r, batch*(m*k+1))
		b := testutil.Uniform(r, batch*(k*n+1))
		c := testutil.Uniform(r, batch*(m*n+1))
		c0 := append([]float32(nil), c...)
		SgemmStrided(false, true, m, n, k, 0.5, a, k, m*k+1, b, k, k*n+1, 2, c, n, m*n+1, batch)
		for i := 0; i < batch; i++ {
			want, mag := refgemm.Compute(false, true, m, n, k, 0.5, a[i*(m*k+1):], k, b[i*(k*n+1):], k, 2, c0[i*(m*n+1):], n)
			got := c[i*(m*n+1) : i*(m*n+1)+m*n]
			for j := range got {
				if math.Abs(float64(got[j])-want[j]) > 1e-5*mag[j]+1e-30 {
					t.Fatalf("batch %d elem %d: got %g want %g", i, j, got[j], want[j])
				}
			}
		}
	})
}

func TestSgemmBadArgs(t *testing.T) {
	cases := []struct {
		name string
		f    func()
	}{
		{"short a", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}},
		{"short c", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
		}},
		{"small lda", func() {
			Sgemm(false, false, 2, 2, 3, 1, make([]float32, 9), 2, make([]float32, 9), 2, 0, make([]float32, 4), 2)
		}},
		{"negative", func() { Sgemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) }},
	}
	for _, c := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			c.f()
		}()
	}
}
