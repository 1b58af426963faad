package eval

import (
	"strings"
	"unicode"
)

// NormalizeAnswer lower-cases s, maps Khmer digits to ASCII, removes
// punctuation (keeping the decimal point and sign inside numbers), drops the
// English articles a/an/the and collapses whitespace — the usual
// normalisation for short-answer exact match.
func NormalizeAnswer(s string) string {
	s = KhmerDigitsToASCII(strings.ToLower(s))
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			b.WriteRune(r)
		case (r == '.' || r == ',') && i > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i-1]) && unicode.IsDigit(rs[i+1]):
			if r == '.' {
				b.WriteRune(r) // decimal point; thousands separators vanish
			}
		case r == '%':
			b.WriteString(" % ")
		default:
			b.WriteByte(' ')
		}
	}
	words := strings.Fields(b.String())
	out := words[:0]
	for _, w := range words {
		if w != "a" && w != "an" && w != "the" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// ExactMatch reports whether prediction and reference are equal after
// [NormalizeAnswer].
func ExactMatch(prediction, reference string) bool {
	return NormalizeAnswer(prediction) == NormalizeAnswer(reference)
}

// KhmerDigitsToASCII replaces the Khmer digits ០–៩ by 0–9.
func KhmerDigitsToASCII(s string) string {
	if !strings.ContainsFunc(s, isKhmerDigit) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isKhmerDigit(r) {
			return '0' + (r - '០')
		}
		return r
	}, s)
}

func isKhmerDigit(r rune) bool { return r >= '០' && r <= '៩' }

// ChrFStats are the sufficient statistics of chrF for one or more
// hypothesis/reference pairs: per n-gram order, matched, hypothesis and
// reference n-gram counts.
type ChrFStats struct {
	Match, Hyp, Ref [chrfOrder]float64
}

const (
	chrfOrder = 6 // character n-grams 1..6
	chrfBeta  = 2 // recall weighted β² = 4 times precision
)

// charNgrams counts the character n-grams of s with whitespace removed (as
// sacreBLEU's chrF does).
func charNgrams(s string, n int) map[string]int {
	rs := []rune(strings.Join(strings.Fields(s), ""))
	m := map[string]int{}
	for i := 0; i+n <= len(rs); i++ {
		m[string(rs[i:i+n])]++
	}
	return m
}

// Add accumulates the statistics of one hypothesis/reference pair.
func (st *ChrFStats) Add(hyp, ref string) {
	for n := 1; n <= chrfOrder; n++ {
		h, r := charNgrams(hyp, n), charNgrams(ref, n)
		for g, c := range h {
			st.Hyp[n-1] += float64(c)
			st.Match[n-1] += float64(min(c, r[g]))
		}
		for _, c := range r {
			st.Ref[n-1] += float64(c)
		}
	}
}

// Score returns chrF (β = 2, orders 1–6, on a 0–100 scale) from the
// accumulated statistics: the F-score of the precision and recall averaged
// over the n-gram orders present, as sacreBLEU computes it.
func (st *ChrFStats) Score() float64 {
	var p, r float64
	orders := 0
	for n := 0; n < chrfOrder; n++ {
		if st.Hyp[n] > 0 && st.Ref[n] > 0 {
			p += st.Match[n] / st.Hyp[n]
			r += st.Match[n] / st.Ref[n]
		}
		if st.Hyp[n] > 0 || st.Ref[n] > 0 {
			orders++
		}
	}
	if orders == 0 {
		return 0
	}
	p, r = p/float64(orders), r/float64(orders)
	if p+r == 0 {
		return 0
	}
	b2 := float64(chrfBeta * chrfBeta)
	return 100 * (1 + b2) * p * r / (b2*p + r)
}

// ChrF returns the sentence-level chrF of hyp against ref.
func ChrF(hyp, ref string) float64 {
	var st ChrFStats
	st.Add(hyp, ref)
	return st.Score()
}
