package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// llama3Pattern is the Llama-3 pre-tokenizer regex (it has a hand-written
// splitter).
const llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// jsonAdded is one entry of added_tokens.
type jsonAdded struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// jsonNode is a pre-tokenizer, post-processor or decoder object as the
// BPE and Unigram types write them.
type jsonNode struct {
	Type           string                 `json:"type"`
	Pretokenizers  []jsonNode             `json:"pretokenizers,omitempty"`
	Pattern        *jsonPattern           `json:"pattern,omitempty"`
	Behavior       string                 `json:"behavior,omitempty"`
	Invert         *bool                  `json:"invert,omitempty"`
	AddPrefixSpace *bool                  `json:"add_prefix_space,omitempty"`
	PrependScheme  string                 `json:"prepend_scheme,omitempty"`
	Replacement    string                 `json:"replacement,omitempty"`
	Split          *bool                  `json:"split,omitempty"`
	TrimOffsets    *bool                  `json:"trim_offsets,omitempty"`
	UseRegex       *bool                  `json:"use_regex,omitempty"`
	Single         []jsonTemplate         `json:"single,omitempty"`
	SpecialTokens  map[string]jsonSpecial `json:"special_tokens,omitempty"`
}

type jsonPattern struct {
	Regex  *string `json:"Regex,omitempty"`
	String *string `json:"String,omitempty"`
}

type jsonTemplate struct {
	SpecialToken *struct {
		ID     string `json:"id"`
		TypeID int    `json:"type_id"`
	} `json:"SpecialToken,omitempty"`
	Sequence *struct {
		ID     string `json:"id"`
		TypeID int    `json:"type_id"`
	} `json:"Sequence,omitempty"`
}

type jsonSpecial struct {
	ID     string   `json:"id"`
	IDs    []int    `json:"ids"`
	Tokens []string `json:"tokens"`
}

type jsonModel struct {
	Type         string          `json:"type,omitempty"`
	Vocab        json.RawMessage `json:"vocab"`
	Merges       json.RawMessage `json:"merges,omitempty"`
	IgnoreMerges bool            `json:"ignore_merges,omitempty"`
	UnkID        *int            `json:"unk_id,omitempty"`
}

