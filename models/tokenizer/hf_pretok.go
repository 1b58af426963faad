package tokenizer

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/rangetable"
)

// piece is a span of normalised text between pre-tokenization steps.
type piece struct {
	s     string
	first bool // starts at offset 0 of the input (Metaspace prepend_scheme "first")
}

// preTokenizer cuts one piece into pieces appended to dst.
type preTokenizer func(dst []piece, p piece) []piece

// behavior is what a split does with the matches (Hugging Face's
// SplitDelimiterBehavior).
type behavior int

const (
	removed behavior = iota
	isolated
	mergedWithPrevious
	mergedWithNext
	contiguous
)

var behaviors = map[string]behavior{"Removed": removed, "Isolated": isolated,
	"MergedWithPrevious": mergedWithPrevious, "MergedWithNext": mergedWithNext, "Contiguous": contiguous}

func (o *obj) behavior(key string, def behavior) behavior {
	s := o.str(key, "")
	if s == "" {
		return def
	}
	b, ok := behaviors[s]
	if !ok {
		o.fail("unknown %s %q", key, s)
	}
	return b
}

type span struct {
	a, b  int
	match bool
}

// splitPiece cuts p at the matches of m as Hugging Face's
// NormalizedString::split does; empty pieces are dropped.
func splitPiece(dst []piece, p piece, m matcher, b behavior, invert bool) []piece {
	if p.s == "" {
		return dst
	}
	var spans []span
	prev := 0
	m.find(p.s, func(a, e int) {
		if prev != a {
			spans = append(spans, span{prev, a, false})
		}
		spans = append(spans, span{a, e, true})
		prev = e
	})
	if prev != len(p.s) {
		spans = append(spans, span{prev, len(p.s), false})
	}
	if invert {
		for i := range spans {
			spans[i].match = !spans[i].match
		}
	}
	var out []span
	switch b {
	case removed:
		for _, s := range spans {
			if !s.match {
				out = append(out, s)
			}
		}
	case isolated:
		out = spans
	case mergedWithPrevious:
		prevMatch := false
		for _, s := range spans {
			if s.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].b = s.b
			} else {
				out = append(out, span{s.a, s.b, false})
			}
			prevMatch = s.match
		}
	case mergedWithNext:
		prevMatch := false
		for i := len(spans) - 1; i >= 0; i-- {
			s := spans[i]
			if s.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].a = s.a
			} else {
				out = append(out, span{s.a, s.b, false})
			}
			prevMatch = s.match
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	case contiguous:
		prevMatch := false
		for _, s := range spans {
			if s.match == prevMatch && len(out) > 0 {
				out[len(out)-1].b = s.b
			} else {
				out = append(out, span{s.a, s.b, false})
			}
			prevMatch = s.match
		}
	}
	for _, s := range out {
		if s.b > s.a {
			dst = append(dst, piece{p.s[s.a:s.b], p.first && s.a == 0})
		}
	}
	return dst
}

// splitter returns a pre-tokenizer splitting at the matches of m.
func splitter(m matcher, b behavior, invert bool) preTokenizer {
	return func(dst []piece, p piece) []piece { return splitPiece(dst, p, m, b, invert) }
}

// chain runs pre-tokenizers one after the other over all pieces.
func chain(steps []preTokenizer) preTokenizer {
	return func(dst []piece, p piece) []piece {
		cur := []piece{p}
		for _, st := range steps {
			var next []piece
			for _, q := range cur {
				next = st(next, q)
			}
			cur = next
		}
		return append(dst, cur...)
	}
}

// isWord is the \w of Hugging Face's Whitespace pre-tokenizer (the Rust
// regex crate's): Alphabetic, marks, decimal digits, connector punctuation
// and the joiners U+200C/U+200D.
func isWord(r rune) bool {
	return unicode.In(r, unicode.L, unicode.Nl, unicode.Other_Alphabetic, unicode.M, unicode.Nd, unicode.Pc, unicode.Join_Control)
}

// wordMatcher matches \w+|[^\w\s]+ (Hugging Face's Whitespace).
type wordMatcher struct{}

func (wordMatcher) find(s string, f func(a, b int)) {
	start, kind := -1, 0 // kind 1: word run, 2: other run
	for i, r := range s {
		k := 2
		if isWord(r) {
			k = 1
		} else if unicode.IsSpace(r) {
			k = 0
		}
		if k != kind && start >= 0 {
			f(start, i)
			start = -1
		}
		if k != 0 && start < 0 {
			start = i
		}
		kind = k
	}
	if start >= 0 {
		f(start, len(s))
	}
}

// scriptMatcher cuts text into runs of one Unicode script as Hugging
// Face's UnicodeScripts does: Hiragana, Katakana and U+30FC count as Han,
// Common and Inherited are scripts of their own, a space belongs to any
// script (it never starts a run and joins the run before it), and
// characters before the first non-space one are dropped. Hugging Face's
// script table is Unicode 9.0's: characters assigned later (🦙 U+1F999)
// are treated like a space too.
type scriptMatcher struct{}

// unicode9 holds the code points assigned in Unicode 9.0.
var unicode9 = rangetable.Assigned("9.0.0")

func scriptOf(r rune) string {
	switch {
	case r == ' ' || !unicode.Is(unicode9, r):
		return ""
	case r == 0x30FC:
		return "Han"
	}
	for _, name := range scriptNames {
		if unicode.Is(unicode.Scripts[name], r) {
			if name == "Hiragana" || name == "Katakana" {
				return "Han"
			}
			return name
		}
	}
	return ""
}

