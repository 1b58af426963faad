package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// deepseekPattern is the last of DeepSeek-V3's three Split patterns (the
// other two, \p{N}{1,3} and a run of CJK/kana, have no look-around and run
// on Go's regexp).
const deepseekPattern = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"

// deepseekMatcher finds the matches of deepseekPattern by hand. Unlike the
// other known patterns it does not match every character (digits alone
// stay outside), so it is a matcher, not a splitter.
type deepseekMatcher struct{}

func isASCIIPunct(r rune) bool {
	return (r >= '!' && r <= '/') || (r >= ':' && r <= '@') || (r >= '[' && r <= '`') || (r >= '{' && r <= '~')
}
func isASCIILetter(r rune) bool { return (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') }
func isLM(r rune) bool          { return unicode.In(r, unicode.L, unicode.M) }
func isPS(r rune) bool          { return unicode.In(r, unicode.P, unicode.S) }

func (deepseekMatcher) find(text string, f func(a, b int)) {
	n := len(text)
	for i := 0; i < n; {
		r, w := utf8.DecodeRuneInString(text[i:])
		end := -1
		// [ASCII punctuation][A-Za-z]+
		if isASCIIPunct(r) {
			if e := runEnd(text, i+w, isASCIILetter); e > i+w {
				end = e
			}
		}
		// [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+ (the optional character first)
		if end < 0 && r != '\r' && r != '\n' && !isL(r) && !isPS(r) {
			if e := runEnd(text, i+w, isLM); e > i+w {
				end = e
			}
		}
		if end < 0 && isLM(r) {
			end = runEnd(text, i, isLM)
		}
		// ' '?[\p{P}\p{S}]+[\r\n]*
		if end < 0 {
			j := i
			if r == ' ' {
				j++
			}
			if k := runEnd(text, j, isPS); k > j {
				end = runEnd(text, k, func(r rune) bool { return r == '\r' || r == '\n' })
			}
		}
		if end < 0 && isSpace(r) {
			end = spaceEnd(text, i)
		}
		if end < 0 {
			i += w
			continue
		}
		f(i, end)
		i = end
	}
}
