package train

import (
	"math/rand/v2"
	"strings"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llink"
)

// Pseudo-names teach copying. The copy channel puts a Khmer text's names in
// Latin letters into the prompt ([llink.CopySpans]), but when every answer
// in training holds one of a few dozen given names, a decoder learns to
// recognise those names, not to copy: a held-out name is then answered
// with a known one. Tasks whose given names are replaced by generated
// pseudo-names — Khmer syllables no lexicon holds, spelt in English as the
// copy channel romanises them — can only be answered right by copying.

// Letters a pseudo-name is made of: onsets, vowel signs and finals that the
// romaniser reads unambiguously.
var (
	pseudoOnsets = []rune("កខចឆដតថទធនបផពភមយរលវសហ")
	pseudoVowels = []rune("ាិីុូេោ")
	pseudoFinals = []rune("កងតនមល")
)

// pseudoGivenName returns a random two-syllable Khmer given name: onset and
// vowel, then onset, vowel and (half of the time) a final consonant. A
// draw that spells a name of the lexicon (សុខា "Sokha" can be drawn) is
// drawn again, so no held-out name enters training this way.
func pseudoGivenName(r *rand.Rand) string {
	for {
		var b strings.Builder
		for i := range 2 {
			b.WriteRune(pseudoOnsets[r.IntN(len(pseudoOnsets))])
			b.WriteRune(pseudoVowels[r.IntN(len(pseudoVowels))])
			if i == 1 && r.IntN(2) == 0 {
				b.WriteRune(pseudoFinals[r.IntN(len(pseudoFinals))])
			}
		}
		km := b.String()
		if !data.KnownGivenName(km) && !data.KnownGivenName(llink.Romanise(km)) {
			return km
		}
	}
}

// PseudoNames returns tasks in which, for a share of the tasks whose Khmer
// text names a person the copy channel finds ([llink.FindNames]), every such
// person's given name is replaced by a pseudo-name: in the Khmer text, and
// in the instruction, English passage and answer wherever the English form
// "Family Given" occurs (the English given name is read from the passage,
// after the family name). Tasks whose English form cannot be found, or
// whose names share a family name, are kept as they are. Deterministic for the seed.
func PseudoNames(tasks []data.Task, share float64, seed uint64) []data.Task {
	r := rand.New(rand.NewPCG(seed, 0x9e))
	out := make([]data.Task, len(tasks))
	for i, t := range tasks {
		out[i] = t
		names := llink.FindNames(t.Foreign)
		if len(names) == 0 || r.Float64() >= share || sharedFamily(names) {
			continue
		}
		for _, n := range names {
			family, _, _ := strings.Cut(n.Latin, " ")
			given := givenAfter(t.EnglishPassage, family)
			if given == "" {
				continue
			}
			km := pseudoGivenName(r)
			oldEn, newEn := family+" "+given, family+" "+llink.Romanise(km)
			oldKm, newKm := n.FamilyKm+" "+n.GivenKm, n.FamilyKm+" "+km
			u := &out[i]
			u.Foreign = strings.ReplaceAll(u.Foreign, oldKm, newKm)
			for _, f := range []*string{&u.Instruction, &u.EnglishPassage, &u.Answer} {
				*f = strings.ReplaceAll(*f, oldEn, newEn)
			}
		}
	}
	return out
}

// givenAfter returns the capitalised word after the first whole-word
// "family " in an English text ("" when there is none).
func givenAfter(text, family string) string {
	for i := 0; ; {
		j := strings.Index(text[i:], family+" ")
		if j < 0 {
			return ""
		}
		at := i + j
		i = at + len(family) + 1
		if at > 0 && isLetter(text[at-1]) {
			continue // the end of a longer word ("Kim" in "Im")
		}
		k := i
		for k < len(text) && isLetter(text[k]) {
			k++
		}
		if k > i && text[i] >= 'A' && text[i] <= 'Z' {
			return text[i:k]
		}
	}
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// sharedFamily reports whether two names share a family name, which would
// leave their English forms ambiguous.
func sharedFamily(names []llink.Name) bool {
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n.FamilyKm] {
			return true
		}
		seen[n.FamilyKm] = true
	}
	return false
}
