package train

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llink"
)

// TestRename: with share 1 every task naming a person (families distinct)
// gets new given names in its Khmer and English alike — for pseudo-names a
// "who" answer is one of the copy channel's spans, for dev names one of
// the reserved real names; other tasks and share 0 change nothing; the draw
// is deterministic.
func TestRename(t *testing.T) {
	co, err := data.Build(data.Config{Seed: 3, Train: 400})
	if err != nil {
		t.Fatal(err)
	}
	tasks := data.MakeTasks(co.Train, 3)
	devEn, _ := data.DevGivenNames()
	for _, names := range []Names{SimplePseudo, FullPseudo, DevReal} {
		if got := Rename(tasks, 0, 1, names); !slices.Equal(got, tasks) {
			t.Fatalf("%s: share 0 changed tasks", names)
		}
		got := Rename(tasks, 1, 1, names)
		if !slices.Equal(got, Rename(tasks, 1, 1, names)) {
			t.Fatalf("%s: not deterministic", names)
		}
		changed, who := 0, 0
		for i, u := range got {
			old := tasks[i]
			found := llink.FindNames(old.Foreign)
			if len(found) == 0 || sharedFamily(found) {
				if u != old {
					t.Fatalf("%s: task without a replaceable name changed: %+v", names, u)
				}
				continue
			}
			if u.Foreign == old.Foreign || u.EnglishPassage == old.EnglishPassage {
				t.Fatalf("%s: named task %d unchanged:\n%+v", names, i, u)
			}
			changed++
			for _, n := range found {
				if strings.Contains(u.Foreign, n.FamilyKm+" "+n.GivenKm) {
					t.Fatalf("%s: task %d still names %s: %q", names, i, n.GivenKm, u.Foreign)
				}
			}
			if u.Kind != data.KindWho || !strings.Contains(old.EnglishPassage, old.Answer) {
				continue
			}
			who++
			if names == DevReal {
				family, given, _ := strings.Cut(u.Answer, " ")
				if !slices.Contains(devEn, given) || llink.FamilyName(found[0].FamilyKm) == "" || !strings.Contains(u.EnglishPassage, family+" "+given) {
					t.Fatalf("dev who answer %q holds no reserved name", u.Answer)
				}
			} else if !slices.Contains(llink.CopySpans(u.Foreign), u.Answer) {
				t.Fatalf("%s: who answer %q is not among the copied spans %q", names, u.Answer, llink.CopySpans(u.Foreign))
			}
		}
		if changed < 50 || who < 10 {
			t.Fatalf("%s: %d tasks renamed, %d who answers checked", names, changed, who)
		}
	}
}

// TestPseudoNamesNeverKnown: 100,000 draws of each alphabet (enough to hit
// the few lexicon names the simple syllable set can spell, such as សុខា)
// never return a given name of the lexicon, in Khmer or romanised; the
// full alphabet never returns a name reserved for dev or a family name,
// and the copy channel finds every full name after a family name and
// spells it as its English form, in ASCII letters.
func TestPseudoNamesNeverKnown(t *testing.T) {
	if !data.KnownGivenName("សុខា") || !data.KnownGivenName("Sokha") || data.KnownGivenName("Sokhaa") {
		t.Fatal("KnownGivenName does not read the lexicon")
	}
	for _, c := range []struct {
		names    Names
		distinct int
	}{{SimplePseudo, 10000}, {FullPseudo, 30000}} {
		r := rand.New(rand.NewPCG(7, 0))
		distinct := map[string]bool{}
		for range 100000 {
			km, en := c.names.draw(r)
			if data.KnownGivenName(km) || data.KnownGivenName(en) {
				t.Fatalf("%s: drew the lexicon's name %s (%s)", c.names, km, en)
			}
			distinct[km] = true
			if c.names != FullPseudo {
				continue
			}
			if data.DevGivenName(km) || data.DevGivenName(en) || llink.FamilyName(km) != "" || llink.IsFamilyLatin(en) {
				t.Fatalf("full: drew a reserved or family name %s (%s)", km, en)
			}
			if strings.ContainsFunc(en, func(r rune) bool { return !isLetter(byte(r)) || r > 127 }) {
				t.Fatalf("full: %s romanised %q", km, en)
			}
			if got := llink.PersonNames("សុខ " + km + " បានទិញត្រី។"); !slices.Equal(got, []string{"Sok " + en}) {
				t.Fatalf("full: copy channel reads %s as %q, want Sok %s", km, got, en)
			}
		}
		if len(distinct) < c.distinct {
			t.Fatalf("%s: %d distinct names in 100,000 draws", c.names, len(distinct))
		}
	}
}

