package llink

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/llink-go/llink/data"
)

func TestRomanise(t *testing.T) {
	for _, c := range []struct{ km, want string }{
		{"សុខា", "Sokha"},     // first-series ា, ុ
		{"ដារ៉ា", "Dara"},     // muusikatoan reads រ in the first series
		{"ចាន់ថា", "Chantha"}, // bantoc closes the first syllable
		{"សំណាង", "Samnang"},  // nikahit; a word-final consonant closes
		{"ធារី", "Theary"},    // second-series ា; word-final ី
		{"ស៊ីណា", "Sina"},     // triisap reads ស in the second series
		{"វណ្ណា", "Vanna"},    // a subscript cluster splits over two syllables
		{"ចន្ទ្រា", "Chantrea"},
		{"ណារិទ្ធ", "Narith"},   // a final cluster's aspirate
		{"សម្បត្តិ", "Sambath"}, // a Pali word's unread final vowel
		{"វណ្ណៈ", "Vannak"},     // yuukaleapintu
		{"ស្រីពៅ", "Sreypov"},
		{"ភ្នំ", "Phnum"},
		{"គន្ធា", "Kunthea"},      // second-series short vowel closed by ន
		{"ភិរម្យ", "Phirum"},      // … and by ម
		{"ជីវ័ន", "Chivorn"},      // second-series samyok before n
		{"មុនីរ័ត្ន", "Muniroth"}, // … before t
		{"ស្រីល័ក្ខ", "Sreyleak"}, // … but before k it stays ea
		{"សុភ័ក្ត្រ", "Sopheak"},
		{"ចាន់", "Chan"},
		{"abc", ""},
		{"", ""},
	} {
		if got := Romanise(c.km); got != c.want {
			t.Errorf("Romanise(%q) = %q, want %q", c.km, got, c.want)
		}
	}
}

func TestPersonNames(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"កាលពីឆ្នាំមុន សេង វណ្ណា បានទិញសណ្ដែកសៀង។", []string{"Seng Vanna"}},
		{" ចាន់ សុខា បានជួប ហេង ដារ៉ា នៅខេត្តកំពត។", []string{"Chan Sokha", "Heng Dara"}},
		{"សុខ ២០២៤", nil},       // digits are no given name
		{"ខេត្តកំពត សុខា", nil}, // no family name
		{"សុខ", nil},            // a family name alone
		{"Sok Dara សុខ ដារ៉ា", []string{"Sok Dara"}},
		{"បានផ្ញើប្រាក់ទៅឱ្យ អ៊ឹម ស្រីពៅ។", []string{"Im Sreypov"}}, // the name ends the sentence
	} {
		if got := PersonNames(c.text); !slices.Equal(got, c.want) {
			t.Errorf("PersonNames(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

// TestRomaniseTrainingNames measures the romaniser on the given names of a
// generated training split (never the held-out names): the share it spells
// exactly as the corpus does. The rules were checked on these names only.
func TestRomaniseTrainingNames(t *testing.T) {
	co, err := data.Build(data.Config{Seed: 1, Train: 3000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, p := range co.Train {
		if s := p.Slots; s != nil && s.Person != "" {
			km := strings.Fields(s.PersonKm)
			en := strings.Fields(s.Person)
			seen[km[len(km)-1]] = en[len(en)-1]
		}
	}
	exact := 0
	var wrong []string
	for km, en := range seen {
		if Romanise(km) == en {
			exact++
		} else {
			wrong = append(wrong, Romanise(km)+"≠"+en)
		}
	}
	share := float64(exact) / float64(len(seen))
	t.Logf("training given names spelt exactly: %d of %d (%.2f); wrong: %v", exact, len(seen), share, wrong)
	if len(seen) < 30 || share < 0.6 {
		t.Errorf("romaniser: %d of %d training names exact, want at least 60%%", exact, len(seen))
	}
}

// FuzzCopySpans checks the copy channel on any text: it never panics, keeps
// its limits, and passes on no Khmer script; a romanised name holds only
// ASCII letters.
func FuzzCopySpans(f *testing.F) {
	for _, s := range []string{"កាលពីឆ្នាំមុន សេង វណ្ណា បានទិញ9.6 kg។", "ស្រីពៅ ្្ ៉៊់", "សុខ ្", "abc ១២៣៤៥"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		spans := CopySpans(text)
		size := 0
		for _, s := range spans {
			size += len(s)
			if s == "" || strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Khmer, r) }) {
				t.Fatalf("CopySpans(%q) holds span %q", text, s)
			}
		}
		if len(spans) > MaxCopySpans || size > MaxCopyBytes {
			t.Fatalf("CopySpans(%q): %d spans, %d bytes", text, len(spans), size)
		}
		for _, w := range strings.Fields(text) {
			if r := Romanise(w); strings.ContainsFunc(r, func(c rune) bool { return c > unicode.MaxASCII || !unicode.IsLetter(c) }) {
				t.Fatalf("Romanise(%q) = %q", w, r)
			}
		}
	})
}
