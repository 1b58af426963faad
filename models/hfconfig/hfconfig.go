package hfconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/llink-go/llink/internal/safeio"
)

// MaxConfigSize bounds the size of a config.json file (real ones are a few
// kilobytes).
const MaxConfigSize = 16 << 20

// ReadFile reads the config file at path whole, refusing one larger than
// [MaxConfigSize] — a device such as /dev/zero included — with an error
// naming it.
func ReadFile(path string) ([]byte, error) {
	return safeio.ReadFile(path, MaxConfigSize, "a config.json")
}

// RopeScaling is the "rope_scaling" (or "rope_parameters") section of a
// Llama config.
type RopeScaling struct {
	// Type is "llama3" or "linear" ("rope_type", or the older "type").
	Type string
	// Factor scales the context length.
	Factor float64
	// LowFreqFactor, HighFreqFactor and OriginalMaxPositionEmbeddings are
	// the llama3 parameters.
	LowFreqFactor                 float64
	HighFreqFactor                float64
	OriginalMaxPositionEmbeddings int
}

// Llama holds a Llama decoder's hyper-parameters. Comments give the
// config.json key and the default used when it is absent.
type Llama struct {
	ModelType        string  // model_type; must be "llama"
	VocabSize        int     // vocab_size (required)
	HiddenSize       int     // hidden_size (required)
	IntermediateSize int     // intermediate_size (required): SwiGLU width
	NumLayers        int     // num_hidden_layers (required)
	NumHeads         int     // num_attention_heads (required)
	NumKVHeads       int     // num_key_value_heads; default NumHeads (GQA when smaller)
	HeadDim          int     // head_dim; default HiddenSize/NumHeads
	RMSNormEps       float64 // rms_norm_eps; default 1e-6
	RopeTheta        float64 // rope_theta (or rope_parameters.rope_theta); default 10000
	// RopeScaling is rope_scaling (or rope_parameters); nil means plain RoPE.
	RopeScaling *RopeScaling
	// RopeFreqsTensor, set only by LlamaFromGGUF, names a tensor of
	// per-frequency divisors that replaces RopeScaling (llama.cpp's form
	// of llama3 scaling).
	RopeFreqsTensor       string
	MaxPositionEmbeddings int    // max_position_embeddings; default 2048
	TieWordEmbeddings     bool   // tie_word_embeddings; default false
	AttentionBias         bool   // attention_bias; default false
	MLPBias               bool   // mlp_bias; default false
	HiddenAct             string // hidden_act; must be "silu"
	BOSTokenID            int    // bos_token_id; -1 when absent or null
	EOSTokenIDs           []int  // eos_token_id, an int or a list; nil when absent
	TorchDType            string // torch_dtype (or dtype), e.g. "bfloat16"; "" when absent
}

// Encoder holds a BERT-family encoder's hyper-parameters (BERT, LaBSE,
// RoBERTa, XLM-RoBERTa, E5 variants). Defaults follow transformers'
// BertConfig for "bert" and XLMRobertaConfig for the RoBERTa family (the
// same but pad_token_id 1).
type Encoder struct {
	ModelType             string  // model_type (required): bert, roberta, xlm-roberta, camembert
	VocabSize             int     // vocab_size (required)
	HiddenSize            int     // hidden_size (required)
	NumLayers             int     // num_hidden_layers (required)
	NumHeads              int     // num_attention_heads (required)
	IntermediateSize      int     // intermediate_size (required)
	HiddenAct             string  // hidden_act: gelu (erf), gelu_new / gelu_pytorch_tanh, relu; default gelu
	MaxPositionEmbeddings int     // max_position_embeddings (required)
	TypeVocabSize         int     // type_vocab_size; default 2 (bert) or 1
	LayerNormEps          float64 // layer_norm_eps; default 1e-12 (bert) or 1e-5
	PadTokenID            int     // pad_token_id; default 0 (bert) or 1
	// PositionOffset is added to token positions before the position
	// embedding lookup: padding_idx+1 for the RoBERTa family, 0 for BERT.
	PositionOffset int
	TorchDType     string // torch_dtype; "" when absent
	BOSTokenID     int    // bos_token_id; -1 when absent or null
	EOSTokenID     int    // eos_token_id; -1 when absent or null
}

