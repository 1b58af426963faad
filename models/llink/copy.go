package llink

import (
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
// text, in reading order: its runs of characters outside the Khmer script —
// numbers (Khmer digits rewritten as ASCII: "១៥%" → "15%"; thousands
// grouped as English writes them, see [groupThousands]), unit symbols and
// Latin-script words ("3 kg", "170 MW", "LibreOffice") — split at white
// space and Khmer letters, with sentence punctuation trimmed from their
// ends; and the people's names it holds, in Latin letters ("Seng Vanna",
// see [PersonNames]). These are the parts of a text that a pooled sentence
// vector keeps worst (numbers drift: "30 MW becomes 1.5 kW"; a held-out name
// has no meaning to keep) and that an English answer writes unchanged. At
// most [MaxCopySpans] spans and [MaxCopyBytes] bytes are returned.
func CopySpans(text string) []string {
	spans := latinSpans(text)
	names := FindNames(text)
	var out []string
	size := 0
	add := func(s string) {
		if s == "" || len(out) == MaxCopySpans || size+len(s) > MaxCopyBytes {
			return
		}
		out = append(out, s)
		size += len(s)
	}
	for len(spans) > 0 || len(names) > 0 {
		if len(names) > 0 && (len(spans) == 0 || names[0].At < spans[0].at) {
			add(names[0].Latin)
			names = names[1:]
			continue
		}
		add(spans[0].s)
		spans = spans[1:]
	}
	return out
}

// latinSpans returns a text's runs outside the Khmer script as [CopySpans]
// writes them, each with the byte offset where it starts.
func latinSpans(text string) []field {
	var out []field
	var b strings.Builder
	start := 0
	year := false // the span follows ឆ្នាំ ("year"), white space aside
	flush := func() {
		if s := groupThousands(strings.Trim(b.String(), edgePunct), year); s != "" {
			out = append(out, field{s, start})
		}
		b.Reset()
	}
	for i, r := range text {
		d, digit := khmerDigit(r)
		if !digit && (unicode.Is(unicode.Khmer, r) || unicode.IsSpace(r) || !unicode.IsPrint(r)) {
			if b.Len() > 0 {
				flush()
			}
			continue
		}
		if b.Len() == 0 {
			start = i
			year = strings.HasSuffix(strings.TrimRightFunc(text[:i], unicode.IsSpace), yearWord)
		}
		if digit {
			r = d
		}
		b.WriteRune(r)
	}
	flush()
	return out
}

// yearWord is Khmer for "year"; Khmer writes a year after it (ឆ្នាំ២០២៤).
const yearWord = "ឆ្នាំ"

// groupThousands writes a number span's integer part as English does, with
// thousands separated by commas ("1020" → "1,020", "$12000" → "$12,000",
// "371400.5" → "371,400.5", "4500kW" → "4,500kW"): Khmer texts often leave
// them out, and a small decoder copies digits more reliably than it
// regroups them. A four-digit year (after ឆ្នាំ, "year") stays as it is, as
// do numbers already grouped and spans that are not one number (codes such
// as "MP3" or "A1234", several digit runs).
func groupThousands(s string, year bool) string {
	i := strings.IndexFunc(s, isDigit)
	if i < 0 || strings.ContainsFunc(s[:i], unicode.IsLetter) {
		return s
	}
	j := i
	for j < len(s) && isDigit(rune(s[j])) {
		j++
	}
	rest := s[j:]
	if len(rest) > 1 && rest[0] == '.' && isDigit(rune(rest[1])) {
		rest = strings.TrimLeftFunc(rest[1:], isDigit)
	}
	n := j - i
	if n < 4 || n == 4 && year || strings.HasPrefix(rest, ",") || strings.ContainsFunc(rest, isDigit) {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for k := i; k < j; k++ {
		if k > i && (j-k)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[k])
	}
	b.WriteString(s[j:])
	return b.String()
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }
