package xlmr

import "github.com/llink-go/llink/tensor"

// Width returns the hidden size.
func (m *Model) Width() int { return m.Config.Hidden }

// MaxTokens returns how many tokens one sequence may have: the position
// table's size (less the padding offset of XLM-R/RoBERTa positions).
func (m *Model) MaxTokens() int {
	n := m.Config.MaxPositions
	if m.Config.RobertaPositions() {
		n -= m.Config.PadTokenID + 1
	}
	return n
}

// EncodeSeqs encodes token sequences, right-padded with pad, and returns
// the hidden states [B, T, d] — the last layer's, or with layerMean the
// mean of every layer's ([Model.EncodeLayerMean]) — with the mask of real
// tokens [B·T]. With Width and MaxTokens it makes a Model an LLINK encoder
// (models/llink.Encoder).
func (m *Model) EncodeSeqs(seqs [][]int, pad int, layerMean bool) (*tensor.Tensor, []bool) {
	b := PadRight(seqs, pad)
	return m.encode(b, layerMean), b.Mask
}
