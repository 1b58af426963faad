package plot

import (
	"errors"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/llink-go/llink/train/eval"
)

// LayerAnalysis draws the paper's Figure-3-style analysis for each
// condition (see eval.ComputeLayerStats): left, the mean cosine between
// foreign and English hidden states at every layer; right, the mean
// hidden-state norms (foreign solid, English dashed).
func LayerAnalysis(stats []eval.LayerStats, path string) error {
	if len(stats) == 0 {
		return errors.New("plot: layer analysis: no conditions")
	}
	cos := newPlot("Foreign–English cosine by layer", "layer (0 = embeddings)", "mean cosine")
	norm := newPlot("Hidden-state norm by layer", "layer (0 = embeddings)", "mean L2 norm")
	for i, s := range stats {
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
		if err := add(cos, s.Cosine, s.Name, false); err != nil {
			return err
		}
		if err := add(norm, s.ForeignNorm, s.Name+": foreign", false); err != nil {
			return err
		}
		if err := add(norm, s.EnglishNorm, s.Name+": English", true); err != nil {
			return err
		}
	}
	cos.Legend.Top, cos.Legend.Left = true, true
	norm.Legend.Top = true
	norm.Legend.Left = true
	return save(path, 13*vg.Centimeter, 10*vg.Centimeter, [][]*plot.Plot{{cos, norm}})
}
