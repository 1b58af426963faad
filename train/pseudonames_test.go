package train

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llink"
)

// TestPseudoNames: with share 1 every task naming a person (families
// distinct) gets new given names in its Khmer and English alike, so a
// "who" answer is one of the copy channel's spans; other tasks and share 0
// change nothing; the draw is deterministic.
func TestPseudoNames(t *testing.T) {
	co, err := data.Build(data.Config{Seed: 3, Train: 400})
	if err != nil {
		t.Fatal(err)
	}
	tasks := data.MakeTasks(co.Train, 3)
	if got := PseudoNames(tasks, 0, 1); !slices.Equal(got, tasks) {
		t.Fatal("share 0 changed tasks")
	}
	got := PseudoNames(tasks, 1, 1)
	if !slices.Equal(got, PseudoNames(tasks, 1, 1)) {
		t.Fatal("not deterministic")
	}
	changed, who := 0, 0
	for i, u := range got {
		old := tasks[i]
		names := llink.FindNames(old.Foreign)
		if len(names) == 0 || sharedFamily(names) {
			if u != old {
				t.Fatalf("task without a replaceable name changed: %+v", u)
			}
			continue
		}
		if u.Foreign == old.Foreign || u.EnglishPassage == old.EnglishPassage {
			t.Fatalf("named task %d unchanged:\n%+v", i, u)
		}
		changed++
		for _, n := range names {
			if strings.Contains(u.Foreign, n.FamilyKm+" "+n.GivenKm) {
				t.Fatalf("task %d still names %s: %q", i, n.GivenKm, u.Foreign)
			}
		}
		if u.Kind == data.KindWho && strings.Contains(old.EnglishPassage, old.Answer) {
			who++
			if !slices.Contains(llink.CopySpans(u.Foreign), u.Answer) {
				t.Fatalf("who answer %q is not among the copied spans %q", u.Answer, llink.CopySpans(u.Foreign))
			}
		}
	}
	if changed < 50 || who < 10 {
		t.Fatalf("%d tasks renamed, %d who answers checked", changed, who)
	}
}

// TestPseudoGivenNameNeverKnown: 200,000 draws (enough to hit the few
// lexicon names the syllable set can spell, such as សុខា) never return a
// given name of the lexicon, in Khmer or romanised.
func TestPseudoGivenNameNeverKnown(t *testing.T) {
	if !data.KnownGivenName("សុខា") || !data.KnownGivenName("Sokha") || data.KnownGivenName("Sokhaa") {
		t.Fatal("KnownGivenName does not read the lexicon")
	}
	r := rand.New(rand.NewPCG(7, 0))
	distinct := map[string]bool{}
	for range 200000 {
		km := pseudoGivenName(r)
		if data.KnownGivenName(km) || data.KnownGivenName(llink.Romanise(km)) {
			t.Fatalf("drew the lexicon's name %s (%s)", km, llink.Romanise(km))
		}
		distinct[km] = true
	}
	if len(distinct) < 10000 {
		t.Fatalf("%d distinct names in 200,000 draws", len(distinct))
	}
}
