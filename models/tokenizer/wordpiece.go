package tokenizer

import (
	"fmt"
	"strings"
	"unicode"
)

// WordPieceConfig is the plain-data description of a BERT WordPiece
// tokenizer.
type WordPieceConfig struct {
	Vocab map[string]int
	// Unk is the unknown token ("[UNK]").
	Unk string
	// Prefix marks continuation pieces ("##").
	ContinuingPrefix string
	// MaxInputCharsPerWord: longer words become Unk (default 100).
	MaxInputCharsPerWord int
	// BasicTokenizer options (Hugging Face's BertNormalizer; accents are
	// stripped as there: canonical decomposition, then the Mn marks dropped).
	Lowercase          bool
	StripAccents       bool // defaults to Lowercase in HF when unset
	HandleChineseChars bool
	CleanText          bool
	Added              []AddedToken
	Prefix, Suffix     []int
}

// WordPiece is a BERT/LaBSE WordPiece tokenizer with the BasicTokenizer
// pre-split (clean text, CJK characters isolated, optional lowercasing and
// accent stripping, whitespace and punctuation split).
type WordPiece struct {
	cfg    WordPieceConfig
	vocab  map[string]int
	tokens []string
	unk    int
	added  added
	post   postProcessor
}

// NewWordPiece builds a WordPiece tokenizer from plain data.
func NewWordPiece(c WordPieceConfig) (*WordPiece, error) {
	if c.Unk == "" {
		c.Unk = "[UNK]"
	}
	if c.ContinuingPrefix == "" {
		c.ContinuingPrefix = "##"
	}
	if c.MaxInputCharsPerWord <= 0 {
		c.MaxInputCharsPerWord = 100
	}
	unk, ok := c.Vocab[c.Unk]
	if !ok {
		return nil, fmt.Errorf("unknown token %q is not in the vocabulary", c.Unk)
	}
	w := &WordPiece{cfg: c, vocab: map[string]int{}, unk: unk,
		post: postProcessor{prefix: append([]int(nil), c.Prefix...), suffix: append([]int(nil), c.Suffix...)}}
	maxID := -1
	for s, id := range c.Vocab {
		if id < 0 || id >= idLimit(len(c.Vocab)+len(c.Added)) {
			return nil, fmt.Errorf("token %q has id %d out of range", s, id)
		}
		w.vocab[s] = id
		maxID = max(maxID, id)
	}
	w.tokens = make([]string, maxID+1)
	for s, id := range w.vocab {
		w.tokens[id] = s
	}
	for _, a := range c.Added {
		if a.ID < 0 || a.ID >= idLimit(len(c.Vocab)+len(c.Added)) {
			return nil, fmt.Errorf("added token %q has id %d out of range", a.Content, a.ID)
		}
		w.addAdded(a)
	}
	if err := checkPost(w.post, len(w.tokens)); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *WordPiece) addAdded(a AddedToken) {
	w.added.add(a)
	if a.ID >= len(w.tokens) {
		w.tokens = append(w.tokens, make([]string, a.ID+1-len(w.tokens))...)
	}
	if w.tokens[a.ID] == "" {
		w.tokens[a.ID] = a.Content
	}
}

func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) || (r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) || (r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

// isBertPunct is BERT's punctuation: ASCII non-alphanumeric symbols plus
// Unicode P* categories.
func isBertPunct(r rune) bool {
	if (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126) {
		return true
	}
	return unicode.IsPunct(r)
}

// basic is BERT's BasicTokenizer: Hugging Face's BertNormalizer, then a
// split at white space and around each punctuation character.
func (w *WordPiece) basic(text string) []string {
	s := bertNorm{clean: w.cfg.CleanText, chinese: w.cfg.HandleChineseChars, strip: w.cfg.StripAccents, lower: w.cfg.Lowercase}.normalize(text)
	var out []string
	for _, f := range strings.FieldsFunc(s, isSpace) {
		start := 0
		for i, r := range f {
			if isBertPunct(r) {
				if i > start {
					out = append(out, f[start:i])
				}
				out = append(out, string(r))
				start = i + len(string(r))
			}
		}
		if start < len(f) {
			out = append(out, f[start:])
		}
	}
	return out
}

// Encode implements [Tokenizer].
func (w *WordPiece) Encode(text string, addSpecial bool) []int {
	ids := []int{}
	for _, seg := range w.added.split(text) {
		if seg.id >= 0 {
			ids = append(ids, seg.id)
			continue
		}
		for _, word := range w.basic(seg.text) {
			ids = w.word(ids, word)
		}
	}
	if addSpecial {
		return w.post.apply(ids)
	}
	return ids
}

// word is greedy longest-match-first; a word with an unmatchable part is
// one unknown token.
func (w *WordPiece) word(ids []int, word string) []int {
	if len([]rune(word)) > w.cfg.MaxInputCharsPerWord {
		return append(ids, w.unk)
	}
	n0 := len(ids)
	for start := 0; start < len(word); {
		end := len(word)
		found := -1
		for end > start {
			sub := word[start:end]
			if start > 0 {
				sub = w.cfg.ContinuingPrefix + sub
			}
			if id, ok := w.vocab[sub]; ok {
				found = id
				break
			}
			end--
			for end > start && !isRuneStart(word[end]) {
				end--
			}
		}
		if found < 0 {
			return append(ids[:n0], w.unk)
		}
		ids = append(ids, found)
		start = end
	}
	return ids
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Decode implements [Tokenizer]: continuation pieces are glued to the
// previous token, others separated by a space (HF's WordPiece decoder
// without cleanup).
func (w *WordPiece) Decode(ids []int) string {
	var sb strings.Builder
	for k, id := range ids {
		if id < 0 || id >= len(w.tokens) || w.tokens[id] == "" {
			continue
		}
		s := w.tokens[id]
		if c, ok := strings.CutPrefix(s, w.cfg.ContinuingPrefix); ok {
			sb.WriteString(c)
			continue
		}
		if k > 0 && sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(s)
	}
	return sb.String()
}

// VocabSize implements [Tokenizer].
func (w *WordPiece) VocabSize() int { return len(w.tokens) }

// TokenID implements [Tokenizer].
func (w *WordPiece) TokenID(s string) (int, bool) {
	if i, ok := w.added.byText[s]; ok {
		return w.added.toks[i].ID, true
	}
	id, ok := w.vocab[s]
	return id, ok
}

// Token implements [Tokenizer].
func (w *WordPiece) Token(id int) (string, bool) {
	if id < 0 || id >= len(w.tokens) || w.tokens[id] == "" {
		return "", false
	}
	return w.tokens[id], true
}

// AddSpecialTokens implements [Tokenizer].
func (w *WordPiece) AddSpecialTokens(tokens ...string) []int {
	out := make([]int, len(tokens))
	for i, s := range tokens {
		if id, ok := w.TokenID(s); ok {
			if _, isAdded := w.added.byText[s]; !isAdded {
				w.added.add(AddedToken{ID: id, Content: s, Special: true})
			}
			out[i] = id
			continue
		}
		id := len(w.tokens)
		w.addAdded(AddedToken{ID: id, Content: s, Special: true})
		out[i] = id
	}
	return out
}
