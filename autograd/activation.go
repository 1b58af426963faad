package autograd

import (
	"fmt"
	"math"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/tensor"
)

// unary applies an elementwise op: fwd writes y from x; bwd accumulates
// dx += dy·f'(x, y) for each element.
func (tp *Tape) unary(x *Var, fwd func(y, x []float32), deriv func(x, y float32) float32) *Var {
	out := tp.empty(x.Shape()...)
	fwd(out.Data(), x.Data())
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil {
				return
			}
			dx := tp.grad(x).Data()
			xd, yd := x.Data(), out.Data()
			for i, gi := range g.Data() {
				dx[i] += gi * deriv(xd[i], yd[i])
			}
		})
	}
	return y
}

const invSqrt2Pi = 0.3989422804014327

// GELU returns the exact (erf) GELU x·Φ(x), as BERT/XLM-R and PyTorch's
// default. Backward: Φ(x) + x·φ(x).
func (tp *Tape) GELU(x *Var) *Var {
	return tp.unary(x, asm.GELU, func(x, _ float32) float32 {
		v := float64(x)
		return float32(0.5*(1+math.Erf(v/math.Sqrt2)) + v*invSqrt2Pi*math.Exp(-0.5*v*v))
	})
}

// SiLU returns x·σ(x). Backward: σ(x)·(1 + x·(1−σ(x))).
func (tp *Tape) SiLU(x *Var) *Var {
	return tp.unary(x, asm.SiLU, func(x, _ float32) float32 {
		s := sigmoid(x)
		return s * (1 + x*(1-s))
	})
}

// Sigmoid returns σ(x) = 1/(1+e^−x). Backward: y(1−y).
func (tp *Tape) Sigmoid(x *Var) *Var {
	return tp.unary(x, func(y, x []float32) {
		for i, v := range x {
			y[i] = sigmoid(v)
		}
	}, func(_, y float32) float32 { return y * (1 - y) })
}

// Tanh returns tanh(x). Backward: 1−y².
func (tp *Tape) Tanh(x *Var) *Var {
	return tp.unary(x, func(y, x []float32) {
		for i, v := range x {
			y[i] = float32(math.Tanh(float64(v)))
		}
	}, func(_, y float32) float32 { return 1 - y*y })
}

// Exp returns e^x. Backward: y.
func (tp *Tape) Exp(x *Var) *Var {
	return tp.unary(x, asm.Exp, func(_, y float32) float32 { return y })
}

// Log returns the natural logarithm. Backward: 1/x.
func (tp *Tape) Log(x *Var) *Var {
	return tp.unary(x, func(y, x []float32) {
		for i, v := range x {
			y[i] = float32(math.Log(float64(v)))
		}
	}, func(x, _ float32) float32 { return 1 / x })
}

// Sqrt returns √x. Backward: 1/(2y).
func (tp *Tape) Sqrt(x *Var) *Var {
	return tp.unary(x, func(y, x []float32) {
		for i, v := range x {
			y[i] = float32(math.Sqrt(float64(v)))
		}
	}, func(_, y float32) float32 { return 0.5 / y })
}

// ReLU returns max(x, 0).
func (tp *Tape) ReLU(x *Var) *Var { return tp.Clamp(x, 0, float32(math.Inf(1))) }

// Clamp returns min(max(x, lo), hi). As in PyTorch the gradient passes where
// lo ≤ x ≤ hi and is zero outside.
func (tp *Tape) Clamp(x *Var, lo, hi float32) *Var {
	if lo > hi {
		panic(fmt.Sprintf("autograd.Clamp: lo %g > hi %g", lo, hi))
	}
	return tp.unary(x, func(y, x []float32) {
		for i, v := range x {
			y[i] = min(max(v, lo), hi)
		}
	}, func(x, _ float32) float32 {
		if x >= lo && x <= hi {
			return 1
		}
		return 0
	})
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// sigmoidVec computes dst = σ(x) with the vector exp kernel.
func sigmoidVec(dst, x []float32) {
	for i, v := range x {
		dst[i] = -v
	}
	asm.Exp(dst, dst)
	for i, e := range dst {
		dst[i] = 1 / (1 + e)
	}
}

// SwiGLU returns silu(gate) ⊙ up, the LLaMA MLP's gated unit, fused so the
// silu activation is never stored.
//
//	gate, up [..., h] → [..., h]
//	dgate = dy·up·σ(g)(1 + g(1−σ(g))),  dup = dy·silu(g)
func (tp *Tape) SwiGLU(gate, up *Var) *Var {
	if !tensor.SameShape(gate.Value, up.Value) {
		panic(fmt.Sprintf("autograd.SwiGLU: gate %v and up %v differ", gate.Shape(), up.Shape()))
	}
	out := tp.empty(gate.Shape()...)
	asm.SiLU(out.Data(), gate.Data())
	asm.Mul(out.Data(), out.Data(), up.Data())
	y := tp.newVar(out, tp.needs(gate, up))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil {
				return
			}
			gd, ud := gate.Data(), up.Data()
			// A first contribution is written into the uninitialised
			// buffer (beta 0), a later one added.
			var dg, du []float32
			var addG, addU bool
			if gate.requires {
				t, beta := tp.gradBeta(gate)
				dg, addG = t.Data(), beta != 0
			}
			if up.requires {
				t, beta := tp.gradBeta(up)
				du, addU = t.Data(), beta != 0
			}
			// σ(g) through the vector exp kernel, a chunk at a time.
			const chunk = 1024
			sg := tp.empty(min(chunk, len(gd))).Data()
			gy := g.Data()
			for lo := 0; lo < len(gd); lo += chunk {
				hi := min(lo+chunk, len(gd))
				s := sg[:hi-lo]
				sigmoidVec(s, gd[lo:hi])
				for j, sj := range s {
					i, dy := lo+j, gy[lo+j]
					if dg != nil {
						v := dy * ud[i] * sj * (1 + gd[i]*(1-sj))
						if addG {
							v += dg[i]
						}
						dg[i] = v
					}
					if du != nil {
						v := dy * gd[i] * sj
						if addU {
							v += du[i]
						}
						du[i] = v
					}
				}
			}
		})
	}
	return y
}
