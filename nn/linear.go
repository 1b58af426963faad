package nn

import (
	"math/rand/v2"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// Linear is y = x·Wᵀ + b with W stored [out, in] like PyTorch. The weight is
// either a float32 parameter (Weight) or, for big frozen checkpoints, a
// bfloat16 tensor (WeightBF16, Weight nil) that never receives a gradient.
type Linear struct {
	Weight     *autograd.Var // [out, in], "<name>.weight"
	WeightBF16 *tensor.BF16  // [out, in] frozen alternative to Weight
	Bias       *autograd.Var // [out] or nil, "<name>.bias"
	In, Out    int
}

// NewLinear returns a Linear named name (its parameters are name.weight and
// name.bias), initialised with init (nil: PyTorch's default
// [KaimingUniform], bias likewise U(±1/√in)).
func NewLinear(name string, in, out int, bias bool, init Init, r *rand.Rand) *Linear {
	if init == nil {
		init = KaimingUniform()
	}
	l := &Linear{In: in, Out: out, Weight: newParam(Name(name, "weight"), init, r, out, in)}
	if bias {
		l.Bias = newParam(Name(name, "bias"), Uniform(-1/sqrt(in), 1/sqrt(in)), r, out)
	}
	return l
}

// Forward returns x·Wᵀ + b for x [..., in] → [..., out].
func (l *Linear) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	if l.WeightBF16 != nil {
		return tp.LinearBF16(x, l.WeightBF16, l.Bias)
	}
	return tp.Linear(x, l.Weight, l.Bias)
}

// Params returns the weight (if float32) and bias.
func (l *Linear) Params() []*autograd.Var {
	var ps []*autograd.Var
	if l.Weight != nil {
		ps = append(ps, l.Weight)
	}
	if l.Bias != nil {
		ps = append(ps, l.Bias)
	}
	return ps
}

// ToBF16 replaces the float32 weight by a frozen bfloat16 copy (half the
// memory; products widen it on the fly) and freezes the bias. The weight
// then no longer appears in Params.
func (l *Linear) ToBF16() {
	if l.Weight == nil {
		return
	}
	l.WeightBF16 = tensor.ToBF16(l.Weight.Value)
	l.Weight = nil
	if l.Bias != nil {
		l.Bias.SetRequiresGrad(false)
	}
}
