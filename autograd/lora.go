package autograd

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/tensor"
)

// LoRA returns y + scale·(Dropout(x)·aᵀ)·bᵀ, the low-rank update of a
// frozen projection y = x·Wᵀ, as one op: x is [..., in], a [r, in], b
// [out, r] and y x's shape with out columns. Dropout (probability p, drawn
// from rng as [Tape.Dropout] draws it; none with p == 0 or a nil rng) is on
// the update's input only. It equals
//
//	tp.Add(y, tp.Scale(tp.Linear(tp.Linear(tp.Dropout(x, p, rng), a, nil), b, nil), scale))
//
// but keeps the dropout mask as bits, applies the scale inside the GEMMs
// and hands y's gradient over without copying it: on a LoRA fine-tuning
// step those copies and masks were a sixth of the time.
func (tp *Tape) LoRA(y, x, a, b *Var, scale, p float32, rng *rand.Rand) *Var {
	return tp.lora(y, x, a, b, scale, p, rng, false)
}

// LoRAOnto is [Tape.LoRA] adding the update onto y's own buffer instead of
// a copy of it (the same values bit for bit): y's value is the result's
// afterwards, so y must be a tape intermediate that nothing reads again —
// a frozen projection's output made only to receive its LoRA update. A
// fine-tuning step then saves one pass over every adapted projection's
// output.
func (tp *Tape) LoRAOnto(y, x, a, b *Var, scale, p float32, rng *rand.Rand) *Var {
	return tp.lora(y, x, a, b, scale, p, rng, true)
}

func (tp *Tape) lora(y, x, a, b *Var, scale, p float32, rng *rand.Rand, onto bool) *Var {
	xv, av, bv := x.Value, a.Value, b.Value
	in, rows := xv.Dim(-1), xv.Rows()
	if av.Dims() != 2 || av.Dim(1) != in || bv.Dims() != 2 || bv.Dim(1) != av.Dim(0) {
		panic(fmt.Sprintf("autograd.LoRA: x %v, a %v and b %v do not chain", xv.Shape(), av.Shape(), bv.Shape()))
	}
	r, nout := av.Dim(0), bv.Dim(0)
	if !slices.Equal(y.Value.Shape(), shapeWith(xv.Shape(), nout)) {
		panic(fmt.Sprintf("autograd.LoRA: y %v is not x %v with %d columns", y.Shape(), xv.Shape(), nout))
	}
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("autograd.LoRA: dropout p = %g outside [0, 1)", p))
	}
	// Dropout(x) is needed twice, for h now and for da in the backward
	// pass. It is not kept between them: only its mask (bits) is, and the
	// backward pass rebuilds it from x into a scratch buffer, so a LoRA
	// with dropout holds no copy of its [rows, in] input for the step.
	var kept []uint64 // bit i set: element i kept (nil: no dropout)
	keep := float32(1)
	h := tp.empty(rows * r).Data() // Dropout(x)·aᵀ
	if p > 0 && rng != nil {
		d := getScratch(xv.Len())
		kept, keep = dropInto(*d, xv.Data(), p, rng)
		asm.Sgemm(false, true, rows, r, in, 1, *d, in, av.Data(), in, 0, h, r)
		putScratch(d)
	} else {
		asm.Sgemm(false, true, rows, r, in, 1, xv.Data(), in, av.Data(), in, 0, h, r)
	}
	var out *tensor.Tensor
	if onto {
		out = tp.Arena().View(y.Value, y.Shape()...)
	} else {
		out = tp.empty(y.Shape()...)
		copy(out.Data(), y.Data())
	}
	asm.Sgemm(false, true, rows, nout, r, scale, h, r, bv.Data(), r, 1, out.Data(), nout)
	z := tp.newVar(out, tp.needs(y, x, a, b))
	if !z.requires {
		return z
	}
	tp.record(func() {
		g := z.Grad
		if g == nil {
			return
		}
		gd := g.Data()
		if b.requires { // db [out, r] += scale·gᵀ·h
			asm.Sgemm(true, false, nout, r, rows, scale, gd, nout, h, r, 1, tp.grad(b).Data(), r)
		}
		if a.requires || x.requires {
			dh := tp.empty(rows * r).Data() // scale·g·b [rows, r]
			asm.Sgemm(false, false, rows, r, nout, scale, gd, nout, bv.Data(), r, 0, dh, r)
			if a.requires { // da [r, in] += dhᵀ·Dropout(x)
				if kept == nil {
					asm.Sgemm(true, false, r, in, rows, 1, dh, r, xv.Data(), in, 1, tp.grad(a).Data(), in)
				} else {
					d := getScratch(xv.Len())
					masked(asm.MaskedScale, *d, xv.Data(), keep, kept) // the forward's Dropout(x), bit for bit
					asm.Sgemm(true, false, r, in, rows, 1, dh, r, *d, in, 1, tp.grad(a).Data(), in)
					putScratch(d)
				}
			}
			if x.requires { // dx += mask·keep ∘ (dh·a)
				dx, beta := tp.gradBeta(x)
				if kept == nil {
					asm.Sgemm(false, false, rows, in, r, 1, dh, r, av.Data(), in, beta, dx.Data(), in)
				} else if beta == 0 { // a first contribution: the product, masked in place
					asm.Sgemm(false, false, rows, in, r, 1, dh, r, av.Data(), in, 0, dx.Data(), in)
					masked(asm.MaskedScale, dx.Data(), dx.Data(), keep, kept)
				} else {
					t := getScratch(rows * in)
					asm.Sgemm(false, false, rows, in, r, 1, dh, r, av.Data(), in, 0, *t, in)
					masked(asm.MaskedAddScaled, dx.Data(), *t, keep, kept)
					putScratch(t)
				}
			}
		}
		if y.requires {
			tp.moveGrad(y, 1, g) // last: g is not read after this
		}
	})
	return z
}

// scratch holds float32 buffers that live for one kernel call (the LoRA
// op's dropped input and its input gradient before the mask), so they take
// no room in a tape's arena.
var scratch sync.Pool

// getScratch returns a buffer of n floats from the pool (contents undefined).
func getScratch(n int) *[]float32 {
	if b, ok := scratch.Get().(*[]float32); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := make([]float32, n)
	return &b
}

// putScratch returns b to the pool.
func putScratch(b *[]float32) { scratch.Put(b) }
