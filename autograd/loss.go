package autograd

import (
	"fmt"
	"math"

	"github.com/llink-go/llink/tensor"
)

// MSE returns mean((a−b)²) over all elements.
func (tp *Tape) MSE(a, b *Var) *Var {
	d := tp.Sub(a, b)
	return tp.Mean(tp.Mul(d, d))
}

// CosineSimilarity returns, per row of the last axis, a·b/(max(‖a‖,eps)·
// max(‖b‖,eps)).
//
//	a, b [..., n] → [...]
func (tp *Tape) CosineSimilarity(a, b *Var, eps float32) *Var {
	return tp.SumAxis(tp.Mul(tp.L2Normalize(a, eps), tp.L2Normalize(b, eps)), -1, false)
}

// BCEWithLogits returns the mean binary cross-entropy of sigmoid(logits)
// against targets in [0, 1], computed stably as max(x,0) − x·y +
// log(1+e^−|x|).
//
//	logits, targets same shape → [1];  dx = (σ(x) − y)·dy/N
func (tp *Tape) BCEWithLogits(logits *Var, targets *tensor.Tensor) *Var {
	if !tensor.SameShape(logits.Value, targets) {
		panic(fmt.Sprintf("autograd.BCEWithLogits: logits %v vs targets %v", logits.Shape(), targets.Shape()))
	}
	n := logits.Value.Len()
	var s float64
	yd := targets.Data()
	for i, x := range logits.Data() {
		xf := float64(x)
		s += math.Max(xf, 0) - xf*float64(yd[i]) + math.Log1p(math.Exp(-math.Abs(xf)))
	}
	out := tp.empty(1)
	out.Data()[0] = float32(s / float64(max(n, 1)))
	y := tp.newVar(out, tp.needs(logits))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil {
				return
			}
			c := g.Data()[0] / float32(n)
			dx := tp.grad(logits).Data()
			for i, x := range logits.Data() {
				dx[i] += c * (sigmoid(x) - yd[i])
			}
		})
	}
	return y
}

// InfoNCE returns the contrastive loss that pairs row i of a with row i of
// b: cross-entropy of the logits a·[b; negatives]ᵀ/τ against the diagonal,
// and, when symmetric, averaged with the b→a direction b·aᵀ/τ (in-batch
// only). negatives [M, d] may be nil. Rows are used as given: L2-normalise
// first for cosine logits.
//
//	a, b [N, d], negatives [M, d] → [1]
func (tp *Tape) InfoNCE(a, b, negatives *Var, tau float32, symmetric bool) *Var {
	if a.Value.Dims() != 2 || !tensor.SameShape(a.Value, b.Value) {
		panic(fmt.Sprintf("autograd.InfoNCE: a %v and b %v must be the same [N, d]", a.Shape(), b.Shape()))
	}
	n := a.Value.Dim(0)
	targets := tp.Arena().Ints(n)
	for i := range targets {
		targets[i] = i
	}
	keys := b
	if negatives != nil {
		keys = tp.Concat(0, b, negatives)
	}
	ab := tp.CrossEntropy(tp.Scale(tp.MatMul(a, keys, false, true), 1/tau), targets, -1)
	if !symmetric {
		return ab
	}
	ba := tp.CrossEntropy(tp.Scale(tp.MatMul(b, a, false, true), 1/tau), targets, -1)
	return tp.Scale(tp.Add(ab, ba), 0.5)
}
