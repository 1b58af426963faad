package llama

import (
	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/tensor"
)

// AddTokens grows the vocabulary by n tokens (LLINK's <foreign>, <f0>… and
// the like) and returns the first new id. Each new embedding row — and head
// row when untied — is the mean of the existing rows. Config.VocabSize is
// updated. A bf16 table stays bf16.
func (m *Model) AddTokens(n int) (first int) {
	first = m.Config.VocabSize
	m.Emb = growRows(m.Emb, n)
	if m.Head != nil {
		m.Head = growRows(m.Head, n)
	}
	m.Config.VocabSize += n
	return first
}

func growRows(w *Weight, n int) *Weight {
	old := w.Float32()
	v, d := old.Dim(0), old.Dim(1)
	mean := make([]float64, d)
	for r := range v {
		for j, x := range old.Row(r) {
			mean[j] += float64(x)
		}
	}
	grown := tensor.New(v+n, d)
	copy(grown.Data(), old.Data())
	for r := v; r < v+n; r++ {
		row := grown.Row(r)
		for j := range row {
			row[j] = float32(mean[j] / float64(v))
		}
	}
	if w.H == nil {
		return &Weight{W: grown, LoRA: w.LoRA}
	}
	h := make([]uint16, (v+n)*d)
	copy(h, w.H.Data())
	asm.F32ToBF16Slice(h[v*d:], grown.Data()[v*d:])
	return &Weight{H: tensor.NewBF16(h, v+n, d), LoRA: w.LoRA}
}
