package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// splitLlama3 cuts text the way the Llama-3 pre-tokenizer regex does,
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// by hand, since Go's regexp has no look-ahead. It calls emit with each
// piece in order; the pieces concatenate to text. Invalid UTF-8 bytes are
// treated as U+FFFD (a symbol) one byte at a time.
func splitLlama3(text string, emit func(string)) { splitLlama3Digits(text, 3, emit) }

// splitLlama3Digits is splitLlama3 with runs of at most maxDigits numbers
// (\p{N}{1,maxDigits}); Qwen's pattern has single digits.
func splitLlama3Digits(text string, maxDigits int, emit func(string)) {
	for i := 0; i < len(text); {
		end := llama3Match(text, i, maxDigits)
		if end <= i { // unreachable for valid input; never loop forever
			_, w := utf8.DecodeRuneInString(text[i:])
			end = i + w
		}
		emit(text[i:end])
		i = end
	}
}

// llama3Match is the end of the Llama-3 pattern's match at i: its first
// alternative that matches there, or -1.
func llama3Match(text string, i, maxDigits int) int {
	r, w := rune(text[i]), 1
	if r >= utf8.RuneSelf {
		r, w = utf8.DecodeRuneInString(text[i:])
	}
	// 1. (?i:'s|'t|'re|'ve|'m|'ll|'d)
	if n := contraction(text, i); n > 0 {
		return i + n
	}
	// 2. [^\r\n\p{L}\p{N}]?\p{L}+
	if isL(r) {
		return letterRun(text, i)
	}
	if r != '\r' && r != '\n' && !isN(r) {
		if j := i + w; j < len(text) {
			r1 := rune(text[j])
			if r1 >= utf8.RuneSelf {
				r1, _ = utf8.DecodeRuneInString(text[j:])
			}
			if isL(r1) {
				return letterRun(text, j)
			}
		}
	}
	// 3. \p{N}{1,maxDigits}
	if isN(r) {
		j := i
		for k := 0; k < maxDigits && j < len(text); k++ {
			rr, ww := rune(text[j]), 1
			if rr >= utf8.RuneSelf {
				rr, ww = utf8.DecodeRuneInString(text[j:])
			}
			if !isN(rr) {
				break
			}
			j += ww
		}
		return j
	}
	// 4.  ?[^\s\p{L}\p{N}]+[\r\n]*
	j := i
	if r == ' ' {
		j++
	}
	k := j
	for k < len(text) {
		rr, ww := rune(text[k]), 1
		if rr >= utf8.RuneSelf {
			rr, ww = utf8.DecodeRuneInString(text[k:])
		}
		if isSpace(rr) || isL(rr) || isN(rr) {
			break
		}
		k += ww
	}
	if k > j {
		for k < len(text) && (text[k] == '\r' || text[k] == '\n') {
			k++
		}
		return k
	}
	// 5.-7. \s*[\r\n]+|\s+(?!\S)|\s+
	if isSpace(r) {
		return spaceEnd(text, i)
	}
	return -1
}

// letterRun is the end of the run of letters (\p{L}) from j. Like
// llama3Match it decodes ASCII inline: a decoding helper would be beyond
// the compiler's inlining budget, and a call per character costs the
// splitter a measurable share of its speed.
func letterRun(text string, j int) int {
	for j < len(text) {
		r, w := rune(text[j]), 1
		if r >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(text[j:])
		}
		if !isL(r) {
			break
		}
		j += w
	}
	return j
}

// splitGPT2 cuts text like GPT-2's pre-tokenizer regex
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func splitGPT2(text string, emit func(string)) {
	n := len(text)
	at := func(j int) (rune, int) {
		if j >= n {
			return -1, 0
		}
		return utf8.DecodeRuneInString(text[j:])
	}
	run := func(j int, f func(rune) bool) int {
		for j < n {
			r, w := at(j)
			if !f(r) {
				break
			}
			j += w
		}
		return j
	}
	other := func(r rune) bool { return !isSpace(r) && !isL(r) && !isN(r) }
	for i := 0; i < n; {
		r, w := at(i)
		end := -1
		if r == '\'' {
			for _, c := range []string{"s", "t", "re", "ve", "m", "ll", "d"} {
				if len(text) >= i+1+len(c) && text[i+1:i+1+len(c)] == c {
					end = i + 1 + len(c)
					break
				}
			}
		}
		if end < 0 {
			j := i
			if r == ' ' {
				j++
			}
			if rr, _ := at(j); rr >= 0 {
				for _, f := range []func(rune) bool{isL, isN, other} {
					if f(rr) {
						end = run(j, f)
						break
					}
				}
			}
		}
		if end < 0 && isSpace(r) {
			j := run(i, isSpace)
			end = j
			if j < n {
				// leave the last space for the next word when possible
				_, lw := utf8.DecodeLastRuneInString(text[i:j])
				if j-lw > i {
					end = j - lw
				}
			}
		}
		if end <= i {
			end = i + max(w, 1)
		}
		emit(text[i:end])
		i = end
	}
}

