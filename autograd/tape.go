package autograd

import (
	"fmt"
	"github.com/llink-go/llink/asm"
	"slices"

	"github.com/llink-go/llink/tensor"
)

// Var is a tensor value in a computation, with the gradient of the loss with
// respect to it once [Tape.Backward] has run.
//
// Parameters ([NewParam]) own their gradient, which persists and accumulates
// across steps until [ZeroGrad]. Intermediate Vars produced by ops on a tape
// live in the tape's arena and are invalid after [Tape.Reset].
type Var struct {
	// Value is the forward value.
	Value *tensor.Tensor
	// Grad is ∂loss/∂Value, nil until a backward pass reaches this Var.
	Grad *tensor.Tensor
	// Name is the parameter's hierarchical name (empty for intermediates).
	Name string

	requires bool
	param    bool
}

// NewParam returns a trainable leaf holding value under name.
func NewParam(name string, value *tensor.Tensor) *Var {
	return &Var{Value: value, Name: name, requires: true, param: true}
}

// Const wraps value as a Var that needs no gradient (inputs, targets,
// frozen tensors).
func Const(value *tensor.Tensor) *Var { return &Var{Value: value} }

// RequiresGrad reports whether gradients flow to v.
func (v *Var) RequiresGrad() bool { return v.requires }

// SetRequiresGrad freezes (false) or unfreezes (true) a parameter. Ops on a
// Var that does not require a gradient record nothing.
func (v *Var) SetRequiresGrad(on bool) {
	if !v.param && on {
		panic(fmt.Sprintf("autograd: SetRequiresGrad(true) on non-parameter %q %v", v.Name, v.Shape()))
	}
	v.requires = on
}

// IsParam reports whether v is a parameter (a leaf made by NewParam).
func (v *Var) IsParam() bool { return v.param }

// Shape returns the value's shape.
func (v *Var) Shape() []int { return v.Value.Shape() }

// Data returns the value's data.
func (v *Var) Data() []float32 { return v.Value.Data() }

// Item returns the value of a one-element Var.
func (v *Var) Item() float32 { return v.Value.Item() }

// ZeroGrad clears the gradients of params (keeping their buffers).
func ZeroGrad(params []*Var) {
	for _, p := range params {
		if p.Grad != nil {
			p.Grad.Zero()
		}
	}
}

// Tape records the ops of one forward pass for [Tape.Backward]. It owns an
// arena from which activations, saved values and intermediate gradients are
// allocated; [Tape.Reset] recycles them. A Tape is not safe for concurrent
// use; a nil *Tape is valid and records nothing.
type Tape struct {
	arena  *tensor.Arena
	nodes  []func()
	vars   []*Var
	nv     int
	paused int
	// region is the backward pass's open segment region ([Tape.Segment]).
	region    segRegion
	regionOn  bool
	regionBuf []float32 // holds moved gradients while a region is released
}

// NewTape returns an empty tape.
func NewTape() *Tape { return &Tape{arena: tensor.NewArena()} }

// Arena returns the tape's arena (nil for a nil tape): allocate per-step
// scratch there.
func (tp *Tape) Arena() *tensor.Arena {
	if tp == nil {
		return nil
	}
	return tp.arena
}

// Recording reports whether ops on tp currently record backward closures.
func (tp *Tape) Recording() bool { return tp != nil && tp.paused == 0 }

// NoGrad pauses recording until the returned function is called:
//
//	defer tp.NoGrad()()
func (tp *Tape) NoGrad() (restore func()) {
	if tp == nil {
		return func() {}
	}
	tp.paused++
	return func() { tp.paused-- }
}

// Len returns the number of recorded backward closures.
func (tp *Tape) Len() int {
	if tp == nil {
		return 0
	}
	return len(tp.nodes)
}

