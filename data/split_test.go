package data

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// synthPairs returns pairs from packages named p00, p01, … with sizes[i]
// pairs each; every Khmer text is distinct unless shared is set, when the
// last pair of each package repeats the Khmer text "shared".
func synthPairs(sizes []int, shared bool) []Pair {
	var out []Pair
	for i, n := range sizes {
		pkg := fmt.Sprintf("p%02d", i)
		for j := 0; j < n; j++ {
			km := fmt.Sprintf("ខ %s %d", pkg, j)
			if shared && j == n-1 {
				km = "shared"
			}
			out = append(out, Pair{English: fmt.Sprintf("e %s %d", pkg, j), Foreign: km, Source: pkg + ":/usr/share/locale/km/x.mo#" + fmt.Sprint(j)})
		}
	}
	return out
}

func TestSourcePackage(t *testing.T) {
	for src, want := range map[string]string{
		"nautilus:/usr/share/locale/km/LC_MESSAGES/nautilus.mo#Open": "nautilus",
		"libreoffice-help-km:text/shared/a.html#par_id1":             "libreoffice-help-km",
		"": "",
	} {
		if got := SourcePackage(Pair{Source: src}); got != want {
			t.Errorf("SourcePackage(%q) = %q, want %q", src, got, want)
		}
	}
}

