package train

import (
	"fmt"
	"github.com/llink-go/llink/data"
	"math"

	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
)

// Hidden is one input's hidden states layer by layer: Hidden[l] is the
// d-vector at layer l (0: the input embeddings; then after each block; last:
// the final-normed output), reduced over the input's positions (the mean
// over the foreign span, or over the English sentence).
type Hidden [][]float32

// LayerPairs are the per-layer states of aligned foreign/English inputs
// under one condition, e.g. "base (raw Khmer)" or "LLINK (slots)".
type LayerPairs struct {
	Name    string
	Foreign []Hidden // one per pair
	English []Hidden // aligned with Foreign
}

// LayerStats are per-layer means over the pairs of one condition: the
// numbers behind the paper's Figure 3.
type LayerStats struct {
	Name        string    `json:"name"`
	Cosine      []float64 `json:"cosine"`       // mean cos(foreign_l, english_l)
	ForeignNorm []float64 `json:"foreign_norm"` // mean ‖foreign_l‖
	EnglishNorm []float64 `json:"english_norm"` // mean ‖english_l‖
}

// ComputeLayerStats averages, layer by layer, the cosine between each
// pair's foreign and English states and their norms.
func ComputeLayerStats(lp LayerPairs) (LayerStats, error) {
	s := LayerStats{Name: lp.Name}
	if len(lp.Foreign) == 0 || len(lp.Foreign) != len(lp.English) {
		return s, fmt.Errorf("train: layer stats %s: %d foreign and %d English inputs (want the same number, > 0)", lp.Name, len(lp.Foreign), len(lp.English))
	}
	layers := len(lp.Foreign[0])
	if layers == 0 {
		return s, fmt.Errorf("train: layer stats %s: no layers", lp.Name)
	}
	s.Cosine, s.ForeignNorm, s.EnglishNorm = make([]float64, layers), make([]float64, layers), make([]float64, layers)
	for i := range lp.Foreign {
		f, e := lp.Foreign[i], lp.English[i]
		if len(f) != layers || len(e) != layers {
			return s, fmt.Errorf("train: layer stats %s: pair %d has %d/%d layers, pair 0 has %d", lp.Name, i, len(f), len(e), layers)
		}
		for l := range layers {
			if len(f[l]) == 0 || len(f[l]) != len(e[l]) {
				return s, fmt.Errorf("train: layer stats %s: pair %d layer %d: vectors of width %d and %d", lp.Name, i, l, len(f[l]), len(e[l]))
			}
			var dot, ff, ee float64
			for j, a := range f[l] {
				b := float64(e[l][j])
				dot += float64(a) * b
				ff += float64(a) * float64(a)
				ee += b * b
			}
			if ff > 0 && ee > 0 {
				s.Cosine[l] += dot / math.Sqrt(ff*ee)
			}
			s.ForeignNorm[l] += math.Sqrt(ff)
			s.EnglishNorm[l] += math.Sqrt(ee)
		}
	}
	n := float64(len(lp.Foreign))
	for l := range layers {
		s.Cosine[l] /= n
		s.ForeignNorm[l] /= n
		s.EnglishNorm[l] /= n
	}
	return s, nil
}

// spanStates runs the decoder on one input (embeddings x [T, d]) and
// returns its per-layer states averaged over positions [lo, hi).
func spanStates(m *llama.Model, x *tensor.Tensor, lo, hi int) Hidden {
	T, d := x.Dim(0), x.Dim(1)
	states := m.HiddenStates(x.Reshape(1, T, d), nil)
	out := make(Hidden, len(states))
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
// template, as for the Stage A teacher. v holds the pairs' projected Stage A
// vectors.
func (p *pipeline) layerAnalysis(pairs []data.Pair, v *tensor.Tensor, slots *llink.Slots, base, llinkSet llama.Adapters) ([]LayerStats, error) {
	d := p.m.Dec
	dec, sp := d.Model, d.IDs
	embed := func(ids []int) *tensor.Tensor { return dec.Embed(ids) }
	english := func(pr data.Pair) Hidden {
		ids := append([]int{sp.BOS}, d.Tok.Encode(pr.English, false)...)
		return spanStates(dec, embed(ids), 1, len(ids))
	}
	var raw, slotted LayerPairs
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
	k := slots.SlotCount()
	s := slots.SlotVectors(v) // [N, K, d]
	w := dec.Config.Hidden
	for i, pr := range pairs {
		in := append(append([]int{sp.BOS, sp.Foreign}, sp.Slots[:k]...), sp.ForeignEnd)
		x := embed(in)
		copy(x.Data()[2*w:(2+k)*w], s.Data()[i*k*w:(i+1)*k*w])
		slotted.Foreign = append(slotted.Foreign, spanStates(dec, x, 2, 2+k))
		slotted.English = append(slotted.English, english(pr))
	}
	var out []LayerStats
	for _, lp := range []LayerPairs{raw, slotted} {
		st, err := ComputeLayerStats(lp)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}
