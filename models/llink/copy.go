package llink

import (
	"fmt"
	"strings"
	"unicode"
)

// Limits of the copy channel for one foreign text (the first spans, in
// reading order), so that a text full of numbers or Latin words cannot undo
// the token savings of the slots.
const (
	MaxCopySpans = 16 // spans
	MaxCopyBytes = 96 // bytes of copied text, separators excluded
)

// khmerDigit returns the ASCII digit of a Khmer digit (០…៩).
func khmerDigit(r rune) (rune, bool) {
	if r >= '០' && r <= '៩' {
		return '0' + r - '០', true
	}
	return 0, false
}

// edgePunct is punctuation trimmed from both ends of a copied span (the
// sentence's, not the span's: "(2013)," → "2013"; "$30" and "15%" keep
// their symbols).
const edgePunct = ".,;:!?\"'()[]{}«»“”‘’"

// CopySpans returns what the copy channel passes on verbatim from a Khmer
// text: its runs of characters outside the Khmer script — numbers (Khmer
// digits rewritten as ASCII: "១៥%" → "15%"), unit symbols and Latin-script
// words ("3 kg", "170 MW", "LibreOffice") — split at white space and Khmer
// letters, with sentence punctuation trimmed from their ends, in reading
// order. These are the parts of a text that a pooled sentence vector keeps
// worst (numbers drift: "30 MW becomes 1.5 kW") and that an English answer
// writes unchanged. At most [MaxCopySpans] spans and [MaxCopyBytes] bytes
// are returned.
func CopySpans(text string) []string {
	var out []string
	size := 0
	var b strings.Builder
	flush := func() {
		s := strings.Trim(b.String(), edgePunct)
		b.Reset()
		if s == "" || len(out) == MaxCopySpans || size+len(s) > MaxCopyBytes {
			return
		}
		out = append(out, s)
		size += len(s)
	}
	for _, r := range text {
		if d, ok := khmerDigit(r); ok {
			b.WriteRune(d)
			continue
		}
		if unicode.Is(unicode.Khmer, r) || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			flush()
			continue
		}
		b.WriteRune(r)
	}
	flush()
	return out
}

// Span returns the foreign span of LLINK's decoder prompt for a foreign
// text: "<foreign><f0>…<fK-1></foreign>", the K slot tokens whose input
// embeddings are overwritten by the slot vectors. With c.CopyChannel the
// text's [CopySpans] follow the slots inside the span as plain text
// ("<foreign><f0>…<f7> 3 kg 8 2017</foreign>"), so the decoder can copy
// numbers and symbols it would otherwise have to recover from the slots.
func (c Config) Span(foreign string) string {
	var b strings.Builder
	b.WriteString("<foreign>")
	for i := 0; i < c.K; i++ {
		fmt.Fprintf(&b, "<f%d>", i)
	}
	if c.CopyChannel {
		for _, s := range CopySpans(foreign) {
			b.WriteByte(' ')
			b.WriteString(s)
		}
	}
	b.WriteString("</foreign>")
	return b.String()
}
