package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

func sqrt(n int) float64 { return math.Sqrt(float64(n)) }

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

// LayerNorm normalises the last axis to zero mean and unit variance, then
// applies an optional affine map (Weight "<name>.weight" = 1, Bias
// "<name>.bias" = 0; both nil for the affine-free form).
type LayerNorm struct {
	Weight, Bias *autograd.Var
	Eps          float32
}

// NewLayerNorm returns a LayerNorm over dim features; affine false leaves
// out Weight and Bias.
func NewLayerNorm(name string, dim int, eps float32, affine bool) *LayerNorm {
	n := &LayerNorm{Eps: eps}
	if affine {
		n.Weight = newParam(Name(name, "weight"), Ones, nil, dim)
		n.Bias = newParam(Name(name, "bias"), Zeros, nil, dim)
	}
	return n
}

// Forward normalises the last axis.
func (n *LayerNorm) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	return tp.LayerNorm(x, n.Weight, n.Bias, n.Eps)
}

// Params returns the affine parameters, if any.
func (n *LayerNorm) Params() []*autograd.Var {
	if n.Weight == nil {
		return nil
	}
	return []*autograd.Var{n.Weight, n.Bias}
}

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
