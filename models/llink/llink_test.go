package llink

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

func tinyConfig() Config {
	c := DefaultConfig(6, 8)
	c.ProjHidden, c.ExpHidden, c.K = 10, 12, 3
	return c
}

func TestShapes(t *testing.T) {
	c := tinyConfig()
	r := testutil.RNG(1)
	p := NewProjector(c, r)
	s := NewSlots(c, 1.5, r)
	tp := autograd.NewTape()
	z := autograd.Const(tensor.RandN(r, 1, 4, c.EncDim))
	v := p.Forward(tp, z, rand.New(rand.NewPCG(1, 2)))
	if !slices.Equal(v.Shape(), []int{4, c.DecDim}) {
		t.Fatalf("projector out %v", v.Shape())
	}
	out := s.Forward(tp, v, nil)
	if !slices.Equal(out.Shape(), []int{4, c.K, c.DecDim}) {
		t.Fatalf("slots out %v", out.Shape())
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := c
	bad.K = 0
	if bad.Validate() == nil {
		t.Fatal("K = 0 accepted")
	}
}

// TestGradients checks the backward pass of the whole Stage B path and the
// Stage A loss against finite differences, with respect to the inputs.
func TestGradients(t *testing.T) {
	c := tinyConfig()
	c.Dropout = 0
	r := testutil.RNG(2)
	p := NewProjector(c, r)
	z := tensor.RandN(r, 1, 3, c.EncDim)
	for _, residual := range []bool{false, true} {
		c.ExpResidual = residual
		s := NewSlots(c, 1.3, r)
		res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
			return s.Forward(tp, p.Forward(tp, xs[0], nil), nil)
		}, []*tensor.Tensor{z}, autograd.CheckOpts{Tol: 2e-3})
		if err != nil {
			t.Fatalf("slots path (residual expander %v): %v (%+v)", residual, err, res)
		}
	}
	h := tensor.RandN(r, 1, 3, c.DecDim)
	neg := UnitRows(tensor.RandN(r, 1, 2, c.DecDim))
	res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
		return StageALoss(tp, xs[0], h, neg, 0.2, DefaultStageAWeights())
	}, []*tensor.Tensor{tensor.RandN(r, 1, 3, c.DecDim)}, autograd.CheckOpts{Tol: 2e-3})
	if err != nil {
		t.Fatalf("stage A loss: %v (%+v)", err, res)
	}
}

