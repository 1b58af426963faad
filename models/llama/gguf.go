package llama

import (
	"fmt"
	"github.com/llink-go/llink/asm"
	"math"
	"strconv"
	"strings"

	"github.com/llink-go/llink/models/gguf"
	"github.com/llink-go/llink/models/hfconfig"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/tensor"
)

// ggufLayer maps the per-layer Hugging Face tensor suffixes (after
// "model.layers.L.") to llama.cpp's (after "blk.L.").
var ggufLayer = [][2]string{
	{"input_layernorm.weight", "attn_norm.weight"},
	{"self_attn.q_proj.weight", "attn_q.weight"},
	{"self_attn.k_proj.weight", "attn_k.weight"},
	{"self_attn.v_proj.weight", "attn_v.weight"},
	{"self_attn.o_proj.weight", "attn_output.weight"},
	{"post_attention_layernorm.weight", "ffn_norm.weight"},
	{"mlp.gate_proj.weight", "ffn_gate.weight"},
	{"mlp.up_proj.weight", "ffn_up.weight"},
	{"mlp.down_proj.weight", "ffn_down.weight"},
}

// ggufGlobal maps the model-level tensor names.
var ggufGlobal = [][2]string{
	{"model.embed_tokens.weight", "token_embd.weight"},
	{"model.norm.weight", "output_norm.weight"},
	{"lm_head.weight", "output.weight"},
}

// ggufNames maps the Hugging Face names of configuration c's tensors to
// llama.cpp's.
func ggufNames(c Config) map[string]string {
	m := map[string]string{}
	for _, p := range ggufGlobal {
		m[p[0]] = p[1]
	}
	for i := range c.Layers {
		for _, p := range ggufLayer {
			m[fmt.Sprintf("model.layers.%d.%s", i, p[0])] = fmt.Sprintf("blk.%d.%s", i, p[1])
		}
	}
	return m
}

// hfName returns the Hugging Face name of a llama.cpp tensor name, or ""
// when it has none.
func hfName(g string) string {
	for _, p := range ggufGlobal {
		if g == p[1] {
			return p[0]
		}
	}
	rest, ok := strings.CutPrefix(g, "blk.")
	if !ok {
		return ""
	}
	num, suf, ok := strings.Cut(rest, ".")
	if _, err := strconv.Atoi(num); !ok || err != nil {
		return ""
	}
	for _, p := range ggufLayer {
		if suf == p[1] {
			return "model.layers." + num + "." + p[0]
		}
	}
	return ""
}

// GGUFSource presents the tensors of a llama.cpp GGUF file under their
// Hugging Face names (see [LoadGGUF] for the table), with q_proj and
// k_proj un-permuted back to the rotate-half layout. Tensors with no
// Hugging Face name keep their GGUF name, so [FromCheckpoint] reports them
// as unexpected; rope_freqs.weight is consumed by the config and hidden.
type GGUFSource struct {
	f      *gguf.File
	cfg    Config
	toGGUF map[string]string
	names  []string
	infos  map[string]safetensors.TensorInfo
}

// NewGGUFSource wraps f for a model of configuration cfg (cfg's head
// counts drive the q/k un-permutation).
func NewGGUFSource(f *gguf.File, cfg Config) *GGUFSource {
	s := &GGUFSource{f: f, cfg: cfg, toGGUF: map[string]string{}, infos: map[string]safetensors.TensorInfo{}}
	for _, t := range f.Tensors {
		if t.Name == hfconfig.RopeFreqsTensor {
			continue
		}
		n := hfName(t.Name)
		if n == "" {
			n = t.Name
		}
		s.toGGUF[n] = t.Name
		s.names = append(s.names, n)
		dt := safetensors.DType(t.Type.String())
		switch t.Type {
		case gguf.F32:
			dt = safetensors.F32
		case gguf.F16:
			dt = safetensors.F16
		case gguf.BF16:
			dt = safetensors.BF16
		}
		s.infos[n] = safetensors.TensorInfo{Name: n, DType: dt, Shape: t.Shape()}
	}
	return s
}

// Names returns the tensor names (Hugging Face names where known).
func (s *GGUFSource) Names() []string { return append([]string(nil), s.names...) }

// Info describes the named tensor (row-major shape; DType is the GGUF type
// name for types safetensors has no name for).
func (s *GGUFSource) Info(name string) (safetensors.TensorInfo, bool) {
	i, ok := s.infos[name]
	return i, ok
}

