package autograd

import (
	"fmt"
	"math/rand/v2"
)

// Dropout zeroes each element with probability p and scales the survivors
// by 1/(1−p), drawing from rng so runs are reproducible. With p == 0 or a nil
// rng (evaluation) it returns x itself. The mask is kept for the backward
// pass.
func (tp *Tape) Dropout(x *Var, p float32, rng *rand.Rand) *Var {
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("autograd.Dropout: p = %g outside [0, 1)", p))
	}
	if p == 0 || rng == nil {
		return x
	}
	keep := 1 / (1 - p)
	mask := tp.empty(x.Shape()...)
	out := tp.empty(x.Shape()...)
	md, od := mask.Data(), out.Data()
	for i, v := range x.Data() {
		if rng.Float32() < p {
			md[i], od[i] = 0, 0
		} else {
			md[i], od[i] = keep, v*keep
		}
	}
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				dx := tp.grad(x).Data()
				for i, gi := range g.Data() {
					dx[i] += gi * md[i]
				}
			}
		})
	}
	return y
}
