package train

import (
	"math"
	"testing"

	"github.com/llink-go/llink/models/llink"
)

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
