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
// default. Backward: Φ(x) + x·φ(x), as [geluDeriv] rounds it.
func (tp *Tape) GELU(x *Var) *Var {
	out := tp.empty(x.Shape()...)
	asm.GELU(out.Data(), x.Data())
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				dx := tp.grad(x).Data()
				for i, v := range x.Data() {
					dx[i] += g.Data()[i] * geluDerivFast(v)
				}
			}
		})
	}
	return y
}

// geluDeriv is GELU's derivative Φ(x) + x·φ(x) evaluated in float64 and
// rounded to float32: the definition the backward pass computes.
func geluDeriv(x float32) float32 {
	v := float64(x)
	return float32(0.5*(1+math.Erf(v/math.Sqrt2)) + v*invSqrt2Pi*math.Exp(-0.5*v*v))
}

// The fast path of geluDeriv: a cubic Hermite interpolation of the float64
// derivative D on knots geluStep apart over [−geluRange, geluRange), whose
// error is below h⁴/384·max|D⁗| ≈ 7.6e-14 (D⁗ = φ(x)(x⁵ − 11x³ + 18x),
// |D⁗| < 2). When the interval D̃ ± geluErr rounds to one float32, that is
// geluDeriv's result (rounding is monotonic and D lies in the interval);
// otherwise, about once in 10⁵ inputs near the middle of the range and
// always in the far tails, geluDeriv itself runs. It takes a sixth of the
// time of the two float64 special functions and rounds to the same bits
// (TestGELUDerivFast; every float32 in the range once, LLINK_EXHAUSTIVE=1).
const (
	geluRange = 6
	geluStep  = 1.0 / 512 // a power of two: knots and offsets are exact
	geluErr   = 1e-12
)

// geluTable holds per interval k the cubic D(x_k + u) ≈ c0 + u·(c1 + u·(c2 + u·c3)).
var geluTable = func() [][4]float64 {
	n := int(2 * geluRange / geluStep)
	d := func(v float64) (f, df float64) {
		phi := invSqrt2Pi * math.Exp(-0.5*v*v)
		return 0.5*(1+math.Erf(v/math.Sqrt2)) + v*phi, phi * (2 - v*v)
	}
	t := make([][4]float64, n)
	const h = geluStep
	f0, d0 := d(-geluRange)
	for k := range t {
		f1, d1 := d(-geluRange + float64(k+1)*h)
		s := (f1 - f0) / h
		t[k] = [4]float64{f0, d0, (3*s - 2*d0 - d1) / h, (d0 + d1 - 2*s) / (h * h)}
		f0, d0 = f1, d1
	}
	return t
}()

// geluDerivFast returns geluDeriv(x), by the interpolation where it
// decides the rounding.
func geluDerivFast(x float32) float32 {
	v := float64(x)
	if !(v >= -geluRange && v < geluRange) { // NaN included
		return geluDeriv(x)
	}
	k := int((v + geluRange) * (1 / geluStep))
	u := v - (float64(k)*geluStep - geluRange)
	c := &geluTable[k]
	d := c[0] + u*(c[1]+u*(c[2]+u*c[3]))
	if lo := float32(d - geluErr); lo == float32(d+geluErr) {
		return lo
	}
	return geluDeriv(x)
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

// swigluChunk is how many elements of the SwiGLU passes a thread takes at
// a time.
const swigluChunk = 1024

// SwiGLU returns silu(gate) ⊙ up, the LLaMA MLP's gated unit, fused so the
// silu activation is never stored.
//
//	gate, up [..., h] → [..., h]
//	dgate = dy·up·σ(g)(1 + g(1−σ(g))),  dup = dy·silu(g)
func (tp *Tape) SwiGLU(gate, up *Var) *Var {
	return tp.swiglu(gate, up, func(o, g, u []float32) {
		asm.SiLU(o, g)
		asm.Mul(o, o, u)
	})
}

// SwiGLU32 is [Tape.SwiGLU] with the forward's sigmoid computed in float32
// ([asm.SwiGLU32]: faster, within a few ulp of SwiGLU's float64 SiLU, not
// the same bits); the backward pass is SwiGLU's.
func (tp *Tape) SwiGLU32(gate, up *Var) *Var { return tp.swiglu(gate, up, asm.SwiGLU32) }

// swiglu is SwiGLU with fwd writing silu(g)·u for a block of elements.
func (tp *Tape) swiglu(gate, up *Var, fwd func(o, g, u []float32)) *Var {
	if !tensor.SameShape(gate.Value, up.Value) {
		panic(fmt.Sprintf("autograd.SwiGLU: gate %v and up %v differ", gate.Shape(), up.Shape()))
	}
	out := tp.empty(gate.Shape()...)
	od, gd, ud := out.Data(), gate.Data(), up.Data()
	blocks := rowBlocks((len(od)+swigluChunk-1)/swigluChunk, swigluChunk)
	tensor.Parallel(len(blocks), func(b int) {
		lo, hi := blocks[b].lo*swigluChunk, min(blocks[b].hi*swigluChunk, len(od))
		fwd(od[lo:hi], gd[lo:hi], ud[lo:hi])
	})
	y := tp.newVar(out, tp.needs(gate, up))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil {
				return
			}
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
			// Over the threads in whole chunks: every element's result is
			// its own expression, so the split does not change a bit.
			dy := g.Data()
			tensor.Parallel(len(blocks), func(b int) {
				lo, hi := blocks[b].lo*swigluChunk, min(blocks[b].hi*swigluChunk, len(gd))
				var dgb, dub []float32
				if dg != nil {
					dgb = dg[lo:hi]
				}
				if du != nil {
					dub = du[lo:hi]
				}
				asm.SwiGLUBackward(dgb, dub, addG, addU, dy[lo:hi], gd[lo:hi], ud[lo:hi])
			})
		})
	}
	return y
}
