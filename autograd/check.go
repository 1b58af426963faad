package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/llink-go/llink/tensor"
)

// CheckOpts tunes [Check].
type CheckOpts struct {
	// Eps is the central-difference step (default 1e-2: float32 forward
	// passes need a large step so rounding stays below truncation error).
	Eps float64
	// Tol is the largest acceptable score (default 1e-3).
	Tol float64
	// Seed seeds the random weights of the loss.
	Seed uint64
}

// CheckResult reports a gradient check.
type CheckResult struct {
	// Score is the magnitude-weighted mean asymmetry Σ|a−n| / Σ(|a|+|n|)
	// between analytic (a) and numeric (n) gradients over every input
	// element: ggml's asymmetry measure, weighted so elements whose true
	// gradient is ~0 cannot dominate. 0 is perfect, 1 is unrelated.
	Score float64
	// Worst describes the element with the largest |a−n|.
	Worst string
}

// Check compares the backward pass of f with central finite differences.
// f builds its output from the Vars wrapping inputs (all made trainable);
// the loss is Σ w⊙f(inputs) with fixed random normal weights w, so
// gradients of normalised outputs (softmax, norms) are not trivially zero.
// f is also called with a nil tape for the numeric passes and must be
// deterministic (seed any RNG inside f). Inputs are perturbed in place and
// restored. It returns an error when the score exceeds opts.Tol.
func Check(f func(tp *Tape, xs []*Var) *Var, inputs []*tensor.Tensor, opts CheckOpts) (CheckResult, error) {
	if opts.Eps == 0 {
		opts.Eps = 1e-2
	}
	if opts.Tol == 0 {
		opts.Tol = 1e-3
	}
	xs := make([]*Var, len(inputs))
	for i, t := range inputs {
		xs[i] = NewParam(fmt.Sprintf("input%d", i), t)
	}
	tp := NewTape()
	out := f(tp, xs)
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	w := tensor.RandN(rng, 1, out.Shape()...)
	tp.BackwardWith(out, w)
	tp.Reset()

	loss := func() float64 {
		o := f(nil, xs)
		var s float64
		for i, v := range o.Data() {
			s += float64(v) * float64(w.Data()[i])
		}
		return s
	}
	var num, den, worst float64
	res := CheckResult{}
	for xi, x := range xs {
		d := x.Data()
		for i := range d {
			orig := d[i]
			d[i] = orig + float32(opts.Eps)
			hi := float64(d[i])
			lp := loss()
			d[i] = orig - float32(opts.Eps)
			lo := float64(d[i])
			lm := loss()
			d[i] = orig
			n := (lp - lm) / (hi - lo)
			a := 0.0
			if x.Grad != nil {
				a = float64(x.Grad.Data()[i])
			}
			diff := math.Abs(a - n)
			num += diff
			den += math.Abs(a) + math.Abs(n)
			if diff > worst || res.Worst == "" {
				worst = diff
				res.Worst = fmt.Sprintf("input %d %v element %d: analytic %.6g, numeric %.6g", xi, x.Shape(), i, a, n)
			}
		}
	}
	if den > 0 {
		res.Score = num / den
	}
	if res.Score > opts.Tol || math.IsNaN(res.Score) {
		return res, fmt.Errorf("gradient check failed: score %.3g > %.3g; worst %s", res.Score, opts.Tol, res.Worst)
	}
	return res, nil
}
