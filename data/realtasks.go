package data

import (
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// Task kinds made from real sentence pairs by [RealTasks].
const (
	KindNumber = "number"     // the one number a real passage mentions, as its English writes it
	KindLatin  = "latin_word" // the one Latin-script word a real Khmer passage contains
)

// Longest passages [RealTasks] makes tasks of: a decoder that reads raw
// Khmer spends about one token per byte on it, so longer passages would
// dominate a run's time.
const (
	RealTaskMaxForeignBytes = 300
	RealTaskMaxEnglishBytes = 120
)

const (
	numberInstr = "What number does the passage mention? Answer with the number only."
	latinInstr  = "Which word written in Latin letters does the passage contain? Answer with that word only."
)

// RealTasks makes instruction tasks from real sentence pairs (harvested or
// read, carrying no slot annotations), where a rule gives an answer exactly
// recoverable from the Khmer passage: for every pair a translation task; a
// [KindNumber] question when the Khmer text holds exactly one number
// (Khmer or ASCII digits, not part of a word such as "IPv6") and the
// English holds the same value (thousands separators aside), answered as
// the English writes it; a [KindLatin] question when the Khmer text holds
// exactly one Latin-script word (two letters or more, such as "PDF" or
// "LibreOffice") and the English holds the same word. Pairs longer than
// [RealTaskMaxForeignBytes] or [RealTaskMaxEnglishBytes] are skipped. The
// result is deterministic for a given seed (which picks the translation
// instructions' wording).
func RealTasks(pairs []Pair, seed uint64) []Task {
	r := rand.New(rand.NewPCG(seed, 0x7ea1))
	var out []Task
	for _, p := range pairs {
		if len(p.Foreign) > RealTaskMaxForeignBytes || len(p.English) > RealTaskMaxEnglishBytes {
			continue
		}
		base := Task{Foreign: p.Foreign, EnglishPassage: p.English}
		t := base
		t.Kind, t.Instruction, t.Answer = KindTranslate, pick(r, translateInstr), p.English
		out = append(out, t)
		if n, ok := soleNumber(p.Foreign, p.English); ok {
			t := base
			t.Kind, t.Instruction, t.Answer = KindNumber, numberInstr, n
			out = append(out, t)
		}
		if w, ok := soleLatinWord(p.Foreign, p.English); ok {
			t := base
			t.Kind, t.Instruction, t.Answer = KindLatin, latinInstr, w
			out = append(out, t)
		}
	}
	return out
}

// isASCIILetter reports whether r is an ASCII letter or '_' (a character
// that makes a digit part of a word such as "IPv6" or "ARG1").
func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' }

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// tokens returns the maximal runs of s that start with a rune for which
// first holds and continue with runes for which inner holds ('.', ',', '-'
// or '+' may join two inner runes), leaving out runs that touch an ASCII
// letter or digit on either side, such as the 6 of "IPv6".
func tokens(s string, first, inner func(rune) bool) []string {
	var out []string
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if !first(rs[i]) || i > 0 && (isASCIILetter(rs[i-1]) || isDigit(rs[i-1])) {
			i++
			continue
		}
		j := i + 1
		for j < len(rs) {
			if inner(rs[j]) {
				j++
			} else if strings.ContainsRune(".,-+", rs[j]) && j+1 < len(rs) && inner(rs[j+1]) {
				j += 2
			} else {
				break
			}
		}
		if j == len(rs) || !isASCIILetter(rs[j]) && !isDigit(rs[j]) {
			out = append(out, string(rs[i:j]))
		}
		i = j
	}
	return out
}

// numbers returns the standalone numbers of s (Khmer digits read as ASCII):
// runs of digits with inner '.' or ',' not touching a Latin letter.
func numbers(s string) []string {
	var out []string
	for _, t := range tokens(ToArabicDigits(s), isDigit, isDigit) {
		if !strings.ContainsAny(t, "-+") {
			out = append(out, t)
		}
	}
	return out
}

// distinct returns the distinct strings of xs under key, first occurrences
// in order.
func distinct(xs []string, key func(string) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if k := key(x); !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out
}

func noCommas(s string) string { return strings.ReplaceAll(s, ",", "") }

// soleNumber returns the number the Khmer text km mentions, as en writes
// it, when km holds exactly one distinct number and en holds it.
func soleNumber(km, en string) (string, bool) {
	ns := distinct(numbers(km), noCommas)
	if len(ns) != 1 {
		return "", false
	}
	for _, e := range numbers(en) {
		if noCommas(e) == noCommas(ns[0]) {
			return e, true
		}
	}
	return "", false
}

// soleLatinWord returns the Latin-script word of the Khmer text km when it
// holds exactly one distinct such word of two letters or more and en holds
// the same word.
func soleLatinWord(km, en string) (string, bool) {
	word := func(r rune) bool { return isASCIILetter(r) || isDigit(r) }
	ws := distinct(tokens(km, isASCIILetter, word), func(s string) string { return s })
	if len(ws) != 1 || utf8.RuneCountInString(ws[0]) < 2 {
		return "", false
	}
	for _, e := range tokens(en, isASCIILetter, word) {
		if e == ws[0] {
			return e, true
		}
	}
	return "", false
}
