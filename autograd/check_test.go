package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

func randT(r *rand.Rand, shape ...int) *tensor.Tensor {
	return tensor.FromSlice(testutil.Uniform(r, numelOf(shape)), shape...)
}

func numelOf(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// posT returns values in [0.5, 1.5): safe for log, sqrt and division.
func posT(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := randT(r, shape...)
	for i, v := range t.Data() {
		t.Data()[i] = 1 + v/2
	}
	return t
}

type gcase struct {
	name   string
	inputs func(r *rand.Rand) []*tensor.Tensor
	f      func(tp *Tape, x []*Var) *Var
	tol    float64
}

func ins(ts ...*tensor.Tensor) []*tensor.Tensor { return ts }

func gradCases() []gcase {
	ids := []int{3, 0, 3, 5, 1}
	targets := []int{2, -100, 4, 0, 6, 1}
	mask := []bool{true, true, false, true, true, // batch 0: key 2 padded
		false, true, true, true, true} // batch 1: key 0 padded
	inv := RoPEInvFreq(6, 10000, &RoPEScaling{Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPos: 8})
	cos, sin := RoPETables(nil, inv, []int{0, 1, 2, 7})
	cos2, sin2 := RoPETables(nil, inv, []int{5, 6, 7, 8, 0, 1, 2, 3})
	return []gcase{
		{"matmul", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 4), randT(r, 4, 5)) },
			func(tp *Tape, x []*Var) *Var { return tp.MatMul(x[0], x[1], false, false) }, 0},
		{"matmulTT", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 4, 3), randT(r, 5, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.MatMul(x[0], x[1], true, true) }, 0},
		{"matmulSharedB", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 3, 4), randT(r, 5, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.MatMul(x[0], x[1], false, true) }, 0},
		{"matmulSharedBTransA", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 4, 3), randT(r, 4, 5)) },
			func(tp *Tape, x []*Var) *Var { return tp.MatMul(x[0], x[1], true, false) }, 0},
		{"matmulSharedBTT", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 4, 3), randT(r, 5, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.MatMul(x[0], x[1], true, true) }, 0},
		{"matmulBatched", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 3, 4), randT(r, 2, 4, 5)) },
			func(tp *Tape, x []*Var) *Var { return tp.MatMul(x[0], x[1], false, false) }, 0},
		{"matmulBatchedTA", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 4, 3), randT(r, 2, 5, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.MatMul(x[0], x[1], true, true) }, 0},
		{"linear", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 3, 4), randT(r, 5, 4), randT(r, 5)) },
			func(tp *Tape, x []*Var) *Var { return tp.Linear(x[0], x[1], x[2]) }, 0},
		{"linearBF16", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 4), randT(r, 5)) },
			func(tp *Tape, x []*Var) *Var {
				w := tensor.ToBF16(tensor.FromSlice(testutil.Uniform(testutil.RNG(9), 20), 5, 4))
				return tp.LinearBF16(x[0], w, x[1])
			}, 0},
		{"add", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 3, 4), randT(r, 3, 1)) },
			func(tp *Tape, x []*Var) *Var { return tp.Add(x[0], x[1]) }, 0},
		{"sub", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 1, 4), randT(r, 3, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.Sub(x[0], x[1]) }, 0},
		{"mul", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 3, 4), randT(r, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.Mul(x[0], x[1]) }, 0},
		{"div", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 3), posT(r, 2, 1)) },
			func(tp *Tape, x []*Var) *Var { return tp.Div(x[0], x[1]) }, 0},
		{"scale+addScalar", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.AddScalar(tp.Scale(x[0], -1.7), 0.3) }, 0},
		{"sum+mean", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.Add(tp.Sum(x[0]), tp.Scale(tp.Mean(tp.Mul(x[0], x[0])), 3)) }, 0},
		{"sumAxis", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 3, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.SumAxis(x[0], 1, false) }, 0},
		{"meanAxisKeep", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 3, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.MeanAxis(x[0], -1, true) }, 0},
		{"reshape+transpose", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 3, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.TransposeLast2(tp.Reshape(x[0], 4, 3, 2)) }, 0},
		{"slice", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 5, 3)) },
			func(tp *Tape, x []*Var) *Var { return tp.Slice(x[0], 1, 1, 4) }, 0},
		{"concat", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 2, 3), randT(r, 2, 4, 3)) },
			func(tp *Tape, x []*Var) *Var { return tp.Concat(1, x[0], x[1], x[0]) }, 0},
		{"gather", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 6, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.Gather(x[0], ids) }, 0},
		{"scatterRows", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 4, 3), randT(r, 3, 3)) },
			func(tp *Tape, x []*Var) *Var { return tp.ScatterRows(x[0], x[1], []int{5, 1, 2}) }, 0},
		{"softmax", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 5)) },
			func(tp *Tape, x []*Var) *Var { return tp.Softmax(tp.Scale(x[0], 2)) }, 0},
		{"logSoftmax", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 5)) },
			func(tp *Tape, x []*Var) *Var { return tp.LogSoftmax(tp.Scale(x[0], 2)) }, 0},
		{"crossEntropy", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 3, 7)) },
			func(tp *Tape, x []*Var) *Var { return tp.CrossEntropy(tp.Scale(x[0], 3), targets, -100) }, 0},
		{"gelu", func(r *rand.Rand) []*tensor.Tensor { return ins(tensor.Scale(2, randT(r, 3, 5))) },
			func(tp *Tape, x []*Var) *Var { return tp.GELU(x[0]) }, 0},
		{"silu", func(r *rand.Rand) []*tensor.Tensor { return ins(tensor.Scale(2, randT(r, 3, 5))) },
			func(tp *Tape, x []*Var) *Var { return tp.SiLU(x[0]) }, 0},
		{"swiglu", func(r *rand.Rand) []*tensor.Tensor { return ins(tensor.Scale(2, randT(r, 3, 5)), randT(r, 3, 5)) },
			func(tp *Tape, x []*Var) *Var { return tp.SwiGLU(x[0], x[1]) }, 0},
		{"swiglu32", func(r *rand.Rand) []*tensor.Tensor { return ins(tensor.Scale(2, randT(r, 3, 7)), randT(r, 3, 7)) },
			func(tp *Tape, x []*Var) *Var { return tp.SwiGLU32(x[0], x[1]) }, 0},
		// Intermediate inputs: the first gradient contribution is written
		// into an uninitialised buffer, later ones added (gate and up are
		// the same buffer here).
		{"swigluShared", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 5)) },
			func(tp *Tape, x []*Var) *Var { h := tp.Scale(x[0], 1.5); return tp.SwiGLU(h, h) }, 0},
		// LoRA: y + s·(Dropout(x)·aᵀ)·bᵀ, with x an intermediate that also
		// feeds y (its gradient accumulates), with and without dropout.
		{"lora", func(r *rand.Rand) []*tensor.Tensor {
			return ins(randT(r, 2, 3, 6), randT(r, 5, 6), randT(r, 4, 6), randT(r, 5, 4))
		}, func(tp *Tape, x []*Var) *Var {
			h := tp.Scale(x[0], 1.5)
			return tp.LoRA(tp.Linear(h, x[1], nil), h, x[2], x[3], 0.7, 0, nil)
		}, 0},
		{"loraDropout", func(r *rand.Rand) []*tensor.Tensor {
			return ins(randT(r, 2, 3, 6), randT(r, 5, 6), randT(r, 4, 6), randT(r, 5, 4))
		}, func(tp *Tape, x []*Var) *Var {
			h := tp.Scale(x[0], 1.5)
			return tp.LoRA(tp.Linear(h, x[1], nil), h, x[2], x[3], 0.7, 0.3, testutil.RNG(9))
		}, 0},
		{"loraOnto", func(r *rand.Rand) []*tensor.Tensor {
			return ins(randT(r, 2, 3, 6), randT(r, 5, 6), randT(r, 4, 6), randT(r, 5, 4))
		}, func(tp *Tape, x []*Var) *Var {
			h := tp.Scale(x[0], 1.5)
			return tp.LoRAOnto(tp.Linear(h, x[1], nil), h, x[2], x[3], 0.7, 0.3, testutil.RNG(9))
		}, 0},
		{"tanh+sigmoid", func(r *rand.Rand) []*tensor.Tensor { return ins(tensor.Scale(2, randT(r, 3, 5))) },
			func(tp *Tape, x []*Var) *Var { return tp.Mul(tp.Tanh(x[0]), tp.Sigmoid(x[0])) }, 0},
		{"exp+log+sqrt", func(r *rand.Rand) []*tensor.Tensor { return ins(posT(r, 3, 5)) },
			func(tp *Tape, x []*Var) *Var { return tp.Add(tp.Exp(x[0]), tp.Mul(tp.Log(x[0]), tp.Sqrt(x[0]))) }, 0},
		{"clamp", func(r *rand.Rand) []*tensor.Tensor { return ins(clampSafe(randT(r, 4, 5))) },
			func(tp *Tape, x []*Var) *Var { return tp.Add(tp.Clamp(x[0], -0.5, 0.5), tp.ReLU(x[0])) }, 0},
		{"rmsnorm", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 6), posT(r, 6)) },
			func(tp *Tape, x []*Var) *Var { return tp.RMSNorm(x[0], x[1], 1e-5) }, 0},
		{"rmsnormNoGain", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 6)) },
			func(tp *Tape, x []*Var) *Var { return tp.RMSNorm(x[0], nil, 1e-5) }, 0},
		{"layernorm", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 6), posT(r, 6), randT(r, 6)) },
			func(tp *Tape, x []*Var) *Var { return tp.LayerNorm(x[0], x[1], x[2], 1e-5) }, 0},
		{"layernormNoAffine", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 6)) },
			func(tp *Tape, x []*Var) *Var { return tp.LayerNorm(x[0], nil, nil, 1e-5) }, 0},
		{"l2normalize", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 6)) },
			func(tp *Tape, x []*Var) *Var { return tp.L2Normalize(x[0], 1e-12) }, 0},
		{"rope", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 4, 3, 6)) },
			func(tp *Tape, x []*Var) *Var { return tp.RoPE(x[0], cos, sin) }, 0},
		{"ropeIntermediate", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 4, 3, 6)) },
			func(tp *Tape, x []*Var) *Var { return tp.RoPE(tp.Scale(x[0], 1.5), cos, sin) }, 0},
		{"ropeAccumulate", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 4, 3, 6)) },
			func(tp *Tape, x []*Var) *Var { h := tp.Scale(x[0], 1.5); return tp.Add(tp.RoPE(h, cos, sin), h) }, 0},
		{"ropeInPlace", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 4, 3, 6)) },
			func(tp *Tape, x []*Var) *Var { return tp.RoPEInPlace(tp.Scale(x[0], 1.5), cos2, sin2) }, 0},
		// AddOnto with a read again afterwards (its gradient accumulates).
		{"addOnto", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 4), randT(r, 3, 4)) },
			func(tp *Tape, x []*Var) *Var {
				h := tp.Scale(x[0], 1.5)
				return tp.Mul(tp.AddOnto(h, tp.Scale(x[1], 0.5)), h)
			}, 0},
		{"segments", func(r *rand.Rand) []*tensor.Tensor { return segmentInputs(r, 4, 6) },
			segmentNet(true), 0},
		{"ropePerBatch", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 2, 4, 1, 6)) },
			func(tp *Tape, x []*Var) *Var { return tp.RoPE(x[0], cos2, sin2) }, 0},
		{"attention", func(r *rand.Rand) []*tensor.Tensor {
			return ins(randT(r, 2, 5, 4, 3), randT(r, 2, 5, 2, 3), randT(r, 2, 5, 2, 3))
		}, func(tp *Tape, x []*Var) *Var {
			return tp.Attention(tensorScale(tp, x[0], 2), x[1], x[2], AttnOpts{Causal: true, KeyMask: mask})
		}, 0},
		{"attentionCross", func(r *rand.Rand) []*tensor.Tensor {
			return ins(randT(r, 2, 3, 2, 4), randT(r, 2, 5, 1, 4), randT(r, 2, 5, 1, 4))
		}, func(tp *Tape, x []*Var) *Var {
			return tp.Attention(tensorScale(tp, x[0], 2), x[1], x[2], AttnOpts{Causal: true})
		}, 0},
		{"attentionFull", func(r *rand.Rand) []*tensor.Tensor {
			return ins(randT(r, 1, 70, 1, 3), randT(r, 1, 70, 1, 3), randT(r, 1, 70, 1, 3))
		}, func(tp *Tape, x []*Var) *Var {
			return tp.Attention(tensorScale(tp, x[0], 3), x[1], x[2], AttnOpts{Scale: 0.7})
		}, 0},
		{"dropout", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 4, 5)) },
			func(tp *Tape, x []*Var) *Var { return tp.Dropout(x[0], 0.3, testutil.RNG(5)) }, 0},
		{"mse", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 4), randT(r, 3, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.MSE(x[0], x[1]) }, 0},
		{"cosine", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 3, 4), randT(r, 3, 4)) },
			func(tp *Tape, x []*Var) *Var { return tp.CosineSimilarity(x[0], x[1], 1e-8) }, 0},
		{"bce", func(r *rand.Rand) []*tensor.Tensor { return ins(tensor.Scale(3, randT(r, 3, 4))) },
			func(tp *Tape, x []*Var) *Var {
				y := tensor.RandU(testutil.RNG(4), 0, 1, 3, 4)
				return tp.BCEWithLogits(x[0], y)
			}, 0},
		{"infoNCE", func(r *rand.Rand) []*tensor.Tensor { return ins(randT(r, 4, 5), randT(r, 4, 5), randT(r, 3, 5)) },
			func(tp *Tape, x []*Var) *Var {
				a, b := tp.L2Normalize(x[0], 1e-12), tp.L2Normalize(x[1], 1e-12)
				return tp.InfoNCE(a, b, x[2], 0.2, true)
			}, 0},
	}
}

