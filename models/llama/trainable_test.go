package llama

import (
	"math"
	"math/rand/v2"
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

// TestTrainableGradient compares the gradient of every full-parameter
// tensor (tied and untied heads) with central differences, sampling a few
// elements each; for the tied table it samples a row used by both the
// lookup and the head and a row used by the head only.
func TestTrainableGradient(t *testing.T) {
	for _, tied := range []bool{true, false} {
		c := tinyConfig()
		c.TieWordEmbeddings = tied
		m := New(c, rand.New(rand.NewPCG(21, 22)))
		params := m.Trainable()
		r := rand.New(rand.NewPCG(23, 24))
		for _, p := range params {
			// Larger, random weights and gains: gradients well above
			// float32 rounding of the loss.
			for i := range p.Data() {
				if p.Value.Dims() == 1 {
					p.Data()[i] = 1 + 0.3*float32(r.NormFloat64())
				} else {
					p.Data()[i] = 0.2 * float32(r.NormFloat64())
				}
			}
		}
		ids := []int{3, 14, 15, 9, 26, 5, 3}
		lossOf := func(tp *autograd.Tape) *autograd.Var {
			h := m.ForwardTape(tp, m.EmbedTapeOn(tp, ids, 1, len(ids)), nil, nil)
			return tp.CrossEntropy(m.LogitsTape(tp, h), append(append([]int(nil), ids[1:]...), -100), -100)
		}
		tp := autograd.NewTape()
		autograd.ZeroGrad(params)
		tp.Backward(lossOf(tp))
		const eps = 1e-2
		for _, p := range params {
			idx := []int{0, p.Value.Len() / 2, p.Value.Len() - 1}
			if p.Name == "model.embed_tokens.weight" {
				d := c.Hidden
				idx = []int{3*d + 1, 14*d + 5, 20*d + 2} // rows 3 and 14 looked up, row 20 only scored
			}
			var num, ana, asym float64
			for _, i := range idx {
				old := p.Data()[i]
				p.Data()[i] = old + eps
				up := float64(lossOf(nil).Item())
				p.Data()[i] = old - eps
				down := float64(lossOf(nil).Item())
				p.Data()[i] = old
				n, a := (up-down)/(2*eps), float64(p.Grad.Data()[i])
				num, ana, asym = num+math.Abs(n), ana+math.Abs(a), asym+math.Abs(a-n)
			}
			if score := asym / (num + ana); score > 2e-2 || ana == 0 {
				t.Errorf("tied=%v %s: asymmetry %.3g (Σ|analytic| %.3g, Σ|numeric| %.3g)", tied, p.Name, score, ana, num)
			}
		}
	}
}
