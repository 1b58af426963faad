package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// Module is anything that owns parameters.
type Module interface {
	// Params returns the module's parameters (trainable and frozen) in a
	// stable order.
	Params() []*autograd.Var
}

// Join concatenates the parameter lists of modules (nil modules skipped).
func Join(ms ...Module) []*autograd.Var {
	var ps []*autograd.Var
	for _, m := range ms {
		if m != nil {
			ps = append(ps, m.Params()...)
		}
	}
	return ps
}

// Trainable returns the parameters that require a gradient.
func Trainable(ps []*autograd.Var) []*autograd.Var {
	var out []*autograd.Var
	for _, p := range ps {
		if p.RequiresGrad() {
			out = append(out, p)
		}
	}
	return out
}

// ByName indexes parameters by name, reporting duplicate names as an error.
func ByName(ps []*autograd.Var) (map[string]*autograd.Var, error) {
	m := make(map[string]*autograd.Var, len(ps))
	for _, p := range ps {
		if _, dup := m[p.Name]; dup {
			return nil, fmt.Errorf("nn: duplicate parameter name %q", p.Name)
		}
		m[p.Name] = p
	}
	return m, nil
}

// Names returns the sorted parameter names.
func Names(ps []*autograd.Var) []string {
	n := make([]string, len(ps))
	for i, p := range ps {
		n[i] = p.Name
	}
	sort.Strings(n)
	return n
}

// Freeze marks every parameter as not requiring a gradient.
func Freeze(ps []*autograd.Var) {
	for _, p := range ps {
		p.SetRequiresGrad(false)
	}
}

// CountParams returns the number of scalar parameters.
func CountParams(ps []*autograd.Var) int {
	n := 0
	for _, p := range ps {
		n += p.Value.Len()
	}
	return n
}

// Name joins hierarchical name parts with dots, skipping empty parts:
// Name("model.layers.3", "self_attn") = "model.layers.3.self_attn".
func Name(parts ...string) string {
	s := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if s != "" {
			s += "."
		}
		s += p
	}
	return s
}

// Init fills a freshly allocated parameter tensor from r.
type Init func(r *rand.Rand, t *tensor.Tensor)

// Normal initialises with N(0, std²) (Llama/BERT use std 0.02).
func Normal(std float64) Init {
	return func(r *rand.Rand, t *tensor.Tensor) {
		for i := range t.Data() {
			t.Data()[i] = float32(r.NormFloat64() * std)
		}
	}
}

// Uniform initialises with U(lo, hi).
func Uniform(lo, hi float64) Init {
	return func(r *rand.Rand, t *tensor.Tensor) {
		for i := range t.Data() {
			t.Data()[i] = float32(lo + (hi-lo)*r.Float64())
		}
	}
}

// Xavier is Glorot-uniform initialisation with gain: U(±gain·√(6/(fan_in+
// fan_out))) for a weight [out, in] (fan_out = first dim, fan_in = product
// of the rest, as PyTorch).
func Xavier(gain float64) Init {
	return func(r *rand.Rand, t *tensor.Tensor) {
		fout, fin := fans(t)
		a := gain * math.Sqrt(6/float64(fin+fout))
		Uniform(-a, a)(r, t)
	}
}

// KaimingUniform is PyTorch's default Linear initialisation
// (kaiming_uniform_ with a=√5): U(±1/√fan_in). PEFT uses it for LoRA A.
func KaimingUniform() Init {
	return func(r *rand.Rand, t *tensor.Tensor) {
		_, fin := fans(t)
		a := 1 / math.Sqrt(float64(fin))
		Uniform(-a, a)(r, t)
	}
}

// Zeros initialises with 0 (the random source is not used).
func Zeros(_ *rand.Rand, t *tensor.Tensor) { t.Zero() }

// Ones initialises with 1 (norm gains).
func Ones(_ *rand.Rand, t *tensor.Tensor) {
	for i := range t.Data() {
		t.Data()[i] = 1
	}
}

func fans(t *tensor.Tensor) (fout, fin int) {
	if t.Dims() < 2 {
		return t.Len(), t.Len()
	}
	return t.Dim(0), t.Len() / t.Dim(0)
}

// newParam allocates and initialises a parameter.
func newParam(name string, init Init, r *rand.Rand, shape ...int) *autograd.Var {
	t := tensor.New(shape...)
	init(r, t)
	return autograd.NewParam(name, t)
}
