package eval

import (
	"fmt"
	"math"
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
		return s, fmt.Errorf("eval: layer stats %s: %d foreign and %d English inputs (want the same number, > 0)", lp.Name, len(lp.Foreign), len(lp.English))
	}
	layers := len(lp.Foreign[0])
	if layers == 0 {
		return s, fmt.Errorf("eval: layer stats %s: no layers", lp.Name)
	}
	s.Cosine, s.ForeignNorm, s.EnglishNorm = make([]float64, layers), make([]float64, layers), make([]float64, layers)
	for i := range lp.Foreign {
		f, e := lp.Foreign[i], lp.English[i]
		if len(f) != layers || len(e) != layers {
			return s, fmt.Errorf("eval: layer stats %s: pair %d has %d/%d layers, pair 0 has %d", lp.Name, i, len(f), len(e), layers)
		}
		for l := range layers {
			if len(f[l]) == 0 || len(f[l]) != len(e[l]) {
				return s, fmt.Errorf("eval: layer stats %s: pair %d layer %d: vectors of width %d and %d", lp.Name, i, l, len(f[l]), len(e[l]))
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