// obj is a decoded JSON object with typed, error-reporting getters.
type obj struct {
	m    map[string]json.RawMessage
	file string
	pfx  string // key prefix for nested objects, e.g. "rope_scaling."
	err  error
}

func (o *obj) fail(key, format string, args ...any) {
	if o.err == nil {
		o.err = fmt.Errorf("hfconfig: %s: %q: "+format, append([]any{o.file, o.pfx + key}, args...)...)
	}
}

func (o *obj) has(key string) bool {
	v, ok := o.m[key]
	return ok && string(bytes.TrimSpace(v)) != "null"
}

func (o *obj) int(key string, required bool, def int) int {
	if !o.has(key) {
		if required {
			o.fail(key, "missing required key")
		}
		return def
	}
	var f float64
	if err := json.Unmarshal(o.m[key], &f); err != nil {
		o.fail(key, "want an integer: %w", err)
		return def
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		o.fail(key, "want an integer, got %v", f)
		return def
	}
	return int(f)
}

func (o *obj) float(key string, required bool, def float64) float64 {
	if !o.has(key) {
		if required {
			o.fail(key, "missing required key")
		}
		return def
	}
	var f float64
	if err := json.Unmarshal(o.m[key], &f); err != nil {
		o.fail(key, "want a number: %w", err)
		return def
	}
	return f
}

func (o *obj) bool(key string, def bool) bool {
	if !o.has(key) {
		return def
	}
	var b bool
	if err := json.Unmarshal(o.m[key], &b); err != nil {
		o.fail(key, "want true or false: %w", err)
	}
	return b
}

func (o *obj) str(key string, required bool, def string) string {
	if !o.has(key) {
		if required {
			o.fail(key, "missing required key")
		}
		return def
	}
	var s string
	if err := json.Unmarshal(o.m[key], &s); err != nil {
		o.fail(key, "want a string: %w", err)
	}
	return s
}

// ints reads an integer or a list of integers.
func (o *obj) ints(key string) []int {
	if !o.has(key) {
		return nil
	}
	raw := bytes.TrimSpace(o.m[key])
	if len(raw) > 0 && raw[0] == '[' {
		var fs []float64
		if err := json.Unmarshal(raw, &fs); err != nil {
			o.fail(key, "want an integer or a list of integers: %w", err)
			return nil
		}
		out := make([]int, len(fs))
		for i, f := range fs {
			if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				o.fail(key, "element %d: want an integer, got %v", i, f)
				return nil
			}
			out[i] = int(f)
		}
		return out
	}
	return []int{o.int(key, false, 0)}
}

func (o *obj) sub(key string) *obj {
	s := &obj{m: map[string]json.RawMessage{}, file: o.file, pfx: o.pfx + key + "."}
	if !o.has(key) {
		return nil
	}
	if err := json.Unmarshal(o.m[key], &s.m); err != nil {
		o.fail(key, "want an object: %w", err)
		return nil
	}
	return s
}

func decode(data []byte, file string) (*obj, error) {
	o := &obj{file: file}
	if err := json.Unmarshal(data, &o.m); err != nil {
		return nil, fmt.Errorf("hfconfig: %s: invalid JSON: %w", file, err)
	}
	if o.m == nil {
		return nil, fmt.Errorf("hfconfig: %s: config is not a JSON object", file)
	}
	return o, nil
}

// readConfig reads path, or path/config.json when path is a directory.
func readConfig(path string) ([]byte, string, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "config.json")
	}
	data, err := ReadFile(path)
	if err != nil {
		return nil, path, fmt.Errorf("hfconfig: %w", err)
	}
	return data, path, nil
}

// LoadLlama reads a Llama config.json (path is the file or its folder).
func LoadLlama(path string) (*Llama, error) {
	data, file, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	return ParseLlama(data, file)
}

// ropeKeys are the keys a rope_scaling (or rope_parameters) object may
// hold; any other is an error naming it, since it would change the model.
var ropeKeys = map[string]bool{"rope_type": true, "type": true, "factor": true, "low_freq_factor": true,
	"high_freq_factor": true, "original_max_position_embeddings": true, "rope_theta": true}

// ParseLlama parses a Llama config.json; file names it in errors.
// Unknown top-level keys are ignored (Hugging Face configs carry many that
// do not change the computation); unknown RoPE parameters and a
// bos_token_id list of several ids are errors naming the key.
func ParseLlama(data []byte, file string) (*Llama, error) {
	o, err := decode(data, file)
	if err != nil {
		return nil, err
	}
	c := &Llama{
		ModelType:             o.str("model_type", false, "llama"),
		VocabSize:             o.int("vocab_size", true, 0),
		HiddenSize:            o.int("hidden_size", true, 0),
		IntermediateSize:      o.int("intermediate_size", true, 0),
		NumLayers:             o.int("num_hidden_layers", true, 0),
		NumHeads:              o.int("num_attention_heads", true, 0),
		RMSNormEps:            o.float("rms_norm_eps", false, 1e-6),
		RopeTheta:             o.float("rope_theta", false, 10000),
		MaxPositionEmbeddings: o.int("max_position_embeddings", false, 2048),
		TieWordEmbeddings:     o.bool("tie_word_embeddings", false),
		AttentionBias:         o.bool("attention_bias", false),
		MLPBias:               o.bool("mlp_bias", false),
		HiddenAct:             o.str("hidden_act", false, "silu"),
		BOSTokenID:            -1,
		EOSTokenIDs:           o.ints("eos_token_id"),
		TorchDType:            o.str("torch_dtype", false, ""),
	}
	if c.TorchDType == "" {
		c.TorchDType = o.str("dtype", false, "") // newer transformers
	}
	// A one-element list (as llink's own configs write it) is accepted.
	switch bos := o.ints("bos_token_id"); len(bos) {
	case 0:
	case 1:
		c.BOSTokenID = bos[0]
	default:
		o.fail("bos_token_id", "want one token id, got %d", len(bos))
	}
	c.NumKVHeads = o.int("num_key_value_heads", false, c.NumHeads)
	if c.NumHeads > 0 {
		c.HeadDim = o.int("head_dim", false, c.HiddenSize/c.NumHeads)
	}
	// Newer transformers nest rope_theta and the scaling in rope_parameters.
	rs := o.sub("rope_scaling")
	if rp := o.sub("rope_parameters"); rp != nil {
		if rp.has("rope_theta") {
			c.RopeTheta = rp.float("rope_theta", false, c.RopeTheta)
		}
		if rs == nil {
			rs = rp
		}
		if rp.err != nil && o.err == nil {
			o.err = rp.err
		}
	}
	if rs != nil {
		for _, k := range slices.Sorted(maps.Keys(rs.m)) {
			if !ropeKeys[k] {
				rs.fail(k, "unknown RoPE parameter (known: factor, low_freq_factor, high_freq_factor, original_max_position_embeddings, rope_type, type, rope_theta)")
			}
		}
		typ := rs.str("rope_type", false, "")
		if typ == "" {
			typ = rs.str("type", false, "default")
		}
		switch typ {
		case "default":
		case "linear":
			c.RopeScaling = &RopeScaling{Type: typ, Factor: rs.float("factor", true, 0)}
		case "llama3":
			c.RopeScaling = &RopeScaling{
				Type:                          typ,
				Factor:                        rs.float("factor", true, 0),
				LowFreqFactor:                 rs.float("low_freq_factor", true, 0),
				HighFreqFactor:                rs.float("high_freq_factor", true, 0),
				OriginalMaxPositionEmbeddings: rs.int("original_max_position_embeddings", true, 0),
			}
		default:
			rs.fail("rope_type", "RoPE scaling %q is not supported (default, linear, llama3)", typ)
		}
		if rs.err != nil && o.err == nil {
			o.err = rs.err
		}
	}
	if o.err != nil {
		return nil, o.err
	}
	if err := c.validate(file); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks the sizes for consistency.
func (c *Llama) Validate() error { return c.validate("config") }

func (c *Llama) validate(file string) error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("hfconfig: %s: %q: "+format, append([]any{file, key}, args...)...)
	}
	if c.ModelType != "llama" {
		return bad("model_type", "%q is not a Llama model", c.ModelType)
	}
	for _, p := range []struct {
		key string
		v   int
	}{{"vocab_size", c.VocabSize}, {"hidden_size", c.HiddenSize}, {"intermediate_size", c.IntermediateSize},
		{"num_hidden_layers", c.NumLayers}, {"num_attention_heads", c.NumHeads}, {"num_key_value_heads", c.NumKVHeads},
		{"head_dim", c.HeadDim}, {"max_position_embeddings", c.MaxPositionEmbeddings}} {
		if p.v <= 0 {
			return bad(p.key, "must be positive, got %d", p.v)
		}
	}
	if c.HiddenSize%c.NumHeads != 0 {
		return bad("num_attention_heads", "%d does not divide hidden_size %d", c.NumHeads, c.HiddenSize)
	}
	if c.NumHeads%c.NumKVHeads != 0 {
		return bad("num_key_value_heads", "%d does not divide num_attention_heads %d", c.NumKVHeads, c.NumHeads)
	}
	if c.HeadDim%2 != 0 {
		return bad("head_dim", "%d must be even for RoPE", c.HeadDim)
	}
	if !(c.RMSNormEps > 0) {
		return bad("rms_norm_eps", "must be positive, got %v", c.RMSNormEps)
	}
	if !(c.RopeTheta > 0) {
		return bad("rope_theta", "must be positive, got %v", c.RopeTheta)
	}
	if s := c.RopeScaling; s != nil {
		if !(s.Factor > 0) {
			return bad("rope_scaling.factor", "must be positive, got %v", s.Factor)
		}
		if s.Type == "llama3" {
			if !(s.LowFreqFactor > 0) || !(s.HighFreqFactor > s.LowFreqFactor) {
				return bad("rope_scaling.high_freq_factor", "llama3 needs 0 < low_freq_factor (%v) < high_freq_factor (%v)", s.LowFreqFactor, s.HighFreqFactor)
			}
			if s.OriginalMaxPositionEmbeddings <= 0 {
				return bad("rope_scaling.original_max_position_embeddings", "must be positive, got %d", s.OriginalMaxPositionEmbeddings)
			}
		}
	}
	if c.HiddenAct != "silu" {
		return bad("hidden_act", "%q is not supported for Llama (silu)", c.HiddenAct)
	}
	if c.BOSTokenID >= c.VocabSize || c.BOSTokenID < -1 {
		return bad("bos_token_id", "token id %d is outside the vocabulary (%d)", c.BOSTokenID, c.VocabSize)
	}
	for _, id := range c.EOSTokenIDs {
		if id < 0 || id >= c.VocabSize {
			return bad("eos_token_id", "token id %d is outside the vocabulary (%d)", id, c.VocabSize)
		}
	}
	return nil
}

// LoadEncoder reads a BERT-family config.json (path is the file or its
// folder).
func LoadEncoder(path string) (*Encoder, error) {
	data, file, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	return ParseEncoder(data, file)
}

// robertaFamily lists model types whose positions start at padding_idx+1.
var robertaFamily = map[string]bool{"roberta": true, "xlm-roberta": true, "camembert": true}

// ParseEncoder parses a BERT-family config.json; file names it in errors.
// model_type is required (it decides the position offset).
func ParseEncoder(data []byte, file string) (*Encoder, error) {
	o, err := decode(data, file)
	if err != nil {
		return nil, err
	}
	mt := o.str("model_type", true, "")
	if o.err != nil {
		return nil, o.err
	}
	if mt != "bert" && !robertaFamily[mt] {
		return nil, fmt.Errorf("hfconfig: %s: %q: %q is not supported (bert, roberta, xlm-roberta, camembert)", file, "model_type", mt)
	}
	// BertConfig's and RobertaConfig's defaults: they differ in pad only.
	defPad, defTypes, defEps := 0, 2, 1e-12
	if robertaFamily[mt] {
		defPad = 1
	}
	c := &Encoder{
		ModelType:             mt,
		VocabSize:             o.int("vocab_size", true, 0),
		HiddenSize:            o.int("hidden_size", true, 0),
		NumLayers:             o.int("num_hidden_layers", true, 0),
		NumHeads:              o.int("num_attention_heads", true, 0),
		IntermediateSize:      o.int("intermediate_size", true, 0),
		HiddenAct:             o.str("hidden_act", false, "gelu"),
		MaxPositionEmbeddings: o.int("max_position_embeddings", true, 0),
		TypeVocabSize:         o.int("type_vocab_size", false, defTypes),
		LayerNormEps:          o.float("layer_norm_eps", false, defEps),
		PadTokenID:            o.int("pad_token_id", false, defPad),
		TorchDType:            o.str("torch_dtype", false, ""),
		BOSTokenID:            o.int("bos_token_id", false, -1),
		EOSTokenID:            o.int("eos_token_id", false, -1),
	}
	if pe := o.str("position_embedding_type", false, "absolute"); pe != "absolute" {
		o.fail("position_embedding_type", "%q is not supported (absolute)", pe)
	}
	if o.err != nil {
		return nil, o.err
	}
	if robertaFamily[mt] {
		c.PositionOffset = c.PadTokenID + 1
	}
	if err := c.validate(file); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks the sizes for consistency.
func (c *Encoder) Validate() error { return c.validate("config") }

func (c *Encoder) validate(file string) error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("hfconfig: %s: %q: "+format, append([]any{file, key}, args...)...)
	}
	for _, p := range []struct {
		key string
		v   int
	}{{"vocab_size", c.VocabSize}, {"hidden_size", c.HiddenSize}, {"num_hidden_layers", c.NumLayers},
		{"num_attention_heads", c.NumHeads}, {"intermediate_size", c.IntermediateSize},
		{"max_position_embeddings", c.MaxPositionEmbeddings}, {"type_vocab_size", c.TypeVocabSize}} {
		if p.v <= 0 {
			return bad(p.key, "must be positive, got %d", p.v)
		}
	}
	if c.HiddenSize%c.NumHeads != 0 {
		return bad("num_attention_heads", "%d does not divide hidden_size %d", c.NumHeads, c.HiddenSize)
	}
	if !(c.LayerNormEps > 0) {
		return bad("layer_norm_eps", "must be positive, got %v", c.LayerNormEps)
	}
	switch c.HiddenAct {
	case "gelu", "gelu_new", "gelu_pytorch_tanh", "relu":
	default:
		return bad("hidden_act", "%q is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)", c.HiddenAct)
	}
	if c.PadTokenID < 0 || c.PadTokenID >= c.VocabSize {
		return bad("pad_token_id", "%d is outside the vocabulary (%d)", c.PadTokenID, c.VocabSize)
	}
	if c.PositionOffset >= c.MaxPositionEmbeddings {
		return bad("max_position_embeddings", "%d leaves no positions after the offset %d", c.MaxPositionEmbeddings, c.PositionOffset)
	}
	return nil
}

// MaxSequenceLength returns the longest input the position table allows
// (max_position_embeddings minus the position offset: 512 for
// xlm-roberta-base).
func (c *Encoder) MaxSequenceLength() int { return c.MaxPositionEmbeddings - c.PositionOffset }

// GELUTanh reports whether the activation is the tanh approximation.
func (c *Encoder) GELUTanh() bool {
	return c.HiddenAct == "gelu_new" || c.HiddenAct == "gelu_pytorch_tanh"
}
