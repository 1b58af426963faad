package llama

import (
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/nn"
)

// TestTrainableOverfits trains every weight of a tiny tied model on one
// sequence: the loss must fall near zero, the tied table must get the
// gradient of both its uses, and the fast inference path must see the
// trained weights.
func TestTrainableOverfits(t *testing.T) {
	c := Tiny(24)
	c.Hidden, c.Intermediate, c.Layers, c.Heads, c.KVHeads, c.HeadDim = 32, 64, 2, 4, 2, 8
	m := New(c, testutil.RNG(1))
	params := m.Trainable()
	if len(params) != 2+9*c.Layers {
		t.Fatalf("%d parameters", len(params))
	}
	seq := []int{1, 5, 9, 2, 7, 7, 3, 11, 4, 6, 8, 10, 12, 2}
	in, tgt := seq[:len(seq)-1], seq[1:]
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params, LR: 1e-2}}, 0.9, 0.99, 1e-8)
	tp := autograd.NewTape()
	var first, last float32
	for step := 0; step < 150; step++ {
		tp.Reset()
		autograd.ZeroGrad(params)
		x := m.EmbedTapeOn(tp, in, 1, len(in))
		logits := m.LogitsTape(tp, m.ForwardTape(tp, x, nil, nil))
		loss := tp.CrossEntropy(logits, tgt, -100)
		tp.Backward(loss)
		opt.Step()
		if step == 0 {
			first = loss.Item()
		}
		last = loss.Item()
	}
	if last > 0.05 || last > first/20 {
		t.Fatalf("loss %.3f → %.3f", first, last)
	}
	h := m.Forward(Batch{B: 1, T: len(in), IDs: in}, nil)
	lg := m.Logits(h)
	for i, want := range tgt {
		row := lg.Row(i)
		best := 0
		for j := range row {
			if row[j] > row[best] {
				best = j
			}
		}
		if best != want {
			t.Fatalf("inference path predicts %d at %d, want %d", best, i, want)
		}
	}
}