// TestSimplePseudoNamesMissDevNames: no name the simple alphabet can spell
// (every one of its ~150,000 two-syllable words) is a name reserved for dev
// questions, in Khmer or romanised, so decoders trained on simple
// pseudo-names never saw one.
func TestSimplePseudoNamesMissDevNames(t *testing.T) {
	n := 0
	for _, a := range pseudoOnsets {
		for _, v := range pseudoVowels {
			for _, b := range pseudoOnsets {
				for _, w := range pseudoVowels {
					for _, f := range append([]rune{0}, pseudoFinals...) {
						km := string([]rune{a, v, b, w})
						if f != 0 {
							km += string(f)
						}
						n++
						if data.DevGivenName(km) || data.DevGivenName(llink.Romanise(km)) {
							t.Errorf("the simple alphabet spells the dev name %s (%s)", km, llink.Romanise(km))
						}
					}
				}
			}
		}
	}
	if n < 100000 {
		t.Fatalf("%d names enumerated", n)
	}
}

// TestRenameDistractors: after Rename, every person yes/no question whose
// person is not in the passage (a "no" distractor) asks about the same
// family with a given name of the source that is neither in the lexicon
// nor the passage's own; every other task, and every task Rename left with
// lexicon names, is unchanged; the draw is deterministic.
func TestRenameDistractors(t *testing.T) {
	co, err := data.Build(data.Config{Seed: 5, Train: 600})
	if err != nil {
		t.Fatal(err)
	}
	tasks := data.MakeTasks(co.Train, 5)
	devEn, _ := data.DevGivenNames()
	for _, names := range []Names{FullPseudo, DevReal} {
		renamed := Rename(tasks, 1, 1, names)
		got := RenameDistractors(renamed, 2, names)
		if !slices.Equal(got, RenameDistractors(renamed, 2, names)) {
			t.Fatalf("%s: not deterministic", names)
		}
		if !slices.Equal(RenameDistractors(tasks, 2, names), tasks) {
			t.Fatalf("%s: tasks with lexicon names changed", names)
		}
		asked := 0
		for i, u := range got {
			old := renamed[i]
			person, ok := askedPerson(old)
			if !ok || strings.Contains(old.EnglishPassage, person) || old.Foreign == tasks[i].Foreign {
				if u != old {
					t.Fatalf("%s: task %d changed:\n%+v\n%+v", names, i, old, u)
				}
				continue
			}
			asked++
			now, ok := askedPerson(u)
			oldFamily, _, _ := strings.Cut(person, " ")
			family, given, _ := strings.Cut(now, " ")
			if !ok || family != oldFamily || data.KnownGivenName(given) || strings.Contains(u.EnglishPassage, " "+given) || u.Answer != "no" {
				t.Fatalf("%s: distractor %q became %q (answer %q) for passage %q", names, person, now, u.Answer, u.EnglishPassage)
			}
			if names == DevReal && !slices.Contains(devEn, given) {
				t.Fatalf("dev distractor %q is not a name reserved for dev", now)
			}
			if u.Foreign != old.Foreign || u.EnglishPassage != old.EnglishPassage {
				t.Fatalf("%s: task %d's passage changed", names, i)
			}
		}
		t.Logf("%s: %d person distractors renamed", names, asked)
		if asked < 10 {
			t.Fatalf("%s: %d person distractors renamed", names, asked)
		}
	}
}
