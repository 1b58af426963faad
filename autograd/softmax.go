package autograd

import (
	"fmt"
	"math"

	"github.com/llink-go/llink/asm"
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

// logSumExpVec is logSumExp using the vector exp kernel; scratch must be as
// long as x.
func logSumExpVec(x, scratch []float32) float32 {
	m := asm.Max(x)
	if math.IsInf(float64(m), 0) {
		return m
	}
	for i, v := range x {
		scratch[i] = v - m
	}
	asm.Exp(scratch, scratch)
	return m + float32(math.Log(float64(asm.Sum(scratch))))
}

// CrossEntropy returns the mean over rows of −log softmax(logits)[target],
// skipping rows whose target equals ignore (as PyTorch's ignore_index; use
// -100 by convention). Log-softmax is fused: only one log-sum-exp per row is
// kept for the backward pass, never the probabilities. If every row is
// ignored the loss is 0.
//
//	logits [..., V], targets len rows → [1];  dlogits = (softmax − onehot)·dy/count
func (tp *Tape) CrossEntropy(logits *Var, targets []int, ignore int) *Var {
	v := logits.Value.Dim(-1)
	rows := logits.Value.Rows()
	if len(targets) != rows {
		panic(fmt.Sprintf("autograd.CrossEntropy: %d targets for logits %v", len(targets), logits.Shape()))
	}
	lse := tp.empty(rows)
	scratch := tp.empty(v).Data()
	var loss float64
	count := 0
	for r := 0; r < rows; r++ {
		t := targets[r]
		if t == ignore {
			continue
		}
		if t < 0 || t >= v {
			panic(fmt.Sprintf("autograd.CrossEntropy: target %d out of range for logits %v", t, logits.Shape()))
		}
		row := logits.Value.Row(r)
		l := logSumExpVec(row, scratch)
		lse.Data()[r] = l
		loss += float64(l - row[t])
		count++
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
			dx := tp.grad(logits)
			p := tp.empty(v).Data()
			for r := 0; r < rows; r++ {
				t := targets[r]
				if t == ignore {
					continue
				}
				row, dr := logits.Value.Row(r), dx.Row(r)
				l := lse.Data()[r]
				for i, z := range row {
					p[i] = z - l
				}
				asm.Exp(p, p)
				asm.Axpy(s, p, dr)
				dr[t] -= s
			}
		})
	}
	return y
}
