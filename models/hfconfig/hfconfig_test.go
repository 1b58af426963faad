package hfconfig

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/llink-go/llink/models/gguf"
)

// llama32Config is Llama-3.2-1B-Instruct's config.json as published.
const llama32Config = `{
  "architectures": ["LlamaForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": 128000,
  "eos_token_id": [128001, 128008, 128009],
  "head_dim": 64,
  "hidden_act": "silu",
  "hidden_size": 2048,
  "initializer_range": 0.02,
  "intermediate_size": 8192,
  "max_position_embeddings": 131072,
  "mlp_bias": false,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 16,
  "num_key_value_heads": 8,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
    "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "rope_theta": 500000.0,
  "tie_word_embeddings": true,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.45.0.dev0",
  "use_cache": true,
  "vocab_size": 128256
}`

const xlmrConfig = `{
  "architectures": ["XLMRobertaForMaskedLM"],
  "attention_probs_dropout_prob": 0.1, "bos_token_id": 0, "eos_token_id": 2,
  "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768,
  "initializer_range": 0.02, "intermediate_size": 3072, "layer_norm_eps": 1e-05,
  "max_position_embeddings": 514, "model_type": "xlm-roberta", "num_attention_heads": 12,
  "num_hidden_layers": 12, "output_past": true, "pad_token_id": 1,
  "position_embedding_type": "absolute", "transformers_version": "4.17.0.dev0",
  "type_vocab_size": 1, "use_cache": true, "vocab_size": 250002
}`

func TestLlamaMatchesPreset(t *testing.T) {
	c, err := ParseLlama([]byte(llama32Config), "config.json")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Llama32_1B()) {
		t.Errorf("parsed\n%+v\npreset\n%+v", c, Llama32_1B())
	}
	if err := Llama32_3B().Validate(); err != nil {
		t.Error(err)
	}
	if c3 := Llama32_3B(); c3.HiddenSize/c3.NumHeads != c3.HeadDim {
		t.Error("3B head_dim")
	}
}

func TestEncoderMatchesPreset(t *testing.T) {
	c, err := ParseEncoder([]byte(xlmrConfig), "config.json")
	if err != nil {
		t.Fatal(err)
	}
	want := XLMRBase()
	want.TorchDType = ""
	if !reflect.DeepEqual(c, want) {
		t.Errorf("parsed\n%+v\npreset\n%+v", c, want)
	}
	if c.MaxSequenceLength() != 512 || c.GELUTanh() {
		t.Errorf("max seq %d", c.MaxSequenceLength())
	}
}

func TestDefaults(t *testing.T) {
	c, err := ParseLlama([]byte(`{"vocab_size":100,"hidden_size":64,"intermediate_size":128,
		"num_hidden_layers":2,"num_attention_heads":4,"eos_token_id":2,"bos_token_id":null,"unknown":{"x":[1]}}`), "c.json")
	if err != nil {
		t.Fatal(err)
	}
	if c.NumKVHeads != 4 || c.HeadDim != 16 || c.RopeTheta != 10000 || c.RMSNormEps != 1e-6 || c.RopeScaling != nil ||
		c.BOSTokenID != -1 || !reflect.DeepEqual(c.EOSTokenIDs, []int{2}) || c.TieWordEmbeddings {
		t.Errorf("defaults = %+v", c)
	}
	// transformers v5 nests rope_theta and the scaling in rope_parameters.
	c, err = ParseLlama([]byte(`{"vocab_size":100,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,
		"num_attention_heads":4,"rope_parameters":{"rope_theta":500000,"rope_type":"llama3","factor":8,
		"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":8192}}`), "c.json")
	if err != nil {
		t.Fatal(err)
	}
	if c.RopeTheta != 500000 || c.RopeScaling == nil || c.RopeScaling.Factor != 8 {
		t.Errorf("rope_parameters = %+v %+v", c, c.RopeScaling)
	}
	bert, err := ParseEncoder([]byte(`{"model_type":"bert","vocab_size":100,"hidden_size":32,"num_hidden_layers":1,
		"num_attention_heads":2,"intermediate_size":64,"max_position_embeddings":24}`), "b.json")
	if err != nil {
		t.Fatal(err)
	}
	if bert.PositionOffset != 0 || bert.TypeVocabSize != 2 || bert.LayerNormEps != 1e-12 || bert.PadTokenID != 0 || bert.HiddenAct != "gelu" {
		t.Errorf("bert defaults = %+v", bert)
	}
}

