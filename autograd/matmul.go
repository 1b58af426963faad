package autograd

import (
	"fmt"
	"slices"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/tensor"
)

// MatMul returns op(a)·op(b), op transposing the last two axes when its flag
// is set (see [tensor.MatMul]).
//
//	a [..., m, k] (transA: [..., k, m]), b [k, n] shared or [..., k, n] → [..., m, n]
//
// The backward pass uses the transposed GEMM modes; no transpose is ever
// materialised.
func (tp *Tape) MatMul(a, b *Var, transA, transB bool) *Var {
	av, bv := a.Value, b.Value
	m, n := mnOf(av, bv, transA, transB)
	shape := append(slices.Clone(av.Shape()[:av.Dims()-2]), m, n)
	out := tp.empty(shape...)
	tensor.MatMulInto(out, av, bv, transA, transB, 1, 0)
	y := tp.newVar(out, tp.needs(a, b))
	if y.requires {
		tp.record(func() { matmulBackward(tp, a, b, y, transA, transB) })
	}
	return y
}

func mnOf(a, b *tensor.Tensor, transA, transB bool) (m, n int) {
	if a.Dims() < 2 || b.Dims() < 2 {
		panic(fmt.Sprintf("autograd.MatMul: need matrices, got %v × %v", a.Shape(), b.Shape()))
	}
	m, k := a.Dim(-2), a.Dim(-1)
	if transA {
		m, k = k, m
	}
	kb, n := b.Dim(-2), b.Dim(-1)
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("autograd.MatMul: inner sizes differ: %v (transA=%v) × %v (transB=%v)", a.Shape(), transA, b.Shape(), transB))
	}
	return m, n
}

// matmulBackward accumulates dA and dB for C = op(A)·op(B).
//
//	dA  = dC·op(B)ᵀ           (stored [k,m] when transA: op(B)·dCᵀ)
//	dB  = op(A)ᵀ·dC           (stored [n,k] when transB: dCᵀ·op(A))
func matmulBackward(tp *Tape, a, b, c *Var, transA, transB bool) {
	dC := c.Grad
	if dC == nil {
		return
	}
	av, bv := a.Value, b.Value
	ar, ac := av.Dim(-2), av.Dim(-1)
	br, bc := bv.Dim(-2), bv.Dim(-1)
	m, k := ar, ac
	if transA {
		m, k = ac, ar
	}
	n := bc
	if transB {
		n = br
	}
	batch := av.Len() / max(ar*ac, 1)
	shared := bv.Dims() == 2
	sa, sb, sc := ar*ac, br*bc, m*n
	if shared {
		sb = 0
	}
	ad, bd, cd := av.Data(), bv.Data(), dC.Data()
	if a.requires {
		dA := tp.grad(a).Data()
		switch {
		case shared && !transA: // fold the batch into rows
			asm.Sgemm(false, !transB, batch*m, k, n, 1, cd, n, bd, bc, 1, dA, ac)
		case !transA:
			asm.SgemmStrided(false, !transB, m, k, n, 1, cd, n, sc, bd, bc, sb, 1, dA, ac, sa, batch)
		default:
			asm.SgemmStrided(transB, true, k, m, n, 1, bd, bc, sb, cd, n, sc, 1, dA, ac, sa, batch)
		}
	}
	if b.requires {
		dB := tp.grad(b).Data()
		switch {
		case shared && !transA && !transB:
			asm.Sgemm(true, false, k, n, batch*m, 1, ad, ac, cd, n, 1, dB, bc)
		case shared && !transA:
			asm.Sgemm(true, false, n, k, batch*m, 1, cd, n, ad, ac, 1, dB, bc)
		case shared: // transA with a shared B: accumulate batch by batch
			for i := 0; i < batch; i++ {
				if !transB {
					asm.Sgemm(false, false, k, n, m, 1, ad[i*sa:], ac, cd[i*sc:], n, 1, dB, bc)
				} else {
					asm.Sgemm(true, true, n, k, m, 1, cd[i*sc:], n, ad[i*sa:], ac, 1, dB, bc)
				}
			}
		case !transB:
			asm.SgemmStrided(!transA, false, k, n, m, 1, ad, ac, sa, cd, n, sc, 1, dB, bc, sb, batch)
		default:
			asm.SgemmStrided(true, transA, n, k, m, 1, cd, n, sc, ad, ac, sa, 1, dB, bc, sb, batch)
		}
	}
}

