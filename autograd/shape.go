package autograd

import (
	"fmt"

	"github.com/llink-go/llink/tensor"
)

// Slice returns x restricted to [lo, hi) along axis (a copy).
func (tp *Tape) Slice(x *Var, axis, lo, hi int) *Var {
	out := tp.empty(tensor.SliceShape(x.Value, axis, lo, hi)...)
	tensor.SliceInto(out, x.Value, axis, lo, hi, false)
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				tensor.AddSlice(tp.grad(x), g, axis, lo)
			}
		})
	}
	return y
}

// Concat joins xs along axis.
func (tp *Tape) Concat(axis int, xs ...*Var) *Var {
	vals := make([]*tensor.Tensor, len(xs))
	for i, x := range xs {
		vals[i] = x.Value
	}
	out := tp.empty(tensor.ConcatShape(axis, vals...)...)
	tensor.ConcatInto(out, axis, vals...)
	y := tp.newVar(out, tp.needs(xs...))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil {
				return
			}
			lo := 0
			for _, x := range xs {
				n := x.Value.Dim(axis)
				if x.requires {
					tensor.SliceInto(tp.grad(x), g, axis, lo, lo+n, true)
				}
				lo += n
			}
		})
	}
	return y
}

// Gather returns rows ids of the matrix w — an embedding lookup. The
// backward pass adds each output row's gradient into row ids[i] of w.
//
//	w [V, d], ids len N → [N, d]
func (tp *Tape) Gather(w *Var, ids []int) *Var {
	d := w.Value.Dim(-1)
	out := tp.empty(len(ids), d)
	tensor.GatherRowsInto(out, w.Value, ids)
	y := tp.newVar(out, tp.needs(w))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				tensor.ScatterAddRows(tp.grad(w), g, ids)
			}
		})
	}
	return y
}

// ScatterRows returns a copy of x whose rows idx (x viewed as a matrix
// [rows, last dim]) are overwritten by the rows of src: the splice that puts
// soft slot vectors into a decoder's input embeddings. The gradient of an
// overwritten row flows to src, not to x. idx must not repeat.
//
//	x [..., d], src [len(idx), d] (any shape with that many elements) → x's shape
func (tp *Tape) ScatterRows(x, src *Var, idx []int) *Var {
	d := x.Value.Dim(-1)
	if src.Value.Len() != len(idx)*d {
		panic(fmt.Sprintf("autograd.ScatterRows: src %v for %d rows of %v", src.Shape(), len(idx), x.Shape()))
	}
	seen := tp.Arena().Ints(x.Value.Rows())
	for _, r := range idx {
		if r >= 0 && r < len(seen) {
			if seen[r] != 0 {
				panic(fmt.Sprintf("autograd.ScatterRows: row %d repeated in %v", r, idx))
			}
			seen[r] = 1
		}
	}
	out := tp.Arena().Clone(x.Value)
	tensor.ScatterRows(out, src.Value, idx)
	y := tp.newVar(out, tp.needs(x, src))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil {
				return
			}
			gd := g.Data()
			if x.requires {
				dx := tp.grad(x).Data()
				for r := 0; r < len(seen); r++ {
					if seen[r] == 0 {
						row := dx[r*d : (r+1)*d]
						for j, v := range gd[r*d : (r+1)*d] {
							row[j] += v
						}
					}
				}
			}
			if src.requires {
				ds := tp.grad(src).Data()
				for i, r := range idx {
					row := ds[i*d : (i+1)*d]
					for j, v := range gd[r*d : (r+1)*d] {
						row[j] += v
					}
				}
			}
		})
	}
	return y
}
