package nn

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/race"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

func randT(r *rand.Rand, shape ...int) *tensor.Tensor { return tensor.RandU(r, -1, 1, shape...) }

// checkModule gradient-checks f with respect to x and the parameters that
// ptrs point at (rebinding them to the checker's Vars).
func checkModule(t *testing.T, x *tensor.Tensor, ptrs []**autograd.Var, f func(tp *autograd.Tape, x *autograd.Var) *autograd.Var) {
	t.Helper()
	inputs := []*tensor.Tensor{x}
	for _, p := range ptrs {
		inputs = append(inputs, (*p).Value)
	}
	res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
		for i, p := range ptrs {
			*p = xs[i+1]
		}
		return f(tp, xs[0])
	}, inputs, autograd.CheckOpts{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("score %.2e", res.Score)
}

func lin(l Layer) *Linear { return l.(*Linear) }

func TestModuleGradients(t *testing.T) {
	r := testutil.RNG(1)
	t.Run("linear", func(t *testing.T) {
		l := NewLinear("l", 4, 3, true, nil, r)
		checkModule(t, randT(r, 2, 4), []**autograd.Var{&l.Weight, &l.Bias}, l.Forward)
	})
	t.Run("lora", func(t *testing.T) {
		l := NewLoRA("l", NewLinear("l", 4, 3, true, nil, r), 2, 4, 0.2, r)
		Uniform(-1, 1)(r, l.B.Value) // B starts at zero; make the A path visible
		l.Dropout.RNG = nil          // deterministic for finite differences
		checkModule(t, randT(r, 2, 4), []**autograd.Var{&l.A, &l.B}, l.Forward)
	})
	t.Run("embedding", func(t *testing.T) {
		e := NewEmbedding("e", 5, 3, nil, r)
		checkModule(t, randT(r, 1), []**autograd.Var{&e.Weight}, func(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
			return tp.Mul(e.Forward(tp, []int{4, 0, 4, 2}), x)
		})
	})
	t.Run("rmsnorm", func(t *testing.T) {
		n := NewRMSNorm("n", 5, 1e-5)
		Uniform(0.5, 1.5)(r, n.Weight.Value)
		checkModule(t, randT(r, 3, 5), []**autograd.Var{&n.Weight}, n.Forward)
	})
	t.Run("layernorm", func(t *testing.T) {
		n := NewLayerNorm("n", 5, 1e-5, true)
		Uniform(0.5, 1.5)(r, n.Weight.Value)
		Uniform(-1, 1)(r, n.Bias.Value)
		checkModule(t, randT(r, 3, 5), []**autograd.Var{&n.Weight, &n.Bias}, n.Forward)
	})
	t.Run("mlp", func(t *testing.T) {
		m := NewMLP("m", 4, 6, 3, 0, r)
		checkModule(t, randT(r, 2, 4), []**autograd.Var{&lin(m.FC1).Weight, &lin(m.FC1).Bias, &lin(m.FC2).Weight}, m.Forward)
	})
	t.Run("swiglu", func(t *testing.T) {
		m := NewSwiGLU("m", 4, 6, nil, r)
		checkModule(t, randT(r, 2, 4), []**autograd.Var{&lin(m.Gate).Weight, &lin(m.Up).Weight, &lin(m.Down).Weight}, m.Forward)
	})
	t.Run("attention", func(t *testing.T) {
		a := NewAttention("a", AttentionConfig{Dim: 8, Heads: 4, KVHeads: 2, Bias: true}, r)
		cos, sin := autograd.RoPETables(nil, autograd.RoPEInvFreq(2, 10000, nil), []int{0, 1, 2, 3, 4})
		args := AttnArgs{Cos: cos, Sin: sin, Causal: true, KeyMask: []bool{true, true, true, true, true, false, true, true, true, true}}
		checkModule(t, randT(r, 2, 5, 8), []**autograd.Var{&lin(a.Q).Weight, &lin(a.K).Weight, &lin(a.V).Weight, &lin(a.O).Weight, &lin(a.Q).Bias},
			func(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
				return a.Forward(tp, tp.Scale(x, 3), args, nil)
			})
	})
	t.Run("lm", func(t *testing.T) {
		m := newTinyLM(lmConfig{vocab: 7, dim: 8, layers: 1, heads: 2, kvHeads: 1, hidden: 12}, r)
		ids := []int{1, 2, 3, 4, 5, 6, 0, 1}
		Normal(0.5)(r, m.head.Weight.Value)
		Normal(1)(r, m.embed.Weight.Value) // unit-scale inputs to the norms: eps 1e-2 is then a small step
		var ptrs []**autograd.Var
		for i, p := range paramPtrs(m) {
			if i%3 == 0 { // a spread of parameters keeps the check fast
				ptrs = append(ptrs, p)
			}
		}
		checkModule(t, randT(r, 1), ptrs, func(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
			return tp.Mul(m.loss(tp, ids, 2), x)
		})
	})
}

