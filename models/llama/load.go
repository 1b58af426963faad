package llama

import (
	"errors"
	"fmt"
	"github.com/llink-go/llink/asm"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/tensor"
)

// LoadOptions tunes [Load].
type LoadOptions struct {
	// BF16 stores the matrices (embeddings, projections, head) as bfloat16:
	// zero-copy from a bf16 checkpoint, rounded from f32/f16 ones. Norm gains
	// stay float32. Otherwise every tensor is widened to float32. Q8_0, Q4_0,
	// Q4_K and Q6_K matrices of a GGUF file stay in their blocks either way.
	BF16 bool
	// StoredLayout keeps Q4_K, Q6_K and Q8_0 matrices in the file's block layout.
	// By default they are repacked at load into the layout of the active
	// kernel level's packed int8 kernels when it has them ([asm.QMatrix.Repack]:
	// avx512bf16 with VNNI), whose decoding kernels spend fewer instructions
	// per weight; the products are the same up to the int8 kernels' rounding.
	StoredLayout bool
}

// Load reads a Hugging Face Llama folder: config.json and model.safetensors
// or a sharded model-XXXXX-of-YYYYY.safetensors set with its
// model.safetensors.index.json (F32, F16 or BF16 tensors), or, given a .gguf file, a llama.cpp GGUF
// file ([LoadGGUF]).
//
// Tensor names, with L the layer index, d hidden_size, hd head_dim, H and
// KV the attention and key-value heads, F intermediate_size, V vocab_size:
//
//	model.embed_tokens.weight                      [V, d]       Model.Emb
//	model.layers.L.input_layernorm.weight          [d]          Layer.AttnNorm
//	model.layers.L.self_attn.q_proj.weight         [H·hd, d]    Layer.Q
//	model.layers.L.self_attn.k_proj.weight         [KV·hd, d]   Layer.K
//	model.layers.L.self_attn.v_proj.weight         [KV·hd, d]   Layer.V
//	model.layers.L.self_attn.o_proj.weight         [d, H·hd]    Layer.O
//	model.layers.L.post_attention_layernorm.weight [d]          Layer.MLPNorm
//	model.layers.L.mlp.gate_proj.weight            [F, d]       Layer.Gate
//	model.layers.L.mlp.up_proj.weight              [F, d]       Layer.Up
//	model.layers.L.mlp.down_proj.weight            [d, F]       Layer.Down
//	model.norm.weight                              [d]          Model.Norm
//	lm_head.weight                                 [V, d]       Model.Head (untied only)
//
// With tie_word_embeddings an lm_head.weight of the right shape is accepted
// and ignored (some exports write the tied copy), as are the
// model.layers.L.self_attn.rotary_emb.inv_freq buffers of older
// checkpoints (RoPE is recomputed from the config). Every missing tensor,
// unexpected tensor and shape mismatch is reported, each by name, in one
// error.
//
// q_proj and k_proj are used as stored: Hugging Face checkpoints are already
// permuted for the rotate-half RoPE convention this package applies.
func Load(dir string, opt LoadOptions) (*Model, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() && strings.EqualFold(filepath.Ext(dir), ".gguf") {
		return LoadGGUF(dir, opt)
	}
	cfg, err := ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	ck, err := safetensors.OpenCheckpoint(dir)
	if err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	m, err := FromCheckpoint(cfg, ck, opt)
	if err != nil {
		ck.Close()
		return nil, fmt.Errorf("llama: %s: %w", dir, err)
	}
	if opt.BF16 {
		// bf16 weights may be views of the memory-mapped files.
		m.closer = ck.Close
	} else if err := ck.Close(); err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	return m, nil
}

// TensorNames returns the checkpoint name of every tensor a model of
// configuration c needs, with its shape, in the order of [Load]'s table.
func TensorNames(c Config) (names []string, shapes [][]int) {
	d, f, v := c.Hidden, c.Intermediate, c.VocabSize
	q, kv := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	add := func(n string, s ...int) { names, shapes = append(names, n), append(shapes, s) }
	add("model.embed_tokens.weight", v, d)
	for i := range c.Layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		add(p+"input_layernorm.weight", d)
		add(p+"self_attn.q_proj.weight", q, d)
		add(p+"self_attn.k_proj.weight", kv, d)
		add(p+"self_attn.v_proj.weight", kv, d)
		add(p+"self_attn.o_proj.weight", d, q)
		add(p+"post_attention_layernorm.weight", d)
		add(p+"mlp.gate_proj.weight", f, d)
		add(p+"mlp.up_proj.weight", f, d)
		add(p+"mlp.down_proj.weight", d, f)
	}
	add("model.norm.weight", d)
	if !c.TieWordEmbeddings {
		add("lm_head.weight", v, d)
	}
	return names, shapes
}