// Reset forgets the recorded ops and recycles every arena tensor handed out
// since the last Reset (activations and intermediate gradients). Parameter
// gradients are kept.
func (tp *Tape) Reset() {
	if tp == nil {
		return
	}
	clear(tp.nodes)
	tp.nodes = tp.nodes[:0]
	for _, v := range tp.vars[:tp.nv] {
		*v = Var{}
	}
	tp.nv = 0
	tp.regionOn = false
	tp.arena.Reset()
}

// Segment marks a boundary of the forward pass, e.g. between two layers
// of a network: the backward pass frees, on reaching it, every gradient
// and scratch buffer that the backward closures of the ops recorded after
// it (up to the next Segment) allocated from the arena, keeping only the
// gradients of Vars created before it (moved to fresh arena memory); the
// results do not change. The arena then holds one segment's backward
// allocations at a time instead of all of them — for a 16-layer decoder
// about half of a training step's memory. Afterwards the gradients of
// intermediate Vars created between two Segments are gone (nil); those of
// parameters and of Vars from before the first Segment stay.
func (tp *Tape) Segment() {
	if !tp.Recording() {
		return
	}
	nv := tp.nv
	tp.record(func() { tp.segmentBackward(nv) })
}

// segRegion is the memory the backward closures of one segment allocate:
// the arena's mark before them, the number of Vars recorded before the
// segment's end, and which of those had no gradient yet.
type segRegion struct {
	mark   tensor.ArenaMark
	nv     int
	noGrad []int // indices into vars[:nv] whose Grad was nil at the mark
}

// segmentBackward runs when the backward pass reaches a Segment recorded
// after nv Vars: it releases the region opened at the next Segment
// (moving out the gradients it gave to Vars created before this one) and
// opens a region for the ops before this Segment.
func (tp *Tape) segmentBackward(nv int) {
	if tp.regionOn {
		r := &tp.region
		var moved []*Var
		for _, j := range r.noGrad {
			if j >= nv {
				break
			}
			if v := tp.vars[j]; v.Grad != nil {
				moved = append(moved, v)
			}
		}
		// The moved gradients may lie anywhere in the region, so they
		// wait in a buffer of their own while it is handed out again.
		buf := tp.regionBuf[:0]
		for _, v := range moved {
			buf = append(buf, v.Grad.Data()...)
		}
		tp.regionBuf = buf
		tp.arena.Release(r.mark)
		for _, v := range tp.vars[nv:r.nv] {
			v.Grad = nil
		}
		for _, v := range moved {
			g := tp.empty(v.Value.Shape()...)
			buf = buf[copy(g.Data(), buf):]
			v.Grad = g
		}
	}
	tp.region.mark = tp.arena.Mark()
	tp.region.nv = nv
	tp.region.noGrad = tp.region.noGrad[:0]
	for j, v := range tp.vars[:nv] {
		if v.requires && v.Grad == nil {
			tp.region.noGrad = append(tp.region.noGrad, j)
		}
	}
	tp.regionOn = true
}

// Backward seeds ∂loss/∂loss = 1 for a one-element loss and runs the
// recorded backward closures in reverse, accumulating into the gradients of
// every Var that requires one. The tape's records are consumed; call Reset
// before the next forward pass.
func (tp *Tape) Backward(loss *Var) {
	if loss.Value.Len() != 1 {
		panic(fmt.Sprintf("autograd.Backward: loss has shape %v, want one element", loss.Shape()))
	}
	tp.BackwardWith(loss, nil)
}

// BackwardWith is [Tape.Backward] for a loss of any shape with the given
// upstream gradient seed (same shape as out; nil means all ones).
func (tp *Tape) BackwardWith(out *Var, seed *tensor.Tensor) {
	if tp == nil {
		panic("autograd.Backward: nil tape recorded nothing")
	}
	if !out.requires {
		panic(fmt.Sprintf("autograd.Backward: output %v does not depend on anything that requires a gradient", out.Shape()))
	}
	g := tp.grad(out)
	if seed == nil {
		for i := range g.Data() {
			g.Data()[i]++
		}
	} else {
		g.AddScaled(1, seed)
	}
	for i := len(tp.nodes) - 1; i >= 0; i-- {
		tp.nodes[i]()
		tp.nodes[i] = nil
	}
	tp.nodes = tp.nodes[:0]
}