func tensorScale(tp *Tape, x *Var, s float32) *Var { return tp.Scale(x, s) }

// segmentInputs returns the inputs of segmentNet: x [rows, n], three
// weights [n, n] and a gain [n].
func segmentInputs(r *rand.Rand, rows, n int) []*tensor.Tensor {
	return ins(randT(r, rows, n), randT(r, n, n), randT(r, n, n), randT(r, n, n), posT(r, n))
}

// segmentNet is three residual blocks, each a segment when seg is set
// (none otherwise); the last reads a Var from before the first segment, so
// its gradient is given inside a later segment's region.
func segmentNet(seg bool) func(tp *Tape, x []*Var) *Var {
	return func(tp *Tape, x []*Var) *Var {
		h := tp.Scale(x[0], 1.5)
		skip := h
		for l := range 3 {
			if seg {
				tp.Segment()
			}
			a := tp.RMSNorm(h, x[4], 1e-5)
			y := tp.Linear(tp.Tanh(a), x[1+l], nil)
			if l == 2 {
				y = tp.Mul(y, skip)
			}
			h = tp.AddOnto(h, y)
		}
		if seg {
			tp.Segment()
		}
		return tp.Reshape(h, 2, h.Value.Len()/2)
	}
}

// clampSafe moves values away from the clamp kinks so finite differences do
// not straddle them.
func clampSafe(t *tensor.Tensor) *tensor.Tensor {
	for i, v := range t.Data() {
		for _, k := range []float32{-0.5, 0, 0.5} {
			if d := v - k; d > -0.05 && d < 0.05 {
				t.Data()[i] = k + 0.1
			}
		}
	}
	return t
}

