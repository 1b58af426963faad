package eval

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestRanksHandMade(t *testing.T) {
	// Row 0: positive best. Row 1: one candidate above, one tied (ties count
	// against): rank 3. Row 2: positive worst of 4: rank 4. Row 3: rank 2.
	sim := []float32{
		0.9, 0.1, 0.2, 0.3,
		0.8, 0.5, 0.5, 0.1,
		0.7, 0.6, 0.0, 0.3,
		0.1, 0.2, 0.9, 0.4,
	}
	ranks, err := RanksFromSimilarity(sim, 4)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 3, 4, 2}; !slices.Equal(ranks, want) {
		t.Fatalf("ranks %v, want %v", ranks, want)
	}
	m := FromRanks(ranks)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"R1", m.R1, 0.25},
		{"R5", m.R5, 1},
		{"MRR", m.MRR, (1 + 1.0/3 + 1.0/4 + 1.0/2) / 4},
		{"mean rank", m.MeanRank, 2.5},
		{"median rank", m.MedianRank, 2.5},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// The reverse direction uses the transposed matrix.
	rev, _ := RanksFromSimilarity(Transpose(sim, 4), 4)
	if want := []int{1, 2, 4, 1}; !slices.Equal(rev, want) {
		t.Fatalf("reverse ranks %v, want %v", rev, want)
	}
}

// TestMRRBound checks the bound the LLINK paper's table violates: with
// R@1 .450, R@5 .724, R@10 .835, MRR ≤ .45 + (.724−.45)/2 + (.835−.724)/6 +
// .165/11 ≈ .62, so a reported .660 is impossible. Our MRR obeys the bound.
func TestMRRBound(t *testing.T) {
	n := 1000
	ranks := make([]int, 0, n)
	add := func(k, r int) {
		for i := 0; i < k; i++ {
			ranks = append(ranks, r)
		}
	}
	add(450, 1)
	add(274, 2) // best case for MRR within R@5
	add(111, 6)
	add(165, 11)
	m := FromRanks(ranks)
	if math.Abs(m.R1-0.45) > 1e-9 || math.Abs(m.R5-0.724) > 1e-9 || math.Abs(m.R10-0.835) > 1e-9 {
		t.Fatalf("recalls %v %v %v", m.R1, m.R5, m.R10)
	}
	if m.MRR > 0.63 || m.MRR < 0.6 {
		t.Fatalf("best-case MRR %v, want ≈ .62 (< .66 the paper reports)", m.MRR)
	}
}

func TestCosineRetrieval(t *testing.T) {
	// Candidates are the queries scaled (cosine 1 with their own query) and
	// rotated slightly: perfect retrieval.
	q := []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}
	c := []float32{2, 0.1, 0, 0, 3, 0.1, 0.1, 0, 5}
	m, err := CosineRetrieval(q, c, 3, 3)
	if err != nil || m.R1 != 1 || m.MRR != 1 {
		t.Fatalf("got %+v, %v", m, err)
	}
	if _, err := CosineRetrieval(q, make([]float32, 9), 3, 3); err == nil || !strings.Contains(err.Error(), "candidate row 0") {
		t.Fatalf("zero candidate: %v", err)
	}
	if _, err := RanksFromSimilarity([]float32{1, float32(math.NaN()), 0, 1}, 2); err == nil {
		t.Fatal("NaN similarity accepted")
	}
}

func TestNormalizeAnswer(t *testing.T) {
	cases := []struct{ in, want string }{
		{"The Mekong.", "mekong"},
		{"  Sok   Dara ", "sok dara"},
		{"1,500 MW", "1500 mw"},
		{"១៥០០ MW", "1500 mw"},
		{"3.5 km!", "3.5 km"},
		{"25%", "25 %"},
		{"Yes.", "yes"},
	}
	for _, c := range cases {
		if got := NormalizeAnswer(c.in); got != c.want {
			t.Errorf("NormalizeAnswer(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if !ExactMatch("An apple", "apple") || ExactMatch("30 MW", "1.5 kW") {
		t.Error("ExactMatch wrong")
	}
}

func TestChrF(t *testing.T) {
	if got := ChrF("the cat sat", "the cat sat"); math.Abs(got-100) > 1e-9 {
		t.Errorf("identical chrF = %v", got)
	}
	if got := ChrF("xyz", "abc"); got != 0 {
		t.Errorf("disjoint chrF = %v", got)
	}
	// Hand computation: 1-grams P = R = 1/2, 2-grams P = R = 0, no higher
	// orders: averaged P = R = 1/4, F2 = 5·P·R/(4P+R) = 1/4.
	if got := ChrF("ab", "ac"); math.Abs(got-25) > 1e-9 {
		t.Errorf("chrF(ab, ac) = %v, want 25", got)
	}
	// Whitespace is ignored and recall weighs more than precision.
	short, long := ChrF("cat", "the cat"), ChrF("the cat sat on", "the cat")
	if short >= long {
		t.Errorf("recall should dominate: short %v long %v", short, long)
	}
	var st ChrFStats
	st.Add("ab", "ac")
	st.Add("the cat sat", "the cat sat")
	if s := st.Score(); s <= 25 || s >= 100 {
		t.Errorf("corpus chrF %v out of range", s)
	}
}

func TestNumericFidelity(t *testing.T) {
	cases := []struct {
		out, ref   string
		match, tot int
	}{
		{"The plant makes 30 MW.", "A 30 MW plant", 1, 1},
		{"The plant makes 1.5 kW.", "A 30 MW plant", 0, 1},
		{"It costs $1,200 and is 5 km away", "It is 5 km away and costs 1200 dollars", 2, 2},
		{"៣០ MW", "30 MW", 1, 1},
		{"30 km", "30 MW", 0, 1},
		{"in 2019", "in 2019 and 2020", 1, 2},
		{"no numbers", "no numbers", 0, 0},
		{"25% growth", "growth of 25 percent", 1, 1},
		{"a 70 MW farm", "a capacity of 70 megawatts", 1, 1},
		{"a 70 kW farm", "a capacity of 70 megawatts", 0, 1},
	}
	for _, c := range cases {
		m, n := NumericFidelity(c.out, c.ref)
		if m != c.match || n != c.tot {
			t.Errorf("NumericFidelity(%q, %q) = %d/%d, want %d/%d (quantities %v)", c.out, c.ref, m, n, c.match, c.tot, Quantities(c.ref))
		}
	}
}

// TestBothWays checks both directions and the corner on a hand-made case:
// query 0 is closest to candidate 1 and query 1 to candidate 1, so forward
// R@1 is 1/2 (query 1 only), and candidate 0's nearest query is query 0,
// candidate 1's query 1 (backward R@1 1).
func TestBothWays(t *testing.T) {
	q := []float32{0.6, 0.8, 0, 1} // query 0 at 53°, query 1 at 90°
	c := []float32{1, 0, 0, 1}     // candidate 0 at 0°, candidate 1 at 90°
	f, b, corner, err := BothWays(q, c, 2, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if f.R1 != 0.5 || b.R1 != 1 {
		t.Fatalf("forward R@1 %v, backward R@1 %v; want 0.5, 1", f.R1, b.R1)
	}
	if len(corner) != 1 || math.Abs(float64(corner[0])-0.6) > 1e-6 {
		t.Fatalf("corner %v, want [0.6]", corner)
	}
}