func TestBadConfigs(t *testing.T) {
	base := map[string]string{
		"vocab_size": "100", "hidden_size": "64", "intermediate_size": "128",
		"num_hidden_layers": "2", "num_attention_heads": "4",
	}
	mk := func(edit map[string]string) []byte {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range edit {
			if v == "" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		var parts []string
		for k, v := range m {
			parts = append(parts, `"`+k+`":`+v)
		}
		return []byte("{" + strings.Join(parts, ",") + "}")
	}
	llama := []struct {
		name string
		edit map[string]string
		want string
	}{
		{"missing hidden", map[string]string{"hidden_size": ""}, `"hidden_size": missing required key`},
		{"missing layers", map[string]string{"num_hidden_layers": ""}, `"num_hidden_layers": missing required key`},
		{"string size", map[string]string{"hidden_size": `"64"`}, `"hidden_size": want an integer`},
		{"fraction", map[string]string{"vocab_size": `100.5`}, `"vocab_size": want an integer`},
		{"heads divide", map[string]string{"num_attention_heads": "5"}, `"num_attention_heads": 5 does not divide`},
		{"kv divide", map[string]string{"num_key_value_heads": "3"}, `"num_key_value_heads": 3 does not divide`},
		{"zero layers", map[string]string{"num_hidden_layers": "0"}, `"num_hidden_layers": must be positive`},
		{"negative", map[string]string{"intermediate_size": "-1"}, `"intermediate_size": must be positive`},
		{"eps", map[string]string{"rms_norm_eps": "0"}, `"rms_norm_eps": must be positive`},
		{"model type", map[string]string{"model_type": `"mistral"`}, `"model_type": "mistral" is not a Llama`},
		{"rope type", map[string]string{"rope_scaling": `{"rope_type":"yarn","factor":2}`}, `"rope_scaling.rope_type": RoPE scaling "yarn"`},
		{"llama3 missing", map[string]string{"rope_scaling": `{"rope_type":"llama3","factor":32}`}, `"rope_scaling.low_freq_factor": missing required key`},
		{"llama3 order", map[string]string{"rope_scaling": `{"rope_type":"llama3","factor":32,"low_freq_factor":4,"high_freq_factor":1,"original_max_position_embeddings":8192}`}, `"rope_scaling.high_freq_factor"`},
		{"eos range", map[string]string{"eos_token_id": "[1, 100]"}, `"eos_token_id": token id 100`},
		{"eos type", map[string]string{"eos_token_id": `"x"`}, `"eos_token_id": want an integer`},
		{"tie type", map[string]string{"tie_word_embeddings": `1`}, `"tie_word_embeddings": want true or false`},
		{"act", map[string]string{"hidden_act": `"gelu"`}, `"hidden_act"`},
	}
	for _, c := range llama {
		_, err := ParseLlama(mk(c.edit), "dir/config.json")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "dir/config.json") {
			t.Errorf("%s: error %v, want %q and the file", c.name, err, c.want)
		}
	}
	for _, bad := range []string{`[1,2]`, `{"a":`, `null`} {
		if _, err := ParseLlama([]byte(bad), "x.json"); err == nil || !strings.Contains(err.Error(), "x.json") {
			t.Errorf("%s: error %v", bad, err)
		}
	}
	base = map[string]string{"model_type": `"xlm-roberta"`, "vocab_size": "100", "hidden_size": "48", "num_hidden_layers": "2",
		"num_attention_heads": "4", "intermediate_size": "96", "max_position_embeddings": "40"}
	enc := []struct {
		name string
		edit map[string]string
		want string
	}{
		{"no type", map[string]string{"model_type": ""}, `"model_type": missing required key`},
		{"bad type", map[string]string{"model_type": `"t5"`}, `"model_type": "t5" is not supported`},
		{"missing max pos", map[string]string{"max_position_embeddings": ""}, `"max_position_embeddings": missing`},
		{"heads", map[string]string{"num_attention_heads": "5"}, `"num_attention_heads": 5 does not divide`},
		{"act", map[string]string{"hidden_act": `"swish"`}, `"hidden_act": "swish" is not supported`},
		{"pad", map[string]string{"pad_token_id": "100"}, `"pad_token_id": 100 is outside`},
		{"offset", map[string]string{"max_position_embeddings": "2"}, `"max_position_embeddings": 2 leaves no positions`},
		{"pos type", map[string]string{"position_embedding_type": `"relative_key"`}, `"position_embedding_type"`},
		{"eps", map[string]string{"layer_norm_eps": `-1`}, `"layer_norm_eps": must be positive`},
	}
	for _, c := range enc {
		_, err := ParseEncoder(mk(c.edit), "enc/config.json")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "enc/config.json") {
			t.Errorf("%s: error %v, want %q and the file", c.name, err, c.want)
		}
	}
}