// Linear returns x·wᵀ + b, the PyTorch Linear layer.
//
//	x [..., in], w [out, in], b [out] or nil → [..., out]
func (tp *Tape) Linear(x, w, b *Var) *Var {
	xv, wv := x.Value, w.Value
	in := xv.Dim(-1)
	if wv.Dims() != 2 || wv.Dim(1) != in {
		panic(fmt.Sprintf("autograd.Linear: x %v does not match weight %v", xv.Shape(), wv.Shape()))
	}
	nout := wv.Dim(0)
	rows := xv.Rows()
	out := tp.empty(shapeWith(xv.Shape(), nout)...)
	if b != nil {
		if b.Value.Len() != nout {
			panic(fmt.Sprintf("autograd.Linear: bias %v for weight %v", b.Shape(), wv.Shape()))
		}
		for r := 0; r < rows; r++ {
			copy(out.Data()[r*nout:(r+1)*nout], b.Data())
		}
	}
	beta := float32(0)
	if b != nil {
		beta = 1
	}
	asm.Sgemm(false, true, rows, nout, in, 1, xv.Data(), in, wv.Data(), in, beta, out.Data(), nout)
	y := tp.newVar(out, tp.needs(x, w, b))
	if y.requires {
		tp.record(func() {
			dy := y.Grad
			if dy == nil {
				return
			}
			if x.requires { // dx [rows,in] += dy [rows,out] · w [out,in]
				dx, beta := tp.gradBeta(x)
				asm.Sgemm(false, false, rows, in, nout, 1, dy.Data(), nout, wv.Data(), in, beta, dx.Data(), in)
			}
			if w.requires { // dw [out,in] += dyᵀ [out,rows] · x [rows,in]
				asm.Sgemm(true, false, nout, in, rows, 1, dy.Data(), nout, xv.Data(), in, 1, tp.grad(w).Data(), in)
			}
			if b != nil && b.requires { // db += Σ_rows dy
				db := tp.grad(b).Data()
				for r := 0; r < rows; r++ {
					asm.Axpy(1, dy.Data()[r*nout:(r+1)*nout], db)
				}
			}
		})
	}
	return y
}

// LinearBF16 is [Tape.Linear] with a frozen bfloat16 weight w [out, in]:
// gradients flow to x (and b) but never to w.
func (tp *Tape) LinearBF16(x *Var, w *tensor.BF16, b *Var) *Var {
	xv := x.Value
	in := xv.Dim(-1)
	if len(w.Shape()) != 2 || w.Shape()[1] != in {
		panic(fmt.Sprintf("autograd.LinearBF16: x %v does not match weight %v", xv.Shape(), w.Shape()))
	}
	nout := w.Shape()[0]
	rows := xv.Rows()
	out := tp.empty(shapeWith(xv.Shape(), nout)...)
	beta := float32(0)
	if b != nil {
		for r := 0; r < rows; r++ {
			copy(out.Data()[r*nout:(r+1)*nout], b.Data())
		}
		beta = 1
	}
	asm.SgemmBF16(false, true, rows, nout, in, 1, xv.Data(), in, w.Data(), in, beta, out.Data(), nout)
	y := tp.newVar(out, tp.needs(x, b))
	if y.requires {
		tp.record(func() {
			dy := y.Grad
			if dy == nil {
				return
			}
			if x.requires {
				dx, beta := tp.gradBeta(x)
				asm.SgemmBF16(false, false, rows, in, nout, 1, dy.Data(), nout, w.Data(), in, beta, dx.Data(), in)
			}
			if b != nil && b.requires {
				db := tp.grad(b).Data()
				for r := 0; r < rows; r++ {
					asm.Axpy(1, dy.Data()[r*nout:(r+1)*nout], db)
				}
			}
		})
	}
	return y
}

// LinearBF16Dot is x·wᵀ through a frozen bfloat16 weight w [out, in] on
// the bf16 dot-product path inference uses ([asm.SgemmBF16Dot]: x rounded
// to bfloat16, pairs multiplied with float32 sums, where the CPU has
// VDPBF16PS; float32 arithmetic elsewhere). The gradient flows to x only,
// as that of x·wᵀ (the rounding is not differentiated); the backward's dx =
// dy·w runs on the same path with w as stored (dy rounded to bfloat16; the
// kernel packs w's rows in pairs per call, so no transposed copy is kept).
func (tp *Tape) LinearBF16Dot(x *Var, w *tensor.BF16) *Var {
	xv := x.Value
	in := xv.Dim(-1)
	if len(w.Shape()) != 2 || w.Shape()[1] != in {
		panic(fmt.Sprintf("autograd.LinearBF16Dot: x %v does not match weight %v", xv.Shape(), w.Shape()))
	}
	nout := w.Shape()[0]
	rows := xv.Rows()
	out := tp.empty(shapeWith(xv.Shape(), nout)...)
	asm.SgemmBF16Dot(false, true, rows, nout, in, 1, xv.Data(), in, w.Data(), in, 0, out.Data(), nout)
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			dy := y.Grad
			if dy == nil {
				return
			}
			dx, beta := tp.gradBeta(x) // dx [rows,in] (+)= dy [rows,out] · w [out,in]
			asm.SgemmBF16Dot(false, false, rows, in, nout, 1, dy.Data(), nout, w.Data(), in, beta, dx.Data(), in)
		})
	}
	return y
}
