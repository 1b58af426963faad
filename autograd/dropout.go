package autograd

import (
	"fmt"
	"math/rand/v2"
)

// Dropout zeroes each element with probability p (to a resolution of 2⁻¹⁶)
// and scales the survivors
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
	md, od, xd := mask.Data(), out.Data(), x.Data()
	// One 64-bit draw decides four elements: each 16-bit chunk u drops its
	// element when u < p·2¹⁶ (p is used to a resolution of 2⁻¹⁶), a quarter of
	// the generator calls of one Float32 per element.
	drop := uint64(float64(p)*65536 + 0.5)
	var bits uint64
	for i, v := range xd {
		if i&3 == 0 {
			bits = rng.Uint64()
		}
		if bits&0xffff < drop {
			md[i], od[i] = 0, 0
		} else {
			md[i], od[i] = keep, v*keep
		}
		bits >>= 16
	}
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				dx, beta := tp.gradBeta(x)
				d := dx.Data()
				if beta == 0 {
					for i, gi := range g.Data() {
						d[i] = gi * md[i]
					}
					return
				}
				for i, gi := range g.Data() {
					d[i] += gi * md[i]
				}
			}
		})
	}
	return y
}
