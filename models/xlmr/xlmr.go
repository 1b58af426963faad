// Package xlmr implements the BERT-family encoder as Hugging Face computes
// it, covering XLM-RoBERTa / RoBERTa (multilingual-E5, xlm-roberta-base) and
// BERT (LaBSE, mBERT) through the config: word + absolute position +
// token-type embeddings and LayerNorm, post-LN transformer blocks with exact
// (erf) GELU, a padding mask, and the poolers LLINK uses — masked mean
// pooling of the last hidden state, the CLS vector, and BERT's pooler
// (dense + tanh on CLS).
//
// XLM-R and RoBERTa number positions from padding_idx+1 and give padding
// tokens padding_idx (create_position_ids_from_input_ids); BERT numbers them
// 0..T−1.
//
//	m, err := xlmr.Load("path/to/xlm-roberta-base")
//	b := xlmr.PadRight([][]int{ids1, ids2}, m.Config.PadTokenID)
//	h := m.Encode(b)                  // [B, T, d] last hidden state
//	v := xlmr.MeanPool(h, b.Mask)     // [B, d] sentence vectors
package xlmr

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/models/hfconfig"
	"github.com/llink-go/llink/tensor"
)

// Config is a BERT-family config.json (the JSON tags are its keys).
type Config struct {
	ModelType     string  `json:"model_type"`
	VocabSize     int     `json:"vocab_size"`
	Hidden        int     `json:"hidden_size"`
	Layers        int     `json:"num_hidden_layers"`
	Heads         int     `json:"num_attention_heads"`
	Intermediate  int     `json:"intermediate_size"`
	HiddenAct     string  `json:"hidden_act"`
	MaxPositions  int     `json:"max_position_embeddings"`
	TypeVocabSize int     `json:"type_vocab_size"`
	LayerNormEps  float64 `json:"layer_norm_eps"`
	PadTokenID    int     `json:"pad_token_id"`
	PositionType  string  `json:"position_embedding_type"`
	BOSTokenID    *int    `json:"bos_token_id"`
	EOSTokenID    *int    `json:"eos_token_id"`
}

// ParseConfig decodes a config.json through [hfconfig.ParseEncoder] (the
// one parser of BERT-family configs: typed keys, transformers' defaults
// for the model type, errors naming the key) and validates it for this
// package (GELU, absolute positions).
func ParseConfig(data []byte) (Config, error) {
	h, err := hfconfig.ParseEncoder(data, "config.json")
	if err != nil {
		return Config{}, fmt.Errorf("xlmr: %w", err)
	}
	return FromHFConfig(h)
}

// FromHFConfig converts a parsed encoder config to a Config.
func FromHFConfig(h *hfconfig.Encoder) (Config, error) {
	c := Config{ModelType: h.ModelType, VocabSize: h.VocabSize, Hidden: h.HiddenSize, Layers: h.NumLayers,
		Heads: h.NumHeads, Intermediate: h.IntermediateSize, HiddenAct: h.HiddenAct, MaxPositions: h.MaxPositionEmbeddings,
		TypeVocabSize: h.TypeVocabSize, LayerNormEps: h.LayerNormEps, PadTokenID: h.PadTokenID, PositionType: "absolute"}
	if h.BOSTokenID >= 0 {
		c.BOSTokenID = &h.BOSTokenID
	}
	if h.EOSTokenID >= 0 {
		c.EOSTokenID = &h.EOSTokenID
	}
	return c, c.Validate()
}

// ReadConfig reads and parses dir/config.json.
func ReadConfig(dir string) (Config, error) {
	b, err := hfconfig.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return Config{}, fmt.Errorf("xlmr: %w", err)
	}
	return ParseConfig(b)
}

// Validate reports the first inconsistency of c.
func (c Config) Validate() error {
	switch {
	case c.VocabSize <= 0 || c.Hidden <= 0 || c.Layers <= 0 || c.Intermediate <= 0 || c.MaxPositions <= 0:
		return fmt.Errorf("xlmr: config needs positive vocab_size, hidden_size, num_hidden_layers, intermediate_size, max_position_embeddings")
	case c.Heads <= 0 || c.Hidden%c.Heads != 0:
		return fmt.Errorf("xlmr: hidden_size %d not divisible by num_attention_heads %d", c.Hidden, c.Heads)
	case c.HiddenAct != "gelu":
		return fmt.Errorf("xlmr: hidden_act %q is not supported (want gelu)", c.HiddenAct)
	case c.PositionType != "absolute":
		return fmt.Errorf("xlmr: position_embedding_type %q is not supported (want absolute)", c.PositionType)
	case c.TypeVocabSize <= 0:
		return fmt.Errorf("xlmr: type_vocab_size %d must be positive", c.TypeVocabSize)
	}
	return nil
}

// RobertaPositions reports whether positions start at padding_idx+1 (the
// RoBERTa family) rather than 0 (BERT).
func (c Config) RobertaPositions() bool {
	switch c.ModelType {
	case "xlm-roberta", "roberta", "camembert", "xlm-roberta-xl":
		return true
	}
	return false
}

