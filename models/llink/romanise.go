package llink

import (
	"strings"
	"unicode"
)

// The copy channel's names: an English-only decoder cannot write a Khmer
// given name it never saw from a meaning vector; it needs the name in Latin
// letters in its context. PersonNames finds "family given" names in a Khmer
// text by a gazetteer of common Khmer family names, and Romanise writes the
// given name in Latin letters by the rules of the conventional romanisation
// Cambodians use for their names (consonant series, vowel signs, finals,
// subscript clusters). Those spellings are irregular, so a rule romaniser
// gets many names exactly and the rest nearly.

// Khmer signs the romaniser reads.
const (
	coeng       = '\u17D2' // subscript marker: the next consonant is written below
	nikahit     = '\u17C6' // ំ: final nasal
	reahmuk     = '\u17C7' // ះ: final h
	yuukaleap   = '\u17C8' // ៈ: short final vowel with a glottal stop
	muusikatoan = '\u17C9' // ៉: second-series consonant read in the first series
	triisap     = '\u17CA' // ៊: first-series consonant read in the second series
	bantoc      = '\u17CB' // ់: shortens the vowel before a final consonant
	toandakhiat = '\u17CD' // ៍: the letter under it is silent
	samyok      = '\u17D0' // ័: short vowel (Pali and Sanskrit words)
)

// consonant is a Khmer consonant's Latin onset and final, and its series
// (1 or 2), which chooses how its vowels are read.
type consonant struct {
	onset, final string
	series       int
}

// consonants maps the 33 consonants of modern Khmer.
var consonants = map[rune]consonant{
	'ក': {"k", "k", 1}, 'ខ': {"kh", "k", 1}, 'គ': {"k", "k", 2}, 'ឃ': {"kh", "k", 2}, 'ង': {"ng", "ng", 2},
	'ច': {"ch", "ch", 1}, 'ឆ': {"chh", "ch", 1}, 'ជ': {"ch", "ch", 2}, 'ឈ': {"chh", "ch", 2}, 'ញ': {"nh", "nh", 2},
	'ដ': {"d", "th", 1}, 'ឋ': {"th", "th", 1}, 'ឌ': {"d", "th", 2}, 'ឍ': {"th", "th", 2}, 'ណ': {"n", "n", 1},
	'ត': {"t", "th", 1}, 'ថ': {"th", "th", 1}, 'ទ': {"t", "th", 2}, 'ធ': {"th", "th", 2}, 'ន': {"n", "n", 2},
	'ប': {"b", "b", 1}, 'ផ': {"ph", "p", 1}, 'ព': {"p", "p", 2}, 'ភ': {"ph", "p", 2}, 'ម': {"m", "m", 2},
	'យ': {"y", "y", 2}, 'រ': {"r", "r", 2}, 'ល': {"l", "l", 2}, 'វ': {"v", "v", 2}, 'ស': {"s", "s", 1},
	'ហ': {"h", "h", 1}, 'ឡ': {"l", "l", 1}, 'អ': {"", "", 1},
}

// independentVowels are the vowel letters written without a consonant.
var independentVowels = map[rune]string{
	'ឥ': "e", 'ឦ': "ei", 'ឧ': "o", 'ឩ': "ou", 'ឪ': "ov", 'ឫ': "ri", 'ឬ': "rue",
	'ឭ': "lue", 'ឮ': "lue", 'ឯ': "ae", 'ឰ': "ai", 'ឱ': "ao", 'ឲ': "ao", 'ឳ': "au",
}

// vowel is a dependent vowel's reading after a first- and a second-series
// consonant.
type vowel struct{ first, second string }

// vowels maps the dependent vowel signs; inherent is the reading of a
// consonant that carries none.
var (
	vowels = map[rune]vowel{
		'ា': {"a", "ea"}, 'ិ': {"e", "i"}, 'ី': {"ey", "i"}, 'ឹ': {"oe", "i"}, 'ឺ': {"eu", "eu"},
		'ុ': {"o", "u"}, 'ូ': {"o", "u"}, 'ួ': {"uo", "uo"}, 'ើ': {"aeu", "eu"}, 'ឿ': {"oeu", "oeu"},
		'ៀ': {"ie", "ie"}, 'េ': {"e", "e"}, 'ែ': {"ae", "e"}, 'ៃ': {"ai", "ey"}, 'ោ': {"ao", "o"},
		'ៅ': {"au", "ov"}, samyok: {"a", "ea"},
	}
	inherent = vowel{"a", "a"}
)

