package llink

import (
	"fmt"
	"strings"
)

// MaxNumerals bounds how many numerals the copy channel passes on for one
// foreign text (the first ones, in reading order), so that a text full of
// numbers cannot undo the token savings of the slots.
const MaxNumerals = 16

// isDigit reports whether r is an ASCII or a Khmer digit (០…៩, U+17E0–U+17E9)
// and returns its ASCII form.
func isDigit(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r), true
	case r >= 0x17E0 && r <= 0x17E9:
		return byte('0' + r - 0x17E0), true
	}
	return 0, false
}

// Numerals returns the numbers written in text, in reading order, with
// Khmer digits rewritten as ASCII digits: maximal runs of digits, with a
// "." or "," kept only between two digits ("៥០,០០០" → "50,000", "15.5"
// stays "15.5", a sentence-final "." is dropped). At most [MaxNumerals] are
// returned.
func Numerals(text string) []string {
	var out []string
	rs := []rune(text)
	for i := 0; i < len(rs) && len(out) < MaxNumerals; {
		if _, ok := isDigit(rs[i]); !ok {
			i++
			continue
		}
		var b strings.Builder
		for i < len(rs) {
			if d, ok := isDigit(rs[i]); ok {
				b.WriteByte(d)
				i++
				continue
			}
			if (rs[i] == '.' || rs[i] == ',') && i+1 < len(rs) {
				if _, ok := isDigit(rs[i+1]); ok {
					b.WriteRune(rs[i])
					i++
					continue
				}
			}
			break
		}
		out = append(out, b.String())
	}
	return out
}

// Span returns the foreign span of LLINK's decoder prompt for a foreign
// text: "<foreign><f0>…<fK-1></foreign>", the K slot tokens whose input
// embeddings are overwritten by the slot vectors. With c.CopyNumbers the
// text's [Numerals] follow the slots inside the span as plain text
// ("<foreign><f0>…<f7> 6 2013</foreign>"), so the decoder can copy numbers
// it would otherwise have to recover from the slots.
func (c Config) Span(foreign string) string {
	var b strings.Builder
	b.WriteString("<foreign>")
	for i := 0; i < c.K; i++ {
		fmt.Fprintf(&b, "<f%d>", i)
	}
	if c.CopyNumbers {
		for _, n := range Numerals(foreign) {
			b.WriteByte(' ')
			b.WriteString(n)
		}
	}
	b.WriteString("</foreign>")
	return b.String()
}