// scriptNames lists Go's scripts, the common ones first.
var scriptNames = func() []string {
	names := []string{"Latin", "Common", "Inherited", "Khmer", "Han", "Cyrillic", "Arabic", "Devanagari"}
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	var rest []string
	for n := range unicode.Scripts {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}()

func (scriptMatcher) find(s string, f func(a, b int)) {
	last, start := "", -1
	for i, r := range s {
		sc := scriptOf(r)
		if sc != "" && sc != last {
			if start >= 0 {
				f(start, i)
			}
			start = i
		}
		if sc != "" {
			last = sc
		}
	}
	if start >= 0 {
		f(start, len(s))
	}
}

// parsePreTokenizer reads a pre-tokenizer object.
func parsePreTokenizer(raw json.RawMessage, where string) (preTokenizer, error) {
	o, err := parseObj(raw, where)
	if err != nil {
		return nil, err
	}
	var pt preTokenizer
	switch t := o.typ(); t {
	case "Sequence":
		var steps []preTokenizer
		for i, r := range o.list("pretokenizers") {
			c, err := parsePreTokenizer(r, fmt.Sprintf("%s.pretokenizers[%d]", where, i))
			if err != nil {
				return nil, err
			}
			steps = append(steps, c)
		}
		pt = chain(steps)
	case "Split":
		m := o.pattern("pattern")
		b := o.behavior("behavior", removed)
		if !o.has("behavior") {
			o.fail("missing behavior")
		}
		pt = splitter(m, b, o.boolean("invert", false))
	case "ByteLevel":
		pt = byteLevelPre(o)
	case "Metaspace":
		pt = metaspacePre(o)
	case "Whitespace":
		pt = splitter(wordMatcher{}, removed, true)
	case "WhitespaceSplit":
		pt = splitter(runeMatcher(unicode.IsSpace), removed, false)
	case "BertPreTokenizer":
		pt = chain([]preTokenizer{splitter(runeMatcher(unicode.IsSpace), removed, false),
			splitter(runeMatcher(isBertPunct), isolated, false)})
	case "Punctuation":
		pt = splitter(runeMatcher(isBertPunct), o.behavior("behavior", isolated), false)
	case "Digits":
		b := contiguous
		if o.boolean("individual_digits", false) {
			b = isolated
		}
		pt = splitter(runeMatcher(unicode.IsNumber), b, false)
	case "CharDelimiterSplit":
		d := o.oneRune("delimiter", 0)
		pt = splitter(runeMatcher(func(r rune) bool { return r == d }), removed, false)
	case "UnicodeScripts":
		pt = splitter(scriptMatcher{}, removed, true)
	case "":
		return nil, fmt.Errorf("%s: missing type", where)
	default:
		return nil, fmt.Errorf("%s: unsupported pre-tokenizer %q", where, t)
	}
	if err := o.finish(); err != nil {
		return nil, err
	}
	return pt, nil
}

// byteLevelPre is Hugging Face's ByteLevel pre-tokenizer: an optional
// leading space, the GPT-2 split, then each byte as its byte-level
// character. trim_offsets only affects offsets.
func byteLevelPre(o *obj) preTokenizer {
	prefix := o.boolean("add_prefix_space", true)
	useRegex := o.boolean("use_regex", true)
	o.boolean("trim_offsets", true)
	gpt2 := splitMatcher(splitGPT2)
	return func(dst []piece, p piece) []piece {
		if prefix && p.s != "" && !strings.HasPrefix(p.s, " ") {
			p.s = " " + p.s
		}
		n := len(dst)
		if useRegex {
			dst = splitPiece(dst, p, gpt2, isolated, false)
		} else if p.s != "" {
			dst = append(dst, p)
		}
		for i := n; i < len(dst); i++ {
			dst[i].s = ByteLevelEncode(dst[i].s)
		}
		return dst
	}
}

// metaspacePre is Hugging Face's Metaspace pre-tokenizer: spaces become
// the replacement character, which is prepended (always, to the input's
// first piece only, or never) and, with split, starts each word.
func metaspacePre(o *obj) preTokenizer {
	repl := string(o.oneRune("replacement", '▁'))
	scheme := metaspaceScheme(o)
	split := o.boolean("split", true)
	o.get("str_rep") // older files repeat the replacement here
	m := stringMatcher(repl)
	return func(dst []piece, p piece) []piece {
		p.s = strings.ReplaceAll(p.s, " ", repl)
		if p.s != "" && !strings.HasPrefix(p.s, repl) && (scheme == "always" || (scheme == "first" && p.first)) {
			p.s = repl + p.s
		}
		if split {
			return splitPiece(dst, p, m, mergedWithNext, false)
		}
		if p.s != "" {
			dst = append(dst, p)
		}
		return dst
	}
}

// metaspaceScheme reads prepend_scheme, or the older add_prefix_space.
func metaspaceScheme(o *obj) string {
	if o.has("prepend_scheme") {
		s := o.str("prepend_scheme", "always")
		if s != "always" && s != "first" && s != "never" {
			o.fail("unknown prepend_scheme %q", s)
		}
		o.get("add_prefix_space")
		return s
	}
	if o.boolean("add_prefix_space", true) {
		return "always"
	}
	return "never"
}