// spaceEnd is where the pattern tail \s*[\r\n]+|\s+(?!\S)|\s+ ends a match
// starting at the white space at i: after the run's last line break, else
// before the run's last space when a non-space follows (it joins the next
// word), else at the run's end.
func spaceEnd(text string, i int) int {
	j, lastNL, prev := i, -1, i
	for j < len(text) {
		r, w := utf8.DecodeRuneInString(text[j:])
		if !isSpace(r) {
			break
		}
		if r == '\r' || r == '\n' {
			lastNL = j + w
		}
		prev = j
		j += w
	}
	switch {
	case lastNL >= 0: // \s*[\r\n]+
		return lastNL
	case j >= len(text) || prev == i: // \s+(?!\S) at the end, or \s+
		return j
	default: // \s+(?!\S): leave the last space for the next word
		return prev
	}
}

// o200kPattern is GPT-4o's and gpt-oss's split pattern (tiktoken o200k).
const o200kPattern = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// isUpperish is [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], isLowerish
// [\p{Ll}\p{Lm}\p{Lo}\p{M}].
func isUpperish(r rune) bool {
	return unicode.In(r, unicode.Lu, unicode.Lt, unicode.Lm, unicode.Lo, unicode.M)
}
func isLowerish(r rune) bool { return unicode.In(r, unicode.Ll, unicode.Lm, unicode.Lo, unicode.M) }

// runEnd is the end of the run of characters satisfying f from j.
func runEnd(text string, j int, f func(rune) bool) int {
	for j < len(text) {
		r, w := utf8.DecodeRuneInString(text[j:])
		if !f(r) {
			break
		}
		j += w
	}
	return j
}

// contraction is the length of (?i:'s|'t|'re|'ve|'m|'ll|'d) at j, or 0.
func contraction(text string, j int) int {
	if j+1 >= len(text) || text[j] != '\'' {
		return 0
	}
	switch text[j+1] | 0x20 {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if j+2 < len(text) && text[j+2]|0x20 == 'e' {
			return 3
		}
	case 'l':
		if j+2 < len(text) && text[j+2]|0x20 == 'l' {
			return 3
		}
	}
	return 0
}

// splitO200k cuts text as o200kPattern does (the backtracking of its
// letter alternatives written out).
func splitO200k(text string, emit func(string)) {
	n := len(text)
	// upperLower matches [U]*[L]+ (upper false) or [U]+[L]* (upper true)
	// at j, returning the end or -1.
	letters := func(j int, upperFirst bool) int {
		u := runEnd(text, j, isUpperish)
		if upperFirst {
			if u == j {
				return -1
			}
			e := runEnd(text, u, isLowerish)
			return e + contraction(text, e)
		}
		// U* is greedy: give characters back until one is lowerish.
		for k := u; k >= j; {
			if r, _ := utf8.DecodeRuneInString(text[k:]); k < n && isLowerish(r) {
				e := runEnd(text, k, isLowerish)
				return e + contraction(text, e)
			}
			if k == j {
				break
			}
			_, w := utf8.DecodeLastRuneInString(text[j:k])
			k -= w
		}
		return -1
	}
	for i := 0; i < n; {
		r, w := utf8.DecodeRuneInString(text[i:])
		end := -1
		prefix := r != '\r' && r != '\n' && !isL(r) && !isN(r)
		for _, upperFirst := range []bool{false, true} {
			if prefix {
				if end = letters(i+w, upperFirst); end >= 0 {
					break
				}
			}
			if end = letters(i, upperFirst); end >= 0 {
				break
			}
		}
		if end < 0 && isN(r) {
			end = i
			for k := 0; k < 3 && end < n; k++ {
				rr, ww := utf8.DecodeRuneInString(text[end:])
				if !isN(rr) {
					break
				}
				end += ww
			}
		}
		if end < 0 {
			j := i
			if r == ' ' {
				j++
			}
			if k := runEnd(text, j, func(r rune) bool { return !isSpace(r) && !isL(r) && !isN(r) }); k > j {
				end = runEnd(text, k, func(r rune) bool { return r == '\r' || r == '\n' || r == '/' })
			}
		}
		if end < 0 && isSpace(r) {
			end = spaceEnd(text, i)
		}
		if end <= i {
			end = i + max(w, 1)
		}
		emit(text[i:end])
		i = end
	}
}