// newVar returns a (recycled) intermediate Var holding value.
func (tp *Tape) newVar(value *tensor.Tensor, requires bool) *Var {
	if tp == nil {
		return &Var{Value: value}
	}
	if tp.nv == len(tp.vars) {
		tp.vars = append(tp.vars, &Var{})
	}
	v := tp.vars[tp.nv]
	tp.nv++
	v.Value, v.requires = value, requires
	return v
}

// needs reports whether an op on inputs xs must record a backward closure.
func (tp *Tape) needs(xs ...*Var) bool {
	if !tp.Recording() {
		return false
	}
	for _, x := range xs {
		if x != nil && x.requires {
			return true
		}
	}
	return false
}

// record appends a backward closure.
func (tp *Tape) record(f func()) { tp.nodes = append(tp.nodes, f) }

// empty returns an uninitialised tensor of the given shape from the arena.
func (tp *Tape) empty(shape ...int) *tensor.Tensor { return tp.Arena().Empty(shape...) }

// zeros returns a zeroed tensor of the given shape from the arena.
func (tp *Tape) zeros(shape ...int) *tensor.Tensor { return tp.Arena().New(shape...) }

// grad returns v's gradient buffer, allocating it zeroed on first use:
// parameters get a persistent buffer, intermediates an arena one.
func (tp *Tape) grad(v *Var) *tensor.Tensor {
	if v.Grad == nil {
		if v.param {
			v.Grad = tensor.New(v.Value.Shape()...)
		} else {
			v.Grad = tp.zeros(v.Value.Shape()...)
		}
	}
	return v.Grad
}

// addGrad adds alpha·g (x's shape) to x's gradient. The first contribution
// to an intermediate's gradient is written, not added: the buffer comes
// from the arena uninitialised, which saves zeroing it (a quarter of a
// training step's time went to zeroing gradient buffers).
func (tp *Tape) addGrad(x *Var, alpha float32, g []float32) {
	if x.Grad == nil && !x.param {
		dx := tp.empty(x.Value.Shape()...)
		copy(dx.Data(), g)
		if alpha != 1 {
			asm.Scale(alpha, dx.Data())
		}
		x.Grad = dx
		return
	}
	asm.Axpy(alpha, g, tp.grad(x).Data())
}

// moveGrad gives g — the gradient of an op's output, which nothing reads
// after that op's backward — to x as alpha·g: the first contribution to an
// intermediate takes over g's buffer (a view in x's shape, scaled in place)
// instead of copying it; later ones are added. Only one input of an op may
// take its output's gradient, and the op must be done reading g.
func (tp *Tape) moveGrad(x *Var, alpha float32, g *tensor.Tensor) {
	if x.Grad == nil && !x.param {
		v := tp.Arena().View(g, x.Value.Shape()...)
		if alpha != 1 {
			asm.Scale(alpha, v.Data())
		}
		x.Grad = v
		return
	}
	asm.Axpy(alpha, g.Data(), tp.grad(x).Data())
}

// gradBeta returns x's gradient buffer for a kernel computing
// buf = beta·buf + (contribution), with beta = 0 when this is the first
// contribution to an intermediate (uninitialised arena buffer) and 1 when it
// accumulates.
func (tp *Tape) gradBeta(x *Var) (*tensor.Tensor, float32) {
	if x.Grad == nil && !x.param {
		x.Grad = tp.empty(x.Value.Shape()...)
		return x.Grad, 0
	}
	return tp.grad(x), 1
}

// shapeWith returns shape with its last axis replaced by n (the arena keeps
// no reference to the result).
func shapeWith(shape []int, n int) []int {
	s := slices.Clone(shape)
	s[len(s)-1] = n
	return s
}
