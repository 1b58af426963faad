package llama

import (
	"fmt"
	"strings"

	"github.com/llink-go/llink/models/gguf"
	"github.com/llink-go/llink/models/safetensors"
)

// GGUF support: llama.cpp's files name and lay out a Llama model their own
// way. Tensor names map as follows (i = layer):
//
//	token_embd.weight          model.embed_tokens.weight
//	blk.i.attn_norm.weight     model.layers.i.input_layernorm.weight
//	blk.i.attn_q.weight        model.layers.i.self_attn.q_proj.weight   (rows permuted, below)
//	blk.i.attn_k.weight        model.layers.i.self_attn.k_proj.weight   (rows permuted)
//	blk.i.attn_v.weight        model.layers.i.self_attn.v_proj.weight
//	blk.i.attn_output.weight   model.layers.i.self_attn.o_proj.weight
//	blk.i.ffn_norm.weight      model.layers.i.post_attention_layernorm.weight
//	blk.i.ffn_gate.weight      model.layers.i.mlp.gate_proj.weight
//	blk.i.ffn_up.weight        model.layers.i.mlp.up_proj.weight
//	blk.i.ffn_down.weight      model.layers.i.mlp.down_proj.weight
//	output_norm.weight         model.norm.weight
//	output.weight              lm_head.weight (absent: tied embeddings)
//	rope_freqs.weight          per-dimension RoPE divisors (Llama 3.1+ scaling)
//
// llama.cpp rotates adjacent pairs (x₂ᵢ, x₂ᵢ₊₁) where Hugging Face rotates
// halves (xᵢ, xᵢ₊d/2), so its converter reorders the rows of q and k within
// every head: row 2i+j of a GGUF head is row j·d/2+i of the HF head. The
// loader undoes that, so the model computes exactly what the HF checkpoint
// would. Config comes from the llama.* metadata keys.

// ggufNames maps HF tensor names to GGUF ones for a config.
func ggufNames(c Config) map[string]string {
	m := map[string]string{
		"model.embed_tokens.weight": "token_embd.weight",
		"model.norm.weight":         "output_norm.weight",
		"lm_head.weight":            "output.weight",
	}
	for i := range c.Layers {
		hf, gg := fmt.Sprintf("model.layers.%d.", i), fmt.Sprintf("blk.%d.", i)
		for h, g := range map[string]string{
			"input_layernorm.weight": "attn_norm.weight", "self_attn.q_proj.weight": "attn_q.weight",
			"self_attn.k_proj.weight": "attn_k.weight", "self_attn.v_proj.weight": "attn_v.weight",
			"self_attn.o_proj.weight": "attn_output.weight", "post_attention_layernorm.weight": "ffn_norm.weight",
			"mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight", "mlp.down_proj.weight": "ffn_down.weight",
		} {
			m[hf+h] = gg + g
		}
	}
	return m
}

// ConfigFromGGUF reads a Llama configuration from GGUF metadata
// (general.architecture "llama" and the llama.* keys).
func ConfigFromGGUF(f *gguf.File) (Config, error) {
	if a, _ := f.String("general.architecture"); a != "llama" {
		return Config{}, fmt.Errorf("llama: %s: general.architecture is %q, want \"llama\"", f.Name(), a)
	}
	var err error
	num := func(key string, required bool) int {
		if v, ok := f.Uint("llama." + key); ok {
			return int(v)
		}
		if required && err == nil {
			err = fmt.Errorf("llama: %s: metadata key llama.%s missing", f.Name(), key)
		}
		return 0
	}
	c := Config{ModelType: "llama", HiddenAct: "silu",
		Hidden: num("embedding_length", true), Layers: num("block_count", true), Intermediate: num("feed_forward_length", true),
		Heads: num("attention.head_count", true), KVHeads: num("attention.head_count_kv", false),
		MaxPositions: num("context_length", true), VocabSize: num("vocab_size", false)}
	if err != nil {
		return Config{}, err
	}
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	if c.Heads <= 0 || c.Hidden%c.Heads != 0 {
		return Config{}, fmt.Errorf("llama: %s: %d heads do not divide the width %d", f.Name(), c.Heads, c.Hidden)
	}
	c.HeadDim = c.Hidden / c.Heads
	if d := num("rope.dimension_count", false); d != 0 && d != c.HeadDim {
		return Config{}, fmt.Errorf("llama: %s: llama.rope.dimension_count %d ≠ head dim %d (partial rotary is not supported)", f.Name(), d, c.HeadDim)
	}
	c.RMSNormEps, c.RopeTheta = 1e-5, 10000
	if v, ok := f.Float("llama.attention.layer_norm_rms_epsilon"); ok {
		c.RMSNormEps = v
	}
	if v, ok := f.Float("llama.rope.freq_base"); ok {
		c.RopeTheta = v
	}
	emb, ok := f.Tensor("token_embd.weight")
	if !ok {
		return Config{}, fmt.Errorf("llama: %s: tensor token_embd.weight missing", f.Name())
	}
	if v := int(emb.Shape()[0]); c.VocabSize == 0 {
		c.VocabSize = v
	} else if v != c.VocabSize {
		return Config{}, fmt.Errorf("llama: %s: llama.vocab_size %d but token_embd has %d rows", f.Name(), c.VocabSize, v)
	}
	_, hasHead := f.Tensor("output.weight")
	c.TieWordEmbeddings = !hasHead
	if v, ok := f.Uint("tokenizer.ggml.bos_token_id"); ok {
		c.BOS = TokenIDs{int(v)}
	}
	if v, ok := f.Uint("tokenizer.ggml.eos_token_id"); ok {
		c.EOS = TokenIDs{int(v)}
	}
	return c, c.Validate()
}

