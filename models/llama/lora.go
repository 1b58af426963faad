package llama

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// LoRAOptions selects the projections [Model.NewLoRA] adapts.
type LoRAOptions struct {
	Rank    int
	Alpha   float32
	Dropout float32
	// Targets are Hugging Face projection names (q_proj, k_proj, v_proj,
	// o_proj, gate_proj, up_proj, down_proj); LLINK uses q,k,v,o,up,down.
	Targets []string
}

// Adapters is a set of LoRA adapters, keyed by the projection each adapts.
// A decoder runs with one set at a time ([Model.UseLoRA]); several sets
// (LLINK's, a baseline's) can be made for the same decoder and swapped.
type Adapters map[*Weight]*LoRA

// loraName is the parameter name of an adapter matrix ("A" or "B").
func loraName(layer int, proj, ab string) string {
	return fmt.Sprintf("layers.%d.%s.lora_%s", layer, proj, ab)
}

// NewLoRA makes fresh adapters for the target projections of every layer,
// without attaching them, and returns them with their parameters (A then B
// per adapter, named "layers.L.q_proj.lora_A" …, in layer and target order)
// for an optimizer. A is Kaiming-uniform with bound 1/√in and B zero, as
// PEFT initialises them, so the model's output is unchanged until B is
// trained.
func (m *Model) NewLoRA(opt LoRAOptions, r *rand.Rand) (Adapters, []*autograd.Var) {
	if opt.Rank <= 0 {
		panic(fmt.Sprintf("llama.NewLoRA: rank %d", opt.Rank))
	}
	set := Adapters{}
	var params []*autograd.Var
	for i, l := range m.Layers {
		projs := l.Projections()
		for _, name := range opt.Targets {
			w, ok := projs[name]
			if !ok {
				panic(fmt.Sprintf("llama.NewLoRA: unknown target %q", name))
			}
			bound := float32(1 / math.Sqrt(float64(w.In())))
			a := autograd.NewParam(loraName(i, name, "A"), tensor.RandU(r, -bound, bound, opt.Rank, w.In()))
			b := autograd.NewParam(loraName(i, name, "B"), tensor.New(w.Out(), opt.Rank))
			set[w] = &LoRA{A: a, B: b, Scale: opt.Alpha / float32(opt.Rank), Dropout: opt.Dropout}
			params = append(params, a, b)
		}
	}
	return set, params
}

// LoRAFrom makes adapters for the targets of opt that use the given
// parameters (as [Model.NewLoRA] names them, e.g. loaded from a file): it
// fails if one is missing, has the wrong shape, or is not an adapter of
// this decoder.
func (m *Model) LoRAFrom(opt LoRAOptions, params []*autograd.Var) (Adapters, error) {
	byName := make(map[string]*autograd.Var, len(params))
	for _, p := range params {
		byName[p.Name] = p
	}
	set := Adapters{}
	used := 0
	for i, l := range m.Layers {
		projs := l.Projections()
		for _, name := range opt.Targets {
			w, ok := projs[name]
			if !ok {
				return nil, fmt.Errorf("llama: unknown LoRA target %q", name)
			}
			a, b := byName[loraName(i, name, "A")], byName[loraName(i, name, "B")]
			if a == nil || b == nil {
				return nil, fmt.Errorf("llama: LoRA tensors of layer %d %s missing (trained with other LoRA targets?)", i, name)
			}
			if !slices.Equal(a.Shape(), []int{opt.Rank, w.In()}) || !slices.Equal(b.Shape(), []int{w.Out(), opt.Rank}) {
				return nil, fmt.Errorf("llama: LoRA of layer %d %s has A %v and B %v; this decoder needs [%d %d] and [%d %d]",
					i, name, a.Shape(), b.Shape(), opt.Rank, w.In(), w.Out(), opt.Rank)
			}
			set[w] = &LoRA{A: a, B: b, Scale: opt.Alpha / float32(opt.Rank), Dropout: opt.Dropout}
			used += 2
		}
	}
	if used != len(params) {
		return nil, fmt.Errorf("llama: %d LoRA tensors given, the decoder's LoRA has %d", len(params), used)
	}
	return set, nil
}

// UseLoRA attaches exactly the adapters of set (nil: none) and returns a
// function that puts back the adapters attached before. Swapping adapters
// mutates the model: it must not run concurrently with a forward pass.
func (m *Model) UseLoRA(set Adapters) (restore func()) {
	before := m.Adapters()
	m.setLoRA(set)
	return func() { m.setLoRA(before) }
}

// Adapters returns the adapters attached now.
func (m *Model) Adapters() Adapters {
	set := Adapters{}
	for _, l := range m.Layers {
		for _, w := range l.Projections() {
			if w.LoRA != nil {
				set[w] = w.LoRA
			}
		}
	}
	return set
}

func (m *Model) setLoRA(set Adapters) {
	for _, l := range m.Layers {
		for _, w := range l.Projections() {
			w.LoRA = set[w]
		}
	}
}

// AddLoRA attaches fresh adapters ([Model.NewLoRA]) to the target
// projections and returns their parameters.
func (m *Model) AddLoRA(opt LoRAOptions, r *rand.Rand) []*autograd.Var {
	set, params := m.NewLoRA(opt, r)
	for w, l := range set {
		w.LoRA = l
	}
	return params
}

// LoRAParams returns the parameters of every attached adapter, in layer
// order and the projection order of Hugging Face's module.
func (m *Model) LoRAParams() []*autograd.Var {
	var ps []*autograd.Var
	order := []string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
	for _, l := range m.Layers {
		projs := l.Projections()
		for _, n := range order {
			if lr := projs[n].LoRA; lr != nil {
				ps = append(ps, lr.A, lr.B)
			}
		}
	}
	return slices.Clip(ps)
}
