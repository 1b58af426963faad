package data

import (
	"math/rand/v2"
	"strings"
)

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

// draft is a pair being drawn: its frame, its slot values so far and the
// values of the placeholders of its English and Khmer templates.
type draft struct {
	f      *frame
	s      *Slots
	en, km map[string]string
	past   bool   // the templates' {V:past|future} choice
	d      digits // how the Khmer sentence writes numbers
}

// draw draws one pair: a frame by weight, a tense, the digit style, then
// the frame's people, places, time, unit, object and number, and renders
// one English and one Khmer paraphrase and the frame's questions. The
// order of the random draws is part of every generated corpus: changing it
// changes every default result.
func (g *generator) draw() Pair {
	f := g.frame()
	tense := g.tense(f)
	d := digits{khmer: g.r.IntN(10) < 7, group: g.r.IntN(2) == 0}
	p := &draft{f: f, s: &Slots{Frame: f.name, Tense: tense}, past: tense != "future", d: d,
		en: map[string]string{}, km: map[string]string{"T": tenseKm(tense)}}
	g.fillPeople(p)
	g.fillPlaces(p)
	if f.date {
		var e string
		e, p.s.When, p.s.WhenKm = g.when(p.past, p.d)
		p.en["D"], p.km["D"] = e, p.s.WhenKm
	}
	var uKey string
	if len(f.units) > 0 {
		uKey = pick(g.r, f.units)
	}
	g.fillObject(p, uKey)
	if f.name == "price_change" {
		g.fillDirection(p)
	}
	if uKey != "" {
		g.fillNumber(p, uKey)
	}
	return g.renderPair(p)
}

// frame draws a frame with probability proportional to its weight.
func (g *generator) frame() *frame {
	k := g.r.IntN(g.total)
	for i := range frames {
		if k < frames[i].weight {
			return &frames[i]
		}
		k -= frames[i].weight
	}
	panic("data: frame weights do not sum to the generator's total")
}

// tense draws the tense a frame allows: "past", "future" (one in three for
// a frame allowing both) or "" (present).
func (g *generator) tense(f *frame) string {
	switch f.tenses {
	case "p":
		return "past"
	case "f":
		return "future"
	case "pf":
		if g.r.IntN(3) == 0 {
			return "future"
		}
		return "past"
	}
	return ""
}

// tenseKm is the Khmer tense marker {T}: បាន for the past, នឹង for the
// future, nothing for the present.
func tenseKm(tense string) string {
	switch tense {
	case "past":
		return "បាន"
	case "future":
		return "នឹង"
	}
	return ""
}

// fillPeople draws the frame's one or two (different) people: {P}, {P2}.
func (g *generator) fillPeople(p *draft) {
	s := p.s
	if p.f.person >= 1 {
		s.Person, p.km["P"] = g.person()
		p.en["P"] = s.Person
		s.PersonKm = strings.TrimSpace(p.km["P"])
	}
	if p.f.person >= 2 {
		for {
			s.Person2, p.km["P2"] = g.person()
			if s.Person2 != s.Person {
				break
			}
		}
		p.en["P2"] = s.Person2
		s.Person2Km = strings.TrimSpace(p.km["P2"])
	}
}

// fillPlaces draws the frame's place {L} ({inL} with its preposition) and,
// for a frame with an origin, a second domestic place {L2}.
func (g *generator) fillPlaces(p *draft) {
	if p.f.place == "" {
		return
	}
	s := p.s
	pl := g.place(p.f.place, "")
	s.Place, s.PlaceKm = pl.en, pl.km
	p.en["L"], p.km["L"] = pl.en, pl.km
	p.en["inL"] = pl.prep + " " + pl.en
	if p.f.place2 {
		p2 := g.place("domin", pl.en)
		s.Place2, s.Place2Km = p2.en, p2.km
		p.en["L2"], p.km["L2"] = p2.en, p2.km
	}
}

