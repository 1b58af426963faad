package autograd

import (
	"fmt"
	"math"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/tensor"
)

func checkGain(op string, x, w *Var) {
	if w != nil && w.Value.Len() != x.Value.Dim(-1) {
		panic(fmt.Sprintf("autograd.%s: weight %v for x %v", op, w.Shape(), x.Shape()))
	}
}

// RMSNorm returns the LLaMA RMSNorm x·rstd·w over the last axis, rstd =
// 1/√(mean(x²)+eps); w may be nil (no gain). Forward keeps rstd per row.
// Rows (and, for dw, columns) are spread over [asm.Threads]; the result
// does not depend on their number.
//
//	x [..., n], w [n] → [..., n]
//	x̂ = x·rstd;  dw += Σ_rows dy⊙x̂;  dx = rstd·(dy⊙w − x̂·mean(dy⊙w⊙x̂))
func (tp *Tape) RMSNorm(x, w *Var, eps float32) *Var {
	checkGain("RMSNorm", x, w)
	n := x.Value.Dim(-1)
	rows := x.Value.Rows()
	out := tp.empty(x.Shape()...)
	rstd := tp.empty(rows).Data()
	var wd []float32
	if w != nil {
		wd = w.Data()
	}
	blocks := rowBlocks(rows, n)
	tensor.Parallel(len(blocks), func(b int) {
		for r := blocks[b].lo; r < blocks[b].hi; r++ {
			rstd[r] = asm.RMSNorm(out.Row(r), x.Value.Row(r), wd, eps)
		}
	})
	y := tp.newVar(out, tp.needs(x, w))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				var dx, dw []float32
				if x.requires {
					dx = tp.grad(x).Data()
				}
				if w != nil && w.requires {
					dw = tp.grad(w).Data()
				}
				rmsNormBackward(x.Value, wd, rstd, g.Data(), dx, dw, blocks, tp.empty(2*n*len(blocks)).Data())
			}
		})
	}
	return y
}

// rmsNormBackward adds RMSNorm's gradients for dy to dx and dw (either may
// be nil) with vector kernels, each element rounded as the scalar
// expressions dw[i] += dy[i]·x̂[i] and dx[i] += rstd·(gw[i] − x̂[i]·c)
// (gw = dy⊙w, c = Σ gw⊙x̂ / n) round it, rows in order for dw. scratch
// holds 2n floats per block.
func rmsNormBackward(x *tensor.Tensor, wd, rstd, dy, dx, dw []float32, blocks []rowBlock, scratch []float32) {
	n, rows := x.Dim(-1), x.Rows()
	xhat := func(xh []float32, r, c0, c1 int) {
		copy(xh, x.Row(r)[c0:c1])
		asm.Scale(rstd[r], xh)
	}
	// dxRow adds row r's dx; xh holds x̂ and is overwritten, gw is scratch.
	dxRow := func(xh, gw []float32, r int) {
		gr := dy[r*n : (r+1)*n]
		if wd != nil {
			asm.Mul(gw, gr, wd)
		} else {
			copy(gw, gr)
		}
		c := asm.Dot(gw, xh) / float32(n)
		asm.Scale(c, xh)
		asm.Axpy(-1, xh, gw) // gw − x̂·c, one rounding: the product by −1 is exact
		asm.Scale(rstd[r], gw)
		d := dx[r*n : (r+1)*n]
		asm.Add(d, d, gw)
	}
	if len(blocks) == 1 {
		xh, gw := scratch[:n], scratch[n:2*n]
		for r := range rows {
			xhat(xh, r, 0, n)
			if dw != nil {
				asm.Mul(gw, dy[r*n:(r+1)*n], xh)
				asm.Add(dw, dw, gw)
			}
			if dx != nil {
				dxRow(xh, gw, r)
			}
		}
		return
	}
	if dx != nil {
		tensor.Parallel(len(blocks), func(b int) {
			xh, gw := scratch[2*n*b:][:n], scratch[2*n*b+n:][:n]
			for r := blocks[b].lo; r < blocks[b].hi; r++ {
				xhat(xh, r, 0, n)
				dxRow(xh, gw, r)
			}
		})
	}
	if dw != nil { // columns split, rows in order within each
		nc := min(len(blocks), max(1, n/64))
		tensor.Parallel(nc, func(b int) {
			c0, c1 := b*n/nc, (b+1)*n/nc
			t := scratch[2*n*b:][:c1-c0]
			for r := range rows {
				xhat(t, r, c0, c1)
				asm.Mul(t, dy[r*n+c0:r*n+c1], t)
				asm.Add(dw[c0:c1], dw[c0:c1], t)
			}
		})
	}
}

