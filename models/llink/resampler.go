package llink

import (
	"fmt"
	"math/rand/v2"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

// Tokens are the encoder token states of N foreign texts, right-padded:
// States [N, T, enc] and Mask [N·T], true at real tokens ([Reader.States]).
// Token-level slots ([Config.SlotInput] = [SlotsTokens]) read them.
type Tokens struct {
	States *tensor.Tensor
	Mask   []bool
}

// Len returns N.
func (t *Tokens) Len() int { return t.States.Dim(0) }

// Row returns text i's real token states [n·enc] (a copy).
func (t *Tokens) Row(i int) []float32 {
	T, d := t.States.Dim(1), t.States.Dim(2)
	n := 0
	for n < T && t.Mask[i*T+n] {
		n++
	}
	return append([]float32(nil), t.States.Data()[i*T*d:(i*T+n)*d]...)
}

// Head returns the first n texts' token states (sharing t's storage).
func (t *Tokens) Head(n int) *Tokens {
	T, d := t.States.Dim(1), t.States.Dim(2)
	return &Tokens{States: tensor.FromSlice(t.States.Data()[:n*T*d], n, T, d), Mask: t.Mask[:n*T]}
}

// Counts returns each text's number of real tokens.
func (t *Tokens) Counts() []int {
	n, T := t.States.Dim(0), t.States.Dim(1)
	out := make([]int, n)
	for i := range n {
		for out[i] < T && t.Mask[i*T+out[i]] {
			out[i]++
		}
	}
	return out
}

// Segments cuts each text's real tokens into k contiguous runs of nearly
// equal length, in order, and returns their means [N, k, enc] (every entry
// real). A text of n < k tokens gives runs of one token, some repeated.
func (t *Tokens) Segments(k int) *Tokens {
	ks := make([]int, t.Len())
	for i := range ks {
		ks[i] = k
	}
	return t.SegmentsEach(ks, k)
}

// SegmentsEach is [Tokens.Segments] with ks[i] ≤ k segments for text i:
// [N, k, enc], text i's segment means first (Mask true), then zero rows
// (Mask false) — the padding of a batch whose texts have different numbers
// of slots (dynamic K, [Config.TokensPerSegment]).
func (t *Tokens) SegmentsEach(ks []int, k int) *Tokens {
	n, T, d := t.States.Dim(0), t.States.Dim(1), t.States.Dim(2)
	if len(ks) != n {
		panic(fmt.Sprintf("llink.Tokens.SegmentsEach: %d segment counts for %d texts", len(ks), n))
	}
	out := &Tokens{States: tensor.New(n, k, d), Mask: make([]bool, n*k)}
	for i, real := range t.Counts() {
		ki := ks[i]
		if ki < 1 || ki > k {
			panic(fmt.Sprintf("llink.Tokens.SegmentsEach: text %d has %d segments, want 1..%d", i, ki, k))
		}
		for s := range ki {
			lo := s * real / ki
			hi := max((s+1)*real/ki, lo+1)
			lo, hi = min(lo, real-1), min(hi, real)
			dst := out.States.Data()[(i*k+s)*d:][:d]
			for j := lo; j < hi; j++ {
				for c, v := range t.States.Data()[(i*T+j)*d:][:d] {
					dst[c] += v
				}
			}
			for c := range dst {
				dst[c] /= float32(hi - lo)
			}
			out.Mask[i*k+s] = true
		}
	}
	return out
}

// StackTokens right-pads rows of token states (each [n_i·enc], n_i ≥ 1)
// into Tokens of width enc.
func StackTokens(rows [][]float32, enc int) (*Tokens, error) {
	T := 0
	for i, r := range rows {
		if len(r) == 0 || len(r)%enc != 0 {
			return nil, fmt.Errorf("llink: token states of text %d have %d values, not a positive multiple of the encoder width %d", i, len(r), enc)
		}
		T = max(T, len(r)/enc)
	}
	t := &Tokens{States: tensor.New(len(rows), T, enc), Mask: make([]bool, len(rows)*T)}
	for i, r := range rows {
		copy(t.States.Data()[i*T*enc:], r)
		for j := range len(r) / enc {
			t.Mask[i*T+j] = true
		}
	}
	return t, nil
}

// Resampler lets the K slots read the foreign text token by token: one
// multi-head cross-attention from the slots (queries) to the encoder's
// token states (keys and values), added to the slots:
//
//	slots + W_o·Attention(W_q·LN(slots), W_k·LN(e), W_v·LN(e))
//
// One pooled vector keeps the sentence's frame but little of which place,
// month or object it names; the token states keep them. W_o starts at zero,
// so training starts from the pooled path's slots (whose mean Stage B keeps
// in the teacher space) and adds what the tokens carry. Not in the paper,
// whose slots come from the pooled vector only; it is the token-level
// alternative its future work points to.
type Resampler struct {
	NormQ, NormKV *nn.LayerNorm
	Q, K, V, O    *nn.Linear
	Heads         int
}

// ResamplerHeads is the resampler's head count for decoder width d: heads
// of 64 dimensions, or one head when d is not a multiple of 64.
func ResamplerHeads(d int) int {
	if d >= 64 && d%64 == 0 {
		return d / 64
	}
	return 1
}

// NewResampler returns a resampler from encoder width c.EncDim to slots of
// width c.DecDim, parameters named "resampler.*", W_o zero.
func NewResampler(c Config, r *rand.Rand) *Resampler {
	d := c.DecDim
	rs := &Resampler{
		NormQ:  nn.NewLayerNorm("resampler.norm_q", d, c.Eps, true),
		NormKV: nn.NewLayerNorm("resampler.norm_kv", c.EncDim, c.Eps, true),
		Q:      nn.NewLinear("resampler.q", d, d, false, nil, r),
		K:      nn.NewLinear("resampler.k", c.EncDim, d, false, nil, r),
		V:      nn.NewLinear("resampler.v", c.EncDim, d, false, nil, r),
		O:      nn.NewLinear("resampler.o", d, d, true, nil, r),
		Heads:  ResamplerHeads(d),
	}
	rs.O.Weight.Value.Zero()
	rs.O.Bias.Value.Zero()
	return rs
}

// Forward adds to slots [N, K, d] what they read from the token states
// tok (N texts).
func (rs *Resampler) Forward(tp *autograd.Tape, slots *autograd.Var, tok *Tokens) *autograd.Var {
	s := slots.Shape()
	if tok == nil || tok.States.Dims() != 3 || tok.States.Dim(0) != s[0] || tok.States.Dim(2) != rs.K.In || len(tok.Mask) != tok.States.Dim(0)*tok.States.Dim(1) {
		var got []int
		if tok != nil {
			got = tok.States.Shape()
		}
		panic(fmt.Sprintf("llink.Resampler: slots %v need token states [%d, T, %d] with their mask, got %v", s, s[0], rs.K.In, got))
	}
	return rs.forward(tp, slots, autograd.Const(tok.States), tok.Mask)
}

// forward is Forward on checked shapes, with the token states as a variable
// (for the gradient check).
func (rs *Resampler) forward(tp *autograd.Tape, slots, states *autograd.Var, mask []bool) *autograd.Var {
	s := slots.Shape()
	n, k, d := s[0], s[1], s[2]
	T, h := states.Shape()[1], rs.Heads
	e := rs.NormKV.Forward(tp, states)
	q := tp.Reshape(rs.Q.Forward(tp, rs.NormQ.Forward(tp, slots)), n, k, h, d/h)
	kk := tp.Reshape(rs.K.Forward(tp, e), n, T, h, d/h)
	v := tp.Reshape(rs.V.Forward(tp, e), n, T, h, d/h)
	a := tp.Attention(q, kk, v, autograd.AttnOpts{KeyMask: mask})
	return tp.Add(slots, rs.O.Forward(tp, tp.Reshape(a, n, k, d)))
}

// Params lists the resampler's parameters (none for a nil resampler).
func (rs *Resampler) Params() []*autograd.Var {
	if rs == nil {
		return nil
	}
	return nn.Join(rs.NormQ, rs.NormKV, rs.Q, rs.K, rs.V, rs.O)
}