func TestSplitByPackage(t *testing.T) {
	sizes := []int{400, 30, 25, 20, 18, 15, 12, 10, 8, 5, 3, 2}
	pairs := synthPairs(sizes, false)
	c := PackageSplitConfig{TestPairs: 30, DevPairs: 20, MaxShare: 0.3, Seed: 3}
	s, err := SplitByPackage(pairs, c)
	if err != nil {
		t.Fatal(err)
	}
	pkgsOf := func(ps []Pair) []string {
		var out []string
		for _, p := range ps {
			if k := SourcePackage(p); !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	if got := pkgsOf(s.Train); !reflect.DeepEqual(got, s.TrainPackages) {
		t.Errorf("train pairs from %v, TrainPackages %v", got, s.TrainPackages)
	}
	if got := pkgsOf(s.Dev); !reflect.DeepEqual(got, s.DevPackages) {
		t.Errorf("dev pairs from %v, DevPackages %v", got, s.DevPackages)
	}
	if got := pkgsOf(s.Test); !reflect.DeepEqual(got, s.TestPackages) {
		t.Errorf("test pairs from %v, TestPackages %v", got, s.TestPackages)
	}
	// Every package in exactly one split, every pair kept.
	all := append(append(slices.Clone(s.TrainPackages), s.DevPackages...), s.TestPackages...)
	slices.Sort(all)
	if want := pkgsOf(pairs); !reflect.DeepEqual(all, want) {
		t.Errorf("packages %v, want each of %v once", all, want)
	}
	if n := len(s.Train) + len(s.Dev) + len(s.Test); n != len(pairs) || s.DroppedSeen != 0 {
		t.Errorf("%d pairs in the splits (%d dropped), want %d", n, s.DroppedSeen, len(pairs))
	}
	if len(s.Test) < c.TestPairs || len(s.Dev) < c.DevPairs {
		t.Errorf("test %d, dev %d pairs; want at least %d and %d", len(s.Test), len(s.Dev), c.TestPairs, c.DevPairs)
	}
	// The package over MaxShare trains.
	if !slices.Contains(s.TrainPackages, "p00") {
		t.Errorf("the large package p00 was held out: train %v", s.TrainPackages)
	}
	// Deterministic for a seed; another seed holds out other packages.
	again, _ := SplitByPackage(pairs, c)
	if !reflect.DeepEqual(s, again) {
		t.Error("the same seed gave another split")
	}
	differs := false
	for seed := uint64(4); seed < 8 && !differs; seed++ {
		c.Seed = seed
		o, err := SplitByPackage(pairs, c)
		if err != nil {
			t.Fatal(err)
		}
		differs = !reflect.DeepEqual(o.TestPackages, s.TestPackages)
	}
	if !differs {
		t.Error("four other seeds held out the same test packages")
	}
	// Input order is kept within a split.
	for _, ps := range [][]Pair{s.Train, s.Dev, s.Test} {
		idx := make([]int, len(ps))
		for i, p := range ps {
			idx[i] = slices.IndexFunc(pairs, func(q Pair) bool { return q.Source == p.Source })
		}
		if !slices.IsSorted(idx) {
			t.Error("a split's pairs are out of input order")
		}
	}
}

func TestSplitByPackageDropsTrainingStrings(t *testing.T) {
	pairs := synthPairs([]int{10, 10, 10, 10, 10, 10}, true)
	s, err := SplitByPackage(pairs, PackageSplitConfig{TestPairs: 10, DevPairs: 10, MaxShare: 0.5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Train holds at least one package, so "shared" is a training string and
	// the held-out packages each lose their last pair.
	if want := len(s.DevPackages) + len(s.TestPackages); s.DroppedSeen != want {
		t.Errorf("dropped %d, want %d (one per held-out package)", s.DroppedSeen, want)
	}
	for _, p := range append(slices.Clone(s.Dev), s.Test...) {
		if p.Foreign == "shared" {
			t.Errorf("held-out pair %q repeats a training string", p.Source)
		}
	}
}

func TestSplitByPackageErrors(t *testing.T) {
	noSource := synthPairs([]int{5, 5}, false)
	noSource[3].Source = ""
	for _, tc := range []struct {
		name  string
		pairs []Pair
		c     PackageSplitConfig
		want  string
	}{
		{"no source", noSource, PackageSplitConfig{TestPairs: 1, DevPairs: 1}, "pair 3"},
		{"too few held out", synthPairs([]int{50, 5, 5}, false), PackageSplitConfig{TestPairs: 5, DevPairs: 20}, "want 5 and 20"},
		{"zero size", synthPairs([]int{5, 5}, false), PackageSplitConfig{TestPairs: 0, DevPairs: 1}, "positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SplitByPackage(tc.pairs, tc.c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestHoldOut(t *testing.T) {
	pairs := synthPairs([]int{40}, false)
	pool, rest, err := HoldOut(pairs, 25, 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(pool) != 25 || len(rest) != 15 {
		t.Fatalf("pool %d, rest %d", len(pool), len(rest))
	}
	seen := map[string]bool{}
	for _, p := range append(slices.Clone(pool), rest...) {
		if seen[p.Source] {
			t.Fatalf("%s in both", p.Source)
		}
		seen[p.Source] = true
	}
	if reflect.DeepEqual(pool, pairs[:25]) {
		t.Error("the pool is the first pairs, not a draw")
	}
	again, _, _ := HoldOut(pairs, 25, 9)
	if !reflect.DeepEqual(pool, again) {
		t.Error("the same seed drew another pool")
	}
	if _, _, err := HoldOut(pairs, 41, 9); err == nil {
		t.Error("a pool larger than the pairs was accepted")
	}
}

func TestPackageSplitHeldOut(t *testing.T) {
	s, err := SplitByPackage(synthPairs([]int{200, 40, 40, 40, 40, 40, 40}, false), PackageSplitConfig{TestPairs: 60, DevPairs: 60, MaxShare: 0.5, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, onDev := range []bool{false, true} {
		sel, pool, rest, err := s.HeldOut(onDev, 10, 30, 1)
		if err != nil {
			t.Fatal(err)
		}
		from := s.Test
		if onDev {
			from = s.Dev[10:]
		}
		if !reflect.DeepEqual(sel, s.Dev[:10]) || len(pool) != 30 || len(pool)+len(rest) != len(from) {
			t.Fatalf("onDev %v: selection %d, pool %d, rest %d of %d", onDev, len(sel), len(pool), len(rest), len(from))
		}
		for _, p := range append(slices.Clone(pool), rest...) {
			if !slices.ContainsFunc(from, func(q Pair) bool { return q.Source == p.Source }) {
				t.Fatalf("onDev %v: %s is not from the held-out split", onDev, p.Source)
			}
		}
	}
	if _, _, _, err := s.HeldOut(false, len(s.Dev)+1, 30, 1); err == nil {
		t.Error("more selection pairs than dev pairs was accepted")
	}
}

func TestShuffleTrain(t *testing.T) {
	s, err := SplitByPackage(synthPairs([]int{200, 40, 40, 40, 40}, false), PackageSplitConfig{TestPairs: 40, DevPairs: 40, MaxShare: 0.6, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(s.Train)
	s.ShuffleTrain(3)
	if reflect.DeepEqual(before, s.Train) {
		t.Fatal("the training pairs kept their order")
	}
	key := func(a, b Pair) int { return strings.Compare(a.Source, b.Source) }
	slices.SortFunc(before, key)
	after := slices.SortedFunc(slices.Values(s.Train), key)
	if !reflect.DeepEqual(before, after) {
		t.Fatal("shuffling changed the training pairs")
	}
}
