package nn

import (
	"math"
	"testing"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

// scalarAdamW is the element loop AdamW.Step ran before its vector pass:
// the vector pass must give the same bits (the default run's results table
// depends on them).
type scalarAdamW struct {
	o    *AdamW
	m, v map[*autograd.Var][]float32
}

func (s *scalarAdamW) step() {
	o := s.o
	sc := o.mult(o.t)
	o.t++
	bc1 := 1 - math.Pow(float64(o.Beta1), float64(o.t))
	bc2 := 1 - math.Pow(float64(o.Beta2), float64(o.t))
	b1, b2 := o.Beta1, o.Beta2
	for _, g := range o.Groups {
		lr := float64(g.LR * sc)
		stepSize := float32(lr / bc1)
		bc2s := float32(math.Sqrt(bc2))
		decay := float32(1 - lr*float64(g.WeightDecay))
		for _, p := range g.Params {
			if !p.RequiresGrad() || p.Grad == nil {
				continue
			}
			m, ok := s.m[p]
			if !ok {
				m = make([]float32, p.Value.Len())
				s.m[p] = m
				s.v[p] = make([]float32, p.Value.Len())
			}
			v := s.v[p]
			w, gr := p.Data(), p.Grad.Data()
			if decay != 1 {
				for i := range w {
					w[i] = float32(w[i] * decay)
				}
			}
			for i, gi := range gr {
				m[i] = float32(b1*m[i]) + float32((1-b1)*gi)
				v[i] = float32(b2*v[i]) + float32(float32((1-b2)*gi)*gi)
				w[i] -= float32(stepSize*m[i]) / (float32(float32(math.Sqrt(float64(v[i])))/bc2s) + o.Eps)
			}
		}
	}
}

// TestAdamWSameAsScalar runs AdamW.Step and the former element loop side
// by side for several steps (two groups with weight decay, a schedule, a
// frozen parameter, one without a gradient, sizes across the chunk
// boundary) at 1 and 2 threads, and wants every weight and moment equal bit
// for bit.
func TestAdamWSameAsScalar(t *testing.T) {
	for _, threads := range []int{1, 2} {
		restore := asm.SetThreads(threads)
		r := testutil.RNG(71)
		sizes := []int{1, 3, 17, 129, adamwChunk + 33, 2*adamwChunk + 1}
		mk := func() ([]*autograd.Var, []*autograd.Var) {
			var a, b []*autograd.Var
			for i, n := range sizes {
				p := autograd.NewParam("p", tensor.FromSlice(testutil.Normal(r, n, 1), n))
				if i%2 == 0 {
					a = append(a, p)
				} else {
					b = append(b, p)
				}
			}
			return a, b
		}
		a1, b1 := mk()
		frozen := autograd.NewParam("frozen", tensor.FromSlice(testutil.Normal(r, 40, 1), 40))
		frozen.SetRequiresGrad(false)
		noGrad := autograd.NewParam("nograd", tensor.FromSlice(testutil.Normal(r, 9, 1), 9))
		a1 = append(a1, frozen, noGrad)
		// The twin set: the same values in other buffers.
		twin := func(ps []*autograd.Var) []*autograd.Var {
			out := make([]*autograd.Var, len(ps))
			for i, p := range ps {
				out[i] = autograd.NewParam(p.Name, p.Value.Clone())
				out[i].SetRequiresGrad(p.RequiresGrad())
			}
			return out
		}
		a2, b2 := twin(a1), twin(b1)
		groups := func(a, b []*autograd.Var) []ParamGroup {
			return []ParamGroup{{Params: a, LR: 3e-3, WeightDecay: 0.01}, {Params: b, LR: 1e-2}}
		}
		o1 := NewAdamW(groups(a1, b1), 0.9, 0.999, 1e-8)
		o2 := NewAdamW(groups(a2, b2), 0.9, 0.999, 1e-8)
		o1.Schedule, o2.Schedule = WarmupCosine(2, 6, 0.1), WarmupCosine(2, 6, 0.1)
		ref := &scalarAdamW{o: o2, m: map[*autograd.Var][]float32{}, v: map[*autograd.Var][]float32{}}
		all1, all2 := append(append([]*autograd.Var(nil), a1...), b1...), append(append([]*autograd.Var(nil), a2...), b2...)
		for step := range 6 {
			for i, p := range all1 {
				if p.Name == "nograd" || !p.RequiresGrad() {
					continue
				}
				g := testutil.Normal(r, p.Value.Len(), 0.1)
				if step == 3 {
					g[0] = 0
				}
				p.Grad = tensor.FromSlice(g, p.Value.Len())
				all2[i].Grad = tensor.FromSlice(append([]float32(nil), g...), p.Value.Len())
			}
			o1.Step()
			ref.step()
			for i, p := range all1 {
				q := all2[i]
				m1, v1 := o1.Moments(p)
				for j, w := range p.Data() {
					if math.Float32bits(w) != math.Float32bits(q.Data()[j]) {
						t.Fatalf("threads %d step %d param %d [%d]: w %g, scalar loop %g", threads, step, i, j, w, q.Data()[j])
					}
					if m1 != nil && (math.Float32bits(m1[j]) != math.Float32bits(ref.m[q][j]) || math.Float32bits(v1[j]) != math.Float32bits(ref.v[q][j])) {
						t.Fatalf("threads %d step %d param %d [%d]: moments differ", threads, step, i, j)
					}
				}
			}
		}
		restore()
	}
}
