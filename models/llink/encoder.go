package llink

import (
	"fmt"

	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/tensor"
)

// Encoder is a frozen multilingual encoder that LLINK reads foreign text
// with. models/xlmr's Model implements it (XLM-R, RoBERTa and BERT
// checkpoints); another encoder family needs only these three methods.
type Encoder interface {
	// Width is the hidden size of the vectors.
	Width() int
	// MaxTokens is the most tokens one sequence may have.
	MaxTokens() int
	// EncodeSeqs encodes token sequences right-padded with pad and returns
	// the hidden states [B, T, d] — the last layer's, or with layerMean the
	// mean over every layer's output — and the mask of real tokens [B·T].
	EncodeSeqs(seqs [][]int, pad int, layerMean bool) (*tensor.Tensor, []bool)
}

// Reader reads foreign texts with a frozen encoder: tokenised (clipped to
// MaxLen tokens, the closing special token kept), encoded and pooled by
// the masked mean of the states Pool selects. It is Stage A's student input
// and LLINK's view of a foreign text.
type Reader struct {
	Encoder Encoder
	Tok     Tokenizer
	Pad     int    // the encoder's padding id
	ID      string // identifies the weights (for cache keys)
	MaxLen  int    // tokens kept (0 = 256)
	// Pool is PoolLayers to pool the mean of every layer's states;
	// anything else pools the last layer's.
	Pool string
}

// Dim returns the encoder width.
func (r *Reader) Dim() int { return r.Encoder.Width() }

// Fingerprint identifies the model and the pooling settings.
func (r *Reader) Fingerprint() string {
	if r.Pool == PoolLayers {
		return fmt.Sprintf("student:%s:meanpool-layers:max=%d", r.ID, r.maxLen())
	}
	return fmt.Sprintf("student:%s:meanpool:max=%d", r.ID, r.maxLen())
}

func (r *Reader) maxLen() int {
	if r.MaxLen > 0 {
		return r.MaxLen
	}
	return 256
}

// States returns the encoder states of texts [N, T, d] (right-padded) and
// the mask of real tokens [N·T].
func (r *Reader) States(texts []string) (*tensor.Tensor, []bool, error) {
	seqs := make([][]int, len(texts))
	for i, s := range texts {
		ids := r.Tok.Encode(s, true)
		if len(ids) == 0 {
			return nil, nil, fmt.Errorf("llink: the encoder tokenizer produced no tokens for %q", s)
		}
		if n := r.maxLen(); len(ids) > n {
			ids = append(ids[:n-1:n-1], ids[len(ids)-1]) // keep the closing </s>
		}
		seqs[i] = ids
	}
	h, mask := r.Encoder.EncodeSeqs(seqs, r.Pad, r.Pool == PoolLayers)
	return h, mask, nil
}

// Embed returns the pooled vectors of texts [N, d].
func (r *Reader) Embed(texts []string) (*tensor.Tensor, error) {
	h, mask, err := r.States(texts)
	if err != nil {
		return nil, err
	}
	return xlmr.MeanPool(h, mask), nil
}

// tokensBatch is how many texts [Reader.Tokens] encodes at once.
const tokensBatch = 64

// Tokens returns the token states of texts (the states [Reader.States]
// gives, encoded a batch at a time) for token-level slots.
func (r *Reader) Tokens(texts []string) (*Tokens, error) {
	var rows [][]float32
	for lo := 0; lo < len(texts); lo += tokensBatch {
		h, mask, err := r.States(texts[lo:min(lo+tokensBatch, len(texts))])
		if err != nil {
			return nil, err
		}
		t := &Tokens{States: h, Mask: mask}
		for i := range t.Len() {
			rows = append(rows, t.Row(i))
		}
	}
	return StackTokens(rows, r.Dim())
}

// Teacher vector definitions ([Teacher.Pool], [Config.TeacherPool]).
const (
	// TeacherLast reads the state at the <foreign_emb> position after
	// BOS + the English sentence: the paper's teacher vector.
	TeacherLast = "last"
	// TeacherMean averages the states over the English sentence's own
	// tokens (BOS and <foreign_emb> left out). Not in the paper: language
	// modelling pulls every sentence's end state toward one prediction
	// (the end of text), a pull a mean over all its tokens dilutes
	// (docs/EXPERIMENTS.md).
	TeacherMean = "mean"
)

// Teacher produces Stage A teacher vectors from the frozen decoder run on
// BOS + English sentence + <foreign_emb>. By default (Pool "" or
// [TeacherLast], Layer 0) the vector is the final-normed hidden state at
// <foreign_emb>, as in the paper.
type Teacher struct {
	Dec    *Decoder
	ID     string // identifies the weights (for cache keys)
	MaxLen int    // English tokens kept (0 = 256)
	// Pool is the teacher vector's definition: "" or TeacherLast the state
	// at <foreign_emb>, TeacherMean the mean of the English tokens' states.
	Pool string
	// Layer is the states it is read from: 0 the final-normed output (the
	// paper's), l in 1..Layers the residual stream after block l.
	Layer int
}

// Dim returns the decoder width.
func (e *Teacher) Dim() int { return e.Dec.Model.Config.Hidden }