// heads returns the number of heads whose rows llama.cpp permuted in the
// named tensor, or 0 when it is not permuted.
func (s *GGUFSource) heads(name string) int {
	switch {
	case strings.HasSuffix(name, ".self_attn.q_proj.weight"):
		return s.cfg.Heads
	case strings.HasSuffix(name, ".self_attn.k_proj.weight"):
		return s.cfg.KVHeads
	}
	return 0
}

// Float32 reads the named tensor (F32, F16 or BF16) as float32.
func (s *GGUFSource) Float32(name string) ([]float32, error) {
	g, ok := s.toGGUF[name]
	if !ok {
		return nil, fmt.Errorf("gguf source: no tensor %s", name)
	}
	x, err := s.f.ReadFloat32(g)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return unpermute(x, s.heads(name), s.infos[name].Shape), nil
}

// BF16 reads the named tensor as bfloat16 bits.
func (s *GGUFSource) BF16(name string) ([]uint16, error) {
	g, ok := s.toGGUF[name]
	if !ok {
		return nil, fmt.Errorf("gguf source: no tensor %s", name)
	}
	x, err := s.f.ReadBF16(g)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return unpermute(x, s.heads(name), s.infos[name].Shape), nil
}

// Quantised reads the named tensor as its Q8_0, Q4_0, Q4_K or Q6_K blocks
// (q and k rows un-permuted), or returns nil for other types.
func (s *GGUFSource) Quantised(name string) (*asm.QMatrix, error) {
	g, ok := s.toGGUF[name]
	if !ok {
		return nil, fmt.Errorf("gguf source: no tensor %s", name)
	}
	switch t, _ := s.f.Tensor(g); t.Type {
	case gguf.Q8_0, gguf.Q4_0, gguf.Q4_K, gguf.Q6_K:
	default:
		return nil, nil
	}
	q, err := s.f.ReadQuantised(g)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	rb := len(q.Blocks) / max(q.Rows, 1)
	q.Blocks = unpermute(q.Blocks, s.heads(name), []int{q.Rows, rb})
	return q, nil
}

// unpermute undoes llama.cpp's convert permutation of a [heads·hd, cols]
// q or k projection: the converter reshapes each head's rows as (2, hd/2)
// and swaps the two axes (interleaved RoPE pairs), so GGUF row 2j+i of a
// head is Hugging Face row i·hd/2+j. heads 0 returns x unchanged.
func unpermute[T any](x []T, heads int, shape []int) []T {
	if heads == 0 || len(shape) != 2 || shape[0]%(2*heads) != 0 {
		return x
	}
	rows, cols := shape[0], shape[1]
	hd := rows / heads
	half := hd / 2
	out := make([]T, len(x))
	for h := range heads {
		for i := range 2 {
			for j := range half {
				dst := (h*hd + i*half + j) * cols
				src := (h*hd + 2*j + i) * cols
				copy(out[dst:dst+cols], x[src:src+cols])
			}
		}
	}
	return out
}

// ConfigFromGGUF returns the Llama configuration of a GGUF file's llama.*
// metadata (see [hfconfig.LlamaFromGGUF]); llama.cpp's rope_freqs.weight
// tensor (its form of llama3 RoPE scaling) becomes RopeScaling.Factors.
func ConfigFromGGUF(f *gguf.File) (Config, error) {
	h, err := hfconfig.LlamaFromGGUF(f)
	if err != nil {
		return Config{}, fmt.Errorf("llama: %w", err)
	}
	c, err := FromHFConfig(h)
	if err != nil {
		return Config{}, fmt.Errorf("llama: %s: %w", f.Name(), err)
	}
	if h.RopeFreqsTensor != "" {
		fac, err := f.ReadFloat32(h.RopeFreqsTensor)
		if err != nil {
			return Config{}, fmt.Errorf("llama: %w", err)
		}
		c.RopeScaling = &RopeScaling{RopeType: ropeFactors, Factors: fac}
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("llama: %s: %w", f.Name(), err)
	}
	return c, nil
}

