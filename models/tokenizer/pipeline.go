package tokenizer

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pipeline is a Hugging Face tokenizer.json read component by component:
// added tokens are cut out of the input, the rest goes through the
// normalizer, the pre-tokenizer and the model, the post-processor adds
// special tokens, and the decoder turns tokens back into text, with the
// semantics of the Hugging Face tokenizers library. [ParseJSON] builds it.
type Pipeline struct {
	norm  normalizer   // nil: none
	pre   preTokenizer // nil: none
	model model
	post  post    // nil: none
	dec   decoder // nil: tokens joined by spaces
	added addedVocab
	// fast, when set, replaces pre-tokenizer and model for the common
	// byte-level BPE (a known split pattern, then bytes as characters): the
	// same ids without building the byte-level strings of cached words.
	fast  *fastByteBPE
	src   []byte // the tokenizer.json read
	grown bool   // AddSpecialTokens added a token since
}

// addedVocab matches added tokens, leftmost then longest, in the raw text
// (tokens with normalized false) or in the normalised text (the others,
// matched by their normalised content).
type addedVocab struct {
	toks   []jsonAdded
	byText map[string]int // content -> index in toks
	byID   map[int]int    // id -> index in toks
	raw    tokenSet
	normed tokenSet
}

// tokenSet finds token patterns: first byte -> candidates, longest first.
type tokenSet struct {
	first map[byte][]setEntry
}

type setEntry struct {
	pat string
	tok int // index in addedVocab.toks
}

func (s *tokenSet) add(pat string, tok int) {
	if pat == "" {
		return
	}
	if s.first == nil {
		s.first = map[byte][]setEntry{}
	}
	l := s.first[pat[0]]
	for i, e := range l {
		if e.pat == pat {
			l[i].tok = tok
			return
		}
	}
	l = append(l, setEntry{pat, tok})
	sort.SliceStable(l, func(i, j int) bool { return len(l[i].pat) > len(l[j].pat) })
	s.first[pat[0]] = l
}

// seg is a piece of input: text (tok < 0) or an added token.
type seg struct {
	s     string
	tok   int // index in addedVocab.toks, -1 for text
	first bool
}

func (a *addedVocab) add(t jsonAdded, norm normalizer) {
	if a.byText == nil {
		a.byText, a.byID = map[string]int{}, map[int]int{}
	}
	i, ok := a.byText[t.Content]
	if ok {
		a.toks[i] = t
	} else {
		a.toks = append(a.toks, t)
		i = len(a.toks) - 1
		a.byText[t.Content] = i
	}
	a.byID[t.ID] = i
	if t.Normalized && norm != nil {
		a.normed.add(norm(t.Content), i)
	} else if t.Normalized {
		a.normed.add(t.Content, i)
	} else {
		a.raw.add(t.Content, i)
	}
}

// isAlnum is Rust's char::is_alphanumeric (Alphabetic or Numeric).
func isAlnum(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Other_Alphabetic, r)
}

// split cuts text at the tokens of set; single_word, lstrip and rstrip
// apply as in Hugging Face (stripped spaces belong to the token).
func (a *addedVocab) split(dst []seg, text string, first bool, set *tokenSet) []seg {
	if set.first == nil {
		return append(dst, seg{text, -1, first})
	}
	start := 0
	for i := 0; i < len(text); {
		hit := -1
		var pat string
		for _, e := range set.first[text[i]] {
			if strings.HasPrefix(text[i:], e.pat) {
				hit, pat = e.tok, e.pat
				break
			}
		}
		if hit < 0 {
			i++
			continue
		}
		s, e := i, i+len(pat)
		i = e
		t := a.toks[hit]
		if t.SingleWord {
			before := strings.LastIndexFunc(text[:s], func(rune) bool { return true })
			wordBefore := before >= 0 && isAlnum([]rune(text[before:s])[0])
			wordAfter := false
			for _, r := range text[e:] {
				wordAfter = isAlnum(r)
				break
			}
			if wordBefore || wordAfter {
				continue
			}
		}
		if t.LStrip {
			s = max(len(strings.TrimRightFunc(text[:s], unicode.IsSpace)), start)
		}
		if t.RStrip {
			e = len(text) - len(strings.TrimLeftFunc(text[e:], unicode.IsSpace))
			i = e
		}
		if start < s {
			dst = append(dst, seg{text[start:s], -1, first && start == 0})
		}
		dst = append(dst, seg{text[s:e], hit, false})
		start = e
	}
	if start < len(text) {
		dst = append(dst, seg{text[start:], -1, first && start == 0})
	}
	return dst
}

