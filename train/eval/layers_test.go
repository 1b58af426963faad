package eval

import (
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