// paramPtrs returns pointers to every parameter field of m.
func paramPtrs(m *tinyLM) []**autograd.Var {
	ps := []**autograd.Var{&m.embed.Weight}
	for _, l := range m.layers {
		ps = append(ps, &l.inNorm.Weight, &l.postNorm.Weight)
		for _, x := range []Layer{l.attn.Q, l.attn.K, l.attn.V, l.attn.O, l.mlp.Gate, l.mlp.Up, l.mlp.Down} {
			ps = append(ps, &lin(x).Weight)
		}
	}
	return append(ps, &m.norm.Weight, &m.head.Weight)
}

func TestNames(t *testing.T) {
	m := newTinyLM(lmConfig{vocab: 7, dim: 8, layers: 2, heads: 2, kvHeads: 1, hidden: 12}, testutil.RNG(1))
	byName, err := ByName(m.Params())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"model.embed_tokens.weight", "model.layers.1.self_attn.q_proj.weight",
		"model.layers.0.mlp.down_proj.weight", "model.layers.1.post_attention_layernorm.weight", "model.norm.weight", "lm_head.weight"} {
		if byName[want] == nil {
			t.Errorf("missing %s in %v", want, Names(m.Params()))
		}
	}
	if got := byName["model.layers.0.self_attn.k_proj.weight"].Shape(); !slices.Equal(got, []int{4, 8}) {
		t.Errorf("GQA k_proj shape %v, want [4 8]", got)
	}
}

