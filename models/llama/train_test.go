package llama

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// TestInjectGradient checks the LLINK training path against the fixture:
// the next-token cross-entropy of a sequence whose rows 2..4 are given
// vectors, and its gradient with respect to those vectors (backward through
// the whole frozen decoder).
func TestInjectGradient(t *testing.T) {
	m := load(t, "llama_tied", false)
	e := readExpected(t, filepath.Join("..", "testdata", "llama_tied"))
	in := e.Inject
	a := e.Seqs["a"]
	T := len(a)
	tp := autograd.NewTape()
	vec := autograd.NewParam("slots", tensor.FromSlice(append([]float32(nil), in.Vectors.Data...), in.Vectors.Shape...))
	x := tp.ScatterRows(m.EmbedTape(a, 1, T), vec, in.Positions)
	h := m.ForwardTape(tp, x, nil, nil)
	logits := m.LogitsTape(tp, h)
	targets := append(append([]int(nil), a[1:]...), -100)
	loss := tp.CrossEntropy(logits, targets, -100)
	tp.Backward(loss)
	checkClose(t, "tape logits", logits.Data(), in.Logits.Data)
	if d := math.Abs(float64(loss.Item()) - in.Loss); d > 1e-4*math.Abs(in.Loss) {
		t.Errorf("loss %g, want %g", loss.Item(), in.Loss)
	}
	checkClose(t, "gradient w.r.t. injected rows", vec.Grad.Data(), in.Grad.Data)
}

// TestTapeMatchesInference: with LoRA adapters (non-zero B) on a padded
// batch, the differentiable forward equals the inference forward, for f32
// and bf16 weights (the inference forward with float32 activations, as the
// tape's).
func TestTapeMatchesInference(t *testing.T) {
	f32Activations(t)
	for _, bf16 := range []bool{false, true} {
		m := New(tinyConfig(), rand.New(rand.NewPCG(7, 8)))
		if bf16 {
			m.ToBF16()
		}
		r := rand.New(rand.NewPCG(9, 10))
		params := m.AddLoRA(LoRAOptions{Rank: 2, Alpha: 4, Targets: []string{"q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"}}, r)
		for _, p := range params {
			p.Value.CopyFrom(tensor.RandN(r, 0.5, p.Shape()...))
		}
		if got := len(m.LoRAParams()); got != len(params) {
			t.Fatalf("LoRAParams: %d, want %d", got, len(params))
		}
		b := PadLeft([][]int{{5, 6, 7, 8, 9}, {10, 11}}, 0)
		want := m.Logits(m.Forward(b, nil))
		tp := autograd.NewTape()
		got := m.LogitsTape(tp, m.ForwardTape(tp, m.EmbedTape(b.IDs, b.B, b.T), b.Mask, nil))
		var gw, ww []float32
		v := m.Config.VocabSize
		for i, real := range b.Mask {
			if real {
				gw = append(gw, got.Data()[i*v:(i+1)*v]...)
				ww = append(ww, want.Data()[i*v:(i+1)*v]...)
			}
		}
		checkClose(t, "tape vs inference", gw, ww)
	}
}