// ParseJSON reads a Hugging Face tokenizer.json. Every component, option
// and value is read; one this package does not implement is an error
// naming it. name is used in error messages.
func ParseJSON(data []byte, name string) (Tokenizer, error) {
	p, err := parsePipeline(data)
	if err != nil {
		return nil, formatErr(name, "%v", err)
	}
	return p, nil
}

func parsePipeline(data []byte) (*Pipeline, error) {
	top, err := parseObj(data, "tokenizer.json")
	if err != nil {
		return nil, err
	}
	p := &Pipeline{src: data}
	top.get("version")
	for _, k := range []string{"truncation", "padding"} {
		if top.has(k) {
			return nil, fmt.Errorf("%s is not supported (Encode neither truncates nor pads); set it to null", k)
		}
	}
	if r := top.get("normalizer"); r != nil {
		if p.norm, err = parseNormalizer(r, "normalizer"); err != nil {
			return nil, err
		}
	}
	if r := top.get("pre_tokenizer"); r != nil {
		if p.pre, err = parsePreTokenizer(r, "pre_tokenizer"); err != nil {
			return nil, err
		}
	}
	r := top.get("model")
	if r == nil {
		return nil, fmt.Errorf("no model")
	}
	if p.model, err = parseModel(r); err != nil {
		return nil, err
	}
	var added []jsonAdded
	top.decode("added_tokens", &added)
	// As in Hugging Face, an added token's id is the model's id of its
	// content, or the next free id after the model's vocabulary; a file
	// that says otherwise is refused.
	next := p.model.count()
	for i, a := range added {
		if a.Content == "" {
			return nil, fmt.Errorf("added_tokens[%d] has no content", i)
		}
		id, ok := p.model.tokenToID(a.Content)
		if !ok {
			id = next
			next++
		}
		if a.ID != id {
			return nil, fmt.Errorf("added_tokens[%d] %q has id %d, but the Hugging Face library gives it %d (the model's id of that text, or the next id after the vocabulary)", i, a.Content, a.ID, id)
		}
		p.added.add(a, p.norm)
	}
	if m, ok := p.model.(*bpeModel); ok {
		p.fast = newFastByteBPE(top.get("pre_tokenizer"), m)
	}
	if r := top.get("post_processor"); r != nil {
		if p.post, err = parsePost(r, "post_processor", p.TokenID); err != nil {
			return nil, err
		}
	}
	if r := top.get("decoder"); r != nil {
		if p.dec, err = parseDecoder(r, "decoder"); err != nil {
			return nil, err
		}
	}
	if err := top.finish(); err != nil {
		return nil, err
	}
	if p.post != nil {
		for _, id := range p.post(nil) {
			if id < 0 || id >= p.VocabSize() {
				return nil, fmt.Errorf("post-processor token id %d outside the vocabulary (%d ids)", id, p.VocabSize())
			}
		}
	}
	return p, nil
}

// Encode implements [Tokenizer]. Invalid UTF-8 is read as U+FFFD.
func (p *Pipeline) Encode(text string, addSpecial bool) []int {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	ids := []int{}
	for _, s := range p.added.split(nil, text, true, &p.added.raw) {
		if s.tok >= 0 {
			ids = append(ids, p.added.toks[s.tok].ID)
			continue
		}
		n := s.s
		if p.norm != nil {
			n = p.norm(n)
		}
		for _, s2 := range p.added.split(nil, n, s.first, &p.added.normed) {
			if s2.tok >= 0 {
				ids = append(ids, p.added.toks[s2.tok].ID)
				continue
			}
			if p.fast != nil {
				ids = p.fast.encode(ids, s2.s)
				continue
			}
			pieces := []piece{{s2.s, s2.first}}
			if p.pre != nil {
				pieces = p.pre(nil, pieces[0])
			}
			for _, pc := range pieces {
				ids = p.model.tokenize(ids, pc.s)
			}
		}
	}
	if addSpecial && p.post != nil {
		return p.post(ids)
	}
	return ids
}

// Decode implements [Tokenizer]: the tokens of ids (added tokens
// included, unknown ids skipped) through the decoder.
func (p *Pipeline) Decode(ids []int) string {
	return p.decode(ids, false)
}

// DecodeSkipSpecial is Decode without the special added tokens.
func (p *Pipeline) DecodeSkipSpecial(ids []int) string {
	return p.decode(ids, true)
}