// LoadGGUF reads a Llama decoder from a llama.cpp GGUF file: the config
// from its llama.* metadata ([ConfigFromGGUF]) and F32, F16 or BF16
// tensors (a quantised tensor is an error naming it). llama.cpp's tensor
// names map to Hugging Face's ([Load]'s table) as follows, L the layer:
//
//	token_embd.weight        model.embed_tokens.weight
//	blk.L.attn_norm.weight   model.layers.L.input_layernorm.weight
//	blk.L.attn_q.weight      model.layers.L.self_attn.q_proj.weight (un-permuted)
//	blk.L.attn_k.weight      model.layers.L.self_attn.k_proj.weight (un-permuted)
//	blk.L.attn_v.weight      model.layers.L.self_attn.v_proj.weight
//	blk.L.attn_output.weight model.layers.L.self_attn.o_proj.weight
//	blk.L.ffn_norm.weight    model.layers.L.post_attention_layernorm.weight
//	blk.L.ffn_gate.weight    model.layers.L.mlp.gate_proj.weight
//	blk.L.ffn_up.weight      model.layers.L.mlp.up_proj.weight
//	blk.L.ffn_down.weight    model.layers.L.mlp.down_proj.weight
//	output_norm.weight       model.norm.weight
//	output.weight            lm_head.weight (absent: tied embeddings)
//	rope_freqs.weight        llama3 RoPE scaling, per-frequency divisors
//
// llama.cpp's converter permutes the rows of q and k of each head from
// Hugging Face's rotate-half order to interleaved pairs; they are permuted
// back. The tokenizer is in the same file: tokenizer.Load(path) reads it.
// [Load] hands .gguf files to LoadGGUF.
func LoadGGUF(path string, opt LoadOptions) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	defer f.Close()
	cfg, err := ConfigFromGGUF(f)
	if err != nil {
		return nil, err
	}
	m, err := FromCheckpoint(cfg, NewGGUFSource(f, cfg), opt)
	if err != nil {
		return nil, fmt.Errorf("llama: %s: %w", path, err)
	}
	return m, nil
}

// FromHFConfig converts the parsed config of [hfconfig] (config.json or
// GGUF metadata) to a Config. Linear RoPE scaling is not supported.
func FromHFConfig(h *hfconfig.Llama) (Config, error) {
	c := Config{
		VocabSize:         h.VocabSize,
		Hidden:            h.HiddenSize,
		Intermediate:      h.IntermediateSize,
		Layers:            h.NumLayers,
		Heads:             h.NumHeads,
		KVHeads:           h.NumKVHeads,
		HeadDim:           h.HeadDim,
		MaxPositions:      h.MaxPositionEmbeddings,
		RMSNormEps:        h.RMSNormEps,
		RopeTheta:         h.RopeTheta,
		TieWordEmbeddings: h.TieWordEmbeddings,
		HiddenAct:         h.HiddenAct,
		AttentionBias:     h.AttentionBias,
		MLPBias:           h.MLPBias,
		EOS:               TokenIDs(h.EOSTokenIDs),
		ModelType:         h.ModelType,
	}
	if h.BOSTokenID >= 0 {
		c.BOS = TokenIDs{h.BOSTokenID}
	}
	if s := h.RopeScaling; s != nil {
		c.RopeScaling = &RopeScaling{
			RopeType:                      s.Type,
			Factor:                        s.Factor,
			LowFreqFactor:                 s.LowFreqFactor,
			HighFreqFactor:                s.HighFreqFactor,
			OriginalMaxPositionEmbeddings: s.OriginalMaxPositionEmbeddings,
		}
	}
	return c, c.Validate()
}