// TestLoRAGradient compares the LoRA gradients with central differences.
func TestLoRAGradient(t *testing.T) {
	m := New(tinyConfig(), rand.New(rand.NewPCG(11, 12)))
	for _, l := range m.Layers {
		l.O.W.ScaleInPlace(10)
		l.Down.W.ScaleInPlace(10)
	}
	m.Emb.W.ScaleInPlace(20)
	r := rand.New(rand.NewPCG(13, 14))
	params := m.AddLoRA(LoRAOptions{Rank: 2, Alpha: 2, Targets: []string{"v_proj", "down_proj"}}, r)
	for _, p := range params {
		p.Value.CopyFrom(tensor.RandN(r, 0.3, p.Shape()...))
	}
	ids := []int{3, 14, 15, 9, 26, 5}
	lossOf := func(tp *autograd.Tape) *autograd.Var {
		h := m.ForwardTape(tp, m.EmbedTape(ids, 1, len(ids)), nil, nil)
		return tp.CrossEntropy(m.LogitsTape(tp, h), append(append([]int(nil), ids[1:]...), -100), -100)
	}
	tp := autograd.NewTape()
	tp.Backward(lossOf(tp))
	const eps = 1e-2
	var num, ana, asym float64
	for _, p := range params {
		for _, i := range []int{0, p.Value.Len() / 2, p.Value.Len() - 1} {
			old := p.Data()[i]
			p.Data()[i] = old + eps
			up := float64(lossOf(nil).Item())
			p.Data()[i] = old - eps
			down := float64(lossOf(nil).Item())
			p.Data()[i] = old
			n, a := (up-down)/(2*eps), float64(p.Grad.Data()[i])
			num, ana = num+math.Abs(n), ana+math.Abs(a)
			asym += math.Abs(a - n)
		}
	}
	if score := asym / (num + ana); score > 1e-2 || ana == 0 {
		t.Errorf("LoRA gradient asymmetry %.3g (Σ|analytic| %.3g, Σ|numeric| %.3g)", score, ana, num)
	}
}

// TestBF16TrainPath: a training step's gradients (LoRA parameters and an
// injected input) through bf16 projections equal float32 arithmetic's (the
// generic level's) to float32 rounding on a widening level and to within
// 2⁻⁷ relative on the bf16 dot-product level, where x and dy are rounded
// to bf16 in the forward and backward GEMMs (9.8e-4 here with the former
// transposed copies).
func TestBF16TrainPath(t *testing.T) {
	grads := func(l asm.Level) []float32 {
		defer asm.SetLevel(l)()
		m := New(tinyConfig(), rand.New(rand.NewPCG(7, 8)))
		m.ToBF16()
		r := rand.New(rand.NewPCG(9, 10))
		params := m.AddLoRA(LoRAOptions{Rank: 2, Alpha: 4, Targets: []string{"q_proj", "v_proj", "o_proj", "up_proj", "down_proj"}}, r)
		for _, p := range params {
			p.Value.CopyFrom(tensor.RandN(r, 0.5, p.Shape()...))
		}
		ids := []int{3, 14, 15, 9, 26, 5, 7, 1, 2, 30, 11}
		vec := autograd.NewParam("slots", tensor.RandN(r, 1, 2, m.Config.Hidden))
		tp := autograd.NewTape()
		x := tp.ScatterRows(m.EmbedTape(ids, 1, len(ids)), vec, []int{2, 3})
		h := m.ForwardTape(tp, x, nil, nil)
		tp.Backward(tp.CrossEntropy(m.LogitsTape(tp, h), append(append([]int(nil), ids[1:]...), -100), -100))
		out := append([]float32(nil), vec.Grad.Data()...)
		for _, p := range params {
			out = append(out, p.Grad.Data()...)
		}
		return out
	}
	ref := grads(asm.Generic)
	for _, l := range asm.Available() {
		got := grads(l)
		var d, n float64
		for i, w := range ref {
			e := float64(got[i]) - float64(w)
			d, n = d+e*e, n+float64(w)*float64(w)
		}
		e := math.Sqrt(d / n)
		tol := 1e-5
		if l == asm.AVX512BF16 {
			tol = 1.0 / 128
		}
		t.Logf("%s: gradients vs float32 arithmetic: relative error %.2e", l, e)
		if e > tol || n == 0 {
			t.Errorf("%s: relative error %.2e > %g (norm² %g)", l, e, tol, n)
		}
	}
}

