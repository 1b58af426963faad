package tokenizer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// post adds special tokens around the ids of one sequence.
type post func(ids []int) []int

// parsePost reads a post-processor; id resolves a token to its id.
func parsePost(raw json.RawMessage, where string, id func(string) (int, bool)) (post, error) {
	o, err := parseObj(raw, where)
	if err != nil {
		return nil, err
	}
	var p post
	switch t := o.typ(); t {
	case "Sequence":
		var seq []post
		for i, r := range o.list("processors") {
			c, err := parsePost(r, fmt.Sprintf("%s.processors[%d]", where, i), id)
			if err != nil {
				return nil, err
			}
			seq = append(seq, c)
		}
		p = func(ids []int) []int {
			for _, c := range seq {
				ids = c(ids)
			}
			return ids
		}
	case "ByteLevel":
		// Adjusts offsets only.
		o.get("add_prefix_space")
		o.get("trim_offsets")
		o.get("use_regex")
		p = func(ids []int) []int { return ids }
	case "RobertaProcessing", "BertProcessing":
		cls, sep := o.specialPair("cls", id), o.specialPair("sep", id)
		if t == "RobertaProcessing" {
			o.get("trim_offsets")
			o.get("add_prefix_space")
		}
		p = func(ids []int) []int { return append(append([]int{cls}, ids...), sep) }
	case "TemplateProcessing":
		p = templatePost(o)
	case "":
		return nil, fmt.Errorf("%s: missing type", where)
	default:
		return nil, fmt.Errorf("%s: unsupported post-processor %q", where, t)
	}
	if err := o.finish(); err != nil {
		return nil, err
	}
	return p, nil
}

// specialPair reads a ["token", id] pair.
func (o *obj) specialPair(key string, id func(string) (int, bool)) int {
	var v []any
	if !o.decode(key, &v) || len(v) != 2 {
		o.fail("%s: want [token, id]", key)
		return 0
	}
	n, ok := v[1].(float64)
	if !ok || n < 0 || n != float64(int(n)) {
		o.fail("%s: bad id %v", key, v[1])
		return 0
	}
	return int(n)
}

// templatePost reads TemplateProcessing's single-sequence template (the
// pair template is read for errors only: Encode takes one sequence).
func templatePost(o *obj) post {
	var specials map[string]struct {
		ID     string   `json:"id"`
		IDs    []int    `json:"ids"`
		Tokens []string `json:"tokens"`
	}
	o.decode("special_tokens", &specials)
	type item struct {
		SpecialToken *struct {
			ID     string `json:"id"`
			TypeID int    `json:"type_id"`
		}
		Sequence *struct {
			ID     string `json:"id"`
			TypeID int    `json:"type_id"`
		}
	}
	var single, pair []item
	o.decode("single", &single)
	o.decode("pair", &pair)
	var parts [][]int // nil entry: the sequence
	for i, it := range append(single, pair...) {
		switch {
		case it.SpecialToken != nil:
			sp, ok := specials[it.SpecialToken.ID]
			if !ok {
				o.fail("template token %q has no special_tokens entry", it.SpecialToken.ID)
				return nil
			}
			if i < len(single) {
				parts = append(parts, sp.IDs)
			}
		case it.Sequence != nil:
			if it.Sequence.ID != "A" && it.Sequence.ID != "B" {
				o.fail("template sequence %q is neither A nor B", it.Sequence.ID)
			}
			if i < len(single) {
				parts = append(parts, nil)
			}
		default:
			o.fail("template item %d is neither SpecialToken nor Sequence", i)
		}
	}
	return func(ids []int) []int {
		var out []int
		for _, p := range parts {
			if p == nil {
				out = append(out, ids...)
			} else {
				out = append(out, p...)
			}
		}
		return out
	}
}

// decoder turns token strings into text pieces (Hugging Face's
// decode_chain); the pieces are concatenated at the end.
type decoder func(toks []string) []string

