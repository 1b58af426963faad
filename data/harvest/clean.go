package harvest

import (
	"html"
	"regexp"
	"strings"
	"unicode"
)

var (
	reTag       = regexp.MustCompile(`</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>`)
	reParenAcc  = regexp.MustCompile(`\s*\((?:_|&|~)[^\s()]\)`) // Khmer "(_F)" mnemonics
	reAccel     = regexp.MustCompile(`(^|[^_~])[_~]([\p{L}\p{N}])`)
	reLeftTag   = regexp.MustCompile(`</?[A-Za-z]`)
	reEntity    = regexp.MustCompile(`&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);`)
	rePlacehold = regexp.MustCompile(`%(\d+\$)?[-+ #0']*(\d+|\*)?(\.\d+)?(hh|h|ll|l|L|q|j|z|t|I64|I)?[sdifuxXcpeEgGoaAS@]|%\([A-Za-z_]+\)[sdif]|%\d|%[A-Z][A-Z_]+%?|\{[A-Za-z0-9_]*\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\[[a-z]+\]|@[A-Z_]+@|%%`)
)

// StripMnemonics removes the keyboard accelerator markers of UI strings:
// "_File", "Ca_p", "~Open", "&File" and the "(_F)" that Khmer catalogs
// append. HTML entities such as "&amp;" are left alone.
func StripMnemonics(s string) string {
	s = reParenAcc.ReplaceAllString(s, "")
	s = reAccel.ReplaceAllString(s, "$1$2")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '&' && i+1 < len(s) && !reEntity.MatchString(entityAt(s[i:])) && isWordByte(s[i+1]) {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80
}

// entityAt returns the "&...;" prefix of s if s starts with one.
func entityAt(s string) string {
	if loc := reEntity.FindStringIndex(s); loc != nil && loc[0] == 0 {
		return s[:loc[1]]
	}
	return ""
}

// Clean removes markup, decodes HTML entities and collapses white space.
// Zero-width spaces (U+200B), which Khmer text uses between words, are kept.
func Clean(s string) string {
	s = reTag.ReplaceAllString(s, "")
	s = reEntity.ReplaceAllStringFunc(s, html.UnescapeString)
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) && r != '\u200b' }), " ")
	return strings.Trim(s, " \u200b")
}

// HasPlaceholder reports whether s contains a format placeholder (%s, %d,
// %1$s, %(name)s, %1, {0}, {name}, $VAR, ${VAR}, @VAR@, %PRODUCTNAME).
func HasPlaceholder(s string) bool { return rePlacehold.MatchString(s) }

func isKhmer(r rune) bool { return r >= 0x1780 && r <= 0x17FF || r >= 0x19E0 && r <= 0x19FF }

// Keep cleans a pair and decides whether to keep it. It returns the cleaned
// strings and "" when kept, or the reason it was dropped.
func Keep(en, km string) (string, string, string) {
	en, km = Clean(en), Clean(km)
	switch {
	case HasPlaceholder(en) || HasPlaceholder(km):
		return en, km, "placeholder"
	case reLeftTag.MatchString(en) || reLeftTag.MatchString(km):
		return en, km, "markup"
	case en == km:
		return en, km, "identical"
	}
	letters, words := 0, 0
	for _, r := range en {
		if isKhmer(r) {
			return en, km, "khmer in english"
		}
		if unicode.IsLetter(r) {
			letters++
		}
	}
	for _, w := range strings.Fields(en) {
		if strings.IndexFunc(w, unicode.IsLetter) >= 0 {
			words++
		}
	}
	if letters < 6 || words < 2 {
		return en, km, "too short"
	}
	kh, latin := 0, 0
	for _, r := range km {
		switch {
		case isKhmer(r):
			kh++
		case r < 0x80 && unicode.IsLetter(r):
			latin++
		}
	}
	if kh < 3 {
		return en, km, "not translated"
	}
	if latin > kh { // mostly English left in the Khmer string
		return en, km, "not translated"
	}
	return en, km, ""
}