// TestResidualExpanderKeepsStageAVector checks what the residual expander is
// for: before any training the mean of the K slots points where its input
// does (cosine near 1), while the paper's plain MLP expander starts at a
// random projection of it (cosine near 0).
func TestResidualExpanderKeepsStageAVector(t *testing.T) {
	for _, tc := range []struct {
		residual bool
		lo, hi   float64
	}{{true, 0.8, 1.01}, {false, -0.5, 0.5}} {
		c := DefaultConfig(24, 64)
		c.ExpResidual = tc.residual
		e := NewExpander(c, testutil.RNG(5))
		r := testutil.RNG(6)
		v := tensor.RandN(r, 1, 16, c.DecDim)
		s := e.Forward(nil, autograd.Const(v)).Value // [16, K, d]
		mean := tensor.MeanAxis(s, 1, false)
		var sum float64
		for i := 0; i < 16; i++ {
			sum += cosine(mean.Row(i), v.Row(i))
		}
		if got := sum / 16; got < tc.lo || got > tc.hi {
			t.Errorf("residual %v: mean cosine(slot mean, input) = %.3f, want in [%.2f, %.2f]", tc.residual, got, tc.lo, tc.hi)
		}
	}
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

func TestAdapterGateStartsAtTanhG0(t *testing.T) {
	c := tinyConfig()
	a := NewAdapter(c, testutil.RNG(3))
	tp := autograd.NewTape()
	g := tp.Clamp(tp.Tanh(a.Gate), 0, a.GateMax).Item()
	if math.Abs(float64(g)-math.Tanh(0.5)) > 1e-6 {
		t.Fatalf("gate %v, want tanh(0.5)", g)
	}
	a.Gate.Value.Data()[0] = 5 // tanh ≈ 1: clamped at 0.7
	if g := tp.Clamp(tp.Tanh(a.Gate), 0, a.GateMax).Item(); g != 0.7 {
		t.Fatalf("gate %v, want clamp 0.7", g)
	}
}

func TestScaleNorm(t *testing.T) {
	// After Scale, every row has norm γ·√d (unit-variance, zero-mean row).
	c := tinyConfig()
	s := NewScale(2, 1e-6)
	r := testutil.RNG(4)
	out := s.Forward(nil, autograd.Const(tensor.RandN(r, 3, 5, c.DecDim)))
	for i := 0; i < 5; i++ {
		var n float64
		for _, v := range out.Value.Row(i) {
			n += float64(v) * float64(v)
		}
		if want := 2 * math.Sqrt(float64(c.DecDim)); math.Abs(math.Sqrt(n)-want) > 1e-3*want {
			t.Fatalf("row %d norm %v, want %v", i, math.Sqrt(n), want)
		}
	}
	emb := tensor.FromSlice([]float32{3, 4, 0, 1, 6, 8}, 3, 2)
	if got := MedianRowNorm(emb); got != 5 {
		t.Fatalf("median norm %v, want 5", got)
	}
}

func TestQueueHardest(t *testing.T) {
	q := NewQueue(3, 2)
	q.Push(tensor.FromSlice([]float32{1, 0, 0, 1, -1, 0}, 3, 2), []int{10, 11, 12})
	q.Push(tensor.FromSlice([]float32{0.6, 0.8}, 1, 2), []int{13}) // evicts id 10
	if q.Len() != 3 {
		t.Fatalf("len %d", q.Len())
	}
	p := tensor.FromSlice([]float32{0, 2}, 1, 2) // closest: id 11 (0,1), then 13
	got := q.Hardest(p, 2, nil)
	want := []float32{0, 1, 0.6, 0.8}
	for i := range want {
		if math.Abs(float64(got.Data()[i]-want[i])) > 1e-6 {
			t.Fatalf("hardest %v, want %v", got.Data(), want)
		}
	}
	got = q.Hardest(p, 2, []int{11}) // positive excluded
	if got.Dim(0) != 2 || got.Data()[0] != 0.6 {
		t.Fatalf("with exclusion %v", got.Data())
	}
}

func TestTau(t *testing.T) {
	if Tau(0, 11, 0.17, 0.08) != 0.17 || math.Abs(float64(Tau(10, 11, 0.17, 0.08)-0.08)) > 1e-7 || math.Abs(float64(Tau(5, 11, 0.17, 0.08)-0.125)) > 1e-6 {
		t.Fatal("tau schedule wrong")
	}
}

func TestStageBLosses(t *testing.T) {
	tp := autograd.NewTape()
	ce := autograd.NewParam("ce", tensor.FromSlice([]float32{2}, 1))
	// Slots help (CE_with 2 < CE_zero 3): no penalty, no gradient.
	if v := UsageLoss(tp, ce, 3, 0).Item(); v != 0 {
		t.Fatalf("helpful slots penalised: %v", v)
	}
	// Slots do not help (CE_with 2 ≥ CE_zero 1.5): penalty 0.5 + margin.
	l := UsageLoss(tp, ce, 1.5, 0.25)
	if v := l.Item(); math.Abs(float64(v)-0.75) > 1e-6 {
		t.Fatalf("usage loss %v, want 0.75", v)
	}
	tp.Backward(l)
	if g := ce.Grad.Data()[0]; g != 1 {
		t.Fatalf("usage gradient %v, want 1 (pushes CE_with down)", g)
	}
	r := testutil.RNG(5)
	h := tensor.RandN(r, 1, 3, 8)
	res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
		return SlotAlignLoss(tp, xs[0], nil, h, 0.05, 0.001, 0.07)
	}, []*tensor.Tensor{tensor.RandN(r, 1, 3, 4, 8)}, autograd.CheckOpts{Tol: 2e-3})
	if err != nil {
		t.Fatalf("slot align: %v (%+v)", err, res)
	}
	// Slots whose mean points along h have (near) zero MSE part.
	s := tensor.New(3, 2, 8)
	for i := 0; i < 3; i++ {
		copy(s.Data()[i*16:], h.Row(i))
		copy(s.Data()[i*16+8:], h.Row(i))
	}
	if v := SlotAlignLoss(nil, autograd.Const(s), nil, h, 1, 0, 0.07).Item(); v > 1e-6 {
		t.Fatalf("aligned slots MSE %v", v)
	}
}

