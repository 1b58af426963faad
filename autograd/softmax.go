package autograd

import (
	"fmt"
	"math"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/tensor"
)

// Softmax returns softmax over the last axis.
//
//	x [..., n] → y [..., n];  dx = y ⊙ (dy − Σ dy⊙y)
func (tp *Tape) Softmax(x *Var) *Var {
	out := tp.Arena().Clone(x.Value)
	n := x.Value.Dim(-1)
	for r := 0; r < out.Rows(); r++ {
		asm.Softmax(out.Row(r))
	}
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil {
				return
			}
			dx := tp.grad(x)
			for r := 0; r < out.Rows(); r++ {
				yr, gr, dr := out.Row(r), g.Data()[r*n:(r+1)*n], dx.Row(r)
				s := asm.Dot(gr, yr)
				for i := range dr {
					dr[i] += yr[i] * (gr[i] - s)
				}
			}
		})
	}
	return y
}

// LogSoftmax returns log(softmax(x)) over the last axis.
//
//	x [..., n] → y [..., n];  dx = dy − e^y·Σ dy
func (tp *Tape) LogSoftmax(x *Var) *Var {
	out := tp.Arena().Clone(x.Value)
	n := x.Value.Dim(-1)
	for r := 0; r < out.Rows(); r++ {
		row := out.Row(r)
		lse := logSumExp(row)
		for i := range row {
			row[i] -= lse
		}
	}
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil {
				return
			}
			dx := tp.grad(x)
			for r := 0; r < out.Rows(); r++ {
				yr, gr, dr := out.Row(r), g.Data()[r*n:(r+1)*n], dx.Row(r)
				s := asm.Sum(gr)
				for i := range dr {
					dr[i] += gr[i] - float32(math.Exp(float64(yr[i])))*s
				}
			}
		})
	}
	return y
}

// logSumExp returns log Σ e^x, stable for large x.
func logSumExp(x []float32) float32 {
	m := asm.Max(x)
	if math.IsInf(float64(m), 0) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v - m))
	}
	return m + float32(math.Log(s))
}

// CrossEntropy returns the mean over rows of −log softmax(logits)[target],
// skipping rows whose target equals ignore (as PyTorch's ignore_index; use
// -100 by convention). Log-softmax is fused: only one log-sum-exp per row is
// kept for the backward pass, never the probabilities. If every row is
// ignored the loss is 0. Rows are spread over [asm.Threads]; the result
// does not depend on their number.
//
//	logits [..., V], targets len rows → [1];  dlogits = (softmax − onehot)·dy/count
func (tp *Tape) CrossEntropy(logits *Var, targets []int, ignore int) *Var {
	v := logits.Value.Dim(-1)
	rows := logits.Value.Rows()
	if len(targets) != rows {
		panic(fmt.Sprintf("autograd.CrossEntropy: %d targets for logits %v", len(targets), logits.Shape()))
	}
	count := 0
	for _, t := range targets {
		if t == ignore {
			continue
		}
		if t < 0 || t >= v {
			panic(fmt.Sprintf("autograd.CrossEntropy: target %d out of range for logits %v", t, logits.Shape()))
		}
		count++
	}
	lse := tp.empty(rows).Data()
	rowLoss := tp.empty(rows).Data()
	blocks := rowBlocks(rows, v)
	scratch := tp.empty(len(blocks) * v).Data()
	tensor.Parallel(len(blocks), func(b int) {
		sc := scratch[b*v : (b+1)*v]
		for r := blocks[b].lo; r < blocks[b].hi; r++ {
			t := targets[r]
			if t == ignore {
				continue
			}
			row := logits.Value.Row(r)
			// log Σ e^(x−max) + max: the exps as ExpSum writes them,
			// summed by Sum (the order the loss has always used).
			l := asm.Max(row)
			if !math.IsInf(float64(l), 0) {
				asm.ExpSum(sc, row, l)
				l += float32(math.Log(float64(asm.Sum(sc))))
			}
			lse[r] = l
			rowLoss[r] = l - row[t]
		}
	})
	var loss float64
	for r, t := range targets {
		if t != ignore {
			loss += float64(rowLoss[r])
		}
	}
	out := tp.empty(1)
	inv := float32(0)
	if count > 0 {
		inv = 1 / float32(count)
		out.Data()[0] = float32(loss / float64(count))
	} else {
		out.Data()[0] = 0
	}
	y := tp.newVar(out, tp.needs(logits))
	if y.requires {
		tp.record(func() {
			g := y.Grad
			if g == nil || count == 0 {
				return
			}
			s := g.Data()[0] * inv
			// A first contribution to the gradient is written as s·p,
			// which is 0 + s·p (what adding to zeros gave) unless s·p is
			// −0: so only for s ≥ +0.
			dx, beta := tp.gradBeta(logits)
			write := beta == 0 && !math.Signbit(float64(s))
			if beta == 0 && !write {
				clear(dx.Data())
			}
			var p []float32
			if !write {
				p = tp.empty(len(blocks) * v).Data()
			}
			tensor.Parallel(len(blocks), func(b int) {
				for r := blocks[b].lo; r < blocks[b].hi; r++ {
					dr := dx.Row(r)
					t := targets[r]
					if t == ignore {
						if write {
							clear(dr)
						}
						continue
					}
					row := logits.Value.Row(r)
					if write {
						asm.ExpSum(dr, row, lse[r])
						asm.Scale(s, dr)
					} else {
						pb := p[b*v : (b+1)*v]
						asm.ExpSum(pb, row, lse[r])
						asm.Axpy(s, pb, dr)
					}
					dr[t] -= s
				}
			})
		})
	}
	return y
}

// rowBlock is a range of rows one worker takes.
type rowBlock struct{ lo, hi int }

// rowBlocks splits rows of n elements into blocks for [tensor.Parallel]:
// one block on one thread, else about four per thread of at least 64 Ki
// elements each (smaller ones cost more to hand out than they save).
func rowBlocks(rows, n int) []rowBlock {
	nb := 1
	if th := asm.Threads(); th > 1 {
		nb = max(1, min(4*th, rows*n/(1<<16)))
	}
	nb = min(nb, max(rows, 1))
	out := make([]rowBlock, nb)
	for b := range out {
		out[b] = rowBlock{b * rows / nb, (b + 1) * rows / nb}
	}
	return out
}
