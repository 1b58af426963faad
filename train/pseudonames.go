package train

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

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

// Names says where [Rename] draws the given names it puts in.
type Names string

const (
	// SimplePseudo draws two-syllable pseudo-names from a small alphabet of
	// onsets, vowel signs and finals the romaniser reads unambiguously
	// ("Tonilam"): the first pseudo-names, kept so that decoders trained
	// with them can be re-measured.
	SimplePseudo Names = "simple"
	// FullPseudo draws pseudo-names that look like real ones when
	// romanised: half are a training name's first written syllables joined
	// to another's last ("Sophal" and "Ratha" give "Sotha"), half are one
	// to three syllables from the whole written inventory real names use
	// (every consonant, subscript clusters, every vowel sign, the register,
	// nasal and aspirate signs, finals with bantoc, doubled Pali finals).
	FullPseudo Names = "full"
	// DevReal draws real Khmer given names that no generated corpus holds
	// ([data.DevGivenNames]), English spelling as the answer: for dev
	// questions only, never for training.
	DevReal Names = "dev"
)

// ParseNames reads a [Names] value ("simple", "full" or "dev"); "" is
// SimplePseudo, the form configurations written before the choice existed.
func ParseNames(s string) (Names, error) {
	switch Names(s) {
	case "":
		return SimplePseudo, nil
	case SimplePseudo, FullPseudo, DevReal:
		return Names(s), nil
	}
	return "", fmt.Errorf("train: names %q: want simple, full or dev", s)
}

// Letters a simple pseudo-name is made of: onsets, vowel signs and finals
// that the romaniser reads unambiguously.
var (
	pseudoOnsets = []rune("កខចឆដតថទធនបផពភមយរលវសហ")
	pseudoVowels = []rune("ាិីុូេោ")
	pseudoFinals = []rune("កងតនមល")
)

