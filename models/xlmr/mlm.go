package xlmr

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// MLM is an encoder with RoBERTa's masked-language-modelling head
// (lm_head: dense → GELU → LayerNorm → decoder tied to the word embeddings
// + bias), every weight a trainable parameter named as in a Hugging Face
// checkpoint. Model is the inference view of the same storage: training
// updates it in place, and a checkpoint of Params loads back through
// [FromCheckpoint] (which ignores lm_head.*).
type MLM struct {
	Model  *Model
	params []*autograd.Var
	p      map[string]*autograd.Var
}

// MLMHeadNames are the Hugging Face names of the MLM head's own tensors
// (the decoder weight is the word embedding table).
var MLMHeadNames = []string{"lm_head.dense.weight", "lm_head.dense.bias", "lm_head.layer_norm.weight", "lm_head.layer_norm.bias", "lm_head.bias"}

// NewMLM returns a randomly initialised encoder of configuration c with its
// MLM head: matrices and embeddings normal(0, 0.02) as BERT initialises
// them, LayerNorm gains one, biases zero.
func NewMLM(c Config, r *rand.Rand) (*MLM, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	names, shapes := TensorNames(c)
	d := c.Hidden
	names = append(names, MLMHeadNames...)
	shapes = append(shapes, []int{d, d}, []int{d}, []int{d}, []int{d}, []int{c.VocabSize})
	m := &MLM{p: map[string]*autograd.Var{}}
	for i, n := range names {
		t := tensor.New(shapes[i]...)
		switch {
		case len(shapes[i]) == 2:
			t = tensor.RandN(r, 0.02, shapes[i]...)
		case isGain(n):
			for j := range t.Data() {
				t.Data()[j] = 1
			}
		}
		v := autograd.NewParam(n, t)
		m.params = append(m.params, v)
		m.p[n] = v
	}
	val := func(n string) *tensor.Tensor { return m.p[n].Value }
	lin := func(n string) Linear { return Linear{W: val(n + ".weight"), B: val(n + ".bias")} }
	norm := func(n string) Norm { return Norm{W: val(n + ".weight"), B: val(n + ".bias")} }
	m.Model = &Model{Config: c, Word: val("embeddings.word_embeddings.weight"), Pos: val("embeddings.position_embeddings.weight"),
		Type: val("embeddings.token_type_embeddings.weight"), EmbNorm: norm("embeddings.LayerNorm")}
	for i := range c.Layers {
		p := fmt.Sprintf("encoder.layer.%d.", i)
		m.Model.Layers = append(m.Model.Layers, &Layer{
			Q: lin(p + "attention.self.query"), K: lin(p + "attention.self.key"), V: lin(p + "attention.self.value"),
			AttnOut: lin(p + "attention.output.dense"), AttnNorm: norm(p + "attention.output.LayerNorm"),
			Inter: lin(p + "intermediate.dense"), Out: lin(p + "output.dense"), OutNorm: norm(p + "output.LayerNorm"),
		})
	}
	return m, nil
}

// isGain reports whether a 1-D tensor's name is a LayerNorm gain's.
func isGain(n string) bool {
	return len(n) > 7 && n[len(n)-7:] == ".weight"
}

// Params returns every parameter: the encoder's in [TensorNames] order,
// then the head's ([MLMHeadNames]).
func (m *MLM) Params() []*autograd.Var { return m.params }

// EncodeTape is the differentiable [Model.Encode]: the last hidden state
// of b as [B·T, d], recorded on tp.
func (m *MLM) EncodeTape(tp *autograd.Tape, b Batch) *autograd.Var {
	c, p := m.Model.Config, m.p
	d, eps := c.Hidden, float32(c.LayerNormEps)
	types := b.Types
	if types == nil {
		types = make([]int, len(b.IDs))
	}
	x := tp.Add(tp.Add(tp.Gather(p["embeddings.word_embeddings.weight"], b.IDs),
		tp.Gather(p["embeddings.position_embeddings.weight"], m.Model.positions(b))),
		tp.Gather(p["embeddings.token_type_embeddings.weight"], types))
	x = tp.LayerNorm(x, p["embeddings.LayerNorm.weight"], p["embeddings.LayerNorm.bias"], eps)
	hd := d / c.Heads
	lin := func(x *autograd.Var, n string) *autograd.Var { return tp.Linear(x, p[n+".weight"], p[n+".bias"]) }
	heads := func(x *autograd.Var) *autograd.Var { return tp.Reshape(x, b.B, b.T, c.Heads, hd) }
	for i := range c.Layers {
		pre := fmt.Sprintf("encoder.layer.%d.", i)
		q, k, v := heads(lin(x, pre+"attention.self.query")), heads(lin(x, pre+"attention.self.key")), heads(lin(x, pre+"attention.self.value"))
		a := tp.Reshape(tp.Attention(q, k, v, autograd.AttnOpts{KeyMask: b.Mask}), b.B*b.T, d)
		x = tp.LayerNorm(tp.Add(x, lin(a, pre+"attention.output.dense")),
			p[pre+"attention.output.LayerNorm.weight"], p[pre+"attention.output.LayerNorm.bias"], eps)
		f := lin(tp.GELU(lin(x, pre+"intermediate.dense")), pre+"output.dense")
		x = tp.LayerNorm(tp.Add(x, f), p[pre+"output.LayerNorm.weight"], p[pre+"output.LayerNorm.bias"], eps)
	}
	return x
}

