package nn

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// The layers of the tests' tiny LLaMA-style language model (lm_test.go):
// no production code builds on them (models/llama and models/xlmr run
// their own fused inference paths), so they live with the tests that
// exercise the optimizers, the tape's arena and gradient checks on a
// whole model.

// Embedding maps token ids to rows of Weight [vocab, dim] (or, frozen, of
// WeightBF16).
type Embedding struct {
	Weight     *autograd.Var // "<name>.weight"
	WeightBF16 *tensor.BF16
	Vocab, Dim int
}

// NewEmbedding returns an embedding table named name.weight initialised
// with init (nil: N(0, 1) as PyTorch).
func NewEmbedding(name string, vocab, dim int, init Init, r *rand.Rand) *Embedding {
	if init == nil {
		init = Normal(1)
	}
	return &Embedding{Vocab: vocab, Dim: dim, Weight: newParam(Name(name, "weight"), init, r, vocab, dim)}
}

// Forward returns the rows ids: [len(ids), dim]. ids must not change until
// the backward pass has run.
func (e *Embedding) Forward(tp *autograd.Tape, ids []int) *autograd.Var {
	if e.WeightBF16 == nil {
		return tp.Gather(e.Weight, ids)
	}
	out := tp.Arena().Empty(len(ids), e.Dim)
	src := e.WeightBF16.Data()
	for i, id := range ids {
		if id < 0 || id >= e.Vocab {
			panic(fmt.Sprintf("nn.Embedding: id %d out of range for vocab %d", id, e.Vocab))
		}
		asm.BF16ToF32Slice(out.Row(i), src[id*e.Dim:(id+1)*e.Dim])
	}
	return autograd.Const(out)
}

// Params returns the float32 weight, if any.
func (e *Embedding) Params() []*autograd.Var {
	if e.Weight == nil {
		return nil
	}
	return []*autograd.Var{e.Weight}
}

// ToBF16 replaces the weight by a frozen bfloat16 copy.
func (e *Embedding) ToBF16() {
	if e.Weight != nil {
		e.WeightBF16 = tensor.ToBF16(e.Weight.Value)
		e.Weight = nil
	}
}

// RMSNorm is LLaMA's root-mean-square norm with a gain ("<name>.weight",
// initialised to ones).
type RMSNorm struct {
	Weight *autograd.Var
	Eps    float32
}

// NewRMSNorm returns an RMSNorm over dim features.
func NewRMSNorm(name string, dim int, eps float32) *RMSNorm {
	return &RMSNorm{Weight: newParam(Name(name, "weight"), Ones, nil, dim), Eps: eps}
}

// Forward normalises the last axis.
func (n *RMSNorm) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	return tp.RMSNorm(x, n.Weight, n.Eps)
}

// Params returns the gain.
func (n *RMSNorm) Params() []*autograd.Var { return []*autograd.Var{n.Weight} }

// MLP is Linear → GELU (erf) → Dropout → Linear, parameters
// "<name>.fc1.*" and "<name>.fc2.*".
type MLP struct {
	FC1, FC2 Layer
	Dropout  Dropout
}

// NewMLP returns an in → hidden → out GELU MLP with biases.
func NewMLP(name string, in, hidden, out int, dropout float32, r *rand.Rand) *MLP {
	return &MLP{
		FC1:     NewLinear(Name(name, "fc1"), in, hidden, true, nil, r),
		FC2:     NewLinear(Name(name, "fc2"), hidden, out, true, nil, r),
		Dropout: Dropout{P: dropout, RNG: rand.New(rand.NewPCG(r.Uint64(), r.Uint64()))},
	}
}

// Forward applies the MLP to the last axis.
func (m *MLP) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	return m.FC2.Forward(tp, m.Dropout.Forward(tp, tp.GELU(m.FC1.Forward(tp, x))))
}

// Params returns fc1's then fc2's parameters.
func (m *MLP) Params() []*autograd.Var { return Join(m.FC1, m.FC2) }

// SwiGLU is LLaMA's MLP: down(silu(gate(x)) ⊙ up(x)), no biases, with
// Hugging Face names "<name>.gate_proj", "<name>.up_proj", "<name>.down_proj".
type SwiGLU struct {
	Gate, Up, Down Layer
}

// NewSwiGLU returns a dim → hidden → dim SwiGLU MLP initialised with init
// (nil: KaimingUniform).
func NewSwiGLU(name string, dim, hidden int, init Init, r *rand.Rand) *SwiGLU {
	return &SwiGLU{
		Gate: NewLinear(Name(name, "gate_proj"), dim, hidden, false, init, r),
		Up:   NewLinear(Name(name, "up_proj"), dim, hidden, false, init, r),
		Down: NewLinear(Name(name, "down_proj"), hidden, dim, false, init, r),
	}
}

// Forward applies the MLP to the last axis.
func (m *SwiGLU) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	return m.Down.Forward(tp, tp.SwiGLU(m.Gate.Forward(tp, x), m.Up.Forward(tp, x)))
}

// Params returns gate, up and down parameters.
func (m *SwiGLU) Params() []*autograd.Var { return Join(m.Gate, m.Up, m.Down) }

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

// Layer is a module mapping one tensor to another: [Linear], [LoRA], MLPs.
type Layer interface {
	Module
	// Forward applies the layer, recording on tp (nil: inference).
	Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var
}
