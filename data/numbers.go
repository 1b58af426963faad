package data

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// unit is a unit of measure. en/enOne are the English words (plural and
// singular), enSym an optional English symbol, km the Khmer word and kmSym
// an optional symbol allowed on the Khmer side. canon is the unit as written
// in extraction answers. The value range is sampled log-uniformly.
type unit struct {
	key        string
	en, enOne  string
	enSym      string
	symPrefix  bool // "$25" rather than "25 $"
	symTight   bool // "12%" rather than "12 %"
	km, kmSym  string
	kmSymTight bool
	canon      string // "MW", "%", "$", "riel", ...
	min, max   float64
	decimals   float64 // probability of one decimal place
	howQ       string  // "How many megawatts are mentioned in the passage?"
}

var units = map[string]*unit{
	"MW":      {key: "MW", en: "megawatts", enOne: "megawatt", enSym: "MW", km: "មេហ្គាវ៉ាត់", kmSym: "MW", canon: "MW", min: 2, max: 900, decimals: 0.2},
	"kW":      {key: "kW", en: "kilowatts", enOne: "kilowatt", enSym: "kW", km: "គីឡូវ៉ាត់", kmSym: "kW", canon: "kW", min: 20, max: 9500, decimals: 0.1},
	"km":      {key: "km", en: "kilometres", enOne: "kilometre", enSym: "km", km: "គីឡូម៉ែត្រ", kmSym: "km", canon: "km", min: 2, max: 950, decimals: 0.15},
	"m":       {key: "m", en: "metres", enOne: "metre", km: "ម៉ែត្រ", canon: "metres", min: 15, max: 2500},
	"kg":      {key: "kg", en: "kilograms", enOne: "kilogram", enSym: "kg", km: "គីឡូក្រាម", kmSym: "kg", canon: "kg", min: 1, max: 95, decimals: 0.25},
	"t":       {key: "t", en: "tonnes", enOne: "tonne", km: "តោន", canon: "tonnes", min: 5, max: 95000},
	"%":       {key: "%", en: "percent", enOne: "percent", enSym: "%", symTight: true, km: "ភាគរយ", kmSym: "%", kmSymTight: true, canon: "%", min: 1, max: 75, decimals: 0.25},
	"riel":    {key: "riel", en: "riel", enOne: "riel", km: "រៀល", kmSym: "៛", kmSymTight: true, canon: "riel", min: 500, max: 950000},
	"USD":     {key: "USD", en: "dollars", enOne: "dollar", enSym: "$", symPrefix: true, km: "ដុល្លារ", canon: "$", min: 3, max: 250000},
	"year":    {key: "year", en: "years", enOne: "year", km: "ឆ្នាំ", canon: "years", min: 2, max: 45},
	"age":     {key: "age", en: "years", enOne: "year", km: "ឆ្នាំ", canon: "years", min: 6, max: 96},
	"hour":    {key: "hour", en: "hours", enOne: "hour", km: "ម៉ោង", canon: "hours", min: 1, max: 14, decimals: 0.3},
	"minute":  {key: "minute", en: "minutes", enOne: "minute", km: "នាទី", canon: "minutes", min: 5, max: 240},
	"C":       {key: "C", en: "degrees Celsius", enOne: "degree Celsius", enSym: "°C", symTight: true, km: "អង្សាសេ", canon: "°C", min: 14, max: 44, decimals: 0.4},
	"mm":      {key: "mm", en: "millimetres", enOne: "millimetre", enSym: "mm", km: "មីលីម៉ែត្រ", canon: "mm", min: 3, max: 320},
	"ha":      {key: "ha", en: "hectares", enOne: "hectare", km: "ហិកតា", canon: "hectares", min: 2, max: 25000},
	"l":       {key: "l", en: "litres", enOne: "litre", km: "លីត្រ", canon: "litres", min: 2, max: 600},
	"people":  {key: "people", en: "people", enOne: "person", km: "នាក់", canon: "people", min: 25, max: 95000},
	"tourist": {key: "tourist", en: "tourists", enOne: "tourist", km: "នាក់", canon: "tourists", min: 300, max: 950000},
}

func init() {
	for _, u := range units {
		switch u.key {
		case "%":
			u.howQ = "What percentage is mentioned in the passage?"
		case "C":
			u.howQ = "How many degrees Celsius are mentioned in the passage?"
		case "age":
			u.howQ = "How old is the person in the passage?"
		default:
			u.howQ = "How many " + u.en + " are mentioned in the passage?"
		}
	}
}

// number is a sampled value: value is canonical ("12000", "2.5").
type number struct{ value string }

func (n number) float() float64 { f, _ := strconv.ParseFloat(n.value, 64); return f }

// one reports whether the value is exactly 1 (English singular).
func (n number) one() bool { return n.value == "1" }