// fillObject draws the frame's noun (item, action, food, crop, event, job,
// facility or power plant) into Slots.Object and its placeholders; a
// counted unit (uKey "count") counts the item or the facility's members.
func (g *generator) fillObject(p *draft, uKey string) {
	s, en, km := p.s, p.en, p.km
	switch p.f.noun {
	case "item", "item2":
		it := pick(g.r, items)
		s.Object, s.ObjectKm = it.en, it.km
		en["O"], en["I"], en["Is"] = it.article+" "+it.en, it.en, it.plural
		km["O"], km["I"], km["C"] = it.km+"មួយ"+it.clf, it.km, it.clf
		if uKey == "count" {
			s.Unit, s.UnitKm = it.plural, it.clf
		}
	case "action":
		g.fillAction(p)
	case "food", "crop":
		fd := pick(g.r, foods)
		if p.f.noun == "crop" {
			fd = pick(g.r, crops)
		}
		s.Object, s.ObjectKm = fd.en, fd.km
		en["F"], km["F"] = fd.en, fd.km
	case "event":
		e := pick(g.r, events)
		s.Object, s.ObjectKm = e.en, e.km
		en["E"], km["E"] = e.en, e.km
	case "job":
		j := pick(g.r, jobs)
		s.Object, s.ObjectKm = j.en, j.km
		en["J"], en["Jn"], km["Jk"] = j.article+" "+j.en, j.en, j.km
	case "facility", "powerfac":
		g.fillFacility(p, uKey)
	case "plant":
		pl := pick(g.r, plants)
		s.Object, s.ObjectKm = pl.en, pl.km
		en["K"], km["K"], en["aK"] = pl.en, pl.km, article(pl.en)+" "+pl.en
	}
}

// fillAction draws an item and an action that applies to it: {O}, {I},
// {A} in the pair's tense, {Ab} and the Khmer verb {Ak}.
func (g *generator) fillAction(p *draft) {
	var it item
	var a action
	for {
		it, a = pick(g.r, items), pick(g.r, actions)
		if a.ok(it) {
			break
		}
	}
	p.s.Object, p.s.ObjectKm = it.en, it.km
	p.en["O"], p.en["I"] = it.article+" "+it.en, it.en
	p.km["O"], p.km["I"] = it.km+"មួយ"+it.clf, it.km
	p.en["A"], p.en["Ab"], p.km["Ak"] = a.past, a.base, a.km
	if !p.past {
		p.en["A"] = a.future
	}
}

// fillFacility draws a facility (one that uses power for "powerfac"): {X},
// its members {M} / {Mk} and classifier {C}.
func (g *generator) fillFacility(p *draft, uKey string) {
	var fc facility
	for {
		fc = pick(g.r, facilities)
		if p.f.noun == "facility" || fc.usesPower {
			break
		}
	}
	s := p.s
	s.Object, s.ObjectKm = fc.en, fc.km
	p.en["X"], p.km["X"], p.en["M"], p.km["Mk"], p.km["C"] = fc.en, fc.km, fc.members, fc.memberKm, fc.clf
	if uKey == "count" {
		s.Unit, s.UnitKm = fc.members, fc.clf
		if fc.clf == "" {
			s.UnitKm = fc.memberKm
		}
	}
}

// fillDirection draws whether a price rose or fell: {Up}, {Upb}, {Upk}.
func (g *generator) fillDirection(p *draft) {
	if g.r.IntN(2) == 0 {
		p.en["Up"], p.en["Upb"], p.km["Upk"] = "rose", "rise", "កើនឡើង"
	} else {
		p.en["Up"], p.en["Upb"], p.km["Upk"] = "fell", "fall", "ធ្លាក់ចុះ"
	}
}

// renderPair draws one English and one Khmer paraphrase of the frame, fills
// them, and writes the frame's questions with their exact answers.
func (g *generator) renderPair(p *draft) Pair {
	out := Pair{Slots: p.s}
	out.English = finishEnglish(render(pick(g.r, p.f.en), p.en, p.past))
	out.Foreign = finishKhmer(render(pick(g.r, p.f.km), p.km, p.past))
	for _, q := range p.f.qs {
		ans := p.en[q.ans]
		switch q.ans {
		case "D":
			ans = p.s.When
		case "N":
			ans = p.s.Number
		}
		out.qs = append(out.qs, question{q.kind, finishEnglish(render(q.tmpl, p.en, p.past)), ans})
	}
	return out
}
