package tokenizer

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/rivo/uniseg"
	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites text before pre-tokenization (Hugging Face
// normalizers; offsets are not tracked since the API does not expose them).
type normalizer func(string) string

// parseNormalizer reads a normalizer object; where names it in errors.
func parseNormalizer(raw json.RawMessage, where string) (normalizer, error) {
	o, err := parseObj(raw, where)
	if err != nil {
		return nil, err
	}
	var n normalizer
	switch t := o.typ(); t {
	case "Sequence":
		var seq []normalizer
		for i, r := range o.list("normalizers") {
			c, err := parseNormalizer(r, fmt.Sprintf("%s.normalizers[%d]", where, i))
			if err != nil {
				return nil, err
			}
			seq = append(seq, c)
		}
		n = func(s string) string {
			for _, c := range seq {
				s = c(s)
			}
			return s
		}
	case "NFC":
		n = norm.NFC.String
	case "NFD":
		n = norm.NFD.String
	case "NFKC":
		n = norm.NFKC.String
	case "NFKD":
		n = norm.NFKD.String
	case "Lowercase":
		n = lowercase
	case "StripAccents":
		n = func(s string) string { return strings.Map(dropAllMarks, s) }
	case "Strip":
		left, right := o.boolean("strip_left", true), o.boolean("strip_right", true)
		n = func(s string) string {
			if left {
				s = strings.TrimLeftFunc(s, unicode.IsSpace)
			}
			if right {
				s = strings.TrimRightFunc(s, unicode.IsSpace)
			}
			return s
		}
	case "Replace":
		m := o.pattern("pattern")
		content := o.str("content", "")
		n = func(s string) string { return replaceAll(m, s, content) }
	case "Prepend":
		pre := o.str("prepend", "")
		n = func(s string) string {
			if s == "" {
				return s
			}
			return pre + s
		}
	case "Precompiled":
		var cm *Charsmap
		if b64 := o.str("precompiled_charsmap", ""); b64 != "" {
			blob, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return nil, fmt.Errorf("%s: precompiled_charsmap: %v", where, err)
			}
			if cm, err = ParseCharsmap(blob); err != nil {
				return nil, fmt.Errorf("%s: %v", where, err)
			}
		}
		n = cm.normalizeGraphemes
	case "BertNormalizer":
		b := bertNorm{
			clean:   o.boolean("clean_text", true),
			chinese: o.boolean("handle_chinese_chars", true),
			lower:   o.boolean("lowercase", true),
		}
		b.strip = b.lower
		var sa *bool
		if o.decode("strip_accents", &sa) && sa != nil {
			b.strip = *sa
		}
		n = b.normalize
	case "ByteLevel":
		n = ByteLevelEncode
	case "":
		return nil, fmt.Errorf("%s: missing type", where)
	default:
		return nil, fmt.Errorf("%s: unsupported normalizer %q", where, t)
	}
	if err := o.finish(); err != nil {
		return nil, err
	}
	return n, nil
}

// replaceAll replaces every match of m in s by content.
func replaceAll(m matcher, s, content string) string {
	var sb strings.Builder
	last := 0
	m.find(s, func(a, b int) {
		sb.WriteString(s[last:a])
		sb.WriteString(content)
		last = b
	})
	if last == 0 && sb.Len() == 0 {
		return s
	}
	sb.WriteString(s[last:])
	return sb.String()
}

// lowercase is Rust's char::to_lowercase applied to each character: the
// simple mappings, plus U+0130 (İ), the one character whose full lowercase
// mapping is two characters.
func lowercase(s string) string {
	return strings.Map(unicode.ToLower, strings.ReplaceAll(s, "\u0130", "i\u0307"))
}

// dropAllMarks removes combining marks (Mn, Mc, Me), as Hugging Face's
// StripAccents normalizer does (Khmer and Devanagari vowel signs too).
func dropAllMarks(r rune) rune {
	if unicode.Is(unicode.M, r) {
		return -1
	}
	return r
}

// dropMarks removes nonspacing marks (Mn), as BertNormalizer's
// strip_accents does (spacing marks such as Devanagari and Khmer vowel
// signs stay).
func dropMarks(r rune) rune {
	if unicode.Is(unicode.Mn, r) {
		return -1
	}
	return r
}

// bertNorm is Hugging Face's BertNormalizer.
type bertNorm struct{ clean, chinese, strip, lower bool }

func (b bertNorm) normalize(s string) string {
	if b.clean {
		s = strings.Map(func(r rune) rune {
			switch {
			case r == 0 || r == 0xFFFD || isBertControl(r):
				return -1
			case unicode.IsSpace(r):
				return ' '
			}
			return r
		}, s)
	}
	if b.chinese {
		var sb strings.Builder
		for _, r := range s {
			if isCJK(r) {
				sb.WriteByte(' ')
				sb.WriteRune(r)
				sb.WriteByte(' ')
			} else {
				sb.WriteRune(r)
			}
		}
		s = sb.String()
	}
	if b.strip {
		s = strings.Map(dropMarks, norm.NFD.String(s))
	}
	if b.lower {
		s = lowercase(s)
	}
	return s
}

// isBertControl is BERT's control test: categories Cc, Cf, Co, Cs and
// unassigned code points, except tab, newline and carriage return.
func isBertControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) || !isAssigned(r)
}

// isAssigned reports whether r has a general category other than Cn (the
// categories C other than Cn are handled by the caller).
func isAssigned(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}

// normalizeGraphemes applies the map the way Hugging Face's Precompiled
// normalizer does: a grapheme cluster shorter than 6 bytes is looked up
// whole (the shortest trie match of its bytes replaces the whole cluster),
// otherwise each character is looked up alone. A nil map is the identity.
func (c *Charsmap) normalizeGraphemes(s string) string {
	if c == nil {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	state := -1
	for rest := s; rest != ""; {
		var g string
		g, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if len(g) < 6 {
			if repl, ok := c.shortest(g); ok {
				sb.WriteString(repl)
				continue
			}
		}
		for i, r := range g {
			ch := g[i : i+len(string(r))]
			if repl, ok := c.shortest(ch); ok {
				sb.WriteString(repl)
			} else {
				sb.WriteString(ch)
			}
		}
	}
	return sb.String()
}