// sampleNumber draws a value in [lo, hi]: log-uniform, rounded to 1–3
// significant digits (sometimes exact), with one decimal place with
// probability dec for small values.
func sampleNumber(r *rand.Rand, lo, hi, dec float64) number {
	x := math.Exp(math.Log(lo) + r.Float64()*(math.Log(hi)-math.Log(lo)))
	if x < 100 && r.Float64() < dec {
		v := math.Round(x*2) / 2 // .0 or .5 steps read naturally; allow other tenths too
		if r.IntN(3) == 0 {
			v = math.Round(x*10) / 10
		}
		if v < lo {
			v = lo
		}
		s := strconv.FormatFloat(v, 'f', 1, 64)
		s = strings.TrimSuffix(s, ".0")
		return number{s}
	}
	v := math.Round(x)
	if v < lo {
		v = math.Ceil(lo)
	}
	if v >= 100 {
		sig := 1 + r.IntN(3) // round to 1..3 significant digits, or keep exact
		if r.IntN(4) == 0 {
			sig = 4
		}
		mag := math.Pow(10, math.Floor(math.Log10(v))+1-float64(sig))
		if mag > 1 {
			v = math.Round(v/mag) * mag
		}
	}
	return number{strconv.FormatInt(int64(v), 10)}
}

// HeldOutNumber reports whether a canonical number value (digits with an
// optional "." decimal part, no grouping) is reserved for test and the
// retrieval pool. About one value in five is.
func HeldOutNumber(value string) bool {
	h := fnv.New32a()
	h.Write([]byte(value))
	return h.Sum32()%5 == 0
}

// HeldOutName reports whether an English given name is reserved for test
// and the retrieval pool (every fifth given name of the lexicon).
func HeldOutName(given string) bool {
	for i, n := range givenNames {
		if n.en == given {
			return i%5 == 0
		}
	}
	return false
}

// KnownGivenName reports whether s is one of the lexicon's given names,
// in English or in Khmer script, training or held out. Generated
// pseudo-names must not be one: a held-out name in training data would
// no longer be held out.
func KnownGivenName(s string) bool { return spells(givenNames, s) }

// spells reports whether s is one of the names, in English or Khmer script.
func spells(names []name, s string) bool {
	for _, n := range names {
		if n.en == s || n.km == s {
			return true
		}
	}
	return false
}

// TrainingGivenNames returns the lexicon's given names that are not held
// out ([HeldOutName]): the names training data holds, English and Khmer
// spellings in the same order.
func TrainingGivenNames() (en, km []string) {
	for _, n := range givenNames {
		if !HeldOutName(n.en) {
			en, km = append(en, n.en), append(km, n.km)
		}
	}
	return en, km
}

// DevGivenName reports whether s is one of the given names reserved for
// development questions ([DevGivenNames]), in English or in Khmer script.
func DevGivenName(s string) bool { return spells(devGivenNames, s) }

// DevGivenNames returns the real Khmer given names reserved for renaming
// development questions, as English spellings and Khmer spellings in the
// same order. No generated corpus holds them.
func DevGivenNames() (en, km []string) {
	for _, n := range devGivenNames {
		en, km = append(en, n.en), append(km, n.km)
	}
	return en, km
}

// NovelPlace reports whether an English place name is reserved for the
// novel-entity slice (every fifth place of the lexicon): a corpus built with
// [Config.Novel] > 0 uses it in that slice only.
func NovelPlace(en string) bool {
	for i, p := range places {
		if p.en == en {
			return i%5 == 0
		}
	}
	return false
}

// NovelYear reports whether a year is reserved for the novel-entity slice
// (2008, 2013, 2018, 2023, 2028: one year in five of the generator's
// 2008–2032).
func NovelYear(y int) bool { return y%5 == 3 }

// groupThousands writes "12000" as "12,000"; decimals are kept.
func groupThousands(v string) string {
	intPart, frac, hasFrac := strings.Cut(v, ".")
	if len(intPart) <= 3 {
		return v
	}
	var b strings.Builder
	pre := len(intPart) % 3
	if pre > 0 {
		b.WriteString(intPart[:pre])
	}
	for i := pre; i < len(intPart); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(intPart[i : i+3])
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return b.String()
}

// englishNumber is the number as the English side writes it.
func englishNumber(v string) string { return groupThousands(v) }

// ToKhmerDigits replaces Arabic digits 0–9 in s with Khmer digits ០–៩.
func ToKhmerDigits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune('០' + (c - '0'))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// ToArabicDigits replaces Khmer digits ០–៩ in s with Arabic digits 0–9.
func ToArabicDigits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '០' && c <= '៩' {
			b.WriteRune('0' + (c - '០'))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// digits is the Khmer side's numeral style for one sentence.
type digits struct {
	khmer bool // Khmer digits ០–៩ (else Arabic)
	group bool // group thousands of values ≥ 10,000 with ","
}

func (d digits) num(v string) string {
	if d.group {
		if f, _ := strconv.ParseFloat(v, 64); f >= 10000 {
			v = groupThousands(v)
		}
	}
	if d.khmer {
		return ToKhmerDigits(v)
	}
	return v
}

// plain writes digits without grouping (years, days of the month).
func (d digits) plain(v string) string {
	if d.khmer {
		return ToKhmerDigits(v)
	}
	return v
}
