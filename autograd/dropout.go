package autograd

import (
	"fmt"
	"math/rand/v2"
)

// Dropout zeroes each element with probability p (to a resolution of 2⁻¹⁶)
// and scales the survivors
// by 1/(1−p), drawing from rng so runs are reproducible. With p == 0 or a nil
// rng (evaluation) it returns x itself. The mask is kept (as bits) for the
// backward pass.
func (tp *Tape) Dropout(x *Var, p float32, rng *rand.Rand) *Var {
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("autograd.Dropout: p = %g outside [0, 1)", p))
	}
	if p == 0 || rng == nil {
		return x
	}
	out := tp.empty(x.Shape()...)
	kept, scale := dropInto(out.Data(), x.Data(), p, rng)
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				dx, beta := tp.gradBeta(x)
				maskedScale(dx.Data(), g.Data(), scale, kept, beta != 0)
			}
		})
	}
	return y
}

// dropInto writes src with dropout applied into dst and returns the mask —
// bit i set when element i is kept — with the survivors' scale 1/(1−p).
// One 64-bit draw decides four elements: each 16-bit chunk u drops its
// element when u < p·2¹⁶ (p is used to a resolution of 2⁻¹⁶).
func dropInto(dst, src []float32, p float32, rng *rand.Rand) (kept []uint64, scale float32) {
	kept = make([]uint64, (len(src)+63)/64)
	scale = 1 / (1 - p)
	drop := uint64(float64(p)*65536 + 0.5)
	var bits uint64
	for i, v := range src {
		if i&3 == 0 {
			bits = rng.Uint64()
		}
		if bits&0xffff < drop {
			dst[i] = 0
		} else {
			dst[i] = v * scale
			kept[i>>6] |= 1 << (i & 63)
		}
		bits >>= 16
	}
	return kept, scale
}

// maskedScale writes s·src where the bit of kept is set and 0 elsewhere
// into dst — or, with add, adds s·src to dst where the bit is set.
func maskedScale(dst, src []float32, s float32, kept []uint64, add bool) {
	for w0 := 0; w0 < len(src); w0 += 64 {
		bits := kept[w0>>6]
		x := src[w0:min(w0+64, len(src))]
		d := dst[w0 : w0+len(x)]
		if add {
			for i, v := range x {
				if bits>>i&1 != 0 {
					d[i] += v * s
				}
			}
			continue
		}
		for i, v := range x {
			if bits>>i&1 != 0 {
				d[i] = v * s
			} else {
				d[i] = 0
			}
		}
	}
}