type jsonFile struct {
	Version       string          `json:"version"`
	AddedTokens   []jsonAdded     `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  *jsonNode       `json:"pre_tokenizer"`
	PostProcessor *jsonNode       `json:"post_processor"`
	Decoder       *jsonNode       `json:"decoder"`
	Model         jsonModel       `json:"model"`
}

// Saving.

func addedJSON(a []AddedToken) []jsonAdded {
	out := make([]jsonAdded, 0, len(a))
	for _, t := range a {
		out = append(out, jsonAdded{ID: t.ID, Content: t.Content, Special: t.Special, LStrip: t.LStrip, RStrip: t.RStrip})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func template(tok func(int) (string, bool), prefix, suffix []int) *jsonNode {
	if len(prefix) == 0 && len(suffix) == 0 {
		return nil
	}
	n := &jsonNode{Type: "TemplateProcessing", SpecialTokens: map[string]jsonSpecial{}}
	item := func(id int) jsonTemplate {
		s, _ := tok(id)
		n.SpecialTokens[s] = jsonSpecial{ID: s, IDs: []int{id}, Tokens: []string{s}}
		var it jsonTemplate
		it.SpecialToken = &struct {
			ID     string `json:"id"`
			TypeID int    `json:"type_id"`
		}{ID: s}
		return it
	}
	for _, id := range prefix {
		n.Single = append(n.Single, item(id))
	}
	var seq jsonTemplate
	seq.Sequence = &struct {
		ID     string `json:"id"`
		TypeID int    `json:"type_id"`
	}{ID: "A"}
	n.Single = append(n.Single, seq)
	for _, id := range suffix {
		n.Single = append(n.Single, item(id))
	}
	return n
}

func bptr(b bool) *bool { return &b }

// MarshalJSON writes the tokenizer as a Hugging Face tokenizer.json.
func (t *BPE) MarshalJSON() ([]byte, error) {
	f := jsonFile{Version: "1.0", AddedTokens: addedJSON(t.added.toks)}
	switch t.pre {
	case PreLlama3:
		p := llama3Pattern
		f.PreTokenizer = &jsonNode{Type: "Sequence", Pretokenizers: []jsonNode{
			{Type: "Split", Pattern: &jsonPattern{Regex: &p}, Behavior: "Isolated", Invert: bptr(false)},
			{Type: "ByteLevel", AddPrefixSpace: bptr(false), TrimOffsets: bptr(true), UseRegex: bptr(false)},
		}}
	default:
		f.PreTokenizer = &jsonNode{Type: "ByteLevel", AddPrefixSpace: bptr(false), TrimOffsets: bptr(true), UseRegex: bptr(t.pre == PreGPT2)}
	}
	f.PostProcessor = template(t.Token, t.post.prefix, t.post.suffix)
	f.Decoder = &jsonNode{Type: "ByteLevel", AddPrefixSpace: bptr(true), TrimOffsets: bptr(true), UseRegex: bptr(true)}
	var err error
	f.Model.Type = "BPE"
	f.Model.IgnoreMerges = t.ignoreMerges
	if f.Model.Vocab, err = json.Marshal(t.vocab); err != nil {
		return nil, err
	}
	if f.Model.Merges, err = json.Marshal(t.mergeList); err != nil {
		return nil, err
	}
	return json.MarshalIndent(f, "", " ")
}

// MarshalJSON writes the tokenizer as a Hugging Face tokenizer.json.
func (u *Unigram) MarshalJSON() ([]byte, error) {
	f := jsonFile{Version: "1.0", AddedTokens: addedJSON(u.added.toks)}
	if u.cmap != nil {
		return nil, fmt.Errorf("saving a Unigram tokenizer with a precompiled_charsmap is not supported")
	}
	scheme := "always"
	if !u.dummy {
		scheme = "never"
	}
	var err error
	if f.Normalizer, err = json.Marshal(sentencePieceNormalizer(u.keepWS)); err != nil {
		return nil, err
	}
	f.PreTokenizer = &jsonNode{Type: "Metaspace", Replacement: Metaspace, PrependScheme: scheme, Split: bptr(true)}
	f.PostProcessor = template(u.Token, u.post.prefix, u.post.suffix)
	f.Decoder = &jsonNode{Type: "Metaspace", Replacement: Metaspace, PrependScheme: scheme, Split: bptr(true)}
	vocab := make([][2]any, len(u.pieces))
	for i, p := range u.pieces {
		vocab[i] = [2]any{p, u.scores[i]}
	}
	f.Model.Type = "Unigram"
	unk := u.unk
	f.Model.UnkID = &unk
	if f.Model.Vocab, err = json.Marshal(vocab); err != nil {
		return nil, err
	}
	return json.MarshalIndent(f, "", " ")
}

// SaveJSON writes a BPE or Unigram tokenizer to path as tokenizer.json.
func SaveJSON(t Tokenizer, path string) error {
	m, ok := t.(json.Marshaler)
	if !ok {
		return fmt.Errorf("tokenizer: %T cannot be saved", t)
	}
	b, err := m.MarshalJSON()
	if err != nil {
		return fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	return nil
}

// SaveJSONBytes returns the tokenizer.json of a BPE or Unigram tokenizer.
func SaveJSONBytes(t Tokenizer) ([]byte, error) {
	m, ok := t.(json.Marshaler)
	if !ok {
		return nil, fmt.Errorf("tokenizer: %T cannot be saved", t)
	}
	return m.MarshalJSON()
}

// sentencePieceNormalizer is the normalizer of a Unigram without
// charsmap written as Hugging Face components: nfkcLike (White_Space to a
// space; C0/C1 controls, U+200B, U+FEFF and U+00AD removed; fullwidth ASCII
// folded), then, unless keepWS, SentencePiece's whitespace handling
// (leading and trailing spaces removed, runs collapsed to one).
func sentencePieceNormalizer(keepWS bool) map[string]any {
	rx := func(re, content string) map[string]any {
		return map[string]any{"type": "Replace", "pattern": map[string]string{"Regex": re}, "content": content}
	}
	seq := []any{rx(`\s`, " "), rx("[\u0000-\u001f\u007f-\u009f\u200b\ufeff\u00ad]", "")}
	for r := rune(0xFF01); r <= 0xFF5E; r++ {
		seq = append(seq, map[string]any{"type": "Replace", "pattern": map[string]string{"String": string(r)}, "content": string(r - 0xFF01 + '!')})
	}
	if !keepWS {
		seq = append(seq, map[string]any{"type": "Strip", "strip_left": true, "strip_right": true}, rx(" {2,}", " "))
	}
	return map[string]any{"type": "Sequence", "normalizers": seq}
}
