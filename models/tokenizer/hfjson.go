package tokenizer

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// llama3Pattern is the Llama-3 pre-tokenizer regex, recognised verbatim in
// tokenizer.json files.
const llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

type jsonAdded struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// jsonNode is any normalizer/pre-tokenizer/post-processor/decoder object.
type jsonNode struct {
	Type           string                 `json:"type"`
	Normalizers    []jsonNode             `json:"normalizers,omitempty"`
	Pretokenizers  []jsonNode             `json:"pretokenizers,omitempty"`
	Processors     []jsonNode             `json:"processors,omitempty"`
	Pattern        *jsonPattern           `json:"pattern,omitempty"`
	Behavior       string                 `json:"behavior,omitempty"`
	Invert         *bool                  `json:"invert,omitempty"`
	AddPrefixSpace *bool                  `json:"add_prefix_space,omitempty"`
	PrependScheme  string                 `json:"prepend_scheme,omitempty"`
	Replacement    string                 `json:"replacement,omitempty"`
	Split          *bool                  `json:"split,omitempty"`
	TrimOffsets    *bool                  `json:"trim_offsets,omitempty"`
	UseRegex       *bool                  `json:"use_regex,omitempty"`
	Charsmap       *string                `json:"precompiled_charsmap,omitempty"`
	Content        string                 `json:"content,omitempty"`
	CleanText      *bool                  `json:"clean_text,omitempty"`
	HandleChinese  *bool                  `json:"handle_chinese_chars,omitempty"`
	StripAccents   *bool                  `json:"strip_accents,omitempty"`
	Lowercase      *bool                  `json:"lowercase,omitempty"`
	Single         []jsonTemplate         `json:"single,omitempty"`
	Pair           []jsonTemplate         `json:"pair,omitempty"`
	SpecialTokens  map[string]jsonSpecial `json:"special_tokens,omitempty"`
	Sep            []any                  `json:"sep,omitempty"`
	Cls            []any                  `json:"cls,omitempty"`
	Prefix         string                 `json:"prefix,omitempty"`
	Raw            json.RawMessage        `json:"-"`
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
	Type                 string          `json:"type,omitempty"`
	Vocab                json.RawMessage `json:"vocab"`
	Merges               json.RawMessage `json:"merges,omitempty"`
	IgnoreMerges         bool            `json:"ignore_merges,omitempty"`
	UnkToken             *string         `json:"unk_token,omitempty"`
	UnkID                *int            `json:"unk_id,omitempty"`
	ByteFallback         bool            `json:"byte_fallback,omitempty"`
	ContinuingPrefix     *string         `json:"continuing_subword_prefix,omitempty"`
	MaxInputCharsPerWord int             `json:"max_input_chars_per_word,omitempty"`
}

type jsonFile struct {
	Version       string      `json:"version"`
	AddedTokens   []jsonAdded `json:"added_tokens"`
	Normalizer    *jsonNode   `json:"normalizer"`
	PreTokenizer  *jsonNode   `json:"pre_tokenizer"`
	PostProcessor *jsonNode   `json:"post_processor"`
	Decoder       *jsonNode   `json:"decoder"`
	Model         jsonModel   `json:"model"`
}

// walk visits n and the nodes of its Sequence children.
func (n *jsonNode) walk(f func(*jsonNode)) {
	if n == nil {
		return
	}
	f(n)
	for _, l := range [][]jsonNode{n.Normalizers, n.Pretokenizers, n.Processors} {
		for i := range l {
			l[i].walk(f)
		}
	}
}

// ParseJSON reads a Hugging Face tokenizer.json (BPE, Unigram or WordPiece
// model). name is used in error messages.
func ParseJSON(data []byte, name string) (Tokenizer, error) {
	var f jsonFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, formatErr(name, "%v", err)
	}
	var added []AddedToken
	for _, a := range f.AddedTokens {
		added = append(added, AddedToken{ID: a.ID, Content: a.Content, Special: a.Special, LStrip: a.LStrip, RStrip: a.RStrip})
	}
	typ := f.Model.Type
	if typ == "" && f.Model.Merges != nil {
		typ = "BPE"
	}
	var t Tokenizer
	var err error
	switch typ {
	case "BPE":
		t, err = parseBPE(&f, added)
	case "Unigram":
		t, err = parseUnigram(&f, added)
	case "WordPiece":
		t, err = parseWordPiece(&f, added)
	default:
		return nil, formatErr(name, "unsupported model type %q", typ)
	}
	if err != nil {
		return nil, formatErr(name, "%v", err)
	}
	return t, nil
}

