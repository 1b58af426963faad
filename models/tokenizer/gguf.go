package tokenizer

import (
	"fmt"

	"github.com/llink-go/llink/models/gguf"
)

// ggufMeta is what the GGUF glue needs of a GGUF file's metadata
// (satisfied by *gguf.File).
type ggufMeta interface {
	String(key string) (string, bool)
	Strings(key string) ([]string, bool)
	Float32s(key string) ([]float32, bool)
	Int32s(key string) ([]int32, bool)
	Bytes(key string) ([]byte, bool)
	Uint(key string) (uint64, bool)
	Bool(key string) (bool, bool)
}

// LoadGGUF reads the tokenizer stored in a GGUF file's tokenizer.ggml.*
// metadata: model "gpt2" (byte-level BPE; pre "llama-bpe" and friends use
// the Llama-3 split) or "t5" (SentencePiece Unigram with scores and
// precompiled_charsmap).
func LoadGGUF(path string) (Tokenizer, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer f.Close()
	t, err := fromGGUF(f)
	if err != nil {
		return nil, formatErr(path, "%v", err)
	}
	return t, nil
}

func fromGGUF(f ggufMeta) (Tokenizer, error) {
	model, ok := f.String("tokenizer.ggml.model")
	if !ok {
		return nil, fmt.Errorf("no tokenizer.ggml.model")
	}
	tokens, ok := f.Strings("tokenizer.ggml.tokens")
	if !ok || len(tokens) == 0 {
		return nil, fmt.Errorf("no tokenizer.ggml.tokens")
	}
	types, _ := f.Int32s("tokenizer.ggml.token_type")
	if types != nil && len(types) != len(tokens) {
		return nil, fmt.Errorf("%d tokens but %d token types", len(tokens), len(types))
	}
	typ := func(i int) int {
		if types == nil {
			return TypeNormal
		}
		return int(types[i])
	}
	optID := func(key string) (int, bool) {
		v, ok := f.Uint(key)
		if !ok || v >= uint64(len(tokens)) {
			return 0, false
		}
		return int(v), true
	}
	flag := func(key string, def bool) bool {
		if b, ok := f.Bool(key); ok {
			return b
		}
		return def
	}
	switch model {
	case "gpt2":
		merges, ok := f.Strings("tokenizer.ggml.merges")
		if !ok {
			return nil, fmt.Errorf("gpt2 model without tokenizer.ggml.merges")
		}
		c := BPEConfig{Vocab: make(map[string]int, len(tokens)), Merges: merges, Pre: PreGPT2}
		pre, _ := f.String("tokenizer.ggml.pre")
		switch pre {
		case "llama-bpe", "llama3", "llama-v3", "smaug-bpe", "dbrx":
			c.Pre, c.IgnoreMerges = PreLlama3, true
		}
		for i, s := range tokens {
			switch typ(i) {
			case TypeControl, TypeUserDefined:
				c.Added = append(c.Added, AddedToken{ID: i, Content: s, Special: typ(i) == TypeControl})
			default:
				if _, dup := c.Vocab[s]; !dup {
					c.Vocab[s] = i
				}
			}
		}
		if bos, ok := optID("tokenizer.ggml.bos_token_id"); ok && flag("tokenizer.ggml.add_bos_token", true) {
			c.Prefix = []int{bos}
		}
		if eos, ok := optID("tokenizer.ggml.eos_token_id"); ok && flag("tokenizer.ggml.add_eos_token", false) {
			c.Suffix = []int{eos}
		}
		return NewBPE(c)
	case "t5":
		scores, ok := f.Float32s("tokenizer.ggml.scores")
		if !ok || len(scores) != len(tokens) {
			return nil, fmt.Errorf("t5 model needs one tokenizer.ggml.scores entry per token")
		}
		c := UnigramConfig{Pieces: tokens, Scores: make([]float64, len(tokens)), Types: make([]int, len(tokens))}
		for i := range tokens {
			c.Scores[i] = float64(scores[i])
			c.Types[i] = typ(i)
		}
		if unk, ok := optID("tokenizer.ggml.unknown_token_id"); ok {
			c.UnkID = unk
		} else {
			c.UnkID = 2 // SentencePiece T5 default
			for i := range tokens {
				if typ(i) == TypeUnknown {
					c.UnkID = i
					break
				}
			}
		}
		c.Charsmap, _ = f.Bytes("tokenizer.ggml.precompiled_charsmap")
		c.AddDummyPrefix = flag("tokenizer.ggml.add_space_prefix", true)
		c.KeepExtraWhitespace = !flag("tokenizer.ggml.remove_extra_whitespaces", true)
		for i, s := range tokens {
			if typ(i) == TypeControl {
				c.Added = append(c.Added, AddedToken{ID: i, Content: s, Special: true})
			}
		}
		if bos, ok := optID("tokenizer.ggml.bos_token_id"); ok && flag("tokenizer.ggml.add_bos_token", false) {
			c.Prefix = []int{bos}
		}
		if eos, ok := optID("tokenizer.ggml.eos_token_id"); ok && flag("tokenizer.ggml.add_eos_token", false) {
			c.Suffix = []int{eos}
		}
		return NewUnigram(c)
	default:
		return nil, fmt.Errorf("unsupported tokenizer.ggml.model %q", model)
	}
}