func TestGradients(t *testing.T) {
	for i, c := range gradCases() {
		t.Run(c.name, func(t *testing.T) {
			r := testutil.RNG(uint64(100 + i))
			res, err := Check(c.f, c.inputs(r), CheckOpts{Tol: c.tol, Seed: uint64(i)})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("score %.2e", res.Score)
		})
	}
}

// TestCheckCatchesWrongBackward proves the checker has teeth: an op whose
// backward is off by a factor (or uses the wrong sign) must fail.
func TestCheckCatchesWrongBackward(t *testing.T) {
	for _, factor := range []float32{1.1, -1, 0} {
		bad := func(tp *Tape, x []*Var) *Var {
			out := tp.empty(x[0].Shape()...)
			for i, v := range x[0].Data() {
				out.Data()[i] = v * v
			}
			y := tp.newVar(out, tp.needs(x[0]))
			if y.requires {
				tp.record(func() {
					dx := tp.grad(x[0]).Data()
					for i, g := range y.Grad.Data() {
						dx[i] += factor * 2 * x[0].Data()[i] * g
					}
				})
			}
			return y
		}
		r := testutil.RNG(7)
		if _, err := Check(bad, ins(randT(r, 3, 4)), CheckOpts{}); err == nil {
			t.Errorf("backward scaled by %g passed the check", factor)
		}
	}
}