// post reads the post-processor into prefix/suffix ids.
func (f *jsonFile) post(id func(string) (int, bool)) (prefix, suffix []int, err error) {
	f.PostProcessor.walk(func(n *jsonNode) {
		if err != nil {
			return
		}
		switch n.Type {
		case "TemplateProcessing":
			seen := false
			for _, it := range n.Single {
				switch {
				case it.Sequence != nil:
					seen = true
				case it.SpecialToken != nil:
					sp, ok := n.SpecialTokens[it.SpecialToken.ID]
					if !ok {
						err = fmt.Errorf("template token %q has no special_tokens entry", it.SpecialToken.ID)
						return
					}
					if seen {
						suffix = append(suffix, sp.IDs...)
					} else {
						prefix = append(prefix, sp.IDs...)
					}
				}
			}
		case "RobertaProcessing", "BertProcessing":
			get := func(v []any) int {
				if len(v) == 2 {
					if x, ok := v[1].(float64); ok {
						return int(x)
					}
					if s, ok := v[0].(string); ok {
						if i, ok := id(s); ok {
							return i
						}
					}
				}
				err = fmt.Errorf("%s: bad cls/sep %v", n.Type, v)
				return 0
			}
			prefix = append(prefix, get(n.Cls))
			suffix = append(suffix, get(n.Sep))
		}
	})
	return prefix, suffix, err
}

func parseBPE(f *jsonFile, added []AddedToken) (Tokenizer, error) {
	var vocab map[string]int
	if err := json.Unmarshal(f.Model.Vocab, &vocab); err != nil {
		return nil, fmt.Errorf("model.vocab: %v", err)
	}
	var merges []string
	if len(f.Model.Merges) > 0 {
		var raw []json.RawMessage
		if err := json.Unmarshal(f.Model.Merges, &raw); err != nil {
			return nil, fmt.Errorf("model.merges: %v", err)
		}
		merges = make([]string, 0, len(raw))
		for i, r := range raw {
			var s string
			if json.Unmarshal(r, &s) == nil {
				merges = append(merges, s)
				continue
			}
			var p []string
			if err := json.Unmarshal(r, &p); err != nil || len(p) != 2 {
				return nil, fmt.Errorf("model.merges[%d]: want \"a b\" or [a, b]", i)
			}
			merges = append(merges, p[0]+" "+p[1])
		}
	}
	pre := PreTokenizer(-1)
	var perr error
	f.PreTokenizer.walk(func(n *jsonNode) {
		switch n.Type {
		case "Split":
			if n.Pattern != nil && n.Pattern.Regex != nil && *n.Pattern.Regex == llama3Pattern {
				pre = PreLlama3
			} else {
				perr = fmt.Errorf("unsupported Split pre-tokenizer pattern")
			}
		case "ByteLevel":
			if pre < 0 {
				pre = PreByteLevelOnly
				if n.UseRegex == nil || *n.UseRegex {
					pre = PreGPT2
				}
			}
		case "Sequence":
		default:
			perr = fmt.Errorf("unsupported pre-tokenizer %q", n.Type)
		}
	})
	if perr != nil {
		return nil, perr
	}
	if pre < 0 {
		return nil, fmt.Errorf("not a byte-level BPE (no ByteLevel pre-tokenizer)")
	}
	if f.Normalizer != nil {
		return nil, fmt.Errorf("BPE with a normalizer (%q) is not supported", f.Normalizer.Type)
	}
	lookup := func(s string) (int, bool) {
		for _, a := range added {
			if a.Content == s {
				return a.ID, true
			}
		}
		id, ok := vocab[s]
		return id, ok
	}
	prefix, suffix, err := f.post(lookup)
	if err != nil {
		return nil, err
	}
	return NewBPE(BPEConfig{Vocab: vocab, Merges: merges, Added: added, Pre: pre,
		IgnoreMerges: f.Model.IgnoreMerges, Prefix: prefix, Suffix: suffix})
}

