package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// model turns one pre-token into ids (Hugging Face models).
type model interface {
	tokenize(dst []int, word string) []int
	tokenToID(tok string) (int, bool)
	idToToken(id int) (string, bool)
	size() int  // one more than the largest id
	count() int // the number of tokens
}

// vocabTable is a token -> id map with its inverse.
type vocabTable struct {
	ids    map[string]int
	tokens []string
}

func newVocabTable(v map[string]int) (vocabTable, error) {
	t := vocabTable{ids: v}
	maxID := -1
	for s, id := range v {
		if id < 0 || id >= idLimit(len(v)) {
			return t, fmt.Errorf("token %q has id %d out of range", s, id)
		}
		maxID = max(maxID, id)
	}
	t.tokens = make([]string, maxID+1)
	for s, id := range v {
		t.tokens[id] = s
	}
	return t, nil
}

func (v vocabTable) tokenToID(s string) (int, bool) { id, ok := v.ids[s]; return id, ok }
func (v vocabTable) idToToken(id int) (string, bool) {
	if id < 0 || id >= len(v.tokens) || v.tokens[id] == "" {
		return "", false
	}
	return v.tokens[id], true
}
func (v vocabTable) size() int  { return len(v.tokens) }
func (v vocabTable) count() int { return len(v.ids) }

// parseModel reads the model object.
func parseModel(raw json.RawMessage) (model, error) {
	o, err := parseObj(raw, "model")
	if err != nil {
		return nil, err
	}
	t := o.typ()
	if t == "" && o.has("merges") {
		t = "BPE"
	}
	var m model
	switch t {
	case "BPE":
		m, err = parseBPEModel(o)
	case "Unigram":
		m, err = parseUnigramModel(o)
	case "WordPiece":
		m, err = parseWordPieceModel(o)
	case "WordLevel":
		m, err = parseWordLevelModel(o)
	default:
		return nil, fmt.Errorf("model: unsupported model type %q", t)
	}
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if err := o.finish(); err != nil {
		return nil, err
	}
	return m, nil
}

// bpeModel is Hugging Face's BPE model: each character of a word (with
// the continuing-subword prefix after the first and the end-of-word suffix
// on the last) starts as a symbol, unknown characters become their
// <0xXX> byte tokens (byte_fallback) or the unknown token (fused when
// fuse_unk), then merges apply by rank.
type bpeModel struct {
	vocabTable
	merges         map[pairKey]mergeVal
	unk            int // -1: unknown characters are dropped
	fuseUnk        bool
	byteFallback   bool
	ignoreMerges   bool
	prefix, suffix string
	bytes          [256]int32 // <0xXX> ids, -1 when absent
	cache          wordCache
}

func parseBPEModel(o *obj) (*bpeModel, error) {
	var vocab map[string]int
	if !o.decode("vocab", &vocab) {
		return nil, fmt.Errorf("BPE: missing vocab")
	}
	vt, err := newVocabTable(vocab)
	if err != nil {
		return nil, err
	}
	m := &bpeModel{vocabTable: vt, merges: map[pairKey]mergeVal{}, unk: -1,
		fuseUnk: o.boolean("fuse_unk", false), byteFallback: o.boolean("byte_fallback", false),
		ignoreMerges: o.boolean("ignore_merges", false),
		prefix:       o.str("continuing_subword_prefix", ""), suffix: o.str("end_of_word_suffix", "")}
	var dropout *float64
	// Dropout is a training-time regulariser; encoding here is deterministic.
	o.decode("dropout", &dropout)
	if dropout != nil && (*dropout < 0 || *dropout > 1) {
		return nil, fmt.Errorf("BPE: dropout %v outside [0, 1]", *dropout)
	}
	if u := o.str("unk_token", ""); u != "" {
		id, ok := vocab[u]
		if !ok {
			return nil, fmt.Errorf("BPE: unk_token %q is not in the vocabulary", u)
		}
		m.unk = id
	}
	for b := range m.bytes {
		m.bytes[b] = -1
		if id, ok := vocab[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.bytes[b] = int32(id)
		}
	}
	pairs, err := readMerges(o.get("merges"))
	if err != nil {
		return nil, fmt.Errorf("BPE: %w", err)
	}
	for r, p := range pairs {
		li, ok1 := vocab[p[0]]
		ri, ok2 := vocab[p[1]]
		ni, ok3 := vocab[p[0]+strings.TrimPrefix(p[1], m.prefix)]
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("BPE: merges[%d] %q %q uses tokens not in the vocabulary", r, p[0], p[1])
		}
		// A repeated pair takes its last rank, as a map built from the list does.
		m.merges[pairKey{int32(li), int32(ri)}] = mergeVal{int32(r), int32(ni)}
	}
	return m, nil
}

