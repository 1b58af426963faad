package plot

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Hidden is one input's hidden states layer by layer: Hidden[l] is the
// d-vector after layer l (index 0: the input embeddings), reduced over the
// input's positions as the caller chooses (mean over the foreign span, or
// the state at one position). The decoder hook that records them lives with
// the model; this package only needs the numbers.
type Hidden [][]float32

// LayerPairs are the per-layer states of aligned foreign/English inputs
// under one condition, e.g. "base (raw Khmer)" (the decoder reading the
// Khmer text) or "LLINK (slots)" (the decoder reading the K slots).
type LayerPairs struct {
	Name    string
	Foreign []Hidden // one per pair
	English []Hidden // aligned with Foreign
}

// LayerStats are per-layer means over the pairs of one condition.
type LayerStats struct {
	Cosine      []float64 // mean cos(foreign_l, english_l)
	ForeignNorm []float64 // mean ‖foreign_l‖
	EnglishNorm []float64 // mean ‖english_l‖
}

// ComputeLayerStats averages, layer by layer, the cosine between each
// pair's foreign and English states and their norms.
func ComputeLayerStats(lp LayerPairs) (LayerStats, error) {
	var s LayerStats
	if len(lp.Foreign) == 0 || len(lp.Foreign) != len(lp.English) {
		return s, fmt.Errorf("plot: %s: %d foreign and %d English inputs (want the same number, > 0)", lp.Name, len(lp.Foreign), len(lp.English))
	}
	layers := len(lp.Foreign[0])
	if layers == 0 {
		return s, fmt.Errorf("plot: %s: no layers", lp.Name)
	}
	s.Cosine, s.ForeignNorm, s.EnglishNorm = make([]float64, layers), make([]float64, layers), make([]float64, layers)
	for i := range lp.Foreign {
		f, e := lp.Foreign[i], lp.English[i]
		if len(f) != layers || len(e) != layers {
			return s, fmt.Errorf("plot: %s: pair %d has %d/%d layers, pair 0 has %d", lp.Name, i, len(f), len(e), layers)
		}
		for l := range layers {
			if len(f[l]) == 0 || len(f[l]) != len(e[l]) {
				return s, fmt.Errorf("plot: %s: pair %d layer %d: vectors of width %d and %d", lp.Name, i, l, len(f[l]), len(e[l]))
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

// LayerAnalysis draws the paper's Figure-3-style analysis for each
// condition: left, the mean cosine between foreign and English hidden
// states at every layer; right, the mean hidden-state norms (foreign solid,
// English dashed). It returns the statistics it drew.
func LayerAnalysis(conds []LayerPairs, path string) ([]LayerStats, error) {
	if len(conds) == 0 {
		return nil, errors.New("plot: layer analysis: no conditions")
	}
	cos := newPlot("Foreign–English cosine by layer", "layer (0 = embeddings)", "mean cosine")
	norm := newPlot("Hidden-state norm by layer", "layer (0 = embeddings)", "mean L2 norm")
	var stats []LayerStats
	for i, c := range conds {
		s, err := ComputeLayerStats(c)
		if err != nil {
			return nil, err
		}
		stats = append(stats, s)
		col := colorOf(i)
		add := func(p *plot.Plot, ys []float64, label string, dashed bool) error {
			xy := make(plotter.XYs, len(ys))
			for l, y := range ys {
				xy[l] = plotter.XY{X: float64(l), Y: y}
			}
			line, pts, err := plotter.NewLinePoints(xy)
			if err != nil {
				return err
			}
			line.Color, line.Width = col, vg.Points(1.5)
			pts.Color, pts.Shape = col, draw.CircleGlyph{}
			if dashed {
				line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				pts.Shape = draw.BoxGlyph{}
			}
			p.Add(line, pts)
			p.Legend.Add(label, line, pts)
			return nil
		}
		if err := add(cos, s.Cosine, c.Name, false); err != nil {
			return nil, err
		}
		if err := add(norm, s.ForeignNorm, c.Name+": foreign", false); err != nil {
			return nil, err
		}
		if err := add(norm, s.EnglishNorm, c.Name+": English", true); err != nil {
			return nil, err
		}
	}
	cos.Legend.Top, cos.Legend.Left = true, true
	norm.Legend.Top = true
	norm.Legend.Left = true
	return stats, save(path, 13*vg.Centimeter, 10*vg.Centimeter, [][]*plot.Plot{{cos, norm}})
}