// syllable is one written cluster of a word: its onset letters, series,
// vowel sign and signs, and the final consonant it takes from the next
// cluster.
type syllable struct {
	base    rune   // consonant (0 for an independent vowel)
	onset   string // Latin onset, the subscripts' letters included
	series  int
	vowel   rune // dependent vowel sign, 0 for none
	sign    rune // nikahit, reahmuk or yuukaleap, 0 for none
	final   string
	closer  rune // the consonant letter that gives final
	silent  bool // toandakhiat: the cluster is not read
	bantoc  bool
	subs    []rune // subscript consonants
	indepV  string
	hasBase bool
	// wordFinal marks a word-final open ី, written "ey" or "y".
	wordFinal bool
}

// clusters splits a Khmer word into written clusters.
func clusters(word string) []syllable {
	var out []syllable
	rs := []rune(word)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		c, isCons := consonants[r]
		iv, isIndep := independentVowels[r]
		switch {
		case isCons:
			out = append(out, syllable{base: r, onset: c.onset, series: c.series, hasBase: true})
		case isIndep:
			out = append(out, syllable{indepV: iv, series: 1})
		case len(out) == 0:
			continue // a stray sign before any letter
		default:
			s := &out[len(out)-1]
			switch {
			case r == coeng:
				if i+1 < len(rs) {
					if sub, ok := consonants[rs[i+1]]; ok {
						i++
						s.subs = append(s.subs, rs[i])
						s.onset += sub.onset
						if !sonorant(rs[i]) {
							s.series = sub.series // a cluster takes a non-sonorant subscript's series
						}
					}
				}
			case r == muusikatoan:
				s.series = 1
			case r == triisap:
				s.series = 2
			case r == bantoc:
				s.bantoc = true
			case r == toandakhiat:
				s.silent = true
			case r == nikahit || r == reahmuk || r == yuukaleap:
				s.sign = r
			default:
				if _, ok := vowels[r]; ok {
					s.vowel = r
				}
			}
		}
	}
	return out
}