func (m *bpeModel) tokenize(dst []int, w string) []int {
	if w == "" {
		return dst
	}
	for _, id := range m.cache.get(w, m.word) {
		dst = append(dst, int(id))
	}
	return dst
}

func (m *bpeModel) word(w string) []int32 {
	if m.ignoreMerges {
		if id, ok := m.ids[w]; ok {
			return []int32{int32(id)}
		}
	}
	syms := make([]int32, 0, len(w))
	unkLen := 0 // pending (fused) unknown symbols
	flush := func() {
		if unkLen > 0 {
			syms = append(syms, int32(m.unk))
			unkLen = 0
		}
	}
	for i, r := range w {
		s := w[i : i+utf8.RuneLen(r)]
		if i > 0 {
			s = m.prefix + s
		}
		if i+len(string(r)) == len(w) {
			s += m.suffix
		}
		if id, ok := m.ids[s]; ok {
			flush()
			syms = append(syms, int32(id))
			continue
		}
		if m.byteFallback && m.appendBytes(&syms, s) {
			continue
		}
		if m.unk >= 0 {
			if unkLen > 0 && !m.fuseUnk {
				flush()
			}
			unkLen++
		}
	}
	flush()
	return mergeSymbols(syms, m.merges)
}

// appendBytes appends the <0xXX> tokens of s if all exist.
func (m *bpeModel) appendBytes(syms *[]int32, s string) bool {
	for i := 0; i < len(s); i++ {
		if m.bytes[s[i]] < 0 {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		*syms = append(*syms, m.bytes[s[i]])
	}
	return true
}

// readMerges reads merges written as "a b" strings or as [a, b] pairs.
func readMerges(raw json.RawMessage) ([][2]string, error) {
	if raw == nil {
		return nil, nil
	}
	var pairs [][2]string
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		pairs = make([][2]string, len(strs))
		for i, s := range strs {
			l, r, ok := strings.Cut(s, " ")
			if !ok {
				return nil, fmt.Errorf("merges[%d] %q has no space", i, s)
			}
			pairs[i] = [2]string{l, r}
		}
		return pairs, nil
	}
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, fmt.Errorf("merges: want [\"a b\", …] or [[a, b], …]: %v", err)
	}
	return pairs, nil
}

// wordLevelModel maps each pre-token to its id or the unknown token.
type wordLevelModel struct {
	vocabTable
	unk int
}

func parseWordLevelModel(o *obj) (*wordLevelModel, error) {
	var vocab map[string]int
	if !o.decode("vocab", &vocab) {
		return nil, fmt.Errorf("WordLevel: missing vocab")
	}
	vt, err := newVocabTable(vocab)
	if err != nil {
		return nil, err
	}
	u := o.str("unk_token", "<unk>")
	unk, ok := vocab[u]
	if !ok {
		return nil, fmt.Errorf("WordLevel: unk_token %q is not in the vocabulary", u)
	}
	return &wordLevelModel{vt, unk}, nil
}