func (p *Pipeline) decode(ids []int, skipSpecial bool) string {
	toks := make([]string, 0, len(ids))
	for _, id := range ids {
		if i, ok := p.added.byID[id]; ok {
			if !skipSpecial || !p.added.toks[i].Special {
				toks = append(toks, p.added.toks[i].Content)
			}
			continue
		}
		if s, ok := p.model.idToToken(id); ok {
			toks = append(toks, s)
		}
	}
	if p.dec == nil {
		return strings.Join(toks, " ")
	}
	return strings.Join(p.dec(toks), "")
}

// VocabSize implements [Tokenizer].
func (p *Pipeline) VocabSize() int {
	n := p.model.size()
	for _, t := range p.added.toks {
		n = max(n, t.ID+1)
	}
	return n
}

// TokenID implements [Tokenizer].
func (p *Pipeline) TokenID(s string) (int, bool) {
	if i, ok := p.added.byText[s]; ok {
		return p.added.toks[i].ID, true
	}
	return p.model.tokenToID(s)
}

// Token implements [Tokenizer].
func (p *Pipeline) Token(id int) (string, bool) {
	if i, ok := p.added.byID[id]; ok {
		return p.added.toks[i].Content, true
	}
	return p.model.idToToken(id)
}

// AddSpecialTokens implements [Tokenizer]: the tokens are special, matched
// in the raw text.
func (p *Pipeline) AddSpecialTokens(tokens ...string) []int {
	out := make([]int, len(tokens))
	for i, s := range tokens {
		id, ok := p.TokenID(s)
		if !ok {
			id = p.VocabSize()
		}
		if _, isAdded := p.added.byText[s]; !isAdded {
			p.added.add(jsonAdded{ID: id, Content: s, Special: true}, p.norm)
			p.grown = true
		}
		out[i] = id
	}
	return out
}

// MarshalJSON writes the tokenizer.json the pipeline was read from, with
// the tokens added since in added_tokens.
func (p *Pipeline) MarshalJSON() ([]byte, error) {
	if !p.grown {
		return p.src, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(p.src, &m); err != nil {
		return nil, err
	}
	toks := append([]jsonAdded(nil), p.added.toks...)
	sort.SliceStable(toks, func(i, j int) bool { return toks[i].ID < toks[j].ID })
	b, err := json.Marshal(toks)
	if err != nil {
		return nil, err
	}
	m["added_tokens"] = b
	return json.Marshal(m)
}

// fastByteBPE is a Split with a hand-written pattern keeping every piece
// followed by ByteLevel without prefix space or regex, feeding a
// BPE model without prefix, suffix or byte fallback whose vocabulary has
// every byte character: each piece's ids are cached by its raw text.
type fastByteBPE struct {
	split splitMatcher
	model *bpeModel
	cache wordCache
}

func newFastByteBPE(raw json.RawMessage, m *bpeModel) *fastByteBPE {
	if m.prefix != "" || m.suffix != "" || m.byteFallback {
		return nil
	}
	for b := 0; b < 256; b++ {
		if _, ok := m.ids[byteStr[b]]; !ok {
			return nil
		}
	}
	type step struct {
		Type           string       `json:"type"`
		Pattern        *jsonPattern `json:"pattern"`
		Behavior       string       `json:"behavior"`
		Invert         bool         `json:"invert"`
		AddPrefixSpace *bool        `json:"add_prefix_space"`
		UseRegex       *bool        `json:"use_regex"`
	}
	var seq struct {
		Type          string `json:"type"`
		Pretokenizers []step `json:"pretokenizers"`
	}
	if json.Unmarshal(raw, &seq) != nil || seq.Type != "Sequence" || len(seq.Pretokenizers) != 2 {
		return nil
	}
	sp, bl := seq.Pretokenizers[0], seq.Pretokenizers[1]
	// Isolated, or Removed inverted: every piece kept (the known patterns
	// match the whole text).
	keepAll := (sp.Behavior == "Isolated" && !sp.Invert) || (sp.Behavior == "Removed" && sp.Invert)
	if sp.Type != "Split" || sp.Pattern == nil || sp.Pattern.Regex == nil || !keepAll ||
		bl.Type != "ByteLevel" || bl.AddPrefixSpace == nil || *bl.AddPrefixSpace || bl.UseRegex == nil || *bl.UseRegex {
		return nil
	}
	split, ok := knownSplitter(*sp.Pattern.Regex).(splitMatcher)
	if !ok {
		return nil
	}
	return &fastByteBPE{split: split, model: m}
}

func (f *fastByteBPE) encode(ids []int, text string) []int {
	f.split(text, func(w string) {
		for _, id := range f.cache.get(w, f.word) {
			ids = append(ids, int(id))
		}
	})
	return ids
}

func (f *fastByteBPE) word(w string) []int32 { return f.model.word(ByteLevelEncode(w)) }