// simplePseudoName returns a random two-syllable Khmer given name: onset
// and vowel, then onset, vowel and (half of the time) a final consonant. A
// draw that spells a name of the lexicon (សុខា "Sokha" can be drawn) is
// drawn again, so no held-out name enters training this way.
func simplePseudoName(r *rand.Rand) string {
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

// The full inventory: every consonant as an onset, the subscript clusters
// that begin Khmer names, every dependent vowel sign (the empty string is
// the inherent vowel), the final consonants, and the doubled or aspirated
// finals of Pali names.
var (
	// The common onsets of names appear twice, to be drawn more often.
	fullOnsets   = []rune("កខគឃងចឆជឈញដឋឌឍណតថទធនបផពភមយរលវសហឡអសចពបរវដកមនតធភល")
	fullClusters = []string{"ស្រ", "ស្ម", "ស្ន", "ស្ត", "ស្ក", "ក្រ", "ក្ល", "ប្រ", "ព្រ", "ត្រ", "ខ្ម", "ច្រ", "ជ្រ", "ថ្ម", "ផ្ក", "ភ្ន", "ល្ប", "ម្ល"}
	fullVowels   = []string{"", "ា", "ិ", "ី", "ឹ", "ឺ", "ុ", "ូ", "ួ", "ើ", "ឿ", "ៀ", "េ", "ែ", "ៃ", "ោ", "ៅ"}
	fullFinals   = []rune("កងចញតនបមយលសហ")
	fullPali     = []string{"ណ្ណ", "ល្ល", "ត្ត", "ទ្ធ", "ដ្ឋ", "ន្ត", "ម្ម"}
	fullInitials = []rune("ឧឥឯ")
)

// fullSyllable writes one written syllable of a full pseudo-name.
func fullSyllable(b *strings.Builder, r *rand.Rand, first bool) {
	switch p := r.Float64(); {
	case first && p < 0.04:
		b.WriteRune(fullInitials[r.IntN(len(fullInitials))])
		if r.IntN(2) == 0 {
			b.WriteRune(fullFinals[r.IntN(len(fullFinals))])
		}
		return
	case p < 0.18:
		b.WriteString(fullClusters[r.IntN(len(fullClusters))])
	default:
		c := fullOnsets[r.IntN(len(fullOnsets))]
		b.WriteRune(c)
		// Register signs: a second-series sonorant read in the first series,
		// a first-series letter read in the second.
		if r.IntN(10) == 0 {
			switch {
			case strings.ContainsRune("ងញមយរវន", c):
				b.WriteRune('\u17C9')
			case strings.ContainsRune("សបហអ", c):
				b.WriteRune('\u17CA')
			}
		}
	}
	v := fullVowels[r.IntN(len(fullVowels))]
	b.WriteString(v)
	switch p := r.Float64(); {
	case p < 0.07 && (v == "" || v == "ុ" || v == "ា"):
		b.WriteRune('\u17C6') // nikahit: a final nasal
	case p < 0.10 && v != "":
		b.WriteRune('\u17C7') // reahmuk: a final h
	case p < 0.14:
		b.WriteString(fullPali[r.IntN(len(fullPali))])
	case p < 0.45:
		b.WriteRune(fullFinals[r.IntN(len(fullFinals))])
		if v != "" && r.IntN(5) == 0 {
			b.WriteRune('\u17CB') // bantoc: a short vowel before the final
		}
	}
}

// fullPseudoName returns a random Khmer given name, half of the time two
// training names' halves joined ([joinedName]), else one to three
// syllables from the full inventory, whose romanisation is 3 to 12
// letters. Draws that spell a name of the lexicon or one reserved for dev
// questions, in either script, or a family name are drawn again.
func fullPseudoName(r *rand.Rand) string {
	for {
		var b strings.Builder
		n := 2
		switch p := r.Float64(); {
		case p < 0.5:
			n = 0
			b.WriteString(joinedName(r))
		case p < 0.58:
			n = 1
		case p > 0.88:
			n = 3
		}
		for i := range n {
			fullSyllable(&b, r, i == 0)
		}
		km := b.String()
		en := llink.Romanise(km)
		if len(en) < 3 || len(en) > 12 || data.KnownGivenName(km) || data.KnownGivenName(en) ||
			data.DevGivenName(km) || data.DevGivenName(en) || llink.FamilyName(km) != "" || llink.IsFamilyLatin(en) {
			continue
		}
		return km
	}
}

// joinedName joins the first written clusters of one training given name
// to the last clusters of another (a cluster is a consonant or independent
// vowel with its subscripts and signs), at least one of each.
func joinedName(r *rand.Rand) string {
	km := trainingGivenKm()
	a := khmerClusters(km[r.IntN(len(km))])
	b := khmerClusters(km[r.IntN(len(km))])
	if len(a) < 2 || len(b) < 2 {
		return strings.Join(a, "") + strings.Join(b, "")
	}
	return strings.Join(a[:1+r.IntN(len(a)-1)], "") + strings.Join(b[1+r.IntN(len(b)-1):], "")
}

// trainingGivenKm is the Khmer spelling of the training given names, read
// from the lexicon once rather than on every draw.
var trainingGivenKm = sync.OnceValue(func() []string {
	_, km := data.TrainingGivenNames()
	return km
})

// khmerClusters splits a Khmer word before each consonant or independent
// vowel that is not written below another (after coeng).
func khmerClusters(word string) []string {
	var out []string
	rs := []rune(word)
	start := 0
	for i := 1; i < len(rs); i++ {
		base := rs[i] >= '\u1780' && rs[i] <= '\u17B3'
		if base && rs[i-1] != '\u17D2' {
			out = append(out, string(rs[start:i]))
			start = i
		}
	}
	return append(out, string(rs[start:]))
}

// draw returns a replacement given name of the source: Khmer and English.
func (n Names) draw(r *rand.Rand) (km, en string) {
	switch n {
	case FullPseudo:
		km = fullPseudoName(r)
		return km, llink.Romanise(km)
	case DevReal:
		ens, kms := data.DevGivenNames()
		i := r.IntN(len(ens))
		return kms[i], ens[i]
	case SimplePseudo, "":
		km = simplePseudoName(r)
		return km, llink.Romanise(km)
	}
	panic(fmt.Sprintf("train: unknown names %q", string(n)))
}

// Rename returns tasks in which, for a share of the tasks whose Khmer text
// names a person the copy channel finds ([llink.FindNames]), every such
// person's given name is replaced by one drawn from names: in the Khmer
// text, and in the instruction, English passage and answer wherever the
// English form "Family Given" occurs (the English given name is read from
// the passage, after the family name). Tasks whose English form cannot be
// found, or whose names share a family name, are kept as they are.
// Deterministic for the seed.
func Rename(tasks []data.Task, share float64, seed uint64, names Names) []data.Task {
	r := rand.New(rand.NewPCG(seed, 0x9e))
	out := make([]data.Task, len(tasks))
	for i, t := range tasks {
		out[i] = t
		found := llink.FindNames(t.Foreign)
		if len(found) == 0 || r.Float64() >= share || sharedFamily(found) {
			continue
		}
		for _, n := range found {
			family, _, _ := strings.Cut(n.Latin, " ")
			given := givenAfter(t.EnglishPassage, family)
			if given == "" {
				continue
			}
			km, en := names.draw(r)
			oldEn, newEn := family+" "+given, family+" "+en
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

// RenameDistractors gives the person a yes/no question asks about, when
// the passage does not name them (an answer-"no" distractor), a given name
// drawn from names, for every task whose passage names only people given
// names outside the lexicon — tasks [Rename] renamed. Without it a renamed
// task's distractor keeps a lexicon name while the passage's person has a
// new one, and "a name never trained on is in the passage" answers every
// renamed person question: a shortcut that held-out test questions, whose
// distractors are held out as their passages' names are, do not offer.
// The draw differs from the passage's own given names; the family name
// stays. Deterministic for the seed, with its own random stream, so the
// other tasks are exactly as they were.
func RenameDistractors(tasks []data.Task, seed uint64, names Names) []data.Task {
	r := rand.New(rand.NewPCG(seed, 0xd157))
	out := slices.Clone(tasks)
	for i, t := range tasks {
		asked, ok := askedPerson(t)
		found := llink.FindNames(t.Foreign)
		if !ok || len(found) == 0 || strings.Contains(t.EnglishPassage, asked) {
			continue
		}
		var own []string
		renamed := true
		for _, n := range found {
			family, _, _ := strings.Cut(n.Latin, " ")
			given := givenAfter(t.EnglishPassage, family)
			own = append(own, given)
			renamed = renamed && given != "" && !data.KnownGivenName(given)
		}
		if !renamed {
			continue
		}
		family, _, _ := strings.Cut(asked, " ")
		for {
			if _, en := names.draw(r); !slices.Contains(own, en) {
				out[i].Instruction = strings.Replace(t.Instruction, asked, family+" "+en, 1)
				break
			}
		}
	}
	return out
}

// askedPerson returns the "Family Given" a person yes/no question asks
// about ("Is Sok Dara mentioned in the passage?").
func askedPerson(t data.Task) (string, bool) {
	if t.Kind != data.KindYesNo {
		return "", false
	}
	rest, ok := strings.CutPrefix(t.Instruction, "Is ")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, " mentioned in the passage?")
	family, given, two := strings.Cut(name, " ")
	if !ok || !two || !llink.IsFamilyLatin(family) || given == "" || strings.Contains(given, " ") {
		return "", false
	}
	return name, true
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