// XLMRBase is the configuration of xlm-roberta-base (and multilingual-e5-base).
func XLMRBase() Config {
	bos, eos := 0, 2
	return Config{
		ModelType: "xlm-roberta", VocabSize: 250002, Hidden: 768, Layers: 12, Heads: 12, Intermediate: 3072,
		HiddenAct: "gelu", MaxPositions: 514, TypeVocabSize: 1, LayerNormEps: 1e-5, PadTokenID: 1,
		PositionType: "absolute", BOSTokenID: &bos, EOSTokenID: &eos,
	}
}

// Tiny is the small encoder shape of llink's embedded default: d=128,
// 2 layers, 4 heads, for a vocabulary of vocab tokens.
func Tiny(vocab int) Config {
	bos, eos := 0, 2
	return Config{
		ModelType: "xlm-roberta", VocabSize: vocab, Hidden: 128, Layers: 2, Heads: 4, Intermediate: 512,
		HiddenAct: "gelu", MaxPositions: 258, TypeVocabSize: 1, LayerNormEps: 1e-5, PadTokenID: 1,
		PositionType: "absolute", BOSTokenID: &bos, EOSTokenID: &eos,
	}
}

// Linear is a PyTorch Linear: y = x·Wᵀ + b with W [out, in].
type Linear struct {
	W, B *tensor.Tensor
}

func (l *Linear) applyInto(dst, x []float32, rows int) {
	out, in := l.W.Dim(0), l.W.Dim(1)
	asm.Sgemm(false, true, rows, out, in, 1, x, in, l.W.Data(), in, 0, dst, out)
	for r := range rows {
		asm.Add(dst[r*out:(r+1)*out], dst[r*out:(r+1)*out], l.B.Data())
	}
}

// Norm is a LayerNorm's gain and bias.
type Norm struct {
	W, B *tensor.Tensor
}

func (n *Norm) applyRows(dst, x []float32, d int, eps float32) {
	for r := 0; r < len(x)/d; r++ {
		asm.LayerNorm(dst[r*d:(r+1)*d], x[r*d:(r+1)*d], n.W.Data(), n.B.Data(), eps)
	}
}

// Layer is one post-LN encoder block.
type Layer struct {
	Q, K, V, AttnOut Linear
	AttnNorm         Norm
	Inter, Out       Linear
	OutNorm          Norm
}

// Model is a BERT-family encoder with its weights.
type Model struct {
	Config  Config
	Word    *tensor.Tensor // [vocab, d]
	Pos     *tensor.Tensor // [max positions, d]
	Type    *tensor.Tensor // [type vocab, d]
	EmbNorm Norm
	Layers  []*Layer
	// Pooler is BERT's dense layer applied (with tanh) to the CLS vector;
	// nil when the checkpoint has none.
	Pooler *Linear
}

// Batch is a rectangular batch of B sequences of T tokens (see PadRight).
type Batch struct {
	B, T int
	IDs  []int  // [B·T]
	Mask []bool // [B·T]: real token; nil = all real
	// Types are the token type ids [B·T]; nil means all 0.
	Types []int
}

// PadRight packs seqs into a batch padded on the right with pad.
func PadRight(seqs [][]int, pad int) Batch {
	t := 0
	for _, s := range seqs {
		t = max(t, len(s))
	}
	b := Batch{B: len(seqs), T: t, IDs: make([]int, len(seqs)*t), Mask: make([]bool, len(seqs)*t)}
	for i, s := range seqs {
		for j := range t {
			b.IDs[i*t+j] = pad
		}
		copy(b.IDs[i*t:], s)
		for j := range s {
			b.Mask[i*t+j] = true
		}
	}
	return b
}

// positions returns the position id of every token.
func (m *Model) positions(b Batch) []int {
	pos := make([]int, b.B*b.T)
	pad := m.Config.PadTokenID
	for r := range b.B {
		n := 0
		for t := range b.T {
			i := r*b.T + t
			if !m.Config.RobertaPositions() {
				pos[i] = t
				continue
			}
			// create_position_ids_from_input_ids: by id, not by mask.
			if b.IDs[i] != pad {
				n++
				pos[i] = pad + n
			} else {
				pos[i] = pad
			}
		}
	}
	return pos
}

// Encode returns the last hidden state [B, T, d] of the batch. Rows at
// padding positions are computed (as Hugging Face does) but meaningless.
func (m *Model) Encode(b Batch) *tensor.Tensor { return m.encode(b, false) }

// EncodeLayerMean returns the mean over the hidden states of every layer —
// the embedding output and each block's output — [B, T, d]: for pooling a
// sentence vector that keeps the lexical detail of the lower layers
// (mean-pooled, the "average of layers" sentence embedding of an MLM
// encoder). Padding rows are meaningless, as in [Model.Encode].
func (m *Model) EncodeLayerMean(b Batch) *tensor.Tensor { return m.encode(b, true) }