func TestCrossEntropyValue(t *testing.T) {
	// Against an explicit log-softmax in float64.
	r := testutil.RNG(3)
	x := randT(r, 4, 6)
	tg := []int{1, -100, 5, 0}
	got := (*Tape)(nil).CrossEntropy(Const(x), tg, -100).Item()
	var want float64
	for i, k := range tg {
		if k < 0 {
			continue
		}
		var s float64
		for _, v := range x.Row(i) {
			s += math.Exp(float64(v))
		}
		want += math.Log(s) - float64(x.Row(i)[k])
	}
	want /= 3
	if math.Abs(float64(got)-want) > 1e-5 {
		t.Fatalf("CE = %g, want %g", got, want)
	}
}

// TestGradientsRandomShapes re-checks the shape-sensitive ops (batched and
// shared-weight products, broadcasting, norms, attention with GQA and
// masks) on shapes drawn from a seeded RNG.
func TestGradientsRandomShapes(t *testing.T) {
	r := testutil.RNG(77)
	n := 6
	if testing.Short() {
		n = 2
	}
	for trial := 0; trial < n; trial++ {
		b, m, k, nn := 1+r.IntN(3), 1+r.IntN(5), 1+r.IntN(5), 1+r.IntN(5)
		ta, tb := r.IntN(2) == 1, r.IntN(2) == 1
		ash := []int{b, m, k}
		if ta {
			ash = []int{b, k, m}
		}
		bsh := []int{k, nn}
		if tb {
			bsh = []int{nn, k}
		}
		if r.IntN(2) == 1 {
			bsh = append([]int{b}, bsh...)
		}
		hkv := 1 + r.IntN(2)
		hq := hkv * (1 + r.IntN(2))
		tq, d := 1+r.IntN(6), 2*(1+r.IntN(3))
		s := tq + r.IntN(3)
		causal := r.IntN(2) == 1
		cases := []struct {
			name string
			in   []*tensor.Tensor
			f    func(tp *Tape, x []*Var) *Var
		}{
			{"matmul", ins(randT(r, ash...), randT(r, bsh...)),
				func(tp *Tape, x []*Var) *Var { return tp.MatMul(x[0], x[1], ta, tb) }},
			{"broadcastMul", ins(randT(r, b, 1, k), randT(r, m, 1)),
				func(tp *Tape, x []*Var) *Var { return tp.Mul(x[0], x[1]) }},
			{"layernorm", ins(randT(r, b, m, k+3), posT(r, k+3), randT(r, k+3)), // ≥4 features: 2 make x̂ = ±1, ill-conditioned
				func(tp *Tape, x []*Var) *Var { return tp.LayerNorm(x[0], x[1], x[2], 1e-5) }},
			{"attention", ins(randT(r, b, tq, hq, d), randT(r, b, s, hkv, d), randT(r, b, s, hkv, d)),
				func(tp *Tape, x []*Var) *Var {
					return tp.Attention(tp.Scale(x[0], 2), x[1], x[2], AttnOpts{Causal: causal})
				}},
		}
		for _, c := range cases {
			if _, err := Check(c.f, c.in, CheckOpts{Seed: uint64(trial)}); err != nil {
				t.Errorf("trial %d %s (a %v transA=%v, b %v transB=%v; attn B=%d T=%d S=%d Hq=%d Hkv=%d D=%d causal=%v): %v",
					trial, c.name, ash, ta, bsh, tb, b, tq, s, hq, hkv, d, causal, err)
			}
		}
	}
}
