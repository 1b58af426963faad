package tokenizer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// matcher finds the non-overlapping matches of a pattern in s, left to
// right, calling f with each match's byte offsets.
type matcher interface {
	find(s string, f func(start, end int))
}

// Patterns with a hand-written splitter (Go's regexp has no look-ahead and
// a backtracking engine is several times slower). Each splitter's pieces
// are exactly the regex's matches and cover the text.
const (
	gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	// qwenPattern is llama3Pattern with single digits (Qwen2, Qwen3).
	qwenPattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// splitMatcher adapts a hand-written splitter.
type splitMatcher func(s string, emit func(string))

func (m splitMatcher) find(s string, f func(start, end int)) {
	at := 0
	m(s, func(p string) {
		f(at, at+len(p))
		at += len(p)
	})
}

// knownSplitter returns the hand-written splitter of a known pattern.
func knownSplitter(pattern string) matcher {
	switch pattern {
	case llama3Pattern:
		return splitMatcher(splitLlama3)
	case qwenPattern:
		return splitMatcher(func(s string, emit func(string)) { splitLlama3Digits(s, 1, emit) })
	case gpt2Pattern:
		return splitMatcher(splitGPT2)
	case o200kPattern:
		return splitMatcher(splitO200k)
	case deepseekPattern:
		return deepseekMatcher{}
	}
	return nil
}

// reMatcher runs any other pattern with regexp2 (a backtracking engine
// with look-around, like the Oniguruma engine Hugging Face uses).
type reMatcher struct{ re *regexp2.Regexp }

func (m reMatcher) find(s string, f func(start, end int)) {
	runes := make([]rune, 0, len(s))
	offs := make([]int, 0, len(s)+1) // rune index -> byte offset
	for i, r := range s {
		runes = append(runes, r)
		offs = append(offs, i)
	}
	offs = append(offs, len(s))
	mt, err := m.re.FindRunesMatch(runes)
	for err == nil && mt != nil {
		f(offs[mt.Index], offs[mt.Index+mt.Length])
		mt, err = m.re.FindNextMatch(mt)
	}
}

// stringMatcher finds a literal string.
type stringMatcher string

func (m stringMatcher) find(s string, f func(start, end int)) {
	if m == "" {
		return
	}
	for at := 0; ; {
		k := strings.Index(s[at:], string(m))
		if k < 0 {
			return
		}
		f(at+k, at+k+len(m))
		at += k + len(m)
	}
}

// runeMatcher matches every single character for which the predicate
// holds (each is its own match, as Hugging Face's char patterns are).
type runeMatcher func(rune) bool

func (m runeMatcher) find(s string, f func(start, end int)) {
	for i, r := range s {
		if m(r) {
			f(i, i+utf8.RuneLen(r))
		}
	}
}

// compilePattern compiles a tokenizer.json pattern object.
func compilePattern(p *jsonPattern) (matcher, error) {
	switch {
	case p == nil:
		return nil, fmt.Errorf("missing pattern")
	case p.String != nil:
		return stringMatcher(*p.String), nil
	case p.Regex != nil:
		return compileRegex(*p.Regex)
	}
	return nil, fmt.Errorf("pattern has neither String nor Regex")
}

// compileRegex compiles an Oniguruma-syntax regex, preferring a
// hand-written splitter for the known pre-tokenizer patterns.
func compileRegex(pattern string) (matcher, error) {
	if m := knownSplitter(pattern); m != nil {
		return m, nil
	}
	tr, err := translateRegex(pattern)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", pattern, err)
	}
	// Go's engine gives the same leftmost-first matches and is much faster;
	// it refuses look-around, which then goes to regexp2.
	if re, err := regexp.Compile(tr); err == nil {
		return goMatcher{re}, nil
	}
	re, err := regexp2.Compile(tr, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", pattern, err)
	}
	return reMatcher{re}, nil
}

// goMatcher runs a pattern without look-around on Go's regexp.
type goMatcher struct{ re *regexp.Regexp }

func (m goMatcher) find(s string, f func(start, end int)) {
	for _, loc := range m.re.FindAllStringIndex(s, -1) {
		f(loc[0], loc[1])
	}
}

// Oniguruma's Unicode classes, spelled for regexp2 (whose \w lacks Mc and
// Me, and which has no \x{…}): \w is Unicode's word class (letters, Nl,
// marks, Nd, Pc; Other_Alphabetic symbols such as Ⓐ are left
// out) plus Oniguruma's Latin-1 extras ² ³ ¹ ¼ ½ ¾; \d is Nd; \s is
// White_Space. They are written as literal characters, which both Go's
// regexp and regexp2 read.
const (
	classSpace = "\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
	classWord  = `\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}` + "\u00b2\u00b3\u00b9\u00bc-\u00be"
	classDigit = `\p{Nd}`
)

// translateRegex rewrites the Oniguruma (Ruby syntax) escapes whose
// meaning differs in regexp2: \s \w \d and their negations become the
// Unicode classes Oniguruma uses, \x{H…} becomes the character. Nested
// character classes are refused.
func translateRegex(p string) (string, error) {
	var sb strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			i++
			e := p[i]
			switch e {
			case 's', 'w', 'd':
				cls := map[byte]string{'s': classSpace, 'w': classWord, 'd': classDigit}[e]
				if inClass {
					sb.WriteString(cls)
				} else {
					sb.WriteString("[" + cls + "]")
				}
			case 'S', 'W', 'D':
				if inClass {
					return "", fmt.Errorf(`\%c inside a character class is not supported`, e)
				}
				cls := map[byte]string{'S': classSpace, 'W': classWord, 'D': classDigit}[e]
				sb.WriteString("[^" + cls + "]")
			case 'x':
				if i+1 < len(p) && p[i+1] == '{' {
					end := strings.IndexByte(p[i:], '}')
					if end < 0 {
						return "", fmt.Errorf(`unterminated \x{`)
					}
					v, err := strconv.ParseUint(p[i+2:i+end], 16, 32)
					if err != nil || v > utf8.MaxRune {
						return "", fmt.Errorf(`bad \x{%s}`, p[i+2:i+end])
					}
					sb.WriteString(regexp2.Escape(string(rune(v))))
					i += end
					continue
				}
				sb.WriteString(`\x`)
			case 'h', 'H', 'R', 'X', 'K', 'Z':
				// Ruby-syntax escapes that regexp2 lacks or reads differently.
				return "", fmt.Errorf(`escape \%c is not supported`, e)
			default:
				sb.WriteByte('\\')
				sb.WriteByte(e)
			}
		case c == '[' && !inClass:
			inClass = true
			sb.WriteByte(c)
			if i+1 < len(p) && p[i+1] == '^' {
				sb.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				sb.WriteString(`\]`)
				i++
			}
		case c == '[' && inClass:
			if strings.HasPrefix(p[i:], "[:") {
				return "", fmt.Errorf("POSIX bracket classes are not supported")
			}
			return "", fmt.Errorf("nested character classes are not supported")
		case c == ']' && inClass:
			inClass = false
			sb.WriteByte(c)
		case c == '&' && inClass && i+1 < len(p) && p[i+1] == '&':
			return "", fmt.Errorf("character class intersection (&&) is not supported")
		default:
			sb.WriteByte(c)
		}
	}
	if inClass {
		return "", fmt.Errorf("unterminated character class")
	}
	return sb.String(), nil
}
