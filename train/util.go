package train

import (
	"math"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

// checkGrads is nn.CheckFinite(nil, params) at the cost of one SIMD pass:
// the sum of squared gradients is finite exactly when every gradient is
// (or it overflowed, and then the full check decides). Parameter values are
// not rescanned: they only turn non-finite through a non-finite update,
// which this catches first. (The full per-element scan took a fifth of a
// default run's Stage A: docs/EXPERIMENTS.md.)
func checkGrads(params []*autograd.Var) error {
	var ss float64
	for _, p := range params {
		if p.Grad != nil {
			g := p.Grad.Data()
			ss += float64(asm.Dot(g, g))
		}
	}
	if !math.IsNaN(ss) && !math.IsInf(ss, 0) {
		return nil
	}
	return nn.CheckFinite(nil, params)
}

// snapshot copies the values of params (to keep the best checkpoint).
func snapshot(params []*autograd.Var) []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(params))
	for i, p := range params {
		out[i] = p.Value.Clone()
	}
	return out
}

// restore copies a snapshot back into params.
func restore(params []*autograd.Var, s []*tensor.Tensor) {
	for i, p := range params {
		p.Value.CopyFrom(s[i])
	}
}
