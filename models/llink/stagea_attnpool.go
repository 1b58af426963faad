package llink

import (
	"fmt"
	"math"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// AttnPool is Stage A's attention pooling of the encoder's token states, a
// learned alternative to the masked mean the [Reader] pools with: H query
// vectors score every token, and head h pools the h-th of H equal slices of
// the states with the softmax of its scores over the text's real tokens:
//
//	a[h, t] = softmax_t(q_h·LN(x_t)/√d)    out[h-th slice] = Σ_t a[h, t]·x_t[h-th slice]
//
// (LN without gain or bias: the scores are linear in the normalised state,
// so a key projection would add nothing a query cannot express.) The
// queries start at zero, where every weight is 1/n and the output is the
// mean the Reader pools — Stage A starts from the default student vector
// and learns which tokens to weigh. Not in the paper, whose student vector
// is the mean; a mean keeps what most tokens say and loses the one or two
// that name a place or a month (docs/EXPERIMENTS.md, the probes).
type AttnPool struct {
	Query *autograd.Var // [H, d], zero at the start
	Heads int
	Eps   float32
}

// NewAttnPool returns an attention pooling of width d with heads heads
// (heads must divide d), its queries at zero, named "attnpool.query".
func NewAttnPool(d, heads int) (*AttnPool, error) {
	if heads < 1 || d%heads != 0 {
		return nil, fmt.Errorf("llink: attention pooling: %d heads do not divide the encoder width %d", heads, d)
	}
	return &AttnPool{Query: autograd.NewParam("attnpool.query", tensor.New(heads, d)), Heads: heads, Eps: 1e-5}, nil
}

// Params lists the pooling's parameters.
func (a *AttnPool) Params() []*autograd.Var { return []*autograd.Var{a.Query} }

// Forward pools the token states tok (N texts, [N, T, d] with their mask)
// into [N, d]. The states are constants (the frozen encoder's); only the
// queries train.
func (a *AttnPool) Forward(tp *autograd.Tape, tok *Tokens) *autograd.Var {
	if tok == nil || tok.States.Dims() != 3 || tok.States.Dim(2) != a.Query.Value.Dim(1) || len(tok.Mask) != tok.States.Dim(0)*tok.States.Dim(1) {
		var got []int
		if tok != nil {
			got = tok.States.Shape()
		}
		panic(fmt.Sprintf("llink.AttnPool: want token states [N, T, %d] with their mask, got %v", a.Query.Value.Dim(1), got))
	}
	n, T, d := tok.States.Dim(0), tok.States.Dim(1), tok.States.Dim(2)
	h, dh := a.Heads, d/a.Heads
	keys, values, bias := a.constants(tok)
	// scores [N, T, H] → [N, H, T], the padding pushed to −1e9 before the
	// softmax (every text has a real token, so no row is all padding).
	s := tp.Scale(tp.MatMul(autograd.Const(keys), a.Query, false, true), float32(1/math.Sqrt(float64(d))))
	w := tp.Softmax(tp.Add(tp.TransposeLast2(s), autograd.Const(bias)))
	// [N, H, 1, T]·[N, H, T, dh] → [N, H, 1, dh] → [N, d]
	out := tp.MatMul(tp.Reshape(w, n, h, 1, T), autograd.Const(values), false, false)
	return tp.Reshape(out, n, h*dh)
}

// Pool returns the pooled vectors of tok [N, d] without a tape (inference).
func (a *AttnPool) Pool(tok *Tokens) *tensor.Tensor { return a.Forward(nil, tok).Value }

// constants returns what Forward reads of the token states: the normalised
// states [N, T, d] (the keys), the states rearranged by head [N, H, T, dh]
// (the values) and the additive mask [N, 1, T] (0 at real tokens, −1e9 at
// padding).
func (a *AttnPool) constants(tok *Tokens) (keys, values, bias *tensor.Tensor) {
	n, T, d := tok.States.Dim(0), tok.States.Dim(1), tok.States.Dim(2)
	h, dh := a.Heads, d/a.Heads
	x := tok.States.Data()
	keys, values, bias = tensor.New(n, T, d), tensor.New(n, h, T, dh), tensor.New(n, 1, T)
	kd, vd, bd := keys.Data(), values.Data(), bias.Data()
	for i := range n {
		for t := range T {
			row := x[(i*T+t)*d:][:d]
			if !tok.Mask[i*T+t] {
				bd[i*T+t] = -1e9
			}
			asm.LayerNorm(kd[(i*T+t)*d:][:d], row, nil, nil, a.Eps)
			for hh := range h {
				copy(vd[((i*h+hh)*T+t)*dh:][:dh], row[hh*dh:(hh+1)*dh])
			}
		}
	}
	return keys, values, bias
}
