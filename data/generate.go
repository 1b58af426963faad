package data

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pair is one parallel sentence pair. Generated pairs carry their slot
// values; pairs read from users' files or harvested from packages carry
// provenance instead.
type Pair struct {
	English string `json:"english"`
	Foreign string `json:"foreign"`
	// Slots holds the values the generator filled in (nil for other pairs).
	Slots *Slots `json:"slots,omitempty"`
	// Source says where a harvested or read pair came from
	// (package, file, message or paragraph id).
	Source string `json:"source,omitempty"`
	// License is the licence of the source text, when known.
	License string `json:"license,omitempty"`

	qs []question // questions with exact answers, set by the generator
}

// Slots are the values of a generated pair. English fields hold the form
// used in answers; *Km fields the form written in the Khmer sentence.
// Empty fields are absent from the pair.
type Slots struct {
	Frame     string `json:"frame"`
	Tense     string `json:"tense,omitempty"` // "past", "future" or "" (present)
	Person    string `json:"person,omitempty"`
	PersonKm  string `json:"person_km,omitempty"`
	Person2   string `json:"person2,omitempty"`
	Person2Km string `json:"person2_km,omitempty"`
	Place     string `json:"place,omitempty"`
	PlaceKm   string `json:"place_km,omitempty"`
	Place2    string `json:"place2,omitempty"`
	Place2Km  string `json:"place2_km,omitempty"`
	When      string `json:"when,omitempty"` // "12 March 2024", "yesterday", "Monday"
	WhenKm    string `json:"when_km,omitempty"`
	Object    string `json:"object,omitempty"` // item, food, crop, event, job, facility or plant
	ObjectKm  string `json:"object_km,omitempty"`
	// Value is the number in canonical form: digits, optional "." decimals,
	// no grouping ("12000", "2.5").
	Value    string `json:"value,omitempty"`
	Number   string `json:"number,omitempty"`    // as in English: "12,000"
	NumberKm string `json:"number_km,omitempty"` // as in Khmer: "១២០០០" or "12,000"
	Unit     string `json:"unit,omitempty"`      // canonical English unit: "MW", "%", "$", "riel", "students"
	UnitKm   string `json:"unit_km,omitempty"`
	// Quantity is the number with its unit as extraction answers write it:
	// "30 MW", "12%", "$25", "12,000 riel", "300 students".
	Quantity string `json:"quantity,omitempty"`
}

type question struct{ kind, text, answer string }

// vocab selects which names and number values the generator may use.
type vocab int

const (
	vocabAll     vocab = iota // everything
	vocabTrain                // names and numbers not held out
	vocabHeldOut              // only held-out names and numbers
)

func (v vocab) nameOK(i int) bool {
	switch v {
	case vocabTrain:
		return i%5 != 0
	case vocabHeldOut:
		return i%5 == 0
	}
	return true
}

func (v vocab) numberOK(val string) bool {
	switch v {
	case vocabTrain:
		return !HeldOutNumber(val)
	case vocabHeldOut:
		return HeldOutNumber(val)
	}
	return true
}

// entities selects which places and years the generator may use: any
// (the corpus without a novel-entity slice), only those a novel-entity
// slice does not reserve, or only reserved ones.
type entities int

const (
	entAny      entities = iota // every place and year
	entFamiliar                 // places and years not reserved for the novel-entity slice
	entNovel                    // only reserved places and years
)

func (e entities) placeOK(en string) bool {
	switch e {
	case entFamiliar:
		return !NovelPlace(en)
	case entNovel:
		return NovelPlace(en)
	}
	return true
}

func (e entities) yearOK(y int) bool {
	switch e {
	case entFamiliar:
		return !NovelYear(y)
	case entNovel:
		return NovelYear(y)
	}
	return true
}

// generator draws distinct pairs. seen is shared between generators of one
// corpus so that no sentence repeats across splits.
type generator struct {
	r     *rand.Rand
	voc   vocab
	ent   entities
	seen  map[string]bool
	total int // sum of frame weights
	// novel records whether the pair being drawn used a reserved place or
	// year (entNovel keeps only such pairs).
	novel bool
}

func newGenerator(seed uint64, stream uint64, voc vocab, seen map[string]bool) *generator {
	g := &generator{r: rand.New(rand.NewPCG(seed, stream)), voc: voc, seen: seen}
	for _, f := range frames {
		g.total += f.weight
	}
	return g
}

