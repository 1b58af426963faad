package harvest

import (
	"regexp"
	"strings"
)

// Paragraph is one text element of a LibreOffice help page.
type Paragraph struct {
	ID   string // par_id…, hd_id…
	Text string // raw inner HTML
}

var (
	reHelpStart = regexp.MustCompile(`<(p|h[1-6]|td|li)\s[^>]*\bid="((?:par|hd)_[^"]+)"[^>]*>`)
	reMacStart  = regexp.MustCompile(`<span\s[^>]*class="MAC"[^>]*>`)
	reClass     = regexp.MustCompile(`\bclass="([^"]*)"`)
)

// skipClasses are help paragraphs that hold code, not prose.
var skipClasses = map[string]bool{"code": true, "bascode": true, "input": true, "pycode": true}

// elementEnd returns the index just past the element opened by the tag
// ending at start, given the tag name, counting nested same-name tags.
func elementEnd(s string, start int, tag string) (inner, end int) {
	open, close := "<"+tag, "</"+tag+">"
	depth, i := 1, start
	for i < len(s) {
		o := strings.Index(s[i:], open)
		c := strings.Index(s[i:], close)
		if c < 0 {
			return len(s), len(s)
		}
		if o >= 0 && o < c {
			after := i + o + len(open)
			if after < len(s) && (s[after] == ' ' || s[after] == '>') {
				depth++
			}
			i = after
			continue
		}
		depth--
		if depth == 0 {
			return i + c, i + c + len(close)
		}
		i += c + len(close)
	}
	return len(s), len(s)
}

// removeMAC drops the hidden macOS variants of switchable text
// (<span hidden="true" class="MAC">Command</span>), keeping the default.
func removeMAC(s string) string {
	for {
		loc := reMacStart.FindStringIndex(s)
		if loc == nil {
			return s
		}
		_, end := elementEnd(s, loc[1], "span")
		s = s[:loc[0]] + s[end:]
	}
}

// ParseHelpPage returns the text paragraphs of a LibreOffice help HTML page
// in order, first occurrence of each id only, code paragraphs excluded.
func ParseHelpPage(page string) []Paragraph {
	var out []Paragraph
	seen := map[string]bool{}
	for _, m := range reHelpStart.FindAllStringSubmatchIndex(page, -1) {
		tag, id := page[m[2]:m[3]], page[m[4]:m[5]]
		if seen[id] {
			continue
		}
		seen[id] = true
		if c := reClass.FindStringSubmatch(page[m[0]:m[1]]); c != nil && skipClasses[c[1]] {
			continue
		}
		inner, _ := elementEnd(page, m[1], tag)
		out = append(out, Paragraph{ID: id, Text: removeMAC(page[m[1]:inner])})
	}
	return out
}

// HelpPair is an English and a Khmer paragraph with the same id.
type HelpPair struct {
	ID          string
	English, Km string // raw inner HTML
}

// PairHelpPages pairs the paragraphs of the English and Khmer versions of
// one help page by id, in the English page's order.
func PairHelpPages(en, km string) []HelpPair {
	kmByID := map[string]string{}
	for _, p := range ParseHelpPage(km) {
		kmByID[p.ID] = p.Text
	}
	var out []HelpPair
	for _, p := range ParseHelpPage(en) {
		if k, ok := kmByID[p.ID]; ok {
			out = append(out, HelpPair{p.ID, p.Text, k})
		}
	}
	return out
}
