package train

import (
	"github.com/llink-go/llink/models/llink"
	"math"
	"testing"
)

func TestLayerStatsExact(t *testing.T) {
	lp := LayerPairs{Name: "x",
		Foreign: []Hidden{{{3, 4}, {1, 0}}},
		English: []Hidden{{{3, 4}, {0, 2}}}}
	s, err := ComputeLayerStats(lp)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "x" || math.Abs(s.Cosine[0]-1) > 1e-12 || s.Cosine[1] != 0 || s.ForeignNorm[0] != 5 || s.EnglishNorm[1] != 2 {
		t.Fatalf("%+v", s)
	}
	for _, bad := range []LayerPairs{
		{Name: "empty"},
		{Name: "unaligned", Foreign: lp.Foreign},
		{Name: "ragged", Foreign: []Hidden{{{1, 2}}}, English: []Hidden{{{1}}}},
		{Name: "layers", Foreign: []Hidden{{{1}}, {{1}, {2}}}, English: []Hidden{{{1}}, {{1}, {2}}}},
	} {
		if _, err := ComputeLayerStats(bad); err == nil {
			t.Errorf("%s: accepted", bad.Name)
		}
	}
}

// TestSpanStates checks the per-layer span mean: the last state of a
// one-token span is the final hidden state at that position.
func TestSpanStates(t *testing.T) {
	m := tinyDecoder(5)
	ids := []int{1, 7, 9, 11, 4}
	x := m.Embed(ids)
	h := spanStates(m, x, 3, 4)
	if len(h) != m.Config.Layers+2 {
		t.Fatalf("%d layers of states, want %d", len(h), m.Config.Layers+2)
	}
	want := llink.LastHidden(m, [][]int{ids[:4]}, 0).Row(0)
	for j, w := range want {
		if g := h[len(h)-1][j]; math.Abs(float64(g-w)) > 1e-5 {
			t.Fatalf("dim %d: span state %g, last hidden %g", j, g, w)
		}
	}
	for j, v := range h[0] {
		if v != x.Row(3)[j] {
			t.Fatalf("layer 0 is not the input embedding")
		}
	}
}