func TestXOR(t *testing.T) {
	r := testutil.RNG(2)
	l1, l2 := NewLinear("l1", 2, 8, true, Xavier(1), r), NewLinear("l2", 8, 1, true, Xavier(1), r)
	ps := Join(l1, l2)
	x := autograd.Const(tensor.FromSlice([]float32{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2))
	y := tensor.FromSlice([]float32{0, 1, 1, 0}, 4, 1)
	opt := NewAdamW([]ParamGroup{{Params: ps, LR: 0.05}}, 0.9, 0.999, 1e-8)
	tp := autograd.NewTape()
	var loss float32
	for step := 0; step < 400; step++ {
		l := tp.BCEWithLogits(l2.Forward(tp, tp.Tanh(l1.Forward(tp, x))), y)
		loss = l.Item()
		tp.Backward(l)
		opt.Step()
		autograd.ZeroGrad(ps)
		tp.Reset()
	}
	out := l2.Forward(nil, (*autograd.Tape)(nil).Tanh(l1.Forward(nil, x)))
	for i, want := range y.Data() {
		if got := out.Data()[i] > 0; got != (want > 0.5) {
			t.Errorf("xor row %d: logit %g, want class %g", i, out.Data()[i], want)
		}
	}
	if loss > 0.02 {
		t.Errorf("final loss %g, want < 0.02", loss)
	}
}

const lmText = "the quick brown fox jumps over the lazy dog. the dog sleeps."

func textIDs() ([]int, int) {
	vocab := map[rune]int{}
	var ids []int
	for _, c := range lmText {
		if _, ok := vocab[c]; !ok {
			vocab[c] = len(vocab)
		}
		ids = append(ids, vocab[c])
	}
	return ids, len(vocab)
}

func trainLM(t testing.TB, seed uint64, steps int) (*tinyLM, []float32) {
	ids, v := textIDs()
	m := newTinyLM(lmConfig{vocab: v, dim: 32, layers: 2, heads: 4, kvHeads: 2, hidden: 64}, testutil.RNG(seed))
	ps := m.Params()
	opt := NewAdamW([]ParamGroup{{Params: ps, LR: 1e-2, WeightDecay: 0}}, 0.9, 0.99, 1e-8)
	opt.Schedule = WarmupCosine(10, steps, 0.1)
	tp := autograd.NewTape()
	var losses []float32
	for s := 0; s < steps; s++ {
		l := m.loss(tp, ids, 1)
		losses = append(losses, l.Item())
		tp.Backward(l)
		if err := CheckFinite(l, ps); err != nil {
			t.Fatal(err)
		}
		ClipGradNorm(ps, 1)
		opt.Step()
		autograd.ZeroGrad(ps)
		tp.Reset()
	}
	return m, losses
}

func TestTinyLMOverfits(t *testing.T) {
	_, losses := trainLM(t, 3, 150)
	t.Logf("loss %g → %g", losses[0], losses[len(losses)-1])
	if last := losses[len(losses)-1]; last > 0.05 {
		t.Fatalf("tiny LM did not overfit: final loss %g", last)
	}
}

func TestDeterministic(t *testing.T) {
	a, la := trainLM(t, 4, 5)
	b, lb := trainLM(t, 4, 5)
	if !slices.Equal(la, lb) {
		t.Fatalf("losses differ: %v vs %v", la, lb)
	}
	pa, pb := a.Params(), b.Params()
	for i := range pa {
		if !slices.Equal(pa[i].Data(), pb[i].Data()) {
			t.Fatalf("parameter %s differs between identical runs", pa[i].Name)
		}
	}
}

func TestKVCacheMatchesFullForward(t *testing.T) {
	ids, v := textIDs()
	m := newTinyLM(lmConfig{vocab: v, dim: 32, layers: 2, heads: 4, kvHeads: 2, hidden: 64}, testutil.RNG(5))
	Normal(0.3)(testutil.RNG(6), m.head.Weight.Value)
	const b, tt = 2, 12
	batch := append(slices.Clone(ids[:tt]), ids[20:20+tt]...)
	full := m.forward(nil, batch, b, 0, nil) // [B, T, V]
	caches := make([]*KVCache, len(m.layers))
	for i := range caches {
		caches[i] = NewKVCache(b, 32, 2, 8)
	}
	check := func(lo, hi int) {
		step := make([]int, 0, b*(hi-lo))
		for bi := 0; bi < b; bi++ {
			step = append(step, batch[bi*tt+lo:bi*tt+hi]...)
		}
		got := m.forward(nil, step, b, lo, caches)
		want := tensor.Slice(full.Value, 1, lo, hi)
		if d := tensor.MaxAbsDiff(got.Value, want); d > 1e-5 {
			t.Fatalf("positions %d..%d: cached logits differ by %g", lo, hi, d)
		}
	}
	check(0, 5) // prefill
	for p := 5; p < tt; p++ {
		check(p, p+1) // one token at a time
	}
}

func TestAdamWHandStep(t *testing.T) {
	w := autograd.NewParam("w", tensor.FromSlice([]float32{1, 2, 3}, 3))
	w.Grad = tensor.FromSlice([]float32{0.1, -0.2, 0.3}, 3)
	opt := NewAdamW([]ParamGroup{{Params: []*autograd.Var{w}, LR: 0.1, WeightDecay: 0.01}}, 0.9, 0.999, 1e-8)
	opt.Step()
	// Step 1: bias-corrected m̂ = g, v̂ = g², so p ← p(1 − lr·wd) − lr·g/(|g|+eps).
	want1 := []float64{1*0.999 - 0.1, 2*0.999 + 0.1, 3*0.999 - 0.1} // 0.899, 2.098, 2.897
	for i, g := range want1 {
		if math.Abs(float64(w.Data()[i])-g) > 1e-6 {
			t.Fatalf("step 1: w = %v, want %v", w.Data(), want1)
		}
	}
	// Step 2 with a new gradient, against the formula in float64.
	g2 := []float64{-0.05, 0.4, 0.3}
	copy(w.Grad.Data(), []float32{-0.05, 0.4, 0.3})
	opt.Step()
	g1 := []float64{0.1, -0.2, 0.3}
	for i := range g2 {
		m := 0.9*(0.1*g1[i]) + 0.1*g2[i]
		v := 0.999*(0.001*g1[i]*g1[i]) + 0.001*g2[i]*g2[i]
		mh, vh := m/(1-0.81), v/(1-0.999*0.999)
		want := want1[i]*(1-0.1*0.01) - 0.1*mh/(math.Sqrt(vh)+1e-8)
		if math.Abs(float64(w.Data()[i])-want) > 1e-6 {
			t.Fatalf("step 2 element %d: %g, want %g", i, w.Data()[i], want)
		}
	}
}

func TestSGD(t *testing.T) {
	w := autograd.NewParam("w", tensor.FromSlice([]float32{1, 2}, 2))
	w.Grad = tensor.FromSlice([]float32{0.5, -1}, 2)
	o := NewSGD([]ParamGroup{{Params: []*autograd.Var{w}, LR: 0.1}}, 0.9)
	o.Step()
	o.Step() // buf = 0.9·g + g = 1.9g
	want := []float32{1 - 0.1*0.5 - 0.1*1.9*0.5, 2 + 0.1 + 0.1*1.9}
	for i := range want {
		if math.Abs(float64(w.Data()[i]-want[i])) > 1e-6 {
			t.Fatalf("sgd w = %v, want %v", w.Data(), want)
		}
	}
}

func TestSchedules(t *testing.T) {
	c := WarmupCosine(10, 110, 0.01)
	for _, tc := range []struct {
		s    int
		want float32
	}{{0, 0}, {5, 0.5}, {10, 1}, {60, 0.505}, {110, 0.01}, {500, 0.01}} {
		if got := c(tc.s); math.Abs(float64(got-tc.want)) > 1e-5 {
			t.Errorf("cosine(%d) = %g, want %g", tc.s, got, tc.want)
		}
	}
	l := WarmupLinear(10, 110)
	for _, tc := range []struct {
		s    int
		want float32
	}{{0, 0}, {5, 0.5}, {10, 1}, {60, 0.5}, {110, 0}, {200, 0}} {
		if got := l(tc.s); math.Abs(float64(got-tc.want)) > 1e-6 {
			t.Errorf("linear(%d) = %g, want %g", tc.s, got, tc.want)
		}
	}
	if Constant()(1234) != 1 {
		t.Error("constant")
	}
}

func TestClipAndCheckFinite(t *testing.T) {
	a := autograd.NewParam("a", tensor.New(2))
	b := autograd.NewParam("model.layers.1.mlp.up_proj.weight", tensor.New(1))
	a.Grad, b.Grad = tensor.FromSlice([]float32{3, 0}, 2), tensor.FromSlice([]float32{4}, 1)
	if n := ClipGradNorm([]*autograd.Var{a, b}, 1); math.Abs(float64(n)-5) > 1e-6 {
		t.Fatalf("norm %g, want 5", n)
	}
	if math.Abs(float64(a.Grad.Data()[0])-0.6) > 1e-5 || math.Abs(float64(b.Grad.Data()[0])-0.8) > 1e-5 {
		t.Fatalf("clipped grads %v %v", a.Grad.Data(), b.Grad.Data())
	}
	if err := CheckFinite(nil, []*autograd.Var{a, b}); err != nil {
		t.Fatal(err)
	}
	b.Grad.Data()[0] = float32(math.NaN())
	err := CheckFinite(nil, []*autograd.Var{a, b})
	if err == nil || !strings.Contains(err.Error(), "model.layers.1.mlp.up_proj.weight") {
		t.Fatalf("error %v does not name the parameter", err)
	}
	loss := autograd.Const(tensor.FromSlice([]float32{float32(math.Inf(1))}, 1))
	if err := CheckFinite(loss, nil); err == nil {
		t.Fatal("infinite loss not reported")
	}
}

func TestLoRAMerge(t *testing.T) {
	r := testutil.RNG(8)
	base := NewLinear("q_proj", 6, 4, true, nil, r)
	orig := base.Weight.Value.Clone()
	l := NewLoRA("q_proj", base, 2, 8, 0, r)
	if base.Weight.RequiresGrad() || !l.A.RequiresGrad() {
		t.Fatal("LoRA must freeze the base and train A, B")
	}
	if l.A.Name != "q_proj.lora_A.weight" || l.B.Name != "q_proj.lora_B.weight" {
		t.Fatalf("names %s %s", l.A.Name, l.B.Name)
	}
	x := autograd.Const(randT(r, 3, 6))
	if d := tensor.MaxAbsDiff(l.Forward(nil, x).Value, base.Forward(nil, x).Value); d != 0 {
		t.Fatal("zero-initialised B must leave the base output unchanged")
	}
	Uniform(-1, 1)(r, l.B.Value)
	want := l.Forward(nil, x).Value
	if err := l.Merge(); err != nil {
		t.Fatal(err)
	}
	if d := tensor.MaxAbsDiff(l.Forward(nil, x).Value, want); d > 1e-5 {
		t.Fatalf("merged output differs by %g", d)
	}
	if err := l.Unmerge(); err != nil {
		t.Fatal(err)
	}
	if d := tensor.MaxAbsDiff(base.Weight.Value, orig); d > 1e-6 {
		t.Fatalf("unmerge left the weight off by %g", d)
	}
	base.ToBF16()
	if err := l.Merge(); err == nil {
		t.Fatal("merging into a bf16 weight must fail")
	}
}

func TestLinearBF16(t *testing.T) {
	r := testutil.RNG(9)
	l := NewLinear("l", 16, 8, true, nil, r)
	x := autograd.Const(randT(r, 3, 16))
	want := l.Forward(nil, x).Value
	l.ToBF16()
	if len(l.Params()) != 1 || l.Bias.RequiresGrad() {
		t.Fatal("ToBF16 must drop the float32 weight and freeze the bias")
	}
	if d := tensor.MaxAbsDiff(l.Forward(nil, x).Value, want); d > 0.05 {
		t.Fatalf("bf16 linear differs by %g", d)
	}
	e := NewEmbedding("e", 10, 4, nil, r)
	we := e.Forward(nil, []int{3, 7}).Value
	e.ToBF16()
	if d := tensor.MaxAbsDiff(e.Forward(nil, []int{3, 7}).Value, we); d > 0.02 {
		t.Fatalf("bf16 embedding differs by %g", d)
	}
}

// TestFrozenRecordsNothing: ops on frozen parameters and constants record
// no backward closures.
func TestFrozenRecordsNothing(t *testing.T) {
	r := testutil.RNG(10)
	l := NewLinear("l", 4, 4, true, nil, r)
	Freeze(l.Params())
	tp := autograd.NewTape()
	y := tp.GELU(l.Forward(tp, autograd.Const(randT(r, 2, 4))))
	if tp.Len() != 0 || y.RequiresGrad() {
		t.Fatalf("frozen forward recorded %d ops", tp.Len())
	}
	l2 := NewLinear("l2", 4, 4, true, nil, r)
	func() {
		defer tp.NoGrad()()
		l2.Forward(tp, y)
	}()
	if tp.Len() != 0 {
		t.Fatal("NoGrad recorded ops")
	}
}

// TestGradAccumulation: two micro-batches of one row each give the summed
// gradient of one batch of two rows.
func TestGradAccumulation(t *testing.T) {
	r := testutil.RNG(11)
	l := NewLinear("l", 3, 2, true, nil, r)
	x := randT(r, 2, 3)
	tp := autograd.NewTape()
	tp.Backward(tp.Sum(l.Forward(tp, autograd.Const(x))))
	tp.Reset()
	want := l.Weight.Grad.Clone()
	autograd.ZeroGrad(l.Params())
	for i := 0; i < 2; i++ {
		tp.Backward(tp.Sum(l.Forward(tp, autograd.Const(tensor.Slice(x, 0, i, i+1)))))
		tp.Reset()
	}
	if d := tensor.MaxAbsDiff(l.Weight.Grad, want); d > 1e-6 {
		t.Fatalf("accumulated grad differs by %g", d)
	}
}

// TestTapeReuseNoGrowth: after a warm-up step, training steps reuse the
// arena's buffers: the arena does not grow and each step allocates only a
// small, constant amount (closures and headers), far below the activations.
func TestTapeReuseNoGrowth(t *testing.T) {
	ids, v := textIDs()
	m := newTinyLM(lmConfig{vocab: v, dim: 32, layers: 2, heads: 4, kvHeads: 2, hidden: 64}, testutil.RNG(12))
	ps := m.Params()
	opt := NewAdamW([]ParamGroup{{Params: ps, LR: 1e-3}}, 0.9, 0.999, 1e-8)
	tp := autograd.NewTape()
	step := func() {
		l := m.loss(tp, ids, 1)
		tp.Backward(l)
		opt.Step()
		autograd.ZeroGrad(ps)
		tp.Reset()
	}
	step()
	step()
	arena := tp.Arena().Bytes()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	const n = 5
	for i := 0; i < n; i++ {
		step()
	}
	runtime.ReadMemStats(&ms)
	perStep := (ms.TotalAlloc - before) / n
	t.Logf("arena %d KiB, %d bytes allocated per step", arena>>10, perStep)
	if tp.Arena().Bytes() != arena {
		t.Errorf("arena grew from %d to %d bytes", arena, tp.Arena().Bytes())
	}
	// The race detector adds allocations of its own; the arena check holds.
	if perStep*10 > uint64(arena) && !race.Enabled {
		t.Errorf("a step allocates %d bytes, more than 10%% of the %d-byte arena", perStep, arena)
	}
}
