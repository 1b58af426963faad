package llink

import (
	"math"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/tensor"
)

// TestAttnPoolGradients checks the attention pooling's backward pass with
// respect to its queries (random, so that the weights are not uniform)
// against finite differences, for one and several heads, on texts of
// different lengths (padding masked), also through the projector and
// Stage A's loss.
func TestAttnPoolGradients(t *testing.T) {
	for _, heads := range []int{1, 2, 4} {
		r := testutil.RNG(uint64(11 + heads))
		const d = 8
		a, err := NewAttnPool(d, heads)
		if err != nil {
			t.Fatal(err)
		}
		tok := testTokens(t, r, d, 3, 1, 5, 2)
		q := tensor.RandN(r, 1, heads, d)
		res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
			a.Query = xs[0]
			return a.Forward(tp, tok)
		}, []*tensor.Tensor{q}, autograd.CheckOpts{Tol: 2e-3})
		if err != nil {
			t.Fatalf("%d heads: %v (%+v)", heads, err, res)
		}
	}
	// Through Stage A: queries and projector weights against the loss.
	r := testutil.RNG(21)
	c := DefaultConfig(8, 6)
	c.ProjHidden, c.Dropout = 12, 0
	a, _ := NewAttnPool(c.EncDim, 2)
	p := NewProjector(c, r)
	tok := testTokens(t, r, c.EncDim, 4, 2, 6, 1)
	h := tensor.RandN(r, 1, 4, c.DecDim)
	inputs := []*tensor.Tensor{tensor.RandN(r, 1, 2, c.EncDim), p.FC1.Weight.Value, p.FC2.Weight.Value}
	res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
		a.Query, p.FC1.Weight, p.FC2.Weight = xs[0], xs[1], xs[2]
		return StageALoss(tp, p.Forward(tp, a.Forward(tp, tok), nil), h, nil, 0.1, DefaultStageAWeights())
	}, inputs, autograd.CheckOpts{Tol: 3e-3})
	if err != nil {
		t.Fatalf("through Stage A: %v (%+v)", err, res)
	}
}

// TestAttnPoolStartsAtMean: with its queries at zero (as constructed) the
// pooling is the masked mean the Reader pools with, so Stage A starts from
// the default student vector; and padding a text more changes nothing.
func TestAttnPoolStartsAtMean(t *testing.T) {
	r := testutil.RNG(5)
	const d = 16
	a, err := NewAttnPool(d, 4)
	if err != nil {
		t.Fatal(err)
	}
	tok := testTokens(t, r, d, 7, 1, 3)
	got, want := a.Pool(tok), xlmr.MeanPool(tok.States, tok.Mask)
	for i, v := range want.Data() {
		if math.Abs(float64(got.Data()[i]-v)) > 1e-5 {
			t.Fatalf("value %d: %g, the mean is %g", i, got.Data()[i], v)
		}
	}
	// Random queries: the pooled vector of a text does not depend on how
	// far the batch pads it.
	a.Query.Value.CopyFrom(tensor.RandN(r, 1, 4, d))
	alone, err := StackTokens([][]float32{tok.Row(2)}, d)
	if err != nil {
		t.Fatal(err)
	}
	one, all := a.Pool(alone), a.Pool(tok)
	for i, v := range one.Data() {
		if math.Abs(float64(all.Row(2)[i]-v)) > 1e-5 {
			t.Fatalf("value %d: %g padded to 7 tokens, %g unpadded", i, all.Row(2)[i], v)
		}
	}
}

func TestAttnPoolHeads(t *testing.T) {
	for _, tc := range []struct{ d, heads int }{{8, 3}, {8, 0}, {8, -2}} {
		if _, err := NewAttnPool(tc.d, tc.heads); err == nil {
			t.Errorf("width %d, %d heads: no error", tc.d, tc.heads)
		}
	}
}