// Romanise writes a Khmer word (a given name) in Latin letters, capitalised:
// សុខា → "Sokha", ចាន់ថា → "Chantha". Characters outside the Khmer script
// are dropped; it returns "" when nothing is left.
func Romanise(word string) string {
	cs := clusters(word)
	var syl []syllable
	for i := 0; i < len(cs); i++ {
		c := cs[i]
		if c.silent {
			continue
		}
		last := i == len(cs)-1
		prev := len(syl) - 1
		open := prev >= 0 && syl[prev].final == "" && syl[prev].sign == 0 && syl[prev].hasBase
		bare := c.hasBase && c.vowel == 0 && c.sign == 0
		// A Pali word's final ិ/ុ after a doubled consonant is not read
		// (សម្បត្តិ → sambat).
		if last && open && (c.vowel == 'ិ' || c.vowel == 'ុ') && len(c.subs) == 1 && c.subs[0] == c.base {
			syl[prev].final, syl[prev].closer = consonants[c.base].final, c.base
			continue
		}
		// A vowelless consonant closes the syllable before it when it ends
		// the word, carries bantoc, or stands between a written vowel and a
		// consonant that carries one (សុខហេង → sok-heng, but កុសល → ko-sal).
		if open && bare && (last || len(c.subs) == 0 && (c.bantoc || syl[prev].vowel != 0 && cs[i+1].vowel != 0 && len(cs[i+1].subs) == 0)) {
			syl[prev].final, syl[prev].closer = finalOf(c), c.base
			continue
		}
		// A vowelless consonant with a subscript closes the syllable before
		// it and hands the subscript on as the next onset (វណ្ណា → van-na);
		// before its own aspirate it is not written (ឫទ្ធី → ri-thy).
		if (open || prev >= 0 && !syl[prev].hasBase) && c.hasBase && len(c.subs) > 0 {
			sub := consonants[c.subs[0]]
			if !aspirateOf(consonants[c.base].final, sub.onset) {
				syl[prev].final, syl[prev].closer = consonants[c.base].final, c.base
			}
			c.base, c.onset, c.series = c.subs[0], sub.onset, sub.series
			for _, r := range c.subs[1:] {
				c.onset += consonants[r].onset
				if !sonorant(r) {
					c.series = consonants[r].series
				}
			}
			c.subs = c.subs[1:]
		}
		syl = append(syl, c)
	}
	if n := len(syl) - 1; n >= 0 && syl[n].vowel == 'ី' && syl[n].final == "" && syl[n].sign == 0 {
		syl[n].wordFinal = true
	}
	var b strings.Builder
	for _, s := range syl {
		b.WriteString(s.onset)
		b.WriteString(s.indepV)
		if s.hasBase {
			b.WriteString(vowelOf(s))
		}
		b.WriteString(s.final)
	}
	out := b.String()
	if out == "" {
		return ""
	}
	r := []rune(out)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// sonorant reports whether a consonant is one of the sonorants, which as
// subscripts leave a cluster in its base's series.
func sonorant(r rune) bool { return strings.ContainsRune("ងញនមយរលវ", r) }

// finalOf is a closing cluster's final: its last subscript when that is an
// aspirate of the base's sound (ដ្ឋ → th), else the base's final.
func finalOf(c syllable) string {
	f := consonants[c.base].final
	n := len(c.subs)
	switch {
	case n == 0 || f == "":
	case c.subs[n-1] == c.base && strings.ContainsRune("ណនមលញ", c.base):
		return f + f // a doubled sonorant is written twice (សុវណ្ណ → Sovann)
	case aspirateOf(f, consonants[c.subs[n-1]].final):
		return consonants[c.subs[n-1]].final
	}
	return f
}

// aspirateOf reports whether Latin onset or final b is the aspirate (or the
// same sound) of final a: k–kh, ch–chh, th–th, p/b–ph.
func aspirateOf(a, b string) bool {
	switch a {
	case "k":
		return b == "kh" || b == "k"
	case "ch":
		return b == "chh" || b == "ch"
	case "th", "t":
		return b == "th"
	case "p", "b":
		return b == "ph"
	}
	return false
}

// vowelOf reads a syllable's vowel with its sign; a word-final ី is written
// "y" after the second series (Davy).
func vowelOf(s syllable) string {
	v, ok := vowels[s.vowel]
	if !ok {
		v = inherent
	}
	read := v.first
	if s.series == 2 {
		read = v.second
		// A second-series short vowel closed by ន or ម reads as a short u
		// (គន្ធា → Kunthea, ភិរម្យ → Phirum); samyok closed by anything but
		// a k-sound reads as a short o, written "or" before n (ជីវ័ន →
		// Chivorn, រ័ត្ន → roth, but ល័ក្ខ → leak).
		switch {
		case s.vowel == 0 && s.sign == 0 && (s.final == "n" && s.closer == 'ន' || s.final == "m" && s.closer == 'ម'):
			read = "u"
		case s.vowel == samyok && s.final == "n":
			read = "or"
		case s.vowel == samyok && s.final != "" && s.final != "k":
			read = "o"
		}
	}
	if s.wordFinal {
		read = map[int]string{1: "ey", 2: "y"}[s.series]
	}
	switch s.sign {
	case nikahit:
		switch s.vowel {
		case 0:
			read = map[int]string{1: "am", 2: "um"}[s.series]
		case 'ុ':
			read = "om"
		case 'ា':
			read = map[int]string{1: "am", 2: "oam"}[s.series]
		default:
			read += "m"
		}
	case reahmuk:
		read += "h"
	case yuukaleap:
		read = map[int]string{1: "ak", 2: "eak"}[s.series]
	}
	return read
}

// familyNames is the gazetteer of common Khmer family names with their
// usual Latin spellings; a name is found by its family name.
var familyNames = map[string]string{
	"សុខ": "Sok", "ចាន់": "Chan", "ហេង": "Heng", "លី": "Ly", "គឹម": "Kim", "ម៉ៅ": "Mao", "ស៊ុន": "Sun",
	"ទេព": "Tep", "ជា": "Chea", "ញឹម": "Nhem", "សេង": "Seng", "សំ": "Sam", "ប៊ុន": "Bun", "ខៀវ": "Khiev",
	"នួន": "Nuon", "អ៊ុក": "Ouk", "ពេជ្រ": "Pech", "យឹម": "Yim", "មាស": "Meas", "ឡុង": "Long", "ទូច": "Touch",
	"កែវ": "Keo", "អ៊ឹម": "Im", "សៅ": "Sao", "វង្ស": "Vong", "ប្រាក់": "Prak", "ឆាយ": "Chhay", "រស់": "Ros",
	"ម៉ែន": "Men", "ឈឹម": "Chhim", "អេង": "Eng", "តាន់": "Tan", "ហ៊ុន": "Hun", "ឈុន": "Chhun", "ស៊ិន": "Sin",
	"ទិត្យ": "Tith", "គង់": "Kong", "លឹម": "Lim", "ងិន": "Ngin", "អ៊ូច": "Ouch", "នូ": "Nou", "ហែម": "Hem",
	"ស៊ាង": "Seang", "ម៉ម": "Mam", "សួស": "Suos", "ផាន់": "Phan", "ឃឹម": "Khim", "ជុំ": "Chum", "ស្រេង": "Sreng",
}

// FamilyName returns the usual Latin spelling of a Khmer family name of
// the gazetteer, or "" when km is none.
func FamilyName(km string) string { return familyNames[km] }

// IsFamilyLatin reports whether en is the Latin spelling of a family name
// of the gazetteer.
func IsFamilyLatin(en string) bool {
	for _, f := range familyNames {
		if f == en {
			return true
		}
	}
	return false
}

// PersonNames returns the names a Khmer text holds as "Family Given" in
// Latin letters, in reading order: a word of the family-name gazetteer
// followed, after white space, by a word of Khmer letters (the given name,
// romanised by [Romanise]). Khmer sets names apart with spaces
// ("កាលពីឆ្នាំមុន សេង វណ្ណា បានទិញ…" → "Seng Vanna").
func PersonNames(text string) []string {
	var out []string
	for _, n := range FindNames(text) {
		out = append(out, n.Latin)
	}
	return out
}

// Name is a person's name found in a Khmer text by [FindNames].
type Name struct {
	Latin             string // "Family Given" in Latin letters
	FamilyKm, GivenKm string // the two Khmer words
	At                int    // byte offset of the family name in the text
}

// FindNames returns the names [PersonNames] finds, with their Khmer words
// and offsets.
func FindNames(text string) []Name {
	var out []Name
	fields := fieldsAt(text)
	for i := 0; i+1 < len(fields); i++ {
		fam, ok := familyNames[fields[i].s]
		// The given name may end the sentence: "… អ៊ឹម ស្រីពៅ។".
		km := strings.TrimRightFunc(fields[i+1].s, func(r rune) bool {
			return r >= '\u17D4' && r <= '\u17DA' || strings.ContainsRune(edgePunct, r)
		})
		if !ok || !allKhmerLetters(km) {
			continue
		}
		if given := Romanise(km); given != "" {
			out = append(out, Name{fam + " " + given, fields[i].s, km, fields[i].at})
			i++
		}
	}
	return out
}

// field is a white-space-separated word of a text and its byte offset.
type field struct {
	s  string
	at int
}

func fieldsAt(text string) []field {
	var out []field
	start := -1
	for i, r := range text + " " {
		if unicode.IsSpace(r) {
			if start >= 0 {
				out = append(out, field{text[start:i], start})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return out
}

// allKhmerLetters reports whether s is Khmer script without digits or
// punctuation signs.
func allKhmerLetters(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Khmer, r) || (r >= '០' && r <= '៩') || (r >= '\u17D4' && r <= '\u17DC') {
			return false
		}
	}
	return s != ""
}
