package nn

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/llink-go/llink/asm"
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

// LoRA adds a trainable low-rank update to a frozen Linear:
// y = base(x) + (α/r)·B·A·dropout(x), A [r, in] (Kaiming-uniform, as PEFT),
// B [out, r] (zeros, so training starts at the base model). Parameter names
// follow PEFT: <base>.lora_A.weight, <base>.lora_B.weight.
type LoRA struct {
	Base    *Linear
	A, B    *autograd.Var
	Rank    int
	Alpha   float32
	Dropout Dropout // on the adapter input only

	merged bool
}

// NewLoRA wraps base (whose name is baseName) and freezes it. r seeds A and
// the dropout mask stream.
func NewLoRA(baseName string, base *Linear, rank int, alpha, dropout float32, r *rand.Rand) *LoRA {
	for _, p := range base.Params() {
		p.SetRequiresGrad(false)
	}
	return &LoRA{
		Base:    base,
		A:       newParam(Name(baseName, "lora_A.weight"), KaimingUniform(), r, rank, base.In),
		B:       newParam(Name(baseName, "lora_B.weight"), Zeros, r, base.Out, rank),
		Rank:    rank,
		Alpha:   alpha,
		Dropout: Dropout{P: dropout, RNG: rand.New(rand.NewPCG(r.Uint64(), r.Uint64()))},
	}
}

// Scale returns α/r.
func (l *LoRA) Scale() float32 { return l.Alpha / float32(l.Rank) }

// Forward returns base(x) + (α/r)·B·A·dropout(x); after Merge, just base(x).
func (l *LoRA) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	y := l.Base.Forward(tp, x)
	if l.merged {
		return y
	}
	h := tp.Linear(l.Dropout.Forward(tp, x), l.A, nil)
	h = tp.Linear(h, l.B, nil)
	return tp.Add(y, tp.Scale(h, l.Scale()))
}

// Params returns A and B, then the (frozen) base parameters.
func (l *LoRA) Params() []*autograd.Var {
	return append([]*autograd.Var{l.A, l.B}, l.Base.Params()...)
}

// Merge folds the update into the base weight (W += (α/r)·B·A) for fast
// inference; the adapter is then skipped until Unmerge. It needs a float32
// base weight.
func (l *LoRA) Merge() error {
	if l.merged {
		return nil
	}
	if err := l.fold(1); err != nil {
		return err
	}
	l.merged = true
	return nil
}

// Unmerge subtracts the update merged by Merge (exact up to float32
// rounding).
func (l *LoRA) Unmerge() error {
	if !l.merged {
		return nil
	}
	if err := l.fold(-1); err != nil {
		return err
	}
	l.merged = false
	return nil
}

// Merged reports whether the update is folded into the base weight.
func (l *LoRA) Merged() bool { return l.merged }

func (l *LoRA) fold(sign float32) error {
	if l.Base.Weight == nil {
		return errors.New("nn.LoRA: cannot merge into a bfloat16 base weight")
	}
	w := l.Base.Weight.Value
	if w.Dim(0) != l.B.Value.Dim(0) || w.Dim(1) != l.A.Value.Dim(1) {
		return fmt.Errorf("nn.LoRA: B %v · A %v does not match W %v", l.B.Shape(), l.A.Shape(), w.Shape())
	}
	// W [out,in] += s·B [out,r] · A [r,in]
	asm.Sgemm(false, false, l.Base.Out, l.Base.In, l.Rank, sign*l.Scale(), l.B.Data(), l.Rank, l.A.Data(), l.Base.In, 1, w.Data(), l.Base.In)
	return nil
}

// Dropout zeroes activations with probability P while the tape records and
// RNG is set; otherwise it is the identity.
type Dropout struct {
	P   float32
	RNG *rand.Rand
}

// Forward applies dropout when training (see the type comment).
func (d Dropout) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	if d.P == 0 || d.RNG == nil || !tp.Recording() {
		return x
	}
	return tp.Dropout(x, d.P, d.RNG)
}
