package eval

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Quantity is a number found in text with the unit written right after it
// (empty when none).
type Quantity struct {
	Value string // digits as written, thousands separators removed, Khmer digits mapped to ASCII
	Unit  string // lower-cased unit word or symbol, e.g. "mw", "km", "%", "riel"
}

// units are the unit words recognised after a number, lower-case; plural
// and singular forms map to one canonical unit.
var units = map[string]string{
	"mw": "mw", "kw": "kw", "w": "w", "gw": "gw", "kwh": "kwh", "mwh": "mwh",
	"megawatts": "mw", "megawatt": "mw", "kilowatts": "kw", "kilowatt": "kw", "gigawatts": "gw", "gigawatt": "gw",
	"km": "km", "m": "m", "cm": "cm", "mm": "mm", "kilometres": "km", "kilometers": "km", "kilometre": "km", "kilometer": "km",
	"kg": "kg", "g": "g", "t": "t", "tons": "t", "tonnes": "t", "ton": "t", "tonne": "t", "kilograms": "kg", "kilogram": "kg",
	"%": "%", "percent": "%",
	"riel": "riel", "riels": "riel", "dollars": "usd", "dollar": "usd", "usd": "usd", "$": "usd",
	"years": "year", "year": "year", "people": "people", "persons": "people", "hectares": "ha", "hectare": "ha", "ha": "ha",
	"l": "l", "litres": "l", "liters": "l", "litre": "l", "liter": "l",
	"hours": "hour", "hour": "hour", "days": "day", "day": "day", "minutes": "minute", "minute": "minute",
}

// Quantities extracts the numbers of s in order, each with the unit that
// immediately follows it (or a leading "$"). Khmer digits count as digits.
func Quantities(s string) []Quantity {
	s = KhmerDigitsToASCII(s)
	var out []Quantity
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsDigit(r) || r > unicode.MaxASCII {
			i += w
			continue
		}
		// Scan digits with inner ',' or '.' followed by a digit.
		j := i
		var val strings.Builder
		for j < len(s) {
			c := s[j]
			if c >= '0' && c <= '9' {
				val.WriteByte(c)
				j++
				continue
			}
			if (c == ',' || c == '.') && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' {
				if c == '.' {
					val.WriteByte('.')
				}
				j++
				continue
			}
			break
		}
		q := Quantity{Value: val.String()}
		if i > 0 && s[i-1] == '$' {
			q.Unit = "usd"
		}
		rest := strings.TrimLeft(s[j:], " \u00a0")
		if q.Unit == "" {
			word := rest
			if k := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) && r != '%' && r != '$' }); k >= 0 {
				word = rest[:k]
			}
			if strings.HasPrefix(rest, "%") {
				word = "%"
			}
			if u, ok := units[strings.ToLower(word)]; ok {
				q.Unit = u
			}
		}
		out = append(out, q)
		i = j
	}
	return out
}

// NumericFidelity returns how many of the reference's quantities (value and
// unit) appear in the output, and how many the reference has. Each output
// quantity can match one reference quantity. A unit-less reference number
// matches an output number with the same value whatever its unit.
func NumericFidelity(output, reference string) (matched, total int) {
	ref := Quantities(reference)
	got := Quantities(output)
	used := make([]bool, len(got))
	for _, r := range ref {
		for i, g := range got {
			if !used[i] && g.Value == r.Value && (r.Unit == "" || g.Unit == r.Unit) {
				used[i] = true
				matched++
				break
			}
		}
	}
	return matched, len(ref)
}
