package xlmr

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/tensor"
)

// Source is a set of named tensors (a safetensors checkpoint).
type Source interface {
	Names() []string
	Info(name string) (safetensors.TensorInfo, bool)
	Float32(name string) ([]float32, error)
}

// Load reads a Hugging Face BERT-family folder (config.json and
// model.safetensors, possibly sharded).
//
// Tensor names, with P the prefix ("" for XLMRobertaModel/BertModel
// checkpoints such as multilingual-E5, "roberta." or "bert." for the
// ForMaskedLM/ForPreTraining checkpoints such as xlm-roberta-base), L the
// layer, d hidden_size, F intermediate_size:
//
//	P embeddings.word_embeddings.weight                 [vocab, d]   Model.Word
//	P embeddings.position_embeddings.weight             [max pos, d] Model.Pos
//	P embeddings.token_type_embeddings.weight           [types, d]   Model.Type
//	P embeddings.LayerNorm.{weight,bias}                [d]          Model.EmbNorm
//	P encoder.layer.L.attention.self.query.{weight,bias}  [d, d], [d]  Layer.Q
//	P encoder.layer.L.attention.self.key.{weight,bias}    [d, d], [d]  Layer.K
//	P encoder.layer.L.attention.self.value.{weight,bias}  [d, d], [d]  Layer.V
//	P encoder.layer.L.attention.output.dense.{weight,bias} [d, d], [d] Layer.AttnOut
//	P encoder.layer.L.attention.output.LayerNorm.{weight,bias} [d]    Layer.AttnNorm
//	P encoder.layer.L.intermediate.dense.{weight,bias}    [F, d], [F]  Layer.Inter
//	P encoder.layer.L.output.dense.{weight,bias}          [d, F], [d]  Layer.Out
//	P encoder.layer.L.output.LayerNorm.{weight,bias}      [d]          Layer.OutNorm
//	P pooler.dense.{weight,bias}                          [d, d], [d]  Model.Pooler (optional)
//
// The pre-training heads (lm_head.*, cls.*) and the P embeddings.position_ids
// buffer are ignored. Every other unexpected tensor, every missing one and
// every shape mismatch is reported by name in one error.
func Load(dir string) (*Model, error) {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	ck, err := safetensors.OpenCheckpoint(dir)
	if err != nil {
		return nil, fmt.Errorf("xlmr: %w", err)
	}
	defer ck.Close()
	m, err := FromCheckpoint(cfg, ck)
	if err != nil {
		return nil, fmt.Errorf("xlmr: %s: %w", dir, err)
	}
	return m, nil
}

// TensorNames returns the names (without a model prefix) and shapes of the
// tensors a checkpoint of configuration c must hold, in a fixed order.
func TensorNames(c Config) (names []string, shapes [][]int) {
	d, f := c.Hidden, c.Intermediate
	add := func(n string, s ...int) { names, shapes = append(names, n), append(shapes, s) }
	add("embeddings.word_embeddings.weight", c.VocabSize, d)
	add("embeddings.position_embeddings.weight", c.MaxPositions, d)
	add("embeddings.token_type_embeddings.weight", c.TypeVocabSize, d)
	add("embeddings.LayerNorm.weight", d)
	add("embeddings.LayerNorm.bias", d)
	for i := range c.Layers {
		p := fmt.Sprintf("encoder.layer.%d.", i)
		for _, n := range []string{"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"} {
			add(p+n+".weight", d, d)
			add(p+n+".bias", d)
		}
		add(p+"attention.output.LayerNorm.weight", d)
		add(p+"attention.output.LayerNorm.bias", d)
		add(p+"intermediate.dense.weight", f, d)
		add(p+"intermediate.dense.bias", f)
		add(p+"output.dense.weight", d, f)
		add(p+"output.dense.bias", d)
		add(p+"output.LayerNorm.weight", d)
		add(p+"output.LayerNorm.bias", d)
	}
	return names, shapes
}

// FromCheckpoint builds a model of configuration cfg from src, checking
// names and shapes as [Load] documents.
func FromCheckpoint(cfg Config, src Source) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	prefix := ""
	for _, p := range []string{"", "roberta.", "bert.", "xlm-roberta.", "model."} {
		if _, ok := src.Info(p + "embeddings.word_embeddings.weight"); ok {
			prefix = p
			break
		}
	}
	names, shapes := TensorNames(cfg)
	want := map[string][]int{}
	for i, n := range names {
		want[prefix+n] = shapes[i]
	}
	_, hasPW := src.Info(prefix + "pooler.dense.weight")
	_, hasPB := src.Info(prefix + "pooler.dense.bias")
	if hasPW || hasPB {
		want[prefix+"pooler.dense.weight"] = []int{cfg.Hidden, cfg.Hidden}
		want[prefix+"pooler.dense.bias"] = []int{cfg.Hidden}
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
		case ok, strings.HasPrefix(n, "lm_head."), strings.HasPrefix(n, "cls."), n == prefix+"embeddings.position_ids":
		default:
			errs = append(errs, fmt.Errorf("unexpected tensor %s %v", n, info.Shape))
		}
	}
	var missing []string
	for n := range want {
		if _, ok := src.Info(n); !ok {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	for _, n := range missing {
		errs = append(errs, fmt.Errorf("missing tensor %s %v", n, want[n]))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	get := func(n string) *tensor.Tensor {
		n = prefix + n
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
	lin := func(n string) Linear { return Linear{W: get(n + ".weight"), B: get(n + ".bias")} }
	norm := func(n string) Norm { return Norm{W: get(n + ".weight"), B: get(n + ".bias")} }
	m := &Model{
		Config:  cfg,
		Word:    get("embeddings.word_embeddings.weight"),
		Pos:     get("embeddings.position_embeddings.weight"),
		Type:    get("embeddings.token_type_embeddings.weight"),
		EmbNorm: norm("embeddings.LayerNorm"),
	}
	for i := range cfg.Layers {
		p := fmt.Sprintf("encoder.layer.%d.", i)
		m.Layers = append(m.Layers, &Layer{
			Q: lin(p + "attention.self.query"), K: lin(p + "attention.self.key"), V: lin(p + "attention.self.value"),
			AttnOut: lin(p + "attention.output.dense"), AttnNorm: norm(p + "attention.output.LayerNorm"),
			Inter: lin(p + "intermediate.dense"), Out: lin(p + "output.dense"), OutNorm: norm(p + "output.LayerNorm"),
		})
	}
	if hasPW {
		p := lin("pooler.dense")
		m.Pooler = &p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}