// TestForwardTapeSegments: ForwardTape (a segment per layer, RoPE and the
// residual sums in the projections' buffers) gives every bit of the loss
// and of the gradients — LoRA parameters with dropout, an injected input,
// a padded batch, float32 and bf16 weights — that the plain form of the
// same ops gives, and its backward pass holds less arena memory.
func TestForwardTapeSegments(t *testing.T) {
	for _, bf16 := range []bool{false, true} {
		m := New(tinyConfig(), rand.New(rand.NewPCG(7, 8)))
		if bf16 {
			m.ToBF16()
		}
		r := rand.New(rand.NewPCG(9, 10))
		params := m.AddLoRA(LoRAOptions{Rank: 2, Alpha: 4, Dropout: 0.1, Targets: []string{"q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"}}, r)
		for _, p := range params {
			p.Value.CopyFrom(tensor.RandN(r, 0.5, p.Shape()...))
		}
		vec := autograd.NewParam("slots", tensor.RandN(r, 1, 2, m.Config.Hidden))
		params = append(params, vec)
		b := PadLeft([][]int{{5, 6, 7, 8, 9, 10, 11}, {10, 11, 12}}, 0)
		run := func(forward func(*autograd.Tape, *autograd.Var, []bool, *rand.Rand) *autograd.Var) (float32, [][]float32, int) {
			autograd.ZeroGrad(params)
			tp := autograd.NewTape()
			x := tp.ScatterRows(m.EmbedTape(b.IDs, b.B, b.T), vec, []int{3, 9})
			h := forward(tp, x, b.Mask, rand.New(rand.NewPCG(1, 2)))
			loss := tp.CrossEntropy(m.LogitsTape(tp, h), []int{-100, -100, -100, 6, 7, 8, 9, -100, -100, -100, 11, 12, 13, -100}, -100)
			tp.Backward(loss)
			var g [][]float32
			for _, p := range params {
				g = append(g, append([]float32(nil), p.Grad.Data()...))
			}
			return loss.Item(), g, tp.Arena().Bytes()
		}
		wantLoss, want, plain := run(m.forwardTapePlain)
		gotLoss, got, segmented := run(m.ForwardTape)
		if gotLoss != wantLoss {
			t.Errorf("bf16 %v: loss %g, want %g", bf16, gotLoss, wantLoss)
		}
		for i := range want {
			for j := range want[i] {
				if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
					t.Fatalf("bf16 %v: gradient of %s element %d is %g, want %g", bf16, params[i].Name, j, got[i][j], want[i][j])
				}
			}
		}
		if segmented >= plain {
			t.Errorf("bf16 %v: arena %d bytes with segments, %d without", bf16, segmented, plain)
		}
	}
}

// forwardTapePlain is ForwardTape without segments or buffer reuse: every
// op writes a new tensor, and the backward pass keeps every gradient.
func (m *Model) forwardTapePlain(tp *autograd.Tape, x *autograd.Var, mask []bool, rng *rand.Rand) *autograd.Var {
	return m.forwardTape(tp, x, mask, rng, false)
}

// TestFastSiLU: with FastSiLU the inference forward and the differentiable
// one still agree, and both stay within float32 rounding of the default
// float64 SiLU's logits — close, but not the same bits.
func TestFastSiLU(t *testing.T) {
	m := New(tinyConfig(), rand.New(rand.NewPCG(3, 4)))
	b := PadLeft([][]int{{5, 6, 7, 8, 9, 1, 2, 3}, {10, 11, 12}}, 0)
	def := m.Logits(m.Forward(b, nil)).Clone()
	m.FastSiLU = true
	fast := m.Logits(m.Forward(b, nil))
	tp := autograd.NewTape()
	tape := m.LogitsTape(tp, m.ForwardTape(tp, m.EmbedTape(b.IDs, b.B, b.T), b.Mask, nil))
	var fr, dr, tr []float32
	v := m.Config.VocabSize
	for i, real := range b.Mask {
		if real {
			fr = append(fr, fast.Data()[i*v:(i+1)*v]...)
			dr = append(dr, def.Data()[i*v:(i+1)*v]...)
			tr = append(tr, tape.Data()[i*v:(i+1)*v]...)
		}
	}
	checkClose(t, "fast SiLU: tape vs inference", tr, fr)
	checkClose(t, "fast SiLU vs float64 SiLU", fr, dr)
	if tensor.MaxAbsDiff(tensor.FromSlice(fr, len(fr)), tensor.FromSlice(dr, len(dr))) == 0 {
		t.Error("FastSiLU gives the float64 SiLU's logits bit for bit: is it used?")
	}
}
