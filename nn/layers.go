package nn

import (
	"math"

	"github.com/llink-go/llink/autograd"
)

func sqrt(n int) float64 { return math.Sqrt(float64(n)) }

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