func (m *wordLevelModel) tokenize(dst []int, w string) []int {
	if id, ok := m.ids[w]; ok {
		return append(dst, id)
	}
	return append(dst, m.unk)
}

// wordPieceModel is greedy longest-match-first WordPiece.
type wordPieceModel struct {
	vocabTable
	wp *WordPiece
}

func parseWordPieceModel(o *obj) (*wordPieceModel, error) {
	var vocab map[string]int
	if !o.decode("vocab", &vocab) {
		return nil, fmt.Errorf("WordPiece: missing vocab")
	}
	vt, err := newVocabTable(vocab)
	if err != nil {
		return nil, err
	}
	c := WordPieceConfig{Vocab: vocab, Unk: o.str("unk_token", "[UNK]"),
		ContinuingPrefix: o.str("continuing_subword_prefix", "##"), MaxInputCharsPerWord: o.integer("max_input_chars_per_word", 100)}
	wp, err := NewWordPiece(c)
	if err != nil {
		return nil, fmt.Errorf("WordPiece: %w", err)
	}
	return &wordPieceModel{vt, wp}, nil
}

func (m *wordPieceModel) tokenize(dst []int, w string) []int { return m.wp.word(dst, w) }

// unigramModel is Hugging Face's Unigram model: Viterbi over all pieces,
// unknown runs fused into one unknown token, or their bytes as <0xXX>
// tokens with byte_fallback.
type unigramModel struct {
	u            *Unigram
	byteFallback bool
	bytes        [256]int
}

func parseUnigramModel(o *obj) (*unigramModel, error) {
	var vocab [][]any
	if !o.decode("vocab", &vocab) {
		return nil, fmt.Errorf("Unigram: missing vocab")
	}
	c := UnigramConfig{Pieces: make([]string, len(vocab)), Scores: make([]float64, len(vocab))}
	for i, v := range vocab {
		var ok1, ok2 bool
		if len(v) == 2 {
			c.Pieces[i], ok1 = v[0].(string)
			c.Scores[i], ok2 = v[1].(float64)
		}
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("Unigram: vocab[%d]: want [piece, score]", i)
		}
	}
	var unk *int
	o.decode("unk_id", &unk)
	if unk == nil {
		return nil, fmt.Errorf("Unigram: no unk_id")
	}
	c.UnkID = *unk
	u, err := NewUnigram(c)
	if err != nil {
		return nil, fmt.Errorf("Unigram: %w", err)
	}
	m := &unigramModel{u: u, byteFallback: o.boolean("byte_fallback", false)}
	for b := range m.bytes {
		m.bytes[b] = -1
		if id, ok := u.ids[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.bytes[b] = id
		}
	}
	return m, nil
}

func (m *unigramModel) tokenize(dst []int, w string) []int {
	if w == "" {
		return dst
	}
	if !m.byteFallback {
		for _, id := range m.u.cache.get(w, m.u.viterbi32) {
			dst = append(dst, int(id))
		}
		return dst
	}
	for _, t := range m.u.viterbiSpans(w) {
		if t.id != m.u.unk {
			dst = append(dst, t.id)
			continue
		}
		s := w[t.start:t.end]
		n := len(dst)
		for i := 0; i < len(s); i++ {
			if m.bytes[s[i]] < 0 {
				dst = append(dst[:n], m.u.unk)
				break
			}
			dst = append(dst, m.bytes[s[i]])
		}
	}
	return dst
}

func (m *unigramModel) tokenToID(s string) (int, bool) {
	id, ok := m.u.ids[s]
	if !ok && s == m.u.pieces[m.u.unk] {
		return m.u.unk, true
	}
	return id, ok
}
func (m *unigramModel) idToToken(id int) (string, bool) { return m.u.Token(id) }
func (m *unigramModel) size() int                       { return len(m.u.pieces) }
func (m *unigramModel) count() int                      { return len(m.u.pieces) }
