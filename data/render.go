package data

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

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