func parseUnigram(f *jsonFile, added []AddedToken) (Tokenizer, error) {
	var vocab [][2]any
	if err := json.Unmarshal(f.Model.Vocab, &vocab); err != nil {
		return nil, fmt.Errorf("model.vocab: %v", err)
	}
	c := UnigramConfig{Pieces: make([]string, len(vocab)), Scores: make([]float64, len(vocab)), Types: make([]int, len(vocab))}
	for i, v := range vocab {
		s, ok1 := v[0].(string)
		sc, ok2 := v[1].(float64)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("model.vocab[%d]: want [piece, score]", i)
		}
		c.Pieces[i], c.Scores[i], c.Types[i] = s, sc, TypeNormal
	}
	if f.Model.UnkID != nil {
		c.UnkID = *f.Model.UnkID
	}
	for _, a := range added {
		if a.ID >= 0 && a.ID < len(c.Types) && a.ID != c.UnkID {
			c.Types[a.ID] = TypeControl
		}
	}
	c.Added = added
	var err error
	f.Normalizer.walk(func(n *jsonNode) {
		switch n.Type {
		case "Precompiled":
			if n.Charsmap != nil && *n.Charsmap != "" {
				c.Charsmap, err = base64.StdEncoding.DecodeString(*n.Charsmap)
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("precompiled_charsmap: %v", err)
	}
	c.AddDummyPrefix = true
	f.PreTokenizer.walk(func(n *jsonNode) {
		if n.Type == "Metaspace" {
			if n.AddPrefixSpace != nil {
				c.AddDummyPrefix = *n.AddPrefixSpace
			}
			if n.PrependScheme == "never" {
				c.AddDummyPrefix = false
			}
		}
	})
	lookup := func(s string) (int, bool) {
		for i, p := range c.Pieces {
			if p == s {
				return i, true
			}
		}
		return 0, false
	}
	if c.Prefix, c.Suffix, err = f.post(lookup); err != nil {
		return nil, err
	}
	return NewUnigram(c)
}

func parseWordPiece(f *jsonFile, added []AddedToken) (Tokenizer, error) {
	var vocab map[string]int
	if err := json.Unmarshal(f.Model.Vocab, &vocab); err != nil {
		return nil, fmt.Errorf("model.vocab: %v", err)
	}
	c := WordPieceConfig{Vocab: vocab, MaxInputCharsPerWord: f.Model.MaxInputCharsPerWord, Added: added}
	if f.Model.UnkToken != nil {
		c.Unk = *f.Model.UnkToken
	}
	if f.Model.ContinuingPrefix != nil {
		c.ContinuingPrefix = *f.Model.ContinuingPrefix
	}
	f.Normalizer.walk(func(n *jsonNode) {
		switch n.Type {
		case "BertNormalizer":
			c.CleanText = n.CleanText == nil || *n.CleanText
			c.HandleChineseChars = n.HandleChinese == nil || *n.HandleChinese
			c.Lowercase = n.Lowercase == nil || *n.Lowercase
			c.StripAccents = c.Lowercase
			if n.StripAccents != nil {
				c.StripAccents = *n.StripAccents
			}
		case "Lowercase":
			c.Lowercase = true
		case "StripAccents":
			c.StripAccents = true
		}
	})
	var err error
	c.Prefix, c.Suffix, err = f.post(func(s string) (int, bool) { id, ok := vocab[s]; return id, ok })
	if err != nil {
		return nil, err
	}
	return NewWordPiece(c)
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
	f.PreTokenizer = &jsonNode{Type: "Metaspace", Replacement: Metaspace, PrependScheme: scheme, Split: bptr(true)}
	f.PostProcessor = template(u.Token, u.post.prefix, u.post.suffix)
	f.Decoder = &jsonNode{Type: "Metaspace", Replacement: Metaspace, PrependScheme: scheme, Split: bptr(true)}
	vocab := make([][2]any, len(u.pieces))
	for i, p := range u.pieces {
		vocab[i] = [2]any{p, u.scores[i]}
	}
	var err error
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