func (m *Model) encode(b Batch, layerMean bool) *tensor.Tensor {
	c := m.Config
	d, N := c.Hidden, b.B*b.T
	if len(b.IDs) != N || (b.Mask != nil && len(b.Mask) != N) || (b.Types != nil && len(b.Types) != N) {
		panic(fmt.Sprintf("xlmr.Encode: ids/mask/types lengths %d/%d/%d for a [%d, %d] batch", len(b.IDs), len(b.Mask), len(b.Types), b.B, b.T))
	}
	eps := float32(c.LayerNormEps)
	pos := m.positions(b)
	h := make([]float32, N*d)
	for i, id := range b.IDs {
		typ := 0
		if b.Types != nil {
			typ = b.Types[i]
		}
		if id < 0 || id >= c.VocabSize || pos[i] >= c.MaxPositions || typ < 0 || typ >= c.TypeVocabSize {
			panic(fmt.Sprintf("xlmr.Encode: token %d (id %d, position %d, type %d) outside the embedding tables", i, id, pos[i], typ))
		}
		row := h[i*d : (i+1)*d]
		asm.Add(row, m.Word.Row(id), m.Type.Row(typ))
		asm.Add(row, row, m.Pos.Row(pos[i]))
	}
	m.EmbNorm.applyRows(h, h, d, eps)
	var acc []float32
	if layerMean {
		acc = slices.Clone(h)
	}
	q := make([]float32, N*d)
	k := make([]float32, N*d)
	v := make([]float32, N*d)
	a := make([]float32, N*d)
	f := make([]float32, N*c.Intermediate)
	for _, l := range m.Layers {
		l.Q.applyInto(q, h, N)
		l.K.applyInto(k, h, N)
		l.V.applyInto(v, h, N)
		m.attention(a, q, k, v, b)
		l.AttnOut.applyInto(q, a, N)
		asm.Add(q, q, h)
		l.AttnNorm.applyRows(h, q, d, eps)
		l.Inter.applyInto(f, h, N)
		asm.GELU(f, f)
		l.Out.applyInto(q, f, N)
		asm.Add(q, q, h)
		l.OutNorm.applyRows(h, q, d, eps)
		if layerMean {
			asm.Add(acc, acc, h)
		}
	}
	if layerMean {
		asm.Scale(1/float32(len(m.Layers)+1), acc)
		h = acc
	}
	return tensor.FromSlice(h, b.B, b.T, d)
}

// attention is bidirectional multi-head attention with the key padding mask.
func (m *Model) attention(dst, q, k, v []float32, b Batch) {
	c := m.Config
	H, d := c.Heads, c.Hidden
	hd := d / H
	T := b.T
	scale := float32(1 / math.Sqrt(float64(hd)))
	negInf := float32(math.Inf(-1))
	tensor.Parallel(b.B*H, func(i int) {
		r, h := i/H, i%H
		off := r*T*d + h*hd
		sc := make([]float32, T*T)
		asm.Sgemm(false, true, T, T, hd, scale, q[off:], d, k[off:], d, 0, sc, T)
		for t := range T {
			row := sc[t*T : (t+1)*T]
			if b.Mask != nil {
				for j := range row {
					if !b.Mask[r*T+j] {
						row[j] = negInf
					}
				}
			}
			asm.Softmax(row)
		}
		asm.Sgemm(false, false, T, hd, T, 1, sc, T, v[off:], d, 0, dst[off:], d)
	})
}

// MeanPool returns the mean of h [B, T, d] over the real tokens of each row
// (mask [B·T], nil = all real): [B, d]. A row without real tokens pools to 0.
func MeanPool(h *tensor.Tensor, mask []bool) *tensor.Tensor {
	B, T, d := h.Dim(0), h.Dim(1), h.Dim(2)
	out := tensor.New(B, d)
	for r := range B {
		n := 0
		dst := out.Row(r)
		for t := range T {
			if mask == nil || mask[r*T+t] {
				asm.Add(dst, dst, h.Data()[(r*T+t)*d:(r*T+t+1)*d])
				n++
			}
		}
		if n > 0 {
			asm.Scale(1/float32(n), dst)
		}
	}
	return out
}

// CLS returns the first token's hidden state of each row: [B, d].
func CLS(h *tensor.Tensor) *tensor.Tensor {
	B, T, d := h.Dim(0), h.Dim(1), h.Dim(2)
	out := tensor.New(B, d)
	for r := range B {
		copy(out.Row(r), h.Data()[r*T*d:r*T*d+d])
	}
	return out
}

// Pool applies BERT's pooler, tanh(dense(CLS)), to h [B, T, d]. It panics
// when the model has no pooler.
func (m *Model) Pool(h *tensor.Tensor) *tensor.Tensor {
	if m.Pooler == nil {
		panic("xlmr.Pool: the checkpoint has no pooler")
	}
	cls := CLS(h)
	out := tensor.New(cls.Dim(0), m.Config.Hidden)
	m.Pooler.applyInto(out.Data(), cls.Data(), cls.Dim(0))
	for i, x := range out.Data() {
		out.Data()[i] = float32(math.Tanh(float64(x)))
	}
	return out
}