// Fingerprint identifies the model, the teacher prompt and the vector's
// definition. The paper's definition keeps the fingerprint it always had
// (so its caches stay valid); every other one adds its pool and layer.
func (e *Teacher) Fingerprint() string {
	fp := fmt.Sprintf("teacher:%s:bos=%d:emb=%d:max=%d", e.ID, e.Dec.IDs.BOS, e.Dec.IDs.ForeignEmb, e.maxLen())
	if e.Pool == TeacherMean {
		fp += ":pool=" + TeacherMean
	}
	if e.Layer != 0 {
		fp += fmt.Sprintf(":layer=%d", e.Layer)
	}
	return fp
}

func (e *Teacher) maxLen() int {
	if e.MaxLen > 0 {
		return e.MaxLen
	}
	return 256
}

// CheckTeacher reports a teacher vector definition that is not one of
// [TeacherLast] and [TeacherMean] at a layer in 0..layers.
func CheckTeacher(pool string, layer, layers int) error {
	if pool != "" && pool != TeacherLast && pool != TeacherMean {
		return fmt.Errorf("llink: teacher pool %q, want %q or %q", pool, TeacherLast, TeacherMean)
	}
	if layer < 0 || layer > layers {
		return fmt.Errorf("llink: teacher layer %d, want 0 (the final-normed output) to %d", layer, layers)
	}
	return nil
}

// IDs returns the teacher prompt of one English sentence.
func (e *Teacher) IDs(english string) []int {
	ids := e.Dec.Tok.Encode(english, false)
	if len(ids) > e.maxLen() {
		ids = ids[:e.maxLen()]
	}
	return append(append([]int{e.Dec.IDs.BOS}, ids...), e.Dec.IDs.ForeignEmb)
}

// Embed returns the teacher vectors of texts [len(texts), d].
func (e *Teacher) Embed(texts []string) (*tensor.Tensor, error) {
	seqs := make([][]int, len(texts))
	for i, s := range texts {
		seqs[i] = e.IDs(s)
		if e.Pool == TeacherMean && len(seqs[i]) < 3 {
			return nil, fmt.Errorf("llink: teacher: %q has no tokens to average", s)
		}
	}
	return e.Vectors(seqs)
}

// Vectors returns the teacher vectors [len(seqs), d] of prompts made as
// [Teacher.IDs] makes them (a first token, the text's tokens, a last
// token): the state at the last token, or with TeacherMean the mean over
// the tokens between the first and the last (a prompt without any gives
// the zero vector).
func (e *Teacher) Vectors(seqs [][]int) (*tensor.Tensor, error) {
	m := e.Dec.Model
	if err := CheckTeacher(e.Pool, e.Layer, m.Config.Layers); err != nil {
		return nil, err
	}
	d := m.Config.Hidden
	out := tensor.New(len(seqs), d)
	eachBatch(m, seqs, e.Dec.IDs.BOS, e.Layer, func(i int, h []float32) {
		n := len(seqs[i])
		if e.Pool != TeacherMean {
			copy(out.Row(i), h[(n-1)*d:n*d])
			return
		}
		if n < 3 {
			return
		}
		row := out.Row(i)
		for t := 1; t < n-1; t++ {
			for k, v := range h[t*d : (t+1)*d] {
				row[k] += v
			}
		}
		for k := range row {
			row[k] /= float32(n - 2)
		}
	})
	return out, nil
}

// lastHiddenBatch is how many sequences LastHidden runs at once.
const lastHiddenBatch = 16

// LastHidden runs the decoder on seqs and returns the final-normed hidden
// state at each sequence's last token [len(seqs), d]. Sequences run in
// batches of similar length (sorted, right-padded), so a few long ones
// neither pad the rest nor make one huge activation.
func LastHidden(m *llama.Model, seqs [][]int, pad int) *tensor.Tensor {
	d := m.Config.Hidden
	out := tensor.New(len(seqs), d)
	eachBatch(m, seqs, pad, 0, func(i int, h []float32) {
		n := len(seqs[i])
		copy(out.Row(i), h[(n-1)*d:n*d])
	})
	return out
}

// eachBatch runs the decoder on seqs in batches of similar length (sorted,
// right-padded with pad) and hands each sequence's states [len(seqs[i]), d]
// to row: the final-normed output for layer 0, else the residual stream
// after block layer (1..Layers), for which only blocks 1..layer run. The
// states are only valid during the call.
func eachBatch(m *llama.Model, seqs [][]int, pad, layer int, row func(i int, h []float32)) {
	d := m.Config.Hidden
	if layer > 0 {
		m = firstBlocks(m, layer)
	}
	order := make([]int, len(seqs))
	for i := range order {
		order[i] = i
	}
	sortByLen(order, func(i int) int { return len(seqs[i]) })
	for lo := 0; lo < len(order); lo += lastHiddenBatch {
		idx := order[lo:min(lo+lastHiddenBatch, len(order))]
		batch := make([][]int, len(idx))
		for j, i := range idx {
			batch[j] = seqs[i]
		}
		b := llama.PadRight(batch, pad)
		var h *tensor.Tensor
		if layer == 0 {
			h = m.Forward(b, nil)
		} else {
			x := m.Embed(b.IDs).Reshape(b.B, b.T, d)
			h = m.HiddenStates(x, b.Mask)[layer]
		}
		for j, i := range idx {
			row(i, h.Data()[j*b.T*d:][:len(seqs[i])*d])
		}
	}
}

// firstBlocks returns a model sharing m's weights that holds only its
// first n decoder blocks: its residual stream after block n is m's, and
// the blocks above, which a teacher read from block n does not need, never
// run.
func firstBlocks(m *llama.Model, n int) *llama.Model {
	short := *m
	short.Layers = m.Layers[:n:n]
	short.Config.Layers = n
	return &short
}