// TestFixtures loads the configs written by transformers in models/testdata.
func TestFixtures(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/*/config.json")
	if len(dirs) == 0 {
		t.Skip("no fixtures under models/testdata")
	}
	for _, path := range dirs {
		data, _ := os.ReadFile(path)
		var err error
		if strings.Contains(string(data), `"llama"`) {
			var c *Llama
			c, err = LoadLlama(filepath.Dir(path))
			if err == nil && strings.Contains(path, "tied") && !strings.Contains(path, "untied") && (!c.TieWordEmbeddings || c.RopeScaling == nil) {
				t.Errorf("%s: %+v", path, c)
			}
		} else {
			var c *Encoder
			c, err = LoadEncoder(path)
			if err == nil && c.ModelType == "xlm-roberta" && c.PositionOffset != 2 {
				t.Errorf("%s: position offset %d", path, c.PositionOffset)
			}
		}
		if err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

func TestLlamaFromGGUF(t *testing.T) {
	build := func(edit func(w *gguf.Writer)) (*gguf.File, error) {
		w := gguf.NewWriter()
		w.Set("general.architecture", gguf.NewString("llama"))
		w.Set("llama.embedding_length", gguf.NewUint32(2048))
		w.Set("llama.block_count", gguf.NewUint32(16))
		w.Set("llama.feed_forward_length", gguf.NewUint32(8192))
		w.Set("llama.attention.head_count", gguf.NewUint32(32))
		w.Set("llama.attention.head_count_kv", gguf.NewUint32(8))
		w.Set("llama.rope.freq_base", gguf.NewFloat32(500000))
		w.Set("llama.attention.layer_norm_rms_epsilon", gguf.NewFloat32(1e-5))
		w.Set("llama.context_length", gguf.NewUint32(131072))
		w.Set("llama.rope.dimension_count", gguf.NewUint32(64))
		w.Set("llama.vocab_size", gguf.NewUint32(128256))
		w.Set("tokenizer.ggml.bos_token_id", gguf.NewUint32(128000))
		w.Set("tokenizer.ggml.eos_token_id", gguf.NewUint32(128009))
		w.AddFloat32(RopeFreqsTensor, []int{32}, make([]float32, 32), gguf.F32)
		if edit != nil {
			edit(w)
		}
		path := filepath.Join(t.TempDir(), "m.gguf")
		if err := w.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f, nil
	}
	f, _ := build(nil)
	c, err := LlamaFromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	want := Llama32_1B()
	want.RopeScaling = nil
	want.RopeFreqsTensor = RopeFreqsTensor
	want.EOSTokenIDs = []int{128009}
	want.TorchDType = ""
	want.RMSNormEps = float64(float32(1e-5))
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got\n%+v\nwant\n%+v", c, want)
	}
	// A wrongly typed key is an error naming it.
	f, _ = build(func(w *gguf.Writer) {
		w.AddFloat32("output.weight", []int{1}, []float32{1}, gguf.F32)
		w.Set("llama.vocab_size", gguf.NewString("oops"))
	})
	if _, err := LlamaFromGGUF(f); err == nil || !strings.Contains(err.Error(), `"llama.vocab_size": want a non-negative integer`) {
		t.Errorf("vocab type error = %v", err)
	}
	bad := []struct {
		name string
		edit func(w *gguf.Writer)
		want string
	}{
		{"arch", func(w *gguf.Writer) { w.Set("general.architecture", gguf.NewString("bert")) }, `architecture "bert" is not llama`},
		{"heads", func(w *gguf.Writer) { w.Set("llama.attention.head_count_kv", gguf.NewUint32(5)) }, `"num_key_value_heads": 5 does not divide`},
		{"neg", func(w *gguf.Writer) { w.Set("llama.block_count", gguf.NewInt32(-1)) }, `"llama.block_count": want a non-negative integer`},
		{"scaling", func(w *gguf.Writer) { w.Set("llama.rope.scaling.type", gguf.NewString("yarn")) }, `RoPE scaling "yarn"`},
	}
	for _, b := range bad {
		f, _ := build(b.edit)
		_, err := LlamaFromGGUF(f)
		if err == nil || !strings.Contains(err.Error(), b.want) || !strings.Contains(err.Error(), f.Name()) {
			t.Errorf("%s: error %v, want %q", b.name, err, b.want)
		}
	}
	f, _ = build(func(w *gguf.Writer) {
		w.AddFloat32("output.weight", []int{1}, []float32{1}, gguf.F32)
		w.Set("llama.vocab_size", gguf.NewUint32(128256))
	})
	if c, err := LlamaFromGGUF(f); err != nil || c.TieWordEmbeddings {
		t.Errorf("untied: %v %v", c, err)
	}
}

// TestConfigSizeCap: a config that never ends (/dev/zero, here behind a
// config.json symlink) or is over the cap is refused without being read
// whole.
func TestConfigSizeCap(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "config.json")); err != nil {
		t.Skip(err)
	}
	big := filepath.Join(t.TempDir(), "config.json")
	os.WriteFile(big, []byte(`{"model_type": "llama"`), 0o644)
	os.Truncate(big, MaxConfigSize+1) // sparse: refused by its size before any read
	llama := func(p string) error { _, err := LoadLlama(p); return err }
	encoder := func(p string) error { _, err := LoadEncoder(p); return err }
	for _, c := range []struct {
		path string
		load func(string) error
	}{{dir, llama}, {"/dev/zero", encoder}, {big, llama}, {big, encoder}} {
		err := c.load(c.path)
		if err == nil || !strings.Contains(err.Error(), "file too large: more than 16 MiB, the limit for a config.json") {
			t.Errorf("loading %s = %v, want the size limit", c.path, err)
		}
	}
}