// Source is a set of named tensors: a safetensors checkpoint, or anything
// that can present itself as one (a GGUF file, an in-memory map).
type Source interface {
	Names() []string
	Info(name string) (safetensors.TensorInfo, bool)
	Float32(name string) ([]float32, error)
	BF16(name string) ([]uint16, error)
}

// QuantisedSource is a Source that can hand over block-quantised matrices
// as they are stored (a GGUF file's Q8_0, Q4_0, Q4_K and Q6_K tensors): Quantised
// returns nil (and no error) for a tensor that is not block-quantised.
type QuantisedSource interface {
	Source
	Quantised(name string) (*asm.QMatrix, error)
}

// FromCheckpoint builds a model of configuration cfg from the tensors of
// src, checking names and shapes as [Load] documents.
func FromCheckpoint(cfg Config, src Source, opt LoadOptions) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	names, shapes := TensorNames(cfg)
	want := map[string][]int{}
	for i, n := range names {
		want[n] = shapes[i]
	}
	var errs []error
	have := src.Names()
	sort.Strings(have)
	for _, n := range have {
		info, _ := src.Info(n)
		s, ok := want[n]
		switch {
		case ok && !slices.Equal(info.Shape, s):
			errs = append(errs, fmt.Errorf("tensor %s has shape %v, want %v", n, info.Shape, s))
		case ok:
		case n == "lm_head.weight" && cfg.TieWordEmbeddings:
			if s := []int{cfg.VocabSize, cfg.Hidden}; !slices.Equal(info.Shape, s) {
				errs = append(errs, fmt.Errorf("tensor %s (tied, ignored) has shape %v, want %v", n, info.Shape, s))
			}
		case strings.HasPrefix(n, "model.layers.") && strings.HasSuffix(n, ".self_attn.rotary_emb.inv_freq"):
		default:
			errs = append(errs, fmt.Errorf("unexpected tensor %s %v", n, info.Shape))
		}
	}
	for _, n := range names {
		if _, ok := src.Info(n); !ok {
			errs = append(errs, fmt.Errorf("missing tensor %s %v", n, want[n]))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	vec := func(n string) *tensor.Tensor {
		if len(errs) > 0 {
			return nil
		}
		x, err := src.Float32(n)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		return tensor.FromSlice(x, want[n]...)
	}
	qs, _ := src.(QuantisedSource)
	read := func(n string) *Weight {
		if len(errs) > 0 {
			return nil
		}
		if qs != nil {
			q, err := qs.Quantised(n)
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			if q != nil {
				if !opt.StoredLayout {
					q.Repack()
				}
				return &Weight{Q: q}
			}
		}
		if opt.BF16 {
			h, err := src.BF16(n)
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			return &Weight{H: tensor.NewBF16(h, want[n]...)}
		}
		return &Weight{W: vec(n)}
	}
	mat := func(n string) *Weight {
		w := read(n)
		if w != nil && len(errs) == 0 {
			w.adviseHugePages()
		}
		return w
	}
	m := &Model{Config: cfg, Emb: mat("model.embed_tokens.weight")}
	for i := range cfg.Layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		m.Layers = append(m.Layers, &Layer{
			AttnNorm: vec(p + "input_layernorm.weight"),
			Q:        mat(p + "self_attn.q_proj.weight"),
			K:        mat(p + "self_attn.k_proj.weight"),
			V:        mat(p + "self_attn.v_proj.weight"),
			O:        mat(p + "self_attn.o_proj.weight"),
			MLPNorm:  vec(p + "post_attention_layernorm.weight"),
			Gate:     mat(p + "mlp.gate_proj.weight"),
			Up:       mat(p + "mlp.up_proj.weight"),
			Down:     mat(p + "mlp.down_proj.weight"),
		})
	}
	m.Norm = vec("model.norm.weight")
	if !cfg.TieWordEmbeddings {
		m.Head = mat("lm_head.weight")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m.init()
	return m, nil
}
