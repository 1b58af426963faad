package train

import (
	"fmt"
	"sort"

	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/tensor"
)

// Tokenizer is what the pipeline needs of a tokenizer: encoding text (in
// which added special tokens such as <f0> are recognised) and decoding.
type Tokenizer interface {
	Encode(text string, addSpecial bool) []int
	Decode(ids []int) string
}

// TeacherEmbedder produces Stage A teacher vectors: the frozen decoder's
// final-normed hidden state at <foreign_emb> after BOS + English sentence.
type TeacherEmbedder struct {
	Model      *llama.Model
	Tok        Tokenizer
	BOS        int
	ForeignEmb int
	ModelID    string // identifies the weights (for cache keys)
	MaxLen     int    // English tokens kept (0 = 256)
}

// Dim returns the decoder width.
func (e *TeacherEmbedder) Dim() int { return e.Model.Config.Hidden }

// Fingerprint identifies the model and the teacher prompt.
func (e *TeacherEmbedder) Fingerprint() string {
	return fmt.Sprintf("teacher:%s:bos=%d:emb=%d:max=%d", e.ModelID, e.BOS, e.ForeignEmb, e.maxLen())
}

func (e *TeacherEmbedder) maxLen() int {
	if e.MaxLen > 0 {
		return e.MaxLen
	}
	return 256
}

// Ids returns the teacher prompt of one English sentence.
func (e *TeacherEmbedder) Ids(english string) []int {
	ids := e.Tok.Encode(english, false)
	if len(ids) > e.maxLen() {
		ids = ids[:e.maxLen()]
	}
	return append(append([]int{e.BOS}, ids...), e.ForeignEmb)
}

// Embed returns the teacher vectors of texts [len(texts), d].
func (e *TeacherEmbedder) Embed(texts []string) (*tensor.Tensor, error) {
	seqs := make([][]int, len(texts))
	for i, s := range texts {
		seqs[i] = e.Ids(s)
	}
	return LastHidden(e.Model, seqs, e.BOS), nil
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
	sort.SliceStable(order, func(a, b int) bool { return len(seqs[order[a]]) < len(seqs[order[b]]) })
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

// StudentEmbedder produces Stage A student inputs: the frozen encoder's
// masked mean pooling of the last hidden state, with the text clipped to
// MaxLen tokens (the paper: 256).
type StudentEmbedder struct {
	Model   *xlmr.Model
	Tok     Tokenizer
	Pad     int
	ModelID string
	MaxLen  int // 0 = 256
	// Pool is llink.PoolLayers to mean-pool the average of every layer's
	// hidden state; anything else pools the last hidden state.
	Pool string
}

// Dim returns the encoder width.
func (e *StudentEmbedder) Dim() int { return e.Model.Config.Hidden }

// Fingerprint identifies the model and the pooling settings.
func (e *StudentEmbedder) Fingerprint() string {
	if e.Pool == llink.PoolLayers {
		return fmt.Sprintf("student:%s:meanpool-layers:max=%d", e.ModelID, e.maxLen())
	}
	return fmt.Sprintf("student:%s:meanpool:max=%d", e.ModelID, e.maxLen())
}

func (e *StudentEmbedder) maxLen() int {
	if e.MaxLen > 0 {
		return e.MaxLen
	}
	return 256
}

// Embed returns pooled vectors [len(texts), d].
func (e *StudentEmbedder) Embed(texts []string) (*tensor.Tensor, error) {
	seqs := make([][]int, len(texts))
	for i, s := range texts {
		ids := e.Tok.Encode(s, true)
		if len(ids) == 0 {
			return nil, fmt.Errorf("train: encoder tokenizer produced no tokens for %q", s)
		}
		if n := e.maxLen(); len(ids) > n {
			ids = append(ids[:n-1:n-1], ids[len(ids)-1]) // keep the closing </s>
		}
		seqs[i] = ids
	}
	b := xlmr.PadRight(seqs, e.Pad)
	if e.Pool == llink.PoolLayers {
		return xlmr.MeanPool(e.Model.EncodeLayerMean(b), b.Mask), nil
	}
	return xlmr.MeanPool(e.Model.Encode(b), b.Mask), nil
}