// parseDecoder reads a decoder object.
func parseDecoder(raw json.RawMessage, where string) (decoder, error) {
	o, err := parseObj(raw, where)
	if err != nil {
		return nil, err
	}
	var d decoder
	switch t := o.typ(); t {
	case "Sequence":
		var seq []decoder
		for i, r := range o.list("decoders") {
			c, err := parseDecoder(r, fmt.Sprintf("%s.decoders[%d]", where, i))
			if err != nil {
				return nil, err
			}
			seq = append(seq, c)
		}
		d = func(toks []string) []string {
			for _, c := range seq {
				toks = c(toks)
			}
			return toks
		}
	case "ByteLevel":
		o.get("add_prefix_space")
		o.get("trim_offsets")
		o.get("use_regex")
		d = byteLevelDecode
	case "Metaspace":
		repl := o.oneRune("replacement", '▁')
		scheme := metaspaceScheme(o)
		o.get("split")
		o.get("str_rep")
		d = func(toks []string) []string {
			for i, t := range toks {
				toks[i] = strings.Map(func(r rune) rune {
					if r != repl {
						return r
					}
					if i == 0 && scheme != "never" {
						return -1
					}
					return ' '
				}, t)
			}
			return toks
		}
	case "WordPiece":
		prefix := o.str("prefix", "##")
		cleanup := o.boolean("cleanup", true)
		d = func(toks []string) []string {
			for i, t := range toks {
				if i > 0 {
					if r, ok := strings.CutPrefix(t, prefix); ok {
						t = r
					} else {
						t = " " + t
					}
				}
				if cleanup {
					t = cleanupSpaces(t)
				}
				toks[i] = t
			}
			return toks
		}
	case "ByteFallback":
		d = byteFallbackDecode
	case "Fuse":
		d = func(toks []string) []string { return []string{strings.Join(toks, "")} }
	case "Strip":
		c := o.oneRune("content", ' ')
		start, stop := o.integer("start", 0), o.integer("stop", 0)
		d = func(toks []string) []string {
			for i, t := range toks {
				toks[i] = stripRunes(t, c, start, stop)
			}
			return toks
		}
	case "Replace":
		m := o.pattern("pattern")
		content := o.str("content", "")
		d = func(toks []string) []string {
			for i, t := range toks {
				toks[i] = replaceAll(m, t, content)
			}
			return toks
		}
	case "BPEDecoder":
		suffix := o.str("suffix", "</w>")
		d = func(toks []string) []string {
			for i, t := range toks {
				r := " "
				if i == len(toks)-1 {
					r = ""
				}
				toks[i] = strings.ReplaceAll(t, suffix, r)
			}
			return toks
		}
	case "":
		return nil, fmt.Errorf("%s: missing type", where)
	default:
		return nil, fmt.Errorf("%s: unsupported decoder %q", where, t)
	}
	if err := o.finish(); err != nil {
		return nil, err
	}
	return d, nil
}

// byteLevelDecode maps byte-level characters back to bytes (a token with
// any other character keeps its UTF-8 bytes) and reads the result as UTF-8
// with each invalid sequence replaced by U+FFFD.
func byteLevelDecode(toks []string) []string {
	var b []byte
	for _, t := range toks {
		n := len(b)
		for _, r := range t {
			c, ok := runeToByte[r]
			if !ok {
				b = append(b[:n], t...)
				break
			}
			b = append(b, c)
		}
	}
	return []string{lossyUTF8(b)}
}

// byteFallbackDecode turns runs of <0xXX> tokens into their bytes: the
// text when they form valid UTF-8, else one U+FFFD per byte.
func byteFallbackDecode(toks []string) []string {
	var out []string
	var pend []byte
	flush := func() {
		if len(pend) == 0 {
			return
		}
		if utf8.Valid(pend) {
			out = append(out, string(pend))
		} else {
			for range pend {
				out = append(out, "\uFFFD")
			}
		}
		pend = pend[:0]
	}
	for _, t := range toks {
		if len(t) == 6 && strings.HasPrefix(t, "<0x") && t[5] == '>' {
			if v, err := strconv.ParseUint(t[3:5], 16, 8); err == nil {
				pend = append(pend, byte(v))
				continue
			}
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

// stripRunes removes up to start leading and stop trailing c characters.
func stripRunes(t string, c rune, start, stop int) string {
	r := []rune(t)
	a := 0
	for a < len(r) && a < start && r[a] == c {
		a++
	}
	b := len(r)
	for k := 0; k < stop && b > a && r[b-1] == c; k++ {
		b--
	}
	return string(r[a:b])
}

// cleanupSpaces is the WordPiece decoder's cleanup of tokenization spaces.
func cleanupSpaces(s string) string {
	return strings.NewReplacer(" .", ".", " ?", "?", " !", "!", " ,", ",", " ' ", "'", " n't", "n't",
		" 'm", "'m", " do not", " don't", " 's", "'s", " 've", "'ve", " 're", "'re").Replace(s)
}

// lossyUTF8 is Rust's String::from_utf8_lossy: each maximal prefix of an
// invalid sequence becomes one U+FFFD.
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); {
		r, w := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || w > 1 {
			sb.Write(b[i : i+w])
			i += w
			continue
		}
		sb.WriteString("\uFFFD")
		i += invalidPrefix(b[i:])
	}
	return sb.String()
}

// invalidPrefix is the length of the longest prefix of b that could start
// a valid UTF-8 sequence (at least 1): the bytes replaced by one U+FFFD.
func invalidPrefix(b []byte) int {
	c := b[0]
	var n int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		n = 2
	case c >= 0xE0 && c <= 0xEF:
		n = 3
		if c == 0xE0 {
			lo = 0xA0
		} else if c == 0xED {
			hi = 0x9F
		}
	case c >= 0xF0 && c <= 0xF4:
		n = 4
		if c == 0xF0 {
			lo = 0x90
		} else if c == 0xF4 {
			hi = 0x8F
		}
	default:
		return 1
	}
	k := 1
	for ; k < n && k < len(b); k++ {
		if b[k] < lo || b[k] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return k
}
