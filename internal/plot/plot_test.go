package plot

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llink-go/llink/internal/rundir"
	"github.com/llink-go/llink/train"
	"github.com/llink-go/llink/train/eval"
)

// outDir is where the figures go: LLINK_PLOT_DIR keeps them for a look,
// otherwise a temporary folder.
func outDir(t *testing.T) string {
	if d := os.Getenv("LLINK_PLOT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// checkFile asserts that path exists, is non-empty and starts like its
// format.
func checkFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 200 {
		t.Fatalf("%s: only %d bytes", path, len(b))
	}
	switch filepath.Ext(path) {
	case ".png":
		if !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Fatalf("%s is not a PNG", path)
		}
	case ".svg":
		if !bytes.Contains(b[:min(len(b), 512)], []byte("<svg")) {
			t.Fatalf("%s is not an SVG", path)
		}
	}
}

func fakeMetrics() []rundir.Record {
	r := rand.New(rand.NewPCG(1, 2))
	var recs []rundir.Record
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, st := range []struct {
		name  string
		steps int
		start float64
	}{{"stage A", 600, 6}, {"stage B", 120, 3.5}, {"direct FT", 120, 3.8}} {
		for s := 1; s <= st.steps; s++ {
			l := train.StepLog{Step: s, Loss: st.start*math.Exp(-3*float64(s)/float64(st.steps)) + 0.2 + 0.1*r.Float64(), LR: 1e-3}
			if st.name == "stage A" && s%100 == 0 {
				d := 0.1 + 0.5*float64(s)/600
				l.Dev = &d
			}
			recs = append(recs, rundir.Record{Stage: st.name, Time: t0.Add(time.Duration(s) * time.Second), StepLog: l})
		}
	}
	return recs
}

func TestLossCurves(t *testing.T) {
	dir := outDir(t)
	recs := fakeMetrics()
	recs = append(recs, rundir.Record{Stage: "stage B", StepLog: train.StepLog{Step: 121, Loss: math.NaN()}}) // skipped
	for _, ext := range []string{".svg", ".png"} {
		p := filepath.Join(dir, "loss"+ext)
		if err := LossCurves(recs, p); err != nil {
			t.Fatal(err)
		}
		checkFile(t, p)
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "loss.svg"))
	for _, want := range []string{"stage A", "stage B", "direct FT", "dev retrieval"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("loss.svg lacks %q", want)
		}
	}
	if err := LossCurves(nil, filepath.Join(dir, "empty.svg")); err == nil {
		t.Fatal("empty log drew a plot")
	}
	if err := LossCurves(recs, filepath.Join(dir, "loss.bmp")); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestRankHistogram(t *testing.T) {
	dir := outDir(t)
	r := rand.New(rand.NewPCG(3, 4))
	var ms []Ranks
	for _, m := range []struct {
		name string
		p    float64
	}{{"base", 0.02}, {"direct FT", 0.1}, {"Stage A only", 0.43}, {"LLINK", 0.45}} {
		ranks := make([]int, 1024)
		for i := range ranks {
			ranks[i] = 1
			for r.Float64() > m.p && ranks[i] < 1024 {
				ranks[i]++
			}
		}
		ms = append(ms, Ranks{m.name, ranks})
	}
	for _, ext := range []string{".svg", ".png"} {
		p := filepath.Join(dir, "ranks"+ext)
		if err := RankHistogram(ms, p); err != nil {
			t.Fatal(err)
		}
		checkFile(t, p)
	}
	if err := RankHistogram([]Ranks{{"x", []int{0}}}, filepath.Join(dir, "bad.svg")); err == nil {
		t.Fatal("rank 0 accepted")
	}
}

func TestSimilarityHeatmap(t *testing.T) {
	dir := outDir(t)
	const n = 100
	r := rand.New(rand.NewPCG(5, 6))
	sim := make([]float32, n*n)
	for i := range n {
		for j := range n {
			v := 0.3*r.Float64() - 0.1
			if i == j {
				v += 0.6
			}
			sim[i*n+j] = float32(v)
		}
	}
	for _, ext := range []string{".svg", ".png"} {
		p := filepath.Join(dir, "similarity"+ext)
		if err := SimilarityHeatmap(sim, n, 40, "LLINK km→en", p); err != nil {
			t.Fatal(err)
		}
		checkFile(t, p)
	}
	if err := SimilarityHeatmap(sim[:10], n, 0, "", filepath.Join(dir, "bad.svg")); err == nil {
		t.Fatal("short matrix accepted")
	}
}

func TestLayerAnalysis(t *testing.T) {
	dir := outDir(t)
	stats := []eval.LayerStats{
		{Name: "base (raw Khmer)", Cosine: []float64{0.1, 0.05, 0.02}, ForeignNorm: []float64{1, 3, 5}, EnglishNorm: []float64{1, 4, 6}},
		{Name: "LLINK (slots)", Cosine: []float64{0.2, 0.5, 0.7}, ForeignNorm: []float64{8, 9, 9}, EnglishNorm: []float64{1, 4, 6}},
	}
	for _, ext := range []string{".svg", ".png"} {
		p := filepath.Join(dir, "layers"+ext)
		if err := LayerAnalysis(stats, p); err != nil {
			t.Fatal(err)
		}
		checkFile(t, p)
	}
	if err := LayerAnalysis(nil, filepath.Join(dir, "none.svg")); err == nil {
		t.Error("no conditions accepted")
	}
}

func TestRunLossCurves(t *testing.T) {
	d, err := rundir.Create(t.TempDir(), "run")
	if err != nil {
		t.Fatal(err)
	}
	hook := d.Steps("stage A", nil)
	for _, r := range fakeMetrics()[:50] {
		hook(r.StepLog)
	}
	d.Close()
	paths, err := RunLossCurves(d)
	if err != nil || len(paths) != 2 {
		t.Fatal(paths, err)
	}
	for _, p := range paths {
		checkFile(t, p)
	}
}
