package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// SourcePackage returns the package a harvested pair came from: its Source
// up to the first ':' ("nautilus:/usr/share/locale/…#Open" → "nautilus"), or
// "" when the pair carries no provenance.
func SourcePackage(p Pair) string {
	pkg, _, _ := strings.Cut(p.Source, ":")
	return pkg
}

// PackageSplitConfig configures [SplitByPackage].
type PackageSplitConfig struct {
	// TestPairs and DevPairs are the fewest pairs the held-out test and dev
	// packages must hold between them; whole packages are added until
	// each is reached, so a split may hold more (and, after the pairs
	// seen in training are dropped, a few fewer).
	TestPairs, DevPairs int
	// MaxShare keeps in training any package holding more than this share
	// of all pairs, so one large package does not become a whole held-out
	// split (0 means 0.1).
	MaxShare float64
	Seed     uint64
}

// DefaultPackageSplit is the package split of the real-text track
// (`llink run -split package`, bench/stagea): dev and test packages of at
// least 1,500 pairs each — a 1,024-pair retrieval pool and the held-out
// tasks' passages (dev also gives Stage A 200 pairs to select on).
func DefaultPackageSplit(seed uint64) PackageSplitConfig {
	return PackageSplitConfig{TestPairs: 1500, DevPairs: 1500, Seed: seed}
}

// PackageSplit is a cross-domain split: every package's pairs are in exactly
// one of Train, Dev and Test, so no dev or test sentence comes from a
// package seen in training.
type PackageSplit struct {
	Train, Dev, Test []Pair
	// The packages of each split, in name order.
	TrainPackages, DevPackages, TestPackages []string
	// DroppedSeen counts dev and test pairs left out because their Khmer
	// text also occurs in a training pair (a string shared across packages).
	DroppedSeen int
}

// SplitByPackage assigns whole source packages ([SourcePackage]) to train,
// dev and test: the packages are shuffled with the seed and, in that order,
// each one small enough (MaxShare) goes to test until test holds
// c.TestPairs pairs, then to dev until dev holds c.DevPairs; every other
// package trains. Pairs keep their input order within a split. Dev and
// test pairs whose Khmer text occurs in a training pair are dropped
// (counted in DroppedSeen), so retrieval never meets a training string.
// It is an error for a pair to carry no Source, or for the held-out
// packages not to reach the sizes asked for.
func SplitByPackage(pairs []Pair, c PackageSplitConfig) (*PackageSplit, error) {
	if c.TestPairs < 1 || c.DevPairs < 1 {
		return nil, fmt.Errorf("data: package split needs positive test and dev sizes (got %d, %d)", c.TestPairs, c.DevPairs)
	}
	share := c.MaxShare
	if share == 0 {
		share = 0.1
	}
	size := map[string]int{}
	for i, p := range pairs {
		pkg := SourcePackage(p)
		if pkg == "" {
			return nil, fmt.Errorf("data: pair %d (%.40q) has no source package; a package split needs provenance (llink corpus harvest-debian writes it)", i, p.English)
		}
		size[pkg]++
	}
	pkgs := make([]string, 0, len(size))
	for pkg := range size {
		pkgs = append(pkgs, pkg)
	}
	slices.Sort(pkgs)
	rand.New(rand.NewPCG(c.Seed, 0x5b1e)).Shuffle(len(pkgs), func(i, j int) { pkgs[i], pkgs[j] = pkgs[j], pkgs[i] })
	split := map[string]int{} // 0 train, 1 dev, 2 test
	nTest, nDev := 0, 0
	for _, pkg := range pkgs {
		n := size[pkg]
		switch {
		case float64(n) > share*float64(len(pairs)):
		case nTest < c.TestPairs:
			split[pkg], nTest = 2, nTest+n
		case nDev < c.DevPairs:
			split[pkg], nDev = 1, nDev+n
		}
	}
	if nTest < c.TestPairs || nDev < c.DevPairs {
		return nil, fmt.Errorf("data: %d packages of at most %.0f%% of %d pairs hold %d test and %d dev pairs; want %d and %d",
			len(pkgs), 100*share, len(pairs), nTest, nDev, c.TestPairs, c.DevPairs)
	}
	s := &PackageSplit{}
	trainKm := map[string]bool{}
	for _, p := range pairs {
		if split[SourcePackage(p)] == 0 {
			s.Train = append(s.Train, p)
			trainKm[p.Foreign] = true
		}
	}
	for _, p := range pairs {
		k := split[SourcePackage(p)]
		switch {
		case k == 0:
		case trainKm[p.Foreign]:
			s.DroppedSeen++
		case k == 1:
			s.Dev = append(s.Dev, p)
		default:
			s.Test = append(s.Test, p)
		}
	}
	slices.Sort(pkgs)
	for _, pkg := range pkgs {
		switch split[pkg] {
		case 0:
			s.TrainPackages = append(s.TrainPackages, pkg)
		case 1:
			s.DevPackages = append(s.DevPackages, pkg)
		default:
			s.TestPackages = append(s.TestPackages, pkg)
		}
	}
	return s, nil
}

// HoldOut draws a retrieval pool of n pairs from held-out pairs with the
// seed and returns it with the rest (both in input order): the rest are for
// the held-out tasks, so no task passage is a pool sentence.
func HoldOut(pairs []Pair, n int, seed uint64) (pool, rest []Pair, err error) {
	if len(pairs) < n {
		return nil, nil, fmt.Errorf("data: %d held-out pairs for a pool of %d", len(pairs), n)
	}
	idx := rand.New(rand.NewPCG(seed, 0x9001)).Perm(len(pairs))[:n]
	in := make([]bool, len(pairs))
	for _, i := range idx {
		in[i] = true
	}
	for i, p := range pairs {
		if in[i] {
			pool = append(pool, p)
		} else {
			rest = append(rest, p)
		}
	}
	return pool, rest, nil
}

// ShuffleTrain shuffles the training pairs with the seed (they come in
// package order), so that a run taking only the first of them samples every
// training package.
func (s *PackageSplit) ShuffleTrain(seed uint64) {
	rand.New(rand.NewPCG(seed, 7)).Shuffle(len(s.Train), func(i, j int) { s.Train[i], s.Train[j] = s.Train[j], s.Train[i] })
}

// HeldOut returns what a run on the split evaluates: Stage A's selection
// pairs (the first sel dev pairs), a retrieval pool of n pairs drawn with
// the seed ([HoldOut]) and the other pairs, for the held-out tasks — from
// the test packages, or with onDev from the dev packages after the
// selection pairs (for choosing settings without reading test).
func (s *PackageSplit) HeldOut(onDev bool, sel, n int, seed uint64) (selection, pool, rest []Pair, err error) {
	if len(s.Dev) < sel {
		return nil, nil, nil, fmt.Errorf("data: %d dev pairs for %d selection pairs", len(s.Dev), sel)
	}
	selection, held := s.Dev[:sel], s.Test
	if onDev {
		held = s.Dev[sel:]
	}
	pool, rest, err = HoldOut(held, n, seed)
	return selection, pool, rest, err
}