// next returns a pair whose English and Khmer sentences have not been seen.
func (g *generator) next() Pair {
	for {
		g.novel = false
		p := g.draw()
		if g.ent == entNovel && !g.novel {
			continue
		}
		ke, kk := "e\x00"+p.English, "k\x00"+p.Foreign
		if g.seen[ke] || g.seen[kk] {
			continue
		}
		g.seen[ke], g.seen[kk] = true, true
		return p
	}
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (g *generator) person() (en, km string) {
	for {
		i := g.r.IntN(len(givenNames))
		if !g.voc.nameOK(i) {
			continue
		}
		f := pick(g.r, familyNames)
		return f.en + " " + givenNames[i].en, " " + f.km + " " + givenNames[i].km + " "
	}
}

func (g *generator) place(kind string, not string) place {
	for {
		p := pick(g.r, places)
		if p.en == not || !g.ent.placeOK(p.en) {
			continue
		}
		switch kind {
		case "in":
			if p.prep != "in" {
				continue
			}
		case "dom":
			if !p.domestic {
				continue
			}
		case "domin":
			if !p.domestic || p.prep != "in" {
				continue
			}
		}
		g.novel = g.novel || g.ent == entNovel
		return p
	}
}

// when draws a time phrase for the tense: English phrase, the answer form,
// and the Khmer phrase.
func (g *generator) when(past bool, d digits) (en, ans, km string) {
	r := g.r
	switch k := r.IntN(10); {
	case k < 2: // weekday
		i := r.IntN(7)
		if past {
			return "on " + weekdaysEn[i], weekdaysEn[i], "កាលពីថ្ងៃ" + weekdaysKm[i]
		}
		return "next " + weekdaysEn[i], "next " + weekdaysEn[i], "នៅថ្ងៃ" + weekdaysKm[i] + "ក្រោយ"
	case k < 5: // full date
		day, m, y := 1+r.IntN(28), r.IntN(12), g.year(past)
		a := fmt.Sprintf("%d %s %d", day, monthsEn[m], y)
		k := fmt.Sprintf("ថ្ងៃទី%s ខែ%s ឆ្នាំ%s", d.plain(fmt.Sprint(day)), monthsKm[m], d.plain(fmt.Sprint(y)))
		return "on " + a, a, pastFuture(past) + k
	case k < 7: // month and year
		m, y := r.IntN(12), g.year(past)
		a := fmt.Sprintf("%s %d", monthsEn[m], y)
		return "in " + a, a, pastFuture(past) + "ខែ" + monthsKm[m] + " ឆ្នាំ" + d.plain(fmt.Sprint(y))
	case k < 8: // year
		y := g.year(past)
		return fmt.Sprintf("in %d", y), fmt.Sprint(y), pastFuture(past) + "ឆ្នាំ" + d.plain(fmt.Sprint(y))
	default:
		rel := relPast
		if !past {
			rel = relFuture
		}
		t := pick(r, rel)
		return t.en, t.en, t.km
	}
}

func pastFuture(past bool) string {
	if past {
		return "កាលពី"
	}
	return "នៅ"
}

func (g *generator) year(past bool) int {
	for {
		var y int
		if past {
			y = 2008 + g.r.IntN(18) // 2008–2025
		} else {
			y = 2026 + g.r.IntN(7) // 2026–2032
		}
		if g.ent.yearOK(y) {
			g.novel = g.novel || g.ent == entNovel
			return y
		}
	}
}

// quantity draws a value for u (or the [lo,hi] override) allowed by the vocabulary.
func (g *generator) number(u *unit, lo, hi float64) number {
	if lo == 0 {
		lo, hi = u.min, u.max
	}
	for {
		n := sampleNumber(g.r, lo, hi, u.decimals)
		if g.voc.numberOK(n.value) {
			return n
		}
	}
}

// article returns "a" or "an" for a word or a number as English speaks it.
func article(s string) string {
	if s == "" {
		return "a"
	}
	if s[0] >= '0' && s[0] <= '9' {
		lead, _, _ := strings.Cut(s, ",")
		lead, _, _ = strings.Cut(lead, ".")
		lead, _, _ = strings.Cut(lead, "-")
		lead, _, _ = strings.Cut(lead, " ")
		if s[0] == '8' || lead == "11" || lead == "18" {
			return "an"
		}
		return "a"
	}
	if strings.ContainsRune("aeiouAEIOU", rune(s[0])) {
		return "an"
	}
	return "a"
}

func (g *generator) draw() Pair {
	r := g.r
	k := r.IntN(g.total)
	var f *frame
	for i := range frames {
		if k < frames[i].weight {
			f = &frames[i]
			break
		}
		k -= frames[i].weight
	}
	tense := ""
	switch f.tenses {
	case "p":
		tense = "past"
	case "f":
		tense = "future"
	case "pf":
		tense = "past"
		if r.IntN(3) == 0 {
			tense = "future"
		}
	}
	past := tense != "future"
	d := digits{khmer: r.IntN(10) < 7, group: r.IntN(2) == 0}

	en := map[string]string{}
	km := map[string]string{}
	s := &Slots{Frame: f.name, Tense: tense}
	switch tense {
	case "past":
		km["T"] = "បាន"
	case "future":
		km["T"] = "នឹង"
	default:
		km["T"] = ""
	}
	if f.person >= 1 {
		s.Person, km["P"] = g.person()
		en["P"] = s.Person
		s.PersonKm = strings.TrimSpace(km["P"])
	}
	if f.person >= 2 {
		for {
			s.Person2, km["P2"] = g.person()
			if s.Person2 != s.Person {
				break
			}
		}
		en["P2"] = s.Person2
		s.Person2Km = strings.TrimSpace(km["P2"])
	}
	if f.place != "" {
		p := g.place(f.place, "")
		s.Place, s.PlaceKm = p.en, p.km
		en["L"], km["L"] = p.en, p.km
		en["inL"] = p.prep + " " + p.en
		if f.place2 {
			p2 := g.place("domin", p.en)
			s.Place2, s.Place2Km = p2.en, p2.km
			en["L2"], km["L2"] = p2.en, p2.km
		}
	}
	if f.date {
		var e string
		e, s.When, s.WhenKm = g.when(past, d)
		en["D"], km["D"] = e, s.WhenKm
	}

	var uKey string
	if len(f.units) > 0 {
		uKey = pick(r, f.units)
	}
	switch f.noun {
	case "item", "item2":
		it := pick(r, items)
		s.Object, s.ObjectKm = it.en, it.km
		en["O"], en["I"], en["Is"] = it.article+" "+it.en, it.en, it.plural
		km["O"], km["I"], km["C"] = it.km+"មួយ"+it.clf, it.km, it.clf
		if uKey == "count" {
			s.Unit, s.UnitKm = it.plural, it.clf
		}
	case "action":
		var it item
		var a action
		for {
			it, a = pick(r, items), pick(r, actions)
			if a.ok(it) {
				break
			}
		}
		s.Object, s.ObjectKm = it.en, it.km
		en["O"], en["I"] = it.article+" "+it.en, it.en
		km["O"], km["I"] = it.km+"មួយ"+it.clf, it.km
		en["A"], en["Ab"], km["Ak"] = a.past, a.base, a.km
		if !past {
			en["A"] = a.future
		}
	case "food", "crop":
		fd := pick(r, foods)
		if f.noun == "crop" {
			fd = pick(r, crops)
		}
		s.Object, s.ObjectKm = fd.en, fd.km
		en["F"], km["F"] = fd.en, fd.km
	case "event":
		e := pick(r, events)
		s.Object, s.ObjectKm = e.en, e.km
		en["E"], km["E"] = e.en, e.km
	case "job":
		j := pick(r, jobs)
		s.Object, s.ObjectKm = j.en, j.km
		en["J"], en["Jn"], km["Jk"] = j.article+" "+j.en, j.en, j.km
	case "facility", "powerfac":
		var fc facility
		for {
			fc = pick(r, facilities)
			if f.noun == "facility" || fc.usesPower {
				break
			}
		}
		s.Object, s.ObjectKm = fc.en, fc.km
		en["X"], km["X"], en["M"], km["Mk"], km["C"] = fc.en, fc.km, fc.members, fc.memberKm, fc.clf
		if uKey == "count" {
			s.Unit, s.UnitKm = fc.members, fc.clf
			if fc.clf == "" {
				s.UnitKm = fc.memberKm
			}
		}
	case "plant":
		p := pick(r, plants)
		s.Object, s.ObjectKm = p.en, p.km
		en["K"], km["K"], en["aK"] = p.en, p.km, article(p.en)+" "+p.en
	}
	if f.name == "price_change" {
		if r.IntN(2) == 0 {
			en["Up"], en["Upb"], km["Upk"] = "rose", "rise", "កើនឡើង"
		} else {
			en["Up"], en["Upb"], km["Upk"] = "fell", "fall", "ធ្លាក់ចុះ"
		}
	}

	if uKey != "" {
		g.fillNumber(f, uKey, d, s, en, km)
	}

	p := Pair{Slots: s}
	p.English = finishEnglish(render(pick(r, f.en), en, past))
	p.Foreign = finishKhmer(render(pick(r, f.km), km, past))
	for _, q := range f.qs {
		ans := en[q.ans]
		switch q.ans {
		case "D":
			ans = s.When
		case "N":
			ans = s.Number
		}
		p.qs = append(p.qs, question{q.kind, finishEnglish(render(q.tmpl, en, past)), ans})
	}
	return p
}

// fillNumber draws the frame's number and writes {N}, {Q}, {aQa}, {Uw}.
func (g *generator) fillNumber(f *frame, uKey string, d digits, s *Slots, en, km map[string]string) {
	r := g.r
	var u *unit
	if uKey == "count" {
		u = &unit{min: f.lo, max: f.hi}
		if f.noun == "facility" {
			for _, fc := range facilities {
				if fc.en == s.Object {
					u.min, u.max = fc.min, fc.max
				}
			}
		} else if f.noun == "item2" {
			for _, it := range items {
				if it.en == s.Object && (it.animal || it.building) {
					u.max = 60
				}
			}
		}
		n := g.number(u, 0, 0)
		s.Value, s.Number, s.NumberKm = n.value, englishNumber(n.value), d.num(n.value)
		s.Quantity = s.Number + " " + s.Unit
		en["N"], km["N"] = s.Number, s.NumberKm
		return
	}
	u = units[uKey]
	n := g.number(u, f.lo, f.hi)
	s.Value, s.Number, s.NumberKm = n.value, englishNumber(n.value), d.num(n.value)
	en["N"], km["N"] = s.Number, s.NumberKm
	s.Unit, s.UnitKm = u.canon, u.km
	switch {
	case u.canon == "$":
		s.Quantity = "$" + s.Number
	case u.canon == "%" || u.canon == "°C":
		s.Quantity = s.Number + u.canon
	default:
		word := u.en
		if n.one() {
			word = u.enOne
		}
		if len(u.canon) > 3 || u.canon == "riel" { // unit words: "tonnes", "years", ...
			s.Quantity = s.Number + " " + word
		} else {
			s.Quantity = s.Number + " " + u.canon
		}
	}
	if n.one() {
		en["Uw"] = u.enOne
	} else {
		en["Uw"] = u.en
	}
	// English quantity: symbol or word form.
	word := en["Uw"]
	if u.enSym != "" && r.IntN(2) == 0 {
		switch {
		case u.symPrefix:
			en["Q"] = u.enSym + s.Number
		case u.symTight:
			en["Q"] = s.Number + u.enSym
		default:
			en["Q"] = s.Number + " " + u.enSym
		}
		en["Qa"] = en["Q"]
	} else {
		en["Q"] = s.Number + " " + word
		en["Qa"] = s.Number + "-" + u.enOne
	}
	en["aQa"] = article(en["Qa"]) + " " + en["Qa"]
	// Khmer quantity: unit word, or an allowed symbol.
	if u.kmSym != "" && r.IntN(4) == 0 {
		s.UnitKm = u.kmSym
		if u.kmSymTight {
			km["Q"] = s.NumberKm + u.kmSym
		} else {
			km["Q"] = s.NumberKm + " " + u.kmSym + " "
		}
	} else {
		km["Q"] = s.NumberKm + u.km
	}
}

// render expands {V:past|future} choices, then the placeholders.
func render(t string, vals map[string]string, past bool) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			break
		}
		b.WriteString(t[:i])
		depth, j := 0, i
		for ; j < len(t); j++ {
			if t[j] == '{' {
				depth++
			} else if t[j] == '}' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if j == len(t) {
			panic("data: unbalanced template " + t)
		}
		key := t[i+1 : j]
		if rest, ok := strings.CutPrefix(key, "V:"); ok {
			alt := splitTop(rest)
			if past || len(alt) < 2 {
				b.WriteString(render(alt[0], vals, past))
			} else {
				b.WriteString(render(alt[1], vals, past))
			}
		} else {
			v, ok := vals[key]
			if !ok {
				panic("data: no value for {" + key + "} in " + t)
			}
			b.WriteString(v)
		}
		t = t[j+1:]
	}
	return b.String()
}

// splitTop splits s on "|" outside braces.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
		case '|':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// finishEnglish collapses spaces and capitalises the first letter.
func finishEnglish(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, " ,", ",")
	s = strings.ReplaceAll(s, " .", ".")
	s = strings.ReplaceAll(s, " ?", "?")
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// finishKhmer collapses spaces and removes any before "។".
func finishKhmer(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, " ។", "។")
}
