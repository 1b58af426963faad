package hfconfig

import (
	"fmt"

	"github.com/llink-go/llink/models/gguf"
)

// RopeFreqsTensor is the GGUF tensor in which llama.cpp stores the
// per-frequency llama3 RoPE scaling factors instead of metadata keys.
const RopeFreqsTensor = "rope_freqs.weight"

// LlamaFromGGUF maps a GGUF file's llama.* metadata to a Llama config:
// llama.embedding_length, llama.block_count, llama.feed_forward_length,
// llama.attention.head_count(_kv), llama.attention.layer_norm_rms_epsilon,
// llama.rope.freq_base, llama.rope.dimension_count (head_dim),
// llama.context_length, llama.vocab_size (else the length of
// tokenizer.ggml.tokens, else the rows of token_embd.weight), llama.rope.scaling.* (linear) and the
// tokenizer.ggml.bos/eos_token_id. Embeddings are tied when there is no
// output.weight tensor. When the file has a rope_freqs.weight tensor (how
// llama.cpp stores llama3 RoPE scaling), RopeFreqsTensor names it and the
// caller must divide the RoPE frequencies by its values.
func LlamaFromGGUF(f *gguf.File) (*Llama, error) {
	name := f.Name()
	arch, ok := f.String("general.architecture")
	if !ok {
		return nil, fmt.Errorf("hfconfig: %s: %q: missing required key", name, "general.architecture")
	}
	if arch != "llama" {
		return nil, fmt.Errorf("hfconfig: %s: %q: architecture %q is not llama", name, "general.architecture", arch)
	}
	var err error
	need := func(key string) int {
		v, ok := f.Uint(key)
		if !ok && err == nil {
			if _, present := f.Value(key); present {
				err = fmt.Errorf("hfconfig: %s: %q: want a non-negative integer", name, key)
			} else {
				err = fmt.Errorf("hfconfig: %s: %q: missing required key", name, key)
			}
		}
		return int(min(v, 1<<40))
	}
	opt := func(key string, def int) int {
		if _, present := f.Value(key); !present {
			return def
		}
		return need(key)
	}
	optF := func(key string, def float64) float64 {
		v, present := f.Value(key)
		if !present {
			return def
		}
		x, ok := v.Float()
		if !ok && err == nil {
			err = fmt.Errorf("hfconfig: %s: %q: want a number", name, key)
		}
		return x
	}
	c := &Llama{
		ModelType:             "llama",
		HiddenSize:            need("llama.embedding_length"),
		NumLayers:             need("llama.block_count"),
		IntermediateSize:      need("llama.feed_forward_length"),
		NumHeads:              need("llama.attention.head_count"),
		RMSNormEps:            optF("llama.attention.layer_norm_rms_epsilon", 1e-5),
		RopeTheta:             optF("llama.rope.freq_base", 10000),
		MaxPositionEmbeddings: opt("llama.context_length", 2048),
		HiddenAct:             "silu",
		BOSTokenID:            opt("tokenizer.ggml.bos_token_id", -1),
	}
	if err != nil {
		return nil, err
	}
	c.NumKVHeads = opt("llama.attention.head_count_kv", c.NumHeads)
	if c.NumHeads > 0 {
		c.HeadDim = opt("llama.rope.dimension_count", c.HiddenSize/c.NumHeads)
		c.HeadDim = opt("llama.attention.key_length", c.HeadDim)
	}
	if _, ok := f.Value("llama.vocab_size"); ok {
		c.VocabSize = need("llama.vocab_size")
	} else if toks, ok := f.Strings("tokenizer.ggml.tokens"); ok {
		c.VocabSize = len(toks)
	} else if emb, ok := f.Tensor("token_embd.weight"); ok && len(emb.Dims) == 2 {
		c.VocabSize = int(min(emb.Dims[1], 1<<40))
	} else if err == nil {
		err = fmt.Errorf("hfconfig: %s: %q: missing (and no tokenizer.ggml.tokens or token_embd.weight to count)", name, "llama.vocab_size")
	}
	if _, ok := f.Value("tokenizer.ggml.eos_token_id"); ok {
		c.EOSTokenIDs = []int{need("tokenizer.ggml.eos_token_id")}
	}
	if typ, ok := f.String("llama.rope.scaling.type"); ok && typ != "none" {
		if typ != "linear" {
			return nil, fmt.Errorf("hfconfig: %s: %q: RoPE scaling %q is not supported (linear)", name, "llama.rope.scaling.type", typ)
		}
		c.RopeScaling = &RopeScaling{Type: typ, Factor: optF("llama.rope.scaling.factor", 1)}
	}
	if _, ok := f.Tensor(RopeFreqsTensor); ok {
		c.RopeFreqsTensor = RopeFreqsTensor
	}
	_, hasOutput := f.Tensor("output.weight")
	c.TieWordEmbeddings = !hasOutput
	if err != nil {
		return nil, err
	}
	if err := c.validate(name); err != nil {
		return nil, err
	}
	return c, nil
}
