package data

import (
	"fmt"
	"math/rand/v2"
)

// The generator's draws of single values: a person, a place, a time
// phrase, a year, a number and the quantity written with it.

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

// number draws a value for u (or the [lo,hi] override) allowed by the
// vocabulary.
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

// fillNumber draws the frame's number for unit key uKey and writes {N},
// {Q}, {aQa} and {Uw} and the Slots' number, unit and quantity.
func (g *generator) fillNumber(p *draft, uKey string) {
	if uKey == "count" {
		g.fillCount(p)
		return
	}
	u := units[uKey]
	n := g.number(u, p.f.lo, p.f.hi)
	p.setNumber(n)
	p.s.Unit, p.s.UnitKm = u.canon, u.km
	p.s.Quantity = answerQuantity(u, n, p.s.Number)
	g.englishQuantity(p, u, n)
	g.khmerQuantity(p, u)
}

// fillCount draws how many of the frame's items or the facility's members
// there are: in the frame's range, the facility's own, or at most 60
// animals or buildings.
func (g *generator) fillCount(p *draft) {
	f, s := p.f, p.s
	u := &unit{min: f.lo, max: f.hi}
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
	p.setNumber(g.number(u, 0, 0))
	s.Quantity = s.Number + " " + s.Unit
}

// setNumber writes n into the Slots (canonical, English and Khmer forms)
// and {N}.
func (p *draft) setNumber(n number) {
	s := p.s
	s.Value, s.Number, s.NumberKm = n.value, englishNumber(n.value), p.d.num(n.value)
	p.en["N"], p.km["N"] = s.Number, s.NumberKm
}

// answerQuantity writes the number num with unit u as extraction answers
// do: "$25", "12%", "30 MW", "12,000 riel", "5 tonnes".
func answerQuantity(u *unit, n number, num string) string {
	switch {
	case u.canon == "$":
		return "$" + num
	case u.canon == "%" || u.canon == "°C":
		return num + u.canon
	case len(u.canon) > 3 || u.canon == "riel": // unit words: "tonnes", "years", ...
		if n.one() {
			return num + " " + u.enOne
		}
		return num + " " + u.en
	}
	return num + " " + u.canon
}

// englishQuantity draws the English quantity's form, the unit's symbol
// ("30 MW") or its word ("30 megawatts"): {Q}, {aQa} ("a 30-megawatt")
// and the unit word {Uw}.
func (g *generator) englishQuantity(p *draft, u *unit, n number) {
	en, num := p.en, p.s.Number
	en["Uw"] = u.en
	if n.one() {
		en["Uw"] = u.enOne
	}
	if u.enSym != "" && g.r.IntN(2) == 0 {
		switch {
		case u.symPrefix:
			en["Q"] = u.enSym + num
		case u.symTight:
			en["Q"] = num + u.enSym
		default:
			en["Q"] = num + " " + u.enSym
		}
		en["Qa"] = en["Q"]
	} else {
		en["Q"] = num + " " + en["Uw"]
		en["Qa"] = num + "-" + u.enOne
	}
	en["aQa"] = article(en["Qa"]) + " " + en["Qa"]
}

// khmerQuantity draws the Khmer quantity {Q}: the unit word, or (one in
// four, when the unit has one) its symbol, which Slots.UnitKm then records.
func (g *generator) khmerQuantity(p *draft, u *unit) {
	s := p.s
	if u.kmSym != "" && g.r.IntN(4) == 0 {
		s.UnitKm = u.kmSym
		if u.kmSymTight {
			p.km["Q"] = s.NumberKm + u.kmSym
		} else {
			p.km["Q"] = s.NumberKm + " " + u.kmSym + " "
		}
		return
	}
	p.km["Q"] = s.NumberKm + u.km
}