// LogitsTape applies the MLM head to rows of h (flat token indices of an
// [EncodeTape] output) and returns their vocabulary logits [len(rows), V].
func (m *MLM) LogitsTape(tp *autograd.Tape, h *autograd.Var, rows []int) *autograd.Var {
	p, eps := m.p, float32(m.Model.Config.LayerNormEps)
	x := tp.GELU(tp.Linear(tp.Gather(h, rows), p["lm_head.dense.weight"], p["lm_head.dense.bias"]))
	x = tp.LayerNorm(x, p["lm_head.layer_norm.weight"], p["lm_head.layer_norm.bias"], eps)
	return tp.Linear(x, p["embeddings.word_embeddings.weight"], p["lm_head.bias"])
}

// MaskConfig is BERT's masking recipe.
type MaskConfig struct {
	// Prob is the share of eligible tokens chosen (default 0.15). Of those,
	// 80% become MaskID, 10% a random token, 10% stay as they are.
	Prob   float64
	MaskID int
	// Special reports ids that are never chosen nor drawn as random
	// replacements (<s>, </s>, <pad>, <unk>, <mask>).
	Special func(id int) bool
	// VocabSize bounds the random replacements.
	VocabSize int
}

// MaskTokens chooses tokens of b to predict (real, non-special tokens, each
// with probability c.Prob, at least one per batch when any is eligible),
// corrupts them in b.IDs in place (80/10/10), and returns their flat
// indices and original ids. r makes it reproducible.
func MaskTokens(b *Batch, c MaskConfig, r *rand.Rand) (rows, targets []int) {
	if c.Prob == 0 {
		c.Prob = 0.15
	}
	special := func(id int) bool { return c.Special != nil && c.Special(id) }
	var eligible []int
	for i, id := range b.IDs {
		if (b.Mask == nil || b.Mask[i]) && !special(id) {
			eligible = append(eligible, i)
			if r.Float64() < c.Prob {
				rows = append(rows, i)
			}
		}
	}
	if len(rows) == 0 && len(eligible) > 0 {
		rows = append(rows, eligible[r.IntN(len(eligible))])
	}
	targets = make([]int, len(rows))
	for k, i := range rows {
		targets[k] = b.IDs[i]
		switch u := r.Float64(); {
		case u < 0.8:
			b.IDs[i] = c.MaskID
		case u < 0.9:
			id := r.IntN(c.VocabSize)
			for tries := 0; special(id) && tries < 100; tries++ {
				id = r.IntN(c.VocabSize)
			}
			if !special(id) {
				b.IDs[i] = id
			}
		}
	}
	return rows, targets
}

// MLMFromCheckpoint builds the encoder and its MLM head from src (tensors
// named as [MLM.Params] names them, e.g. a folder written by llink
// pretrain encoder), to continue training or to measure MLM loss.
func MLMFromCheckpoint(cfg Config, src Source) (*MLM, error) {
	m, err := NewMLM(cfg, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	for _, p := range m.params {
		info, ok := src.Info(p.Name)
		if !ok {
			return nil, fmt.Errorf("xlmr: checkpoint lacks %s", p.Name)
		}
		if !slices.Equal(info.Shape, p.Shape()) {
			return nil, fmt.Errorf("xlmr: tensor %s has shape %v, want %v", p.Name, info.Shape, p.Shape())
		}
		w, err := src.Float32(p.Name)
		if err != nil {
			return nil, err
		}
		copy(p.Data(), w)
	}
	return m, nil
}
