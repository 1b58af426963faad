// Package plot draws llink's figures with gonum.org/v1/plot: training loss
// curves from a run's metrics log, a retrieval rank histogram, a
// similarity-matrix heat map, and the paper's Figure-3-style layer analysis
// (layer-wise cosine between foreign and English hidden states, and their
// norms, for the base decoder against LLINK's slots).
//
// Every function writes one file whose format follows its extension: .svg,
// .png, .pdf, .eps, .jpg, .tif. Inputs are plain slices, so the package
// depends on no model: the pipeline (or a hook into the decoder) gathers
// the numbers, this package only draws them.
package plot

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/llink-go/llink/internal/rundir"
)

// colors is a qualitative palette (Okabe–Ito, readable by colour-blind
// readers), one per series.
var colors = []color.Color{
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{213, 94, 0, 255},    // vermillion
	color.RGBA{0, 158, 115, 255},   // green
	color.RGBA{204, 121, 167, 255}, // purple
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{86, 180, 233, 255},  // sky blue
	color.RGBA{0, 0, 0, 255},       // black
}

func colorOf(i int) color.Color { return colors[i%len(colors)] }

// save draws a grid of plots (rows × cols, nil cells left empty) into one
// file; the size is per cell.
func save(path string, cellW, cellH vg.Length, grid [][]*plot.Plot) error {
	rows, cols := len(grid), 0
	for _, r := range grid {
		cols = max(cols, len(r))
	}
	if rows == 0 || cols == 0 {
		return errors.New("plot: nothing to draw")
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	c, err := draw.NewFormattedCanvas(cellW*vg.Length(cols), cellH*vg.Length(rows), format)
	if err != nil {
		return fmt.Errorf("plot: %s: %w", path, err)
	}
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	padded := make([][]*plot.Plot, rows)
	for i, r := range grid {
		padded[i] = append(append([]*plot.Plot(nil), r...), make([]*plot.Plot, cols-len(r))...)
	}
	canvases := plot.Align(padded, tiles, draw.New(c))
	for i := range padded {
		for j, p := range padded[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("plot: %s: %w", path, err)
	}
	return f.Close()
}

// newPlot returns a plot with a title, axis labels and a light grid.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

// LossCurves draws the training loss of every stage in recs (a run's
// metrics log, see [rundir.ReadMetrics]) against the step, one panel per
// stage in the order the stages first appear (their losses have different
// scales: Stage A's contrastive loss, Stage B's and the baselines' answer
// cross-entropy). A stage whose steps carry a dev metric (Stage A's R@1,
// the word alignment's word recall) gets a second panel with it.
func LossCurves(recs []rundir.Record, path string) error {
	var stages []string
	by := map[string]plotter.XYs{}
	dev, devName := map[string]plotter.XYs{}, map[string]string{}
	for _, r := range recs {
		if _, ok := by[r.Stage]; !ok {
			stages = append(stages, r.Stage)
		}
		if !finite(r.Loss) {
			continue
		}
		by[r.Stage] = append(by[r.Stage], plotter.XY{X: float64(r.Step), Y: r.Loss})
		if r.Dev != nil && finite(*r.Dev) {
			dev[r.Stage] = append(dev[r.Stage], plotter.XY{X: float64(r.Step), Y: *r.Dev})
			devName[r.Stage] = r.DevName()
		}
	}
	if len(stages) == 0 {
		return errors.New("plot: loss curves: the metrics log is empty")
	}
	var grid [][]*plot.Plot
	for i, s := range stages {
		xy := by[s]
		slices.SortFunc(xy, func(a, b plotter.XY) int { return int(a.X - b.X) })
		p := newPlot(s, "step", "training loss")
		l, err := plotter.NewLine(xy)
		if err != nil {
			return fmt.Errorf("plot: %s: %w", s, err)
		}
		l.Color = colorOf(i)
		l.Width = vg.Points(1.2)
		p.Add(l)
		p.Legend.Add("loss", l)
		p.Legend.Top = true
		grid = append(grid, []*plot.Plot{p})
		if d := dev[s]; len(d) > 0 {
			title := s + ": dev retrieval"
			if devName[s] != "R@1" {
				title = s + ": dev " + devName[s]
			}
			q := newPlot(title, "step", "dev "+devName[s])
			l, pts, err := plotter.NewLinePoints(d)
			if err != nil {
				return err
			}
			l.Color, pts.Color, pts.Shape = colorOf(i), colorOf(i), draw.CircleGlyph{}
			q.Add(l, pts)
			q.Y.Min, q.Y.Max = 0, 1
			grid = append(grid, []*plot.Plot{q})
		}
	}
	return save(path, 16*vg.Centimeter, 7*vg.Centimeter, grid)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func yRange(xy plotter.XYs) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range xy {
		lo, hi = min(lo, p.Y), max(hi, p.Y)
	}
	if lo == hi {
		hi = lo + 1
	}
	return lo, hi
}

// Ranks are the retrieval ranks (1 = the right English sentence ranked
// first) of one method over a pool.
type Ranks struct {
	Method string
	Ranks  []int
}

// rankBuckets are the histogram's bins: [lo, hi] inclusive (hi 0: open).
var rankBuckets = [][2]int{{1, 1}, {2, 5}, {6, 10}, {11, 20}, {21, 50}, {51, 100}, {101, 0}}

// RankHistogram draws, for each method, the share of queries whose correct
// candidate landed at rank 1, 2–5, 6–10, 11–20, 21–50, 51–100 and beyond,
// as grouped bars.
func RankHistogram(methods []Ranks, path string) error {
	if len(methods) == 0 {
		return errors.New("plot: rank histogram: no methods")
	}
	p := newPlot("Retrieval ranks (Khmer → English)", "rank of the correct English sentence", "share of queries")
	labels := make([]string, len(rankBuckets))
	for i, b := range rankBuckets {
		switch {
		case b[1] == 0:
			labels[i] = fmt.Sprintf("%d+", b[0])
		case b[0] == b[1]:
			labels[i] = fmt.Sprint(b[0])
		default:
			labels[i] = fmt.Sprintf("%d–%d", b[0], b[1])
		}
	}
	w := vg.Points(min(60/float64(len(methods)), 14))
	for m, mr := range methods {
		if len(mr.Ranks) == 0 {
			return fmt.Errorf("plot: rank histogram: %s has no ranks", mr.Method)
		}
		vals := make(plotter.Values, len(rankBuckets))
		for _, r := range mr.Ranks {
			if r < 1 {
				return fmt.Errorf("plot: rank histogram: %s has rank %d (ranks start at 1)", mr.Method, r)
			}
			for i, b := range rankBuckets {
				if r >= b[0] && (b[1] == 0 || r <= b[1]) {
					vals[i]++
					break
				}
			}
		}
		for i := range vals {
			vals[i] /= float64(len(mr.Ranks))
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		bars.Color = colorOf(m)
		bars.LineStyle.Width = 0
		bars.Offset = w * vg.Length(float64(m)-float64(len(methods)-1)/2)
		p.Add(bars)
		p.Legend.Add(mr.Method, bars)
	}
	p.Legend.Top = true
	p.NominalX(labels...)
	p.Y.Min = 0
	return save(path, 16*vg.Centimeter, 10*vg.Centimeter, [][]*plot.Plot{{p}})
}

// grid is a similarity matrix as a heat-map grid: column c, row r holds
// sim[r·n+c]; rows are drawn top-down so the diagonal runs from the top
// left, as a matrix is read.
type grid struct {
	sim []float32
	n   int
}

func (g grid) Dims() (c, r int)   { return g.n, g.n }
func (g grid) Z(c, r int) float64 { return float64(g.sim[(g.n-1-r)*g.n+c]) }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// SimilarityHeatmap draws the top-left limit×limit block (all of it when
// limit ≤ 0 or n ≤ limit) of an n×n row-major similarity matrix: rows are foreign
// queries, columns English candidates, so a good alignment shows a bright
// diagonal. A full 1,024-pair matrix is a million cells; limit keeps SVG
// files small (default choice: 64).
func SimilarityHeatmap(sim []float32, n, limit int, title, path string) error {
	if n <= 0 || len(sim) != n*n {
		return fmt.Errorf("plot: heat map: %d values for a %d×%d matrix", len(sim), n, n)
	}
	k := n
	if limit > 0 && limit < n {
		k = limit
	}
	sub := make([]float32, k*k)
	for r := 0; r < k; r++ {
		copy(sub[r*k:(r+1)*k], sim[r*n:r*n+k])
	}
	for _, v := range sub {
		if !finite(float64(v)) {
			return errors.New("plot: heat map: the matrix holds NaN or Inf")
		}
	}
	lo, hi := float64(sub[0]), float64(sub[0])
	for _, v := range sub {
		lo, hi = min(lo, float64(v)), max(hi, float64(v))
	}
	if lo == hi {
		hi = lo + 1e-6
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(lo)
	cm.SetMax(hi)
	h := plotter.NewHeatMap(grid{sub, k}, cm.Palette(255))
	if title == "" {
		title = "Cosine similarity"
	}
	p := newPlot(fmt.Sprintf("%s (%d×%d)", title, k, k), "English candidate", "foreign query (top = 0)")
	p.Add(h)
	p.X.Min, p.X.Max = -0.5, float64(k)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(k)-0.5
	p.Y.Tick.Marker = flippedTicks{k}

	// A colour scale beside the map.
	leg := plot.New()
	leg.Title.Text = "cosine"
	leg.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	leg.HideX()
	return saveSideBySide(path, p, leg)
}

// flippedTicks labels the heat map's rows top-down (row 0 at the top), at
// a round step.
type flippedTicks struct{ n int }

func (f flippedTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000} {
		step = s
		if s*6 >= f.n {
			break
		}
	}
	var ts []plot.Tick
	for r := 0; r < f.n; r++ {
		t := plot.Tick{Value: float64(f.n - 1 - r)}
		if r%step == 0 {
			t.Label = fmt.Sprint(r)
		}
		if r%step == 0 || step >= 5 && r%(step/5) == 0 {
			ts = append(ts, t)
		}
	}
	return ts
}

// saveSideBySide puts a narrow colour-bar plot to the right of p.
func saveSideBySide(path string, p, bar *plot.Plot) error {
	const w, bw, h = 15 * vg.Centimeter, 3 * vg.Centimeter, 13 * vg.Centimeter
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	c, err := draw.NewFormattedCanvas(w+bw, h, format)
	if err != nil {
		return fmt.Errorf("plot: %s: %w", path, err)
	}
	dc := draw.New(c)
	left := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: dc.Min, Max: vg.Point{X: dc.Min.X + w, Y: dc.Max.Y}}}
	right := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: dc.Min.X + w, Y: dc.Min.Y + 1.2*vg.Centimeter}, Max: vg.Point{X: dc.Max.X, Y: dc.Max.Y - 0.8*vg.Centimeter}}}
	p.Draw(left)
	bar.Draw(right)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("plot: %s: %w", path, err)
	}
	return f.Close()
}

// RunLossCurves reads the metrics log of the run folder d and writes
// plots/loss.svg and plots/loss.png, returning their paths.
func RunLossCurves(d *rundir.Dir) ([]string, error) {
	recs, err := rundir.ReadMetricsFile(d.File(rundir.MetricsFile))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, name := range []string{"loss.svg", "loss.png"} {
		p := d.Plot(name)
		if err := LossCurves(recs, p); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}
