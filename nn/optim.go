package nn

import (
	"fmt"
	"math"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// ParamGroup is a set of parameters sharing a learning rate and weight
// decay (LLINK trains LoRA, adapters and the scale with different rates).
type ParamGroup struct {
	Params      []*autograd.Var
	LR          float32
	WeightDecay float32
}

// Schedule returns the learning-rate multiplier for step (0-based: the
// number of optimizer steps already taken).
type Schedule func(step int) float32

// AdamW is Adam with decoupled weight decay, step for step as PyTorch's
// torch.optim.AdamW (non-amsgrad):
//
//	p −= lr·wd·p;  m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//	p −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)
//
// with lr = group LR × Schedule(t−1). Parameters that are frozen or have no
// gradient are skipped.
type AdamW struct {
	Groups       []ParamGroup
	Beta1, Beta2 float32
	Eps          float32
	// Schedule scales every group's LR; nil means constant.
	Schedule Schedule

	t    int
	m, v map[*autograd.Var][]float32
	work []adamwItem // Step's chunks, reused
}

// NewAdamW returns an AdamW over groups.
func NewAdamW(groups []ParamGroup, beta1, beta2, eps float32) *AdamW {
	return &AdamW{Groups: groups, Beta1: beta1, Beta2: beta2, Eps: eps,
		m: map[*autograd.Var][]float32{}, v: map[*autograd.Var][]float32{}}
}

// Steps returns how many steps have been taken.
func (o *AdamW) Steps() int { return o.t }

// LR returns the current learning rate of group i (after the schedule).
func (o *AdamW) LR(i int) float32 { return o.Groups[i].LR * o.mult(o.t) }

func (o *AdamW) mult(step int) float32 {
	if o.Schedule == nil {
		return 1
	}
	return o.Schedule(step)
}

// Moments returns p's first and second moment buffers (nil before p's
// first update), for checkpointing.
func (o *AdamW) Moments(p *autograd.Var) (m, v []float32) { return o.m[p], o.v[p] }

// SetState restores the step count and p's moments from a checkpoint.
func (o *AdamW) SetState(step int, p *autograd.Var, m, v []float32) {
	o.t = step
	if m != nil {
		o.m[p], o.v[p] = m, v
	}
}

// adamwChunk is how many elements of a parameter one worker updates at a
// time: whole parameters would leave a thread idle beside one large
// embedding table.
const adamwChunk = 1 << 15

// adamwItem is one chunk of a parameter's update.
type adamwItem struct {
	w, g, m, v []float32
	s          asm.AdamWStep
}

// Step applies one update to every parameter with a gradient: one vector
// pass per parameter ([asm.AdamW]), chunks spread over [asm.Threads]. The
// result does not depend on the thread count.
func (o *AdamW) Step() {
	s := o.mult(o.t)
	o.t++
	bc1 := 1 - math.Pow(float64(o.Beta1), float64(o.t))
	bc2 := 1 - math.Pow(float64(o.Beta2), float64(o.t))
	o.work = o.work[:0]
	for _, g := range o.Groups {
		lr := float64(g.LR * s)
		st := asm.AdamWStep{
			Decay: float32(1 - lr*float64(g.WeightDecay)),
			Beta1: o.Beta1, Beta2: o.Beta2,
			StepSize: float32(lr / bc1), BC2Sqrt: float32(math.Sqrt(bc2)), Eps: o.Eps,
		}
		for _, p := range g.Params {
			if !p.RequiresGrad() || p.Grad == nil {
				continue
			}
			m, ok := o.m[p]
			if !ok {
				m = make([]float32, p.Value.Len())
				o.m[p] = m
				o.v[p] = make([]float32, p.Value.Len())
			}
			v := o.v[p]
			w, gr := p.Data(), p.Grad.Data()
			for i := 0; i < len(w); i += adamwChunk {
				e := min(i+adamwChunk, len(w))
				o.work = append(o.work, adamwItem{w[i:e], gr[i:e], m[i:e], v[i:e], st})
			}
		}
	}
	tensor.Parallel(len(o.work), func(i int) {
		it := &o.work[i]
		asm.AdamW(it.w, it.g, it.m, it.v, it.s)
	})
	clear(o.work)
}

// SGD is stochastic gradient descent with optional momentum and (coupled,
// L2) weight decay, as torch.optim.SGD without dampening or Nesterov.
type SGD struct {
	Groups   []ParamGroup
	Momentum float32
	Schedule Schedule

	t   int
	buf map[*autograd.Var][]float32
}

// NewSGD returns an SGD optimizer.
func NewSGD(groups []ParamGroup, momentum float32) *SGD {
	return &SGD{Groups: groups, Momentum: momentum, buf: map[*autograd.Var][]float32{}}
}

// Step applies one update.
func (o *SGD) Step() {
	s := float32(1)
	if o.Schedule != nil {
		s = o.Schedule(o.t)
	}
	o.t++
	for _, g := range o.Groups {
		lr := g.LR * s
		for _, p := range g.Params {
			if !p.RequiresGrad() || p.Grad == nil {
				continue
			}
			w, gr := p.Data(), p.Grad.Data()
			if o.Momentum == 0 && g.WeightDecay == 0 {
				asm.Axpy(-lr, gr, w)
				continue
			}
			b, ok := o.buf[p]
			if !ok {
				b = make([]float32, len(w))
				o.buf[p] = b
			}
			for i := range w {
				d := gr[i] + g.WeightDecay*w[i]
				if ok || o.Momentum == 0 {
					b[i] = o.Momentum*b[i] + d
				} else {
					b[i] = d
				}
				w[i] -= lr * b[i]
			}
		}
	}
}

// Constant is the schedule that keeps the base learning rate.
func Constant() Schedule { return func(int) float32 { return 1 } }

// WarmupCosine ramps linearly from 0 over warmup steps, then follows a
// half cosine from 1 down to minRatio at total steps (and stays there), as
// Hugging Face's get_cosine_schedule_with_warmup with a floor.
func WarmupCosine(warmup, total int, minRatio float32) Schedule {
	return func(step int) float32 {
		if step < warmup {
			return float32(step) / float32(max(1, warmup))
		}
		p := min(1, float64(step-warmup)/float64(max(1, total-warmup)))
		return minRatio + (1-minRatio)*float32(0.5*(1+math.Cos(math.Pi*p)))
	}
}

// WarmupLinear ramps linearly from 0 over warmup steps, then decays
// linearly to 0 at total steps, as Hugging Face's
// get_linear_schedule_with_warmup.
func WarmupLinear(warmup, total int) Schedule {
	return func(step int) float32 {
		if step < warmup {
			return float32(step) / float32(max(1, warmup))
		}
		return max(0, float32(total-step)/float32(max(1, total-warmup)))
	}
}

// ClipGradNorm scales the gradients of params so their global L2 norm is at
// most maxNorm, and returns the norm before clipping (as PyTorch's
// clip_grad_norm_).
func ClipGradNorm(params []*autograd.Var, maxNorm float32) float32 {
	var ss float64
	for _, p := range params {
		if p.Grad != nil {
			g := p.Grad.Data()
			ss += float64(asm.Dot(g, g))
		}
	}
	norm := float32(math.Sqrt(ss))
	if c := maxNorm / (norm + 1e-6); c < 1 {
		for _, p := range params {
			if p.Grad != nil {
				asm.Scale(c, p.Grad.Data())
			}
		}
	}
	return norm
}

// CheckFinite returns an error naming the first non-finite value among the
// loss (may be nil), the parameters' gradients and their values.
func CheckFinite(loss *autograd.Var, params []*autograd.Var) error {
	if loss != nil {
		for _, v := range loss.Data() {
			if !finite(v) {
				return fmt.Errorf("nn: loss is %g", v)
			}
		}
	}
	for _, p := range params {
		if p.Grad != nil {
			for i, v := range p.Grad.Data() {
				if !finite(v) {
					return fmt.Errorf("nn: gradient of %s %v is %g at element %d", p.Name, p.Shape(), v, i)
				}
			}
		}
		for i, v := range p.Data() {
			if !finite(v) {
				return fmt.Errorf("nn: parameter %s %v is %g at element %d", p.Name, p.Shape(), v, i)
			}
		}
	}
	return nil
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }
