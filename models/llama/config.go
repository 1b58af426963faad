package llama

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/llink-go/llink/models/hfconfig"
)

// Config is a Llama architecture as Hugging Face's config.json describes it
// (the JSON tags are the config.json keys).
type Config struct {
	VocabSize         int          `json:"vocab_size"`
	Hidden            int          `json:"hidden_size"`
	Intermediate      int          `json:"intermediate_size"`
	Layers            int          `json:"num_hidden_layers"`
	Heads             int          `json:"num_attention_heads"`
	KVHeads           int          `json:"num_key_value_heads"`
	HeadDim           int          `json:"head_dim"`
	MaxPositions      int          `json:"max_position_embeddings"`
	RMSNormEps        float64      `json:"rms_norm_eps"`
	RopeTheta         float64      `json:"rope_theta"`
	RopeScaling       *RopeScaling `json:"rope_scaling"`
	TieWordEmbeddings bool         `json:"tie_word_embeddings"`
	HiddenAct         string       `json:"hidden_act"`
	AttentionBias     bool         `json:"attention_bias"`
	MLPBias           bool         `json:"mlp_bias"`
	BOS               TokenIDs     `json:"bos_token_id"`
	EOS               TokenIDs     `json:"eos_token_id"`
	ModelType         string       `json:"model_type"`
}

// RopeScaling is config.json's rope_scaling object. Only the "llama3" type
// (Llama 3.1/3.2) and "default" are supported.
type RopeScaling struct {
	RopeType                      string  `json:"rope_type"`
	Type                          string  `json:"type"` // older spelling of rope_type
	Factor                        float64 `json:"factor"`
	LowFreqFactor                 float64 `json:"low_freq_factor"`
	HighFreqFactor                float64 `json:"high_freq_factor"`
	OriginalMaxPositionEmbeddings int     `json:"original_max_position_embeddings"`
	// Factors, set only by [ConfigFromGGUF] (RopeType "freq_factors"),
	// divide RoPE's inverse frequencies one by one: llama.cpp's
	// rope_freqs.weight, its form of the llama3 scaling.
	Factors []float32 `json:"-"`
}

// ropeFactors is the RopeScaling type of per-frequency divisors.
const ropeFactors = "freq_factors"

// TokenIDs is a token id field that config.json writes either as a number
// or as a list of numbers (eos_token_id of Llama-3 instruct models).
type TokenIDs []int

// UnmarshalJSON accepts null, a number or a list of numbers.
func (t *TokenIDs) UnmarshalJSON(b []byte) error {
	var one *int
	if err := json.Unmarshal(b, &one); err == nil {
		*t = nil
		if one != nil {
			*t = TokenIDs{*one}
		}
		return nil
	}
	var many []int
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("token id: want a number or a list of numbers, got %s", b)
	}
	*t = many
	return nil
}

// ParseConfig decodes a Hugging Face Llama config.json through
// [hfconfig.ParseLlama] (the one parser of Llama configs: typed keys,
// transformers' defaults — kv heads = heads, head_dim = hidden/heads,
// θ = 10000, eps 1e-6 — and errors naming the key) and validates it.
func ParseConfig(data []byte) (Config, error) {
	h, err := hfconfig.ParseLlama(data, "config.json")
	if err != nil {
		return Config{}, fmt.Errorf("llama: %w", err)
	}
	c, err := FromHFConfig(h)
	if err != nil {
		return Config{}, fmt.Errorf("%w (config.json)", err)
	}
	return c, nil
}

// ReadConfig reads and parses dir/config.json.
func ReadConfig(dir string) (Config, error) {
	b, err := hfconfig.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return Config{}, fmt.Errorf("llama: %w", err)
	}
	return ParseConfig(b)
}

// Validate reports the first inconsistency of c as an error.
func (c Config) Validate() error {
	switch {
	case c.ModelType != "" && c.ModelType != "llama":
		return fmt.Errorf("llama: model_type %q is not supported (want \"llama\")", c.ModelType)
	case c.VocabSize <= 0 || c.Hidden <= 0 || c.Intermediate <= 0 || c.Layers <= 0:
		return fmt.Errorf("llama: config needs positive vocab_size, hidden_size, intermediate_size, num_hidden_layers (got %d, %d, %d, %d)",
			c.VocabSize, c.Hidden, c.Intermediate, c.Layers)
	case c.Heads <= 0 || c.KVHeads <= 0 || c.Heads%c.KVHeads != 0:
		return fmt.Errorf("llama: num_attention_heads %d must be a positive multiple of num_key_value_heads %d", c.Heads, c.KVHeads)
	case c.HeadDim <= 0 || c.HeadDim%2 != 0:
		return fmt.Errorf("llama: head_dim %d must be positive and even", c.HeadDim)
	case c.HiddenAct != "silu":
		return fmt.Errorf("llama: hidden_act %q is not supported (want silu)", c.HiddenAct)
	case c.AttentionBias || c.MLPBias:
		return fmt.Errorf("llama: attention_bias/mlp_bias are not supported")
	case c.RMSNormEps <= 0 || c.RopeTheta <= 0:
		return fmt.Errorf("llama: rms_norm_eps %g and rope_theta %g must be positive", c.RMSNormEps, c.RopeTheta)
	}
	if s := c.RopeScaling; s != nil {
		switch s.kind() {
		case "default", "":
		case "llama3":
			if s.Factor <= 0 || s.HighFreqFactor <= s.LowFreqFactor || s.LowFreqFactor <= 0 || s.OriginalMaxPositionEmbeddings <= 0 {
				return fmt.Errorf("llama: bad llama3 rope_scaling %+v", *s)
			}
		case ropeFactors:
			if len(s.Factors) != c.HeadDim/2 {
				return fmt.Errorf("llama: %d RoPE frequency factors, want head_dim/2 = %d", len(s.Factors), c.HeadDim/2)
			}
			for i, f := range s.Factors {
				if !(f > 0) {
					return fmt.Errorf("llama: RoPE frequency factor %d is %g, want > 0", i, f)
				}
			}
		default:
			return fmt.Errorf("llama: rope_scaling type %q is not supported (want llama3)", s.kind())
		}
	}
	return nil
}

func (s *RopeScaling) kind() string {
	if s.RopeType != "" {
		return s.RopeType
	}
	return s.Type
}

// Params returns the number of parameters of the architecture.
func (c Config) Params() int64 {
	d, f, v := int64(c.Hidden), int64(c.Intermediate), int64(c.VocabSize)
	q, kv := int64(c.Heads*c.HeadDim), int64(c.KVHeads*c.HeadDim)
	layer := 2*d + d*q + 2*d*kv + q*d + 3*d*f
	n := v*d + int64(c.Layers)*layer + d
	if !c.TieWordEmbeddings {
		n += v * d
	}
	return n
}

func llama3Scaling(orig int) *RopeScaling {
	return &RopeScaling{RopeType: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: orig}
}

// Llama32_1B is the configuration of Llama-3.2-1B(-Instruct).
func Llama32_1B() Config {
	return Config{
		VocabSize: 128256, Hidden: 2048, Intermediate: 8192, Layers: 16, Heads: 32, KVHeads: 8, HeadDim: 64,
		MaxPositions: 131072, RMSNormEps: 1e-5, RopeTheta: 500000, RopeScaling: llama3Scaling(8192),
		TieWordEmbeddings: true, HiddenAct: "silu", BOS: TokenIDs{128000}, EOS: TokenIDs{128001, 128008, 128009},
		ModelType: "llama",
	}
}

// Llama32_3B is the configuration of Llama-3.2-3B(-Instruct).
func Llama32_3B() Config {
	c := Llama32_1B()
	c.Hidden, c.Layers, c.Heads, c.HeadDim = 3072, 28, 24, 128
	return c
}

// Tiny is the small decoder shape of llink's embedded default (and of the
// "small" benchmark): d=256, 4 layers, 8 heads (4 kv heads), SwiGLU 688, for
// a vocabulary of vocab tokens.
func Tiny(vocab int) Config {
	return Config{
		VocabSize: vocab, Hidden: 256, Intermediate: 688, Layers: 4, Heads: 8, KVHeads: 4, HeadDim: 32,
		MaxPositions: 1024, RMSNormEps: 1e-5, RopeTheta: 10000, TieWordEmbeddings: true, HiddenAct: "silu",
		ModelType: "llama",
	}
}