// ggufSource presents a GGUF file as the HF-named [Source] FromCheckpoint
// reads, undoing llama.cpp's q/k row order.
type ggufSource struct {
	f      *gguf.File
	c      Config
	toGGUF map[string]string
}

func (s *ggufSource) Names() []string {
	var out []string
	for hf, g := range s.toGGUF {
		if _, ok := s.f.Tensor(g); ok {
			out = append(out, hf)
		}
	}
	return out
}

func (s *ggufSource) Info(name string) (safetensors.TensorInfo, bool) {
	t, ok := s.f.Tensor(s.toGGUF[name])
	if !ok {
		return safetensors.TensorInfo{}, false
	}
	dt := safetensors.F32
	switch t.Type {
	case gguf.BF16:
		dt = safetensors.BF16
	case gguf.F16:
		dt = safetensors.F16
	}
	return safetensors.TensorInfo{Name: name, DType: dt, Shape: t.Shape()}, true
}

// heads returns how many heads a q or k tensor holds (0: not permuted).
func (s *ggufSource) heads(name string) int {
	switch {
	case strings.HasSuffix(name, "q_proj.weight"):
		return s.c.Heads
	case strings.HasSuffix(name, "k_proj.weight"):
		return s.c.KVHeads
	}
	return 0
}

// unpermute reorders the rows of a [heads·hd, cols] matrix from llama.cpp's
// interleaved-pair order to HF's half-split order.
func unpermute[T any](x []T, heads, hd, cols int) []T {
	out := make([]T, len(x))
	half := hd / 2
	for h := range heads {
		for i := range half {
			for j := range 2 {
				src := (h*hd + 2*i + j) * cols
				dst := (h*hd + j*half + i) * cols
				copy(out[dst:dst+cols], x[src:src+cols])
			}
		}
	}
	return out
}

func (s *ggufSource) Float32(name string) ([]float32, error) {
	v, err := s.f.ReadFloat32(s.toGGUF[name])
	if err != nil {
		return nil, err
	}
	if h := s.heads(name); h > 0 {
		v = unpermute(v, h, s.c.HeadDim, s.c.Hidden)
	}
	return v, nil
}

func (s *ggufSource) BF16(name string) ([]uint16, error) {
	v, err := s.f.ReadBF16(s.toGGUF[name])
	if err != nil {
		return nil, err
	}
	if h := s.heads(name); h > 0 {
		v = unpermute(v, h, s.c.HeadDim, s.c.Hidden)
	}
	return v, nil
}

// LoadGGUF reads a Llama decoder from a llama.cpp GGUF file (F32, F16 or
// BF16 tensors; quantised ones are refused with an error naming the
// tensor). A rope_freqs tensor (llama.cpp's form of Llama 3.1+ RoPE
// scaling) divides the model's RoPE frequencies as llama.cpp does.
func LoadGGUF(path string, opt LoadOptions) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	defer f.Close()
	c, err := ConfigFromGGUF(f)
	if err != nil {
		return nil, err
	}
	m, err := FromCheckpoint(c, &ggufSource{f: f, c: c, toGGUF: ggufNames(c)}, opt)
	if err != nil {
		return nil, fmt.Errorf("llama: %s: %w", path, err)
	}
	if _, ok := f.Tensor("rope_freqs.weight"); ok {
		div, err := f.ReadFloat32("rope_freqs.weight")
		if err != nil {
			return nil, fmt.Errorf("llama: %w", err)
		}
		if len(div) != len(m.inv) {
			return nil, fmt.Errorf("llama: %s: rope_freqs has %d values for %d RoPE frequencies", path, len(div), len(m.inv))
		}
		for i, d := range div {
			if d <= 0 {
				return nil, fmt.Errorf("llama: %s: rope_freqs[%d] = %g", path, i, d)
			}
			m.inv[i] /= d
		}
	}
	return m, nil
}
