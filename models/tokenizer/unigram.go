package tokenizer

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Metaspace is SentencePiece's visible space, U+2581.
const Metaspace = "▁"

// Token types (GGUF tokenizer.ggml.token_type and SentencePiece piece types).
const (
	TypeNormal      = 1
	TypeUnknown     = 2
	TypeControl     = 3
	TypeUserDefined = 4
	TypeUnused      = 5
	TypeByte        = 6
)

// UnigramConfig is the plain-data description of a SentencePiece Unigram
// tokenizer.
type UnigramConfig struct {
	Pieces []string  // id -> piece
	Scores []float64 // id -> log probability
	// Types holds each piece's type (Type*); nil means all normal except
	// UnkID. Control, unknown and unused pieces are never produced by the
	// segmentation; user-defined ones are matched whole like added tokens.
	Types []int
	UnkID int
	// Charsmap is the precompiled_charsmap blob (nil: NFKC-like fallback).
	Charsmap []byte
	// AddDummyPrefix puts ▁ before the text (SentencePiece's
	// add_dummy_prefix, HF Metaspace prepend_scheme "always").
	AddDummyPrefix bool
	// KeepExtraWhitespace disables SentencePiece's remove_extra_whitespaces
	// (leading, trailing and repeated spaces are dropped by default).
	KeepExtraWhitespace bool
	Added               []AddedToken
	Prefix, Suffix      []int
}

// Unigram is a SentencePiece Unigram tokenizer (XLM-R, T5).
type Unigram struct {
	pieces []string
	scores []float64
	types  []int
	ids    map[string]int // matchable pieces only
	// prefix maps every rune-boundary prefix of a matchable piece to the
	// piece's id, or -1 when it is only a prefix: Viterbi stops extending
	// a candidate as soon as it is no prefix.
	prefix   map[string]int32
	cache    wordCache
	unk      int
	unkScore float64
	maxLen   int
	cmap     *Charsmap
	dummy    bool
	keepWS   bool
	added    added
	post     postProcessor
}

// NewUnigram builds a Unigram tokenizer from plain data.
func NewUnigram(c UnigramConfig) (*Unigram, error) {
	if len(c.Pieces) == 0 {
		return nil, fmt.Errorf("empty vocabulary")
	}
	if len(c.Scores) != len(c.Pieces) || (c.Types != nil && len(c.Types) != len(c.Pieces)) {
		return nil, fmt.Errorf("%d pieces but %d scores and %d types", len(c.Pieces), len(c.Scores), len(c.Types))
	}
	if c.UnkID < 0 || c.UnkID >= len(c.Pieces) {
		return nil, fmt.Errorf("unk id %d out of range", c.UnkID)
	}
	cm, err := ParseCharsmap(c.Charsmap)
	if err != nil {
		return nil, err
	}
	u := &Unigram{
		pieces: append([]string(nil), c.Pieces...),
		scores: append([]float64(nil), c.Scores...),
		types:  make([]int, len(c.Pieces)),
		ids:    make(map[string]int, len(c.Pieces)),
		unk:    c.UnkID,
		cmap:   cm,
		dummy:  c.AddDummyPrefix,
		keepWS: c.KeepExtraWhitespace,
		post:   postProcessor{prefix: append([]int(nil), c.Prefix...), suffix: append([]int(nil), c.Suffix...)},
	}
	minScore := math.Inf(1)
	for i, p := range c.Pieces {
		t := TypeNormal
		if c.Types != nil {
			t = c.Types[i]
		}
		if i == c.UnkID {
			t = TypeUnknown
		}
		u.types[i] = t
		s := c.Scores[i]
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("piece %d %q has score %v", i, p, s)
		}
		if t == TypeNormal {
			minScore = min(minScore, s)
		}
		if (t == TypeNormal || t == TypeByte) && p != "" {
			if _, dup := u.ids[p]; !dup {
				u.ids[p] = i
			}
			u.maxLen = max(u.maxLen, len(p))
		}
		if t == TypeUserDefined && p != "" {
			u.added.add(AddedToken{ID: i, Content: p})
		}
	}
	u.prefix = make(map[string]int32, 2*len(u.ids))
	for p, id := range u.ids {
		for k := range p {
			if k > 0 {
				if _, ok := u.prefix[p[:k]]; !ok {
					u.prefix[p[:k]] = -1
				}
			}
		}
		u.prefix[p] = int32(id)
	}
	if math.IsInf(minScore, 1) {
		minScore = 0
	}
	u.unkScore = minScore - 10
	for _, a := range c.Added {
		if a.ID < 0 || a.ID >= idLimit(len(c.Pieces)+len(c.Added)) {
			return nil, fmt.Errorf("added token %q has id %d out of range", a.Content, a.ID)
		}
		u.addAdded(a)
	}
	if err := checkPost(u.post, len(u.pieces)); err != nil {
		return nil, err
	}
	return u, nil
}