// WriteGGUF writes m as a llama.cpp GGUF file: llama.* metadata, tensors
// under llama.cpp's names ([LoadGGUF]'s table) with q and k permuted as
// llama.cpp's converter does, norm gains as F32 and the matrices as typ
// (F32, F16, BF16, Q8_0 / Q4_0 quantised as llama.cpp does, or Q4_K / Q6_K
// as [asm.Quantize] fits them), llama3
// RoPE scaling as rope_freqs.weight. LoRA adapters are not merged and no
// tokenizer is written (tokenizer.ggml.model is "none"). The file is
// written atomically.
func (m *Model) WriteGGUF(path string, typ gguf.TensorType) error {
	c := m.Config
	w := gguf.NewWriter()
	u32 := func(k string, v int) { w.Set(k, gguf.NewUint32(uint32(v))) }
	w.Set("general.architecture", gguf.NewString("llama"))
	// llama.cpp requires a tokenizer model; "none" declares the file has no
	// vocabulary (llama.cpp then takes llama.vocab_size dummy tokens).
	w.Set("tokenizer.ggml.model", gguf.NewString("none"))
	u32("llama.vocab_size", c.VocabSize)
	u32("llama.context_length", c.MaxPositions)
	u32("llama.embedding_length", c.Hidden)
	u32("llama.block_count", c.Layers)
	u32("llama.feed_forward_length", c.Intermediate)
	u32("llama.rope.dimension_count", c.HeadDim)
	u32("llama.attention.head_count", c.Heads)
	u32("llama.attention.head_count_kv", c.KVHeads)
	w.Set("llama.attention.layer_norm_rms_epsilon", gguf.NewFloat32(float32(c.RMSNormEps)))
	w.Set("llama.rope.freq_base", gguf.NewFloat32(float32(c.RopeTheta)))
	if len(c.BOS) > 0 {
		u32("tokenizer.ggml.bos_token_id", c.BOS[0])
	}
	if len(c.EOS) > 0 {
		u32("tokenizer.ggml.eos_token_id", c.EOS[0])
	}
	var err error
	add := func(name string, x *tensor.Tensor, t gguf.TensorType) {
		if err == nil {
			err = w.AddFloat32(name, x.Shape(), x.Data(), t)
		}
	}
	mat := func(name string, x *Weight, heads int) {
		f := x.Float32()
		if heads > 0 {
			s := f.Shape()
			f = tensor.FromSlice(permute(f.Data(), heads, s[0], s[1]), s...)
		}
		add(name, f, typ)
	}
	mat("token_embd.weight", m.Emb, 0)
	for i, l := range m.Layers {
		p := fmt.Sprintf("blk.%d.", i)
		add(p+"attn_norm.weight", l.AttnNorm, gguf.F32)
		mat(p+"attn_q.weight", l.Q, c.Heads)
		mat(p+"attn_k.weight", l.K, c.KVHeads)
		mat(p+"attn_v.weight", l.V, 0)
		mat(p+"attn_output.weight", l.O, 0)
		add(p+"ffn_norm.weight", l.MLPNorm, gguf.F32)
		mat(p+"ffn_gate.weight", l.Gate, 0)
		mat(p+"ffn_up.weight", l.Up, 0)
		mat(p+"ffn_down.weight", l.Down, 0)
	}
	add("output_norm.weight", m.Norm, gguf.F32)
	if m.Head != nil {
		mat("output.weight", m.Head, 0)
	}
	if fac := ropeFreqFactors(c); fac != nil {
		add(hfconfig.RopeFreqsTensor, tensor.FromSlice(fac, len(fac)), gguf.F32)
	}
	if err != nil {
		return fmt.Errorf("llama: %w", err)
	}
	if err := w.WriteFile(path); err != nil {
		return fmt.Errorf("llama: %w", err)
	}
	return nil
}

// permute is llama.cpp's converter permutation of a [heads·hd, cols] q or
// k projection, the inverse of [unpermute].
func permute(x []float32, heads, rows, cols int) []float32 {
	hd := rows / heads
	half := hd / 2
	out := make([]float32, len(x))
	for h := range heads {
		for i := range 2 {
			for j := range half {
				src := (h*hd + i*half + j) * cols
				dst := (h*hd + 2*j + i) * cols
				copy(out[dst:dst+cols], x[src:src+cols])
			}
		}
	}
	return out
}

// ropeFreqFactors returns the per-frequency divisors of c's RoPE scaling as
// llama.cpp stores them (llama3 computed in float64 as its converter
// does), or nil without scaling.
func ropeFreqFactors(c Config) []float32 {
	s := c.RopeScaling
	switch {
	case s == nil:
		return nil
	case s.kind() == ropeFactors:
		return s.Factors
	case s.kind() != "llama3":
		return nil
	}
	old := float64(s.OriginalMaxPositionEmbeddings)
	lowWL, highWL := old/s.LowFreqFactor, old/s.HighFreqFactor
	fac := make([]float32, c.HeadDim/2)
	for i := range fac {
		wl := 2 * math.Pi * math.Pow(c.RopeTheta, float64(2*i)/float64(c.HeadDim))
		switch {
		case wl < highWL:
			fac[i] = 1
		case wl > lowWL:
			fac[i] = float32(s.Factor)
		default:
			smooth := (old/wl - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor)
			fac[i] = float32(1 / ((1-smooth)/s.Factor + smooth))
		}
	}
	return fac
}
