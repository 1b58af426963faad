package llama

import "github.com/llink-go/llink/tensor"

// HiddenStates runs the decoder on input embeddings x [B, T, d] (mask
// [B·T] or nil, as in [Batch]) and returns its residual stream layer by
// layer: states[0] is the input embeddings, states[l] the output of block l
// (1 ≤ l ≤ Layers), each [B, T, d], and the final-normed output (what
// [Model.ForwardEmbeds] returns) as states[Layers+1]. This is the hook for
// layer-wise analyses such as LLINK's Figure 3 (how close the decoder's
// states for a Khmer input come to those for its English translation).
func (m *Model) HiddenStates(x *tensor.Tensor, mask []bool) []*tensor.Tensor {
	B, T, d := x.Dim(0), x.Dim(1), m.Config.Hidden
	states := make([]*tensor.Tensor, 0, m.Config.Layers+2)
	out := m.forwardEmbeds(x, mask, nil, func(_ int, h []float32) {
		states = append(states, tensor.FromSlice(append([]float32(nil), h...), B, T, d))
	})
	return append(states, out)
}
