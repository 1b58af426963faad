package autograd

import (
	"fmt"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/tensor"
)

// broadcastOut returns an arena tensor with the broadcast shape of a and b.
func (tp *Tape) broadcastOut(op string, a, b *Var) *tensor.Tensor {
	if tensor.SameShape(a.Value, b.Value) {
		return tp.empty(a.Shape()...)
	}
	shape, err := tensor.BroadcastShape(a.Shape(), b.Shape())
	if err != nil {
		panic(fmt.Sprintf("autograd.%s: %v", op, err))
	}
	return tp.empty(shape...)
}

// accumTo adds alpha·g, summed over the axes along which x was broadcast,
// into x's gradient.
func (tp *Tape) accumTo(x *Var, g *tensor.Tensor, alpha float32) {
	if x.Value.Len() == g.Len() {
		tp.addGrad(x, alpha, g.Data())
		return
	}
	dx := tp.grad(x)
	if alpha != 1 {
		t := tp.empty(g.Shape()...)
		copy(t.Data(), g.Data())
		asm.Scale(alpha, t.Data())
		g = t
	}
	tensor.SumToInto(dx, g)
}

// Add returns a + b with broadcasting.
func (tp *Tape) Add(a, b *Var) *Var { return tp.add(a, b, false) }

// AddOnto is [Tape.Add] for a and b of one shape, writing the sum into b's
// buffer instead of a new one (the same values bit for bit): b's value is
// the result's afterwards, so b must be a tape intermediate that nothing
// reads again — e.g. a residual block's output, added to the stream.
func (tp *Tape) AddOnto(a, b *Var) *Var { return tp.add(a, b, true) }

func (tp *Tape) add(a, b *Var, onto bool) *Var {
	var out *tensor.Tensor
	if onto {
		if !tensor.SameShape(a.Value, b.Value) {
			panic(fmt.Sprintf("autograd.AddOnto: shapes %v and %v differ", a.Shape(), b.Shape()))
		}
		out = tp.Arena().View(b.Value, b.Shape()...)
	} else {
		out = tp.broadcastOut("Add", a, b)
	}
	tensor.AddInto(out, a.Value, b.Value)
	y := tp.newVar(out, tp.needs(a, b))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				if b.requires {
					tp.accumTo(b, g, 1)
				}
				if a.requires {
					if a.Value.Len() == g.Len() {
						tp.moveGrad(a, 1, g) // g is not read after this
					} else {
						tp.accumTo(a, g, 1)
					}
				}
			}
		})
	}
	return y
}

// Sub returns a − b with broadcasting.
func (tp *Tape) Sub(a, b *Var) *Var {
	out := tp.broadcastOut("Sub", a, b)
	tensor.SubInto(out, a.Value, b.Value)
	y := tp.newVar(out, tp.needs(a, b))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				if a.requires {
					tp.accumTo(a, g, 1)
				}
				if b.requires {
					tp.accumTo(b, g, -1)
				}
			}
		})
	}
	return y
}

// Mul returns a ⊙ b with broadcasting.
func (tp *Tape) Mul(a, b *Var) *Var {
	out := tp.broadcastOut("Mul", a, b)
	tensor.MulInto(out, a.Value, b.Value)
	y := tp.newVar(out, tp.needs(a, b))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil {
				return
			}
			t := tp.empty(g.Shape()...)
			if a.requires { // da = sum_to(g ⊙ b)
				tensor.MulInto(t, g, b.Value)
				tp.accumTo(a, t, 1)
			}
			if b.requires { // db = sum_to(g ⊙ a)
				tensor.MulInto(t, g, a.Value)
				tp.accumTo(b, t, 1)
			}
		})
	}
	return y
}

// Div returns a / b with broadcasting.
func (tp *Tape) Div(a, b *Var) *Var {
	out := tp.broadcastOut("Div", a, b)
	tensor.DivInto(out, a.Value, b.Value)
	y := tp.newVar(out, tp.needs(a, b))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil {
				return
			}
			t := tp.empty(g.Shape()...)
			if a.requires { // da = sum_to(g / b)
				tensor.DivInto(t, g, b.Value)
				tp.accumTo(a, t, 1)
			}
			if b.requires { // db = −sum_to(g ⊙ y / b)
				tensor.MulInto(t, g, out)
				tensor.DivInto(t, t, b.Value)
				tp.accumTo(b, t, -1)
			}
		})
	}
	return y
}