func (u *Unigram) addAdded(a AddedToken) {
	u.added.add(a)
	for a.ID >= len(u.pieces) {
		u.pieces = append(u.pieces, "")
		u.scores = append(u.scores, 0)
		u.types = append(u.types, TypeControl)
	}
	if u.pieces[a.ID] == "" {
		u.pieces[a.ID] = a.Content
	}
}

// Normalize returns text as the segmentation sees it: the charsmap (or the
// NFKC-like fallback) applied, spaces handled as SentencePiece does
// (leading/trailing/repeated ones dropped unless KeepExtraWhitespace) and
// written as ▁, with the dummy prefix.
func (u *Unigram) Normalize(text string) string {
	var norm string
	if u.cmap != nil {
		norm = u.cmap.Normalize(text)
	} else {
		norm = nfkcLike(text)
	}
	var sb strings.Builder
	sb.Grow(len(norm) + 8)
	prevSpace := !u.keepWS
	if !u.keepWS {
		norm = strings.TrimLeft(norm, " ")
		if norm == "" {
			return ""
		}
	}
	if u.dummy {
		sb.WriteString(Metaspace)
	}
	for i := 0; i < len(norm); i++ {
		c := norm[i]
		if c == ' ' {
			if prevSpace && !u.keepWS {
				continue
			}
			sb.WriteString(Metaspace)
			prevSpace = true
			continue
		}
		prevSpace = false
		sb.WriteByte(c)
	}
	s := sb.String()
	if !u.keepWS {
		for strings.HasSuffix(s, Metaspace) {
			s = s[:len(s)-len(Metaspace)]
		}
	}
	return s
}

// Encode implements [Tokenizer].
func (u *Unigram) Encode(text string, addSpecial bool) []int {
	ids := []int{}
	for _, seg := range u.added.split(text) {
		if seg.id >= 0 {
			ids = append(ids, seg.id)
			continue
		}
		ids = u.segment(ids, u.Normalize(seg.text))
	}
	if addSpecial {
		return u.post.apply(ids)
	}
	return ids
}

// segment runs Viterbi over s word by word (a word starts at each ▁).
func (u *Unigram) segment(ids []int, s string) []int {
	for len(s) > 0 {
		end := wordEnd(s)
		for _, id := range u.cache.get(s[:end], u.viterbi32) {
			ids = append(ids, int(id))
		}
		s = s[end:]
	}
	return ids
}

// wordEnd is the end of s's first word: the next ▁ after its first byte,
// or the end of s.
func wordEnd(s string) int {
	if end := strings.Index(s[1:], Metaspace); end >= 0 {
		return end + 1
	}
	return len(s)
}

type node struct {
	score float64
	start int32
	id    int32
}

// viterbi appends the best segmentation of s (maximum total score);
// characters no piece covers become the unknown id (runs fused).
func (u *Unigram) viterbi(ids []int, s string) []int {
	for _, t := range u.viterbiSpans(s) {
		ids = append(ids, t.id)
	}
	return ids
}

// viterbi32 is viterbi as int32 ids, for the word cache.
func (u *Unigram) viterbi32(s string) []int32 {
	var out []int32
	for _, t := range u.viterbiSpans(s) {
		out = append(out, int32(t.id))
	}
	return out
}

// uniTok is one token of a segmentation and the bytes of s it covers.
type uniTok struct{ id, start, end int }

// viterbiSpans returns the best segmentation of s with each token's span;
// consecutive unknown tokens are fused into one.
func (u *Unigram) viterbiSpans(s string) []uniTok {
	best := make([]node, len(s)+1)
	for i := 1; i <= len(s); i++ {
		best[i].score = math.Inf(-1)
		best[i].start = -1
	}
	for i := 0; i < len(s); {
		_, cw := utf8.DecodeRuneInString(s[i:])
		if best[i].start < 0 && i > 0 {
			i += cw
			continue
		}
		base := best[i].score
		covered := false
		for j := i; j < len(s) && j-i < u.maxLen; {
			_, w := utf8.DecodeRuneInString(s[j:])
			j += w
			if j-i > u.maxLen {
				break
			}
			pid, ok := u.prefix[s[i:j]]
			if !ok {
				break
			}
			if pid >= 0 {
				id := int(pid)
				if j == i+cw {
					covered = true
				}
				if sc := base + u.scores[id]; sc > best[j].score {
					best[j] = node{sc, int32(i), int32(id)}
				}
			}
		}
		if !covered {
			if sc := base + u.unkScore; sc > best[i+cw].score {
				best[i+cw] = node{sc, int32(i), int32(u.unk)}
			}
		}
		i += cw
	}
	var rev []uniTok
	for j := len(s); j > 0; j = int(best[j].start) {
		rev = append(rev, uniTok{int(best[j].id), int(best[j].start), j})
	}
	out := make([]uniTok, 0, len(rev))
	for k := len(rev) - 1; k >= 0; k-- {
		t := rev[k]
		if t.id == u.unk && len(out) > 0 && out[len(out)-1].id == u.unk {
			out[len(out)-1].end = t.end
			continue
		}
		out = append(out, t)
	}
	return out
}

