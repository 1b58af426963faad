package llama

import (
	"math"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

// TestHiddenStates checks the layer hook against the plain forward: state 0
// is the input, the last is ForwardEmbeds' output, and the state after
// block l, final-normed, is what a copy of the model cut after block l
// returns; padded batches give every row its unbatched states.
func TestHiddenStates(t *testing.T) {
	c := Tiny(40)
	c.Hidden, c.Intermediate, c.Layers, c.Heads, c.KVHeads, c.HeadDim = 32, 64, 3, 4, 2, 8
	m := New(c, testutil.RNG(7))
	r := testutil.RNG(8)
	const B, T = 2, 7
	x := tensor.RandN(r, 1, B, T, c.Hidden)
	mask := make([]bool, B*T)
	for i := range mask {
		mask[i] = i < T || i-T < 4 // row 1: 4 real tokens, then padding
	}
	states := m.HiddenStates(x, mask)
	if len(states) != c.Layers+2 {
		t.Fatalf("%d states for %d layers, want %d", len(states), c.Layers, c.Layers+2)
	}
	near := func(what string, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("%s [%d]: %g, want %g", what, i, got[i], want[i])
			}
		}
	}
	near("state 0 (input)", states[0].Data(), x.Data())
	near("final state", states[c.Layers+1].Data(), m.ForwardEmbeds(x, mask, nil).Data())
	for l := 1; l <= c.Layers; l++ {
		cut := *m
		cut.Config.Layers, cut.Layers = l, m.Layers[:l]
		want := cut.ForwardEmbeds(x, mask, nil).Data()
		got := make([]float32, len(want))
		rmsRows(got, states[l].Data(), m.Norm.Data(), c.Hidden, float32(c.RMSNormEps))
		for b := range B {
			for p := range T {
				if !mask[b*T+p] {
					continue
				}
				o := (b*T + p) * c.Hidden
				near("normed state after block", got[o:o+c.Hidden], want[o:o+c.Hidden])
			}
		}
	}
	// Row 1 alone (its 4 real tokens) has the same states as in the batch.
	alone := m.HiddenStates(tensor.FromSlice(append([]float32(nil), x.Data()[T*c.Hidden:(T+4)*c.Hidden]...), 1, 4, c.Hidden), nil)
	for l, s := range alone {
		near("unbatched row", s.Data(), states[l].Data()[T*c.Hidden:(T+4)*c.Hidden])
	}
}
