package tokenizer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/llink-go/llink/internal/safeio"
)

// Tokenizer turns text into token ids and back. All implementations in this
// package are safe for concurrent use by multiple goroutines, except
// AddSpecialTokens, which must not run concurrently with anything else.
type Tokenizer interface {
	// Encode returns the ids of text. Added/special tokens written literally
	// in text (e.g. "<|eot_id|>", "<f0>") are recognised and never split.
	// With addSpecial the post-processor's tokens are added around the
	// sequence (BOS for Llama-3, <s> … </s> for XLM-R, [CLS] … [SEP] for BERT).
	Encode(text string, addSpecial bool) []int
	// Decode returns the text of ids; unknown ids are skipped.
	Decode(ids []int) string
	// VocabSize is the number of ids: one more than the largest id in use.
	VocabSize() int
	// TokenID returns the id of a token string in the model's own spelling
	// (byte-level "Ġhello", SentencePiece "▁hello", or an added token).
	TokenID(tok string) (int, bool)
	// Token returns the string of an id (the inverse of TokenID).
	Token(id int) (string, bool)
	// AddSpecialTokens adds tokens that are matched whole in text and never
	// split; existing ones keep their id, new ones get the next free ids.
	// It returns the id of each token in order.
	AddSpecialTokens(tokens ...string) []int
}

// ErrFormat is wrapped by every error about a malformed tokenizer file.
var ErrFormat = errors.New("malformed tokenizer")

func formatErr(file, format string, args ...any) error {
	return fmt.Errorf("tokenizer: %s: %w: %s", file, ErrFormat, fmt.Sprintf(format, args...))
}

// Load reads a tokenizer from a Hugging Face tokenizer.json file, a folder
// holding one, or a GGUF file (its tokenizer.ggml.* metadata).
func Load(path string) (Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if st.IsDir() {
		p := filepath.Join(path, "tokenizer.json")
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("tokenizer: %s: no tokenizer.json in this folder", path)
		}
		path = p
	}
	if isGGUF(path) {
		return LoadGGUF(path)
	}
	data, err := safeio.ReadFile(path, maxJSONSize, "a tokenizer.json")
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return ParseJSON(data, path)
}

// maxJSONSize bounds the tokenizer.json [Load] reads (the largest real
// ones, with 256k-token vocabularies, are about 35 MB), so a wrong path such
// as /dev/zero is refused instead of filling memory. A variable so that a
// test can lower it.
var maxJSONSize int64 = 256 << 20

// isGGUF reports whether path is a regular file starting with GGUF's magic.
// A pipe or device is read as tokenizer.json: sniffing would block on a
// FIFO nothing writes to, and eat the first bytes of a shell's <(…).
func isGGUF(path string) bool {
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	if _, err := f.Read(magic[:]); err != nil {
		return false
	}
	return string(magic[:]) == "GGUF"
}

// AddedToken is a token matched whole in the input before the model runs,
// as in Hugging Face's added_tokens.
type AddedToken struct {
	ID      int
	Content string
	Special bool // skipped by DecodeSkipSpecial
	LStrip  bool // swallow whitespace on the left when matched
	RStrip  bool // swallow whitespace on the right when matched
}

// added holds the added tokens and splits text around them.
type added struct {
	toks   []AddedToken
	byText map[string]int // content -> index in toks
	byID   map[int]int    // id -> index in toks
	// first byte -> indices into toks, longest content first
	first [256][]int
}

func (a *added) add(t AddedToken) {
	if a.byText == nil {
		a.byText = map[string]int{}
		a.byID = map[int]int{}
	}
	if t.Content == "" {
		return
	}
	if i, ok := a.byText[t.Content]; ok {
		a.toks[i] = t
		a.byID[t.ID] = i
		return
	}
	a.toks = append(a.toks, t)
	i := len(a.toks) - 1
	a.byText[t.Content] = i
	a.byID[t.ID] = i
	b := t.Content[0]
	a.first[b] = append(a.first[b], i)
	sort.SliceStable(a.first[b], func(x, y int) bool {
		return len(a.toks[a.first[b][x]].Content) > len(a.toks[a.first[b][y]].Content)
	})
}

// segment is a piece of input: either plain text or an added token.
type segment struct {
	text string
	id   int // -1 for plain text
}

// split cuts text at added tokens (leftmost, then longest match).
func (a *added) split(text string) []segment {
	if len(a.toks) == 0 {
		return []segment{{text, -1}}
	}
	var out []segment
	start := 0
	for i := 0; i < len(text); {
		cands := a.first[text[i]]
		hit := -1
		for _, k := range cands {
			if strings.HasPrefix(text[i:], a.toks[k].Content) {
				hit = k
				break
			}
		}
		if hit < 0 {
			i++
			continue
		}
		t := a.toks[hit]
		pre := text[start:i]
		if t.LStrip {
			pre = strings.TrimRight(pre, " \t\n\r\v\f")
		}
		if pre != "" {
			out = append(out, segment{pre, -1})
		}
		out = append(out, segment{t.Content, t.ID})
		i += len(t.Content)
		if t.RStrip {
			for i < len(text) && strings.IndexByte(" \t\n\r\v\f", text[i]) >= 0 {
				i++
			}
		}
		start = i
	}
	if start < len(text) {
		out = append(out, segment{text[start:], -1})
	}
	return out
}

// postProcessor adds special tokens around an encoded sequence.
type postProcessor struct {
	prefix, suffix []int
}

func (p postProcessor) apply(ids []int) []int {
	if len(p.prefix) == 0 && len(p.suffix) == 0 {
		return ids
	}
	out := make([]int, 0, len(ids)+len(p.prefix)+len(p.suffix))
	out = append(out, p.prefix...)
	out = append(out, ids...)
	return append(out, p.suffix...)
}

// idLimit bounds ids read from a file with n entries, so a corrupt id
// cannot make the id table huge (real vocabularies are dense).
func idLimit(n int) int { return 2*n + 1024 }

// checkPost rejects post-processor ids outside a vocabulary of n ids.
func checkPost(p postProcessor, n int) error {
	for _, id := range append(append([]int(nil), p.prefix...), p.suffix...) {
		if id < 0 || id >= n {
			return fmt.Errorf("post-processor token id %d outside the vocabulary (%d ids)", id, n)
		}
	}
	return nil
}
