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

// Teacher produces Stage A teacher vectors: the frozen decoder's
// final-normed hidden state at <foreign_emb> after BOS + English sentence.
type Teacher struct {
	Dec    *Decoder
	ID     string // identifies the weights (for cache keys)
	MaxLen int    // English tokens kept (0 = 256)
}

// Dim returns the decoder width.
func (e *Teacher) Dim() int { return e.Dec.Model.Config.Hidden }

// Fingerprint identifies the model and the teacher prompt.
func (e *Teacher) Fingerprint() string {
	return fmt.Sprintf("teacher:%s:bos=%d:emb=%d:max=%d", e.ID, e.Dec.IDs.BOS, e.Dec.IDs.ForeignEmb, e.maxLen())
}

func (e *Teacher) maxLen() int {
	if e.MaxLen > 0 {
		return e.MaxLen
	}
	return 256
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
	}
	return LastHidden(e.Dec.Model, seqs, e.Dec.IDs.BOS), nil
}

// lastHiddenBatch is how many sequences LastHidden runs at once.
const lastHiddenBatch = 16

// LastHidden runs the decoder on seqs and returns the hidden state at each
// sequence's last token [len(seqs), d]. Sequences run in batches of similar
// length (sorted, right-padded), so a few long ones neither pad the rest
// nor make one huge activation.
func LastHidden(m *llama.Model, seqs [][]int, pad int) *tensor.Tensor {
	d := m.Config.Hidden
	out := tensor.New(len(seqs), d)
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
		h := m.Forward(b, nil)
		for j, i := range idx {
			copy(out.Row(i), h.Data()[(j*b.T+len(seqs[i])-1)*d:][:d])
		}
	}
	return out
}