// Scale returns s·x.
func (tp *Tape) Scale(x *Var, s float32) *Var {
	out := tp.empty(x.Shape()...)
	copy(out.Data(), x.Data())
	asm.Scale(s, out.Data())
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				tp.moveGrad(x, s, g)
			}
		})
	}
	return y
}

// AddScalar returns x + c.
func (tp *Tape) AddScalar(x *Var, c float32) *Var {
	out := tp.empty(x.Shape()...)
	for i, v := range x.Data() {
		out.Data()[i] = v + c
	}
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				tp.addGrad(x, 1, g.Data())
			}
		})
	}
	return y
}

// Sum returns the sum of all elements as a one-element tensor [1].
func (tp *Tape) Sum(x *Var) *Var { return tp.sumAll(x, 1) }

// Mean returns the mean of all elements as a one-element tensor [1].
func (tp *Tape) Mean(x *Var) *Var { return tp.sumAll(x, 1/float32(max(x.Value.Len(), 1))) }

func (tp *Tape) sumAll(x *Var, s float32) *Var {
	out := tp.empty(1)
	out.Data()[0] = float32(x.Value.Sum()) * s
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				gv := g.Data()[0] * s
				dx := tp.grad(x).Data()
				for i := range dx {
					dx[i] += gv
				}
			}
		})
	}
	return y
}

// SumAxis sums over axis (negative counts from the end); keep retains the
// axis with size 1.
func (tp *Tape) SumAxis(x *Var, axis int, keep bool) *Var { return tp.sumAxis(x, axis, keep, false) }

// MeanAxis averages over axis.
func (tp *Tape) MeanAxis(x *Var, axis int, keep bool) *Var { return tp.sumAxis(x, axis, keep, true) }

func (tp *Tape) sumAxis(x *Var, axis int, keep, mean bool) *Var {
	if axis < 0 {
		axis += x.Value.Dims()
	}
	var r *tensor.Tensor
	if mean {
		r = tensor.MeanAxis(x.Value, axis, true)
	} else {
		r = tensor.SumAxis(x.Value, axis, true)
	}
	scale := float32(1)
	if mean {
		scale = 1 / float32(x.Value.Dim(axis))
	}
	out := tp.Arena().Clone(r)
	keptShape := r.Shape()
	if !keep {
		s := make([]int, 0, len(keptShape)-1)
		s = append(s, keptShape[:axis]...)
		out = tp.Arena().View(out, append(s, keptShape[axis+1:]...)...)
	}
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil {
				return
			}
			gk := tp.Arena().View(g, keptShape...)
			t := tp.empty(x.Shape()...)
			t.Zero()
			tensor.AddInto(t, t, gk)
			tp.addGrad(x, scale, t.Data())
		})
	}
	return y
}

// Reshape returns x viewed with a new shape (one size may be -1); the value
// shares x's data.
func (tp *Tape) Reshape(x *Var, shape ...int) *Var {
	y := tp.newVar(tp.Arena().View(x.Value, shape...), tp.needs(x))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				tp.moveGrad(x, 1, g)
			}
		})
	}
	return y
}

// TransposeLast2 returns x with its last two axes swapped (a copy).
//
//	x [..., r, c] → [..., c, r]
func (tp *Tape) TransposeLast2(x *Var) *Var {
	r, c := x.Value.Dim(-2), x.Value.Dim(-1)
	shape := x.Shape()
	out := tp.empty(append(append(make([]int, 0, len(shape)), shape[:len(shape)-2]...), c, r)...)
	transposeAdd(out.Data(), x.Data(), r, c, false)
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				transposeAdd(tp.grad(x).Data(), g.Data(), c, r, true)
			}
		})
	}
	return y
}

// transposeAdd writes (or adds) the transposes of the r×c matrices in src
// into dst.
func transposeAdd(dst, src []float32, r, c int, add bool) {
	const blk = 32
	for q := 0; q < len(src)/max(r*c, 1); q++ {
		s, d := src[q*r*c:(q+1)*r*c], dst[q*r*c:(q+1)*r*c]
		for i0 := 0; i0 < r; i0 += blk {
			for j0 := 0; j0 < c; j0 += blk {
				for i := i0; i < min(i0+blk, r); i++ {
					for j := j0; j < min(j0+blk, c); j++ {
						if add {
							d[j*r+i] += s[i*c+j]
						} else {
							d[j*r+i] = s[i*c+j]
						}
					}
				}
			}
		}
	}
}
