package eval

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMeanInterval(t *testing.T) {
	// Hand-computed: mean 0.3, sample sd 0.1, n 3 → half-width 4.303·0.1/√3.
	iv := MeanInterval([]float64{0.2, 0.3, 0.4})
	half := 4.303 * 0.1 / math.Sqrt(3)
	if math.Abs(iv.Est-0.3) > 1e-12 || math.Abs(iv.Lo-(0.3-half)) > 1e-12 || math.Abs(iv.Hi-(0.3+half)) > 1e-12 || iv.N != 3 {
		t.Fatalf("MeanInterval = %+v, want 0.3 ± %.6f", iv, half)
	}
	one := MeanInterval([]float64{0.7})
	if one.Est != 0.7 || !math.IsNaN(one.Lo) || !math.IsNaN(one.Hi) {
		t.Fatalf("one seed: %+v, want no interval", one)
	}
	if TCrit975(40) != 1.96 || !math.IsNaN(TCrit975(0)) || TCrit975(1) != 12.706 {
		t.Fatal("TCrit975 table ends wrong")
	}
}

func TestWilson(t *testing.T) {
	// Reference values (Wilson score interval, z = 1.96): 30/100 → [0.2189, 0.3958];
	// 0/20 → [0, 0.1611]; 20/20 → [0.8389, 1].
	for _, c := range []struct {
		k, n   int
		lo, hi float64
	}{{30, 100, 0.2189, 0.3958}, {0, 20, 0, 0.1611}, {20, 20, 0.8389, 1}} {
		iv := Wilson(c.k, c.n)
		if math.Abs(iv.Lo-c.lo) > 5e-4 || math.Abs(iv.Hi-c.hi) > 5e-4 {
			t.Errorf("Wilson(%d, %d) = [%.4f, %.4f], want [%.4f, %.4f]", c.k, c.n, iv.Lo, iv.Hi, c.lo, c.hi)
		}
	}
	if iv := Wilson(3, 0); !math.IsNaN(iv.Est) {
		t.Errorf("Wilson(3, 0) = %+v, want NaN", iv)
	}
}

// The paired bootstrap's interval covers the true difference about 95% of
// the time on simulated methods, is centred on the observed difference, and
// excludes 0 for a real difference while including it for none.
func TestPairedBootstrap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	sim := func(seeds, qs int, pa, pb float64) (a, b [][]float64) {
		for range seeds {
			ra, rb := make([]float64, qs), make([]float64, qs)
			for q := range qs {
				// Correlated questions: an easy question is easier for both.
				easy := r.Float64() < 0.5
				shift := -0.1
				if easy {
					shift = 0.1
				}
				if r.Float64() < pa+shift {
					ra[q] = 1
				}
				if r.Float64() < pb+shift {
					rb[q] = 1
				}
			}
			a, b = append(a, ra), append(b, rb)
		}
		return a, b
	}
	a, b := sim(3, 800, 0.45, 0.30)
	iv, err := PairedBootstrap(a, b, 2000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !iv.Excludes0() || iv.Lo > 0.15 || iv.Hi < 0.15 {
		t.Fatalf("difference 0.15: interval %+v", iv)
	}
	cover := 0
	const trials = 200
	for i := range trials {
		a, b := sim(1, 400, 0.4, 0.4)
		iv, err := PairedBootstrap(a, b, 500, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		if iv.Lo <= 0 && iv.Hi >= 0 {
			cover++
		}
	}
	if cover < trials*90/100 || cover == trials {
		t.Fatalf("interval covered the true difference 0 in %d of %d trials, want about 95%%", cover, trials)
	}
	if _, err := PairedBootstrap([][]float64{{1, 0}}, [][]float64{{1}}, 500, 1); err == nil {
		t.Fatal("unequal question counts accepted")
	}
	if _, err := PairedBootstrap([][]float64{{math.NaN()}}, [][]float64{{1}}, 500, 1); err == nil {
		t.Fatal("NaN score accepted")
	}
	if _, err := PairedBootstrap(nil, nil, 500, 1); err == nil {
		t.Fatal("no seeds accepted")
	}
}