// LayerNorm returns (x−mean)·rstd·w + b over the last axis (biased
// variance, as PyTorch); w and b may be nil for the affine-free form.
// Forward keeps mean and rstd per row.
//
//	x [..., n], w, b [n] → [..., n]
//	x̂ = (x−μ)·rstd;  db += Σ dy;  dw += Σ dy⊙x̂
//	dx = rstd·(dy⊙w − mean(dy⊙w) − x̂·mean(dy⊙w⊙x̂))
func (tp *Tape) LayerNorm(x, w, b *Var, eps float32) *Var {
	checkGain("LayerNorm", x, w)
	checkGain("LayerNorm", x, b)
	n := x.Value.Dim(-1)
	rows := x.Value.Rows()
	out := tp.empty(x.Shape()...)
	stats := tp.empty(2 * rows).Data()
	var wd, bd []float32
	if w != nil {
		wd = w.Data()
	}
	if b != nil {
		bd = b.Data()
	}
	for r := 0; r < rows; r++ {
		stats[2*r], stats[2*r+1] = asm.LayerNorm(out.Row(r), x.Value.Row(r), wd, bd, eps)
	}
	y := tp.newVar(out, tp.needs(x, w, b))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil {
				return
			}
			xh := tp.empty(n).Data()
			gw := tp.empty(n).Data()
			var dx, dw, db []float32
			if x.requires {
				dx = tp.grad(x).Data()
			}
			if w != nil && w.requires {
				dw = tp.grad(w).Data()
			}
			if b != nil && b.requires {
				db = tp.grad(b).Data()
			}
			for r := 0; r < rows; r++ {
				xr, gr := x.Value.Row(r), g.Data()[r*n:(r+1)*n]
				mu, s := stats[2*r], stats[2*r+1]
				for i, v := range xr {
					xh[i] = (v - mu) * s
				}
				if db != nil {
					asm.Axpy(1, gr, db)
				}
				if dw != nil {
					for i := range dw {
						dw[i] += gr[i] * xh[i]
					}
				}
				if dx == nil {
					continue
				}
				if wd != nil {
					asm.Mul(gw, gr, wd)
				} else {
					copy(gw, gr)
				}
				m1 := asm.Sum(gw) / float32(n)
				m2 := asm.Dot(gw, xh) / float32(n)
				d := dx[r*n : (r+1)*n]
				for i := range d {
					d[i] += s * (gw[i] - m1 - xh[i]*m2)
				}
			}
		})
	}
	return y
}

// L2Normalize returns x/max(‖x‖, eps) over the last axis (PyTorch's
// F.normalize).
//
//	x [..., n] → [..., n];  dx = (dy − y·(dy·y))/‖x‖  (dy/eps when ‖x‖ < eps)
func (tp *Tape) L2Normalize(x *Var, eps float32) *Var {
	n := x.Value.Dim(-1)
	rows := x.Value.Rows()
	out := tp.empty(x.Shape()...)
	norms := tp.empty(rows).Data()
	for r := 0; r < rows; r++ {
		xr := x.Value.Row(r)
		nr := float32(math.Sqrt(float64(asm.Dot(xr, xr))))
		norms[r] = nr
		d := max(nr, eps)
		o := out.Row(r)
		copy(o, xr)
		asm.Scale(1/d, o)
	}
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil {
				return
			}
			dx := tp.grad(x).Data()
			for r := 0; r < rows; r++ {
				gr, yr := g.Data()[r*n:(r+1)*n], out.Row(r)
				d := dx[r*n : (r+1)*n]
				if norms[r] < eps {
					asm.Axpy(1/eps, gr, d)
					continue
				}
				c := asm.Dot(gr, yr)
				inv := 1 / norms[r]
				for i := range d {
					d[i] += (gr[i] - yr[i]*c) * inv
				}
			}
		})
	}
	return y
}
