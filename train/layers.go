package train

import (
	"github.com/llink-go/llink/data"

	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train/eval"
)

// spanStates runs the decoder on one input (embeddings x [T, d]) and
// returns its per-layer states averaged over positions [lo, hi).
func spanStates(m *llama.Model, x *tensor.Tensor, lo, hi int) eval.Hidden {
	T, d := x.Dim(0), x.Dim(1)
	states := m.HiddenStates(x.Reshape(1, T, d), nil)
	out := make(eval.Hidden, len(states))
	for l, s := range states {
		v := make([]float32, d)
		for p := lo; p < hi; p++ {
			row := s.Data()[p*d : (p+1)*d]
			for j := range v {
				v[j] += row[j] / float32(hi-lo)
			}
		}
		out[l] = v
	}
	return out
}

// layerAnalysis computes the Figure-3 statistics on pairs: for the base
// decoder reading the raw Khmer text (states averaged over its tokens) and
// for the decoder reading LLINK's K slots (averaged over the slots; the
// LLINK LoRA attached), each against the same decoder reading the English
// sentence (averaged over its tokens). Inputs are BOS + span, no chat
// template, as for the Stage A teacher. src holds what the pairs' slots are
// made of.
func (p *pipeline) layerAnalysis(pairs []data.Pair, src llink.Source, slots *llink.Slots, base, llinkSet llama.Adapters) ([]eval.LayerStats, error) {
	d := p.m.Dec
	dec, sp := d.Model, d.IDs
	embed := func(ids []int) *tensor.Tensor { return dec.Embed(ids) }
	english := func(pr data.Pair) eval.Hidden {
		ids := append([]int{sp.BOS}, d.Tok.Encode(pr.English, false)...)
		return spanStates(dec, embed(ids), 1, len(ids))
	}
	var raw, slotted eval.LayerPairs
	raw.Name, slotted.Name = "base (raw Khmer)", "LLINK (slots)"
	restore := dec.UseLoRA(base)
	defer restore()
	for _, pr := range pairs {
		ids := append([]int{sp.BOS}, d.Tok.Encode(pr.Foreign, false)...)
		if limit := dec.Config.MaxPositions; len(ids) > limit {
			ids = ids[:limit]
		}
		raw.Foreign = append(raw.Foreign, spanStates(dec, embed(ids), 1, len(ids)))
		raw.English = append(raw.English, english(pr))
	}
	dec.UseLoRA(llinkSet)
	kmax := slots.SlotCount()
	s := slots.SlotVectors(src) // [N, K, d]
	counts := slots.SlotCounts(src)
	w := dec.Config.Hidden
	for i, pr := range pairs {
		k := slotsOf(counts, i, kmax)
		in := append(append([]int{sp.BOS, sp.Foreign}, sp.Slots[:k]...), sp.ForeignEnd)
		x := embed(in)
		copy(x.Data()[2*w:(2+k)*w], s.Data()[i*kmax*w:][:k*w])
		slotted.Foreign = append(slotted.Foreign, spanStates(dec, x, 2, 2+k))
		slotted.English = append(slotted.English, english(pr))
	}
	var out []eval.LayerStats
	for _, lp := range []eval.LayerPairs{raw, slotted} {
		st, err := eval.ComputeLayerStats(lp)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}