// TestBagOfWords checks the bag-of-words loss against finite differences
// with respect to the slots and the head's weight and bias, and that it
// falls when the head is trained to predict the answers' tokens.
func TestBagOfWords(t *testing.T) {
	r := testutil.RNG(7)
	const n, k, d, vocab = 3, 2, 5, 7
	bow := NewBagOfWords(d, vocab, r)
	answers := [][]int{{1, 4, 4}, {0}, {6, 2, 5}}
	slots := tensor.RandN(r, 1, n, k, d)
	w, b := bow.Head.Weight.Value.Clone(), bow.Head.Bias.Value.Clone()
	res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
		h := &BagOfWords{Head: &nn.Linear{Weight: xs[1], Bias: xs[2], In: d, Out: vocab}}
		return h.Loss(tp, xs[0], nil, answers)
	}, []*tensor.Tensor{slots, w, b}, autograd.CheckOpts{Tol: 2e-3})
	if err != nil {
		t.Fatalf("bag-of-words loss: %v (%+v)", err, res)
	}

	// Training the head alone lowers the loss and ranks each answer's
	// tokens above the others.
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: bow.Params(), LR: 0.05}}, 0.9, 0.999, 1e-8)
	tp := autograd.NewTape()
	sv := autograd.Const(slots)
	first := bow.Loss(tp, sv, nil, answers).Item()
	var last float32
	for range 300 {
		tp.Reset()
		autograd.ZeroGrad(bow.Params())
		l := bow.Loss(tp, sv, nil, answers)
		tp.Backward(l)
		opt.Step()
		last = l.Item()
	}
	if !(last < first/4) {
		t.Fatalf("loss %v → %v, want a fourfold drop", first, last)
	}
	logits := bow.Head.Forward(autograd.NewTape(), autograd.Const(tensor.MeanAxis(slots, 1, false))).Value
	for i, ans := range answers {
		row := logits.Row(i)
		for tok := range vocab {
			if in := slices.Contains(ans, tok); in != (row[tok] > 0) {
				t.Fatalf("example %d token %d: logit %v, in answer %v", i, tok, row[tok], in)
			}
		}
	}
}

// TestWordLoss checks the word loss against finite differences and that it
// prefers slots that point at the passage's token embeddings.
func TestWordLoss(t *testing.T) {
	const n, k, d, vocab = 2, 3, 5, 9
	r := testutil.RNG(14)
	emb := UnitRows(tensor.RandN(r, 1, vocab, d))
	words := [][]int{{1, 4}, {7}}
	res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
		return WordLoss(tp, xs[0], nil, emb, words)
	}, []*tensor.Tensor{tensor.RandN(r, 1, n, k, d)}, autograd.CheckOpts{Tol: 3e-3})
	if err != nil {
		t.Fatalf("%v (%+v)", err, res)
	}
	// Slots equal to the words' embeddings score better than random slots.
	good := tensor.RandN(r, 1, n, k, d)
	copy(good.Data()[0*k*d:], emb.Row(1))
	copy(good.Data()[(0*k+1)*d:], emb.Row(4))
	copy(good.Data()[1*k*d:], emb.Row(7))
	bad := tensor.RandN(r, 1, n, k, d)
	if g, b := WordLoss(nil, autograd.Const(good), nil, emb, words).Item(), WordLoss(nil, autograd.Const(bad), nil, emb, words).Item(); g >= b {
		t.Fatalf("word loss %.4f for slots on the words, %.4f for random slots", g, b)
	}
}

// TestWordNCE checks the word alignment loss against finite differences,
// that a repeated word counts once, and that it prefers slots that point at
// the passage's token embeddings.
func TestWordNCE(t *testing.T) {
	const n, k, d, vocab = 2, 3, 5, 9
	r := testutil.RNG(16)
	emb := UnitRows(tensor.RandN(r, 1, vocab, d))
	words := [][]int{{1, 4, 1}, {7}}
	res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
		return WordNCE(tp, xs[0], nil, emb, words)
	}, []*tensor.Tensor{tensor.RandN(r, 1, n, k, d)}, autograd.CheckOpts{Tol: 3e-3})
	if err != nil {
		t.Fatalf("%v (%+v)", err, res)
	}
	x := tensor.RandN(r, 1, n, k, d)
	if a, b := WordNCE(nil, autograd.Const(x), nil, emb, words).Item(), WordNCE(nil, autograd.Const(x), nil, emb, [][]int{{1, 4}, {7}}).Item(); a != b {
		t.Fatalf("a repeated word changed the loss: %v vs %v", a, b)
	}
	good := tensor.RandN(r, 1, n, k, d)
	copy(good.Data()[0*k*d:], emb.Row(1))
	copy(good.Data()[(0*k+1)*d:], emb.Row(4))
	copy(good.Data()[1*k*d:], emb.Row(7))
	if g, b := WordNCE(nil, autograd.Const(good), nil, emb, words).Item(), WordNCE(nil, autograd.Const(x), nil, emb, words).Item(); g >= b {
		t.Fatalf("word NCE %.4f for slots on the words, %.4f for random slots", g, b)
	}
}