// Decode implements [Tokenizer]: pieces are joined, ▁ becomes a space and
// the dummy-prefix space at the start is dropped.
func (u *Unigram) Decode(ids []int) string {
	var sb strings.Builder
	for _, id := range ids {
		if id < 0 || id >= len(u.pieces) {
			continue
		}
		if i, ok := u.added.byID[id]; ok {
			sb.WriteString(u.added.toks[i].Content)
			continue
		}
		sb.WriteString(strings.ReplaceAll(u.pieces[id], Metaspace, " "))
	}
	s := sb.String()
	if u.dummy {
		s = strings.TrimPrefix(s, " ")
	}
	return s
}

// VocabSize implements [Tokenizer].
func (u *Unigram) VocabSize() int { return len(u.pieces) }

// TokenID implements [Tokenizer].
func (u *Unigram) TokenID(s string) (int, bool) {
	if i, ok := u.added.byText[s]; ok {
		return u.added.toks[i].ID, true
	}
	if id, ok := u.ids[s]; ok {
		return id, true
	}
	for i, p := range u.pieces {
		if p == s && s != "" {
			return i, true
		}
	}
	return 0, false
}

// Token implements [Tokenizer].
func (u *Unigram) Token(id int) (string, bool) {
	if id < 0 || id >= len(u.pieces) || u.pieces[id] == "" {
		return "", false
	}
	return u.pieces[id], true
}

// Score returns the log probability of a piece id.
func (u *Unigram) Score(id int) float64 {
	if id < 0 || id >= len(u.scores) {
		return 0
	}
	return u.scores[id]
}

// AddSpecialTokens implements [Tokenizer].
func (u *Unigram) AddSpecialTokens(tokens ...string) []int {
	out := make([]int, len(tokens))
	for i, s := range tokens {
		if id, ok := u.TokenID(s); ok {
			if _, isAdded := u.added.byText[s]; !isAdded {
				u.added.add(AddedToken{ID: id, Content: s, Special: true})
			}
			out[i] = id
			continue
		}
		id := len(u.pieces)
		u.addAdded(AddedToken{ID: id, Content: s, Special: true})
		out[i] = id
	}
	return out
}

// FairseqLayout converts SentencePiece model pieces (id 0 <unk>, 1 <s>,
// 2 </s>, then the pieces) to the XLM-R/fairseq id layout: <s>=0, <pad>=1,
// </s>=2, <unk>=3, SentencePiece id i≥3 at i+1, and <mask> last. It
// returns pieces, scores and types for [UnigramConfig] (UnkID 3).
func FairseqLayout(pieces []string, scores []float64) ([]string, []float64, []int) {
	p := []string{"<s>", "<pad>", "</s>", "<unk>"}
	s := []float64{0, 0, 0, 0}
	t := []int{TypeControl, TypeControl, TypeControl, TypeUnknown}
	for i := 3; i < len(pieces); i++ {
		p = append(p, pieces[i])
		s = append(s, scores[i])
		t = append(t, TypeNormal)
	}
	p = append(p, "<mask>")
	s = append(s, 0)
	t = append(t, TypeUserDefined)
	return p, s, t
}

// nfkcLike is the fallback normaliser used when a Unigram tokenizer has no
// precompiled_charsmap: Unicode White_Space becomes a space, control and
// format characters are dropped (except ZWJ/ZWNJ, kept as SentencePiece's
// nmt_nfkc keeps them) and the fullwidth ASCII forms fold to ASCII. It is
// a subset of NFKC, not full NFKC.
func nfkcLike(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			sb.WriteRune(r)
		case isSpace(r):
			sb.WriteByte(' ')
		case r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0):
		case r == 0x200B || r == 0xFEFF || r == 0x00AD:
		case r >= 0xFF01 && r <= 0xFF5E:
			sb.WriteRune(r - 0xFF01 + '!')
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
