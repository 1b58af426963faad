package tokenizer

import "unicode/utf8"

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
	i := 0
	n := len(text)
	at := func(j int) (rune, int) {
		if j >= n {
			return -1, 0
		}
		c := text[j]
		if c < utf8.RuneSelf {
			return rune(c), 1
		}
		return utf8.DecodeRuneInString(text[j:])
	}
	for i < n {
		r, w := at(i)
		end := -1
		// 1. contractions, ASCII case-insensitive.
		if r == '\'' {
			r1, w1 := at(i + 1)
			switch r1 | 0x20 {
			case 's', 't', 'm', 'd':
				if r1 >= 'A' && r1 <= 'z' {
					end = i + 1 + w1
				}
			case 'r', 'v', 'l':
				r2, w2 := at(i + 1 + w1)
				want := rune('e')
				if r1|0x20 == 'l' {
					want = 'l'
				}
				if r1 >= 'A' && r1 <= 'z' && r2|0x20 == want && r2 >= 'A' && r2 <= 'z' {
					end = i + 1 + w1 + w2
				}
			}
		}
		// 2. [^\r\n\p{L}\p{N}]?\p{L}+
		if end < 0 {
			j := -1
			if isL(r) {
				j = i
			} else if r != '\r' && r != '\n' && !isN(r) {
				if r1, _ := at(i + w); r1 >= 0 && isL(r1) {
					j = i + w
				}
			}
			if j >= 0 {
				for j < n {
					rr, ww := at(j)
					if !isL(rr) {
						break
					}
					j += ww
				}
				end = j
			}
		}
		// 3. \p{N}{1,3}
		if end < 0 && isN(r) {
			j := i
			for k := 0; k < maxDigits && j < n; k++ {
				rr, ww := at(j)
				if !isN(rr) {
					break
				}
				j += ww
			}
			end = j
		}
		// 4.  ?[^\s\p{L}\p{N}]+[\r\n]*
		if end < 0 {
			j := i
			if r == ' ' {
				j++
			}
			k := j
			for k < n {
				rr, ww := at(k)
				if isSpace(rr) || isL(rr) || isN(rr) {
					break
				}
				k += ww
			}
			if k > j {
				for k < n && (text[k] == '\r' || text[k] == '\n') {
					k++
				}
				end = k
			}
		}
		// 5.-7. whitespace runs.
		if end < 0 && isSpace(r) {
			j := i
			lastNL := -1
			prev := i
			for j < n {
				rr, ww := at(j)
				if !isSpace(rr) {
					break
				}
				if rr == '\r' || rr == '\n' {
					lastNL = j + ww
				}
				prev = j
				j += ww
			}
			switch {
			case lastNL >= 0: // \s*[\r\n]+
				end = lastNL
			case j >= n: // \s+(?!\S) at the end
				end = j
			case prev > i: // \s+(?!\S): leave the last space for the next word
				end = prev
			default: // \s+
				end = j
			}
		}
		if end <= i { // unreachable for valid input; never loop forever
			end = i + w
			if w == 0 {
				end = i + 1
			}
		}
		emit(text[i:end])
		i = end
	}
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
