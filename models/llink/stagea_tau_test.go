package llink

import (
	"math"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

// TestStageALossLearntTauGradients checks the learnt-temperature loss's
// backward pass with respect to the projections and the log scale, with
// hard negatives, against finite differences.
func TestStageALossLearntTauGradients(t *testing.T) {
	r := testutil.RNG(31)
	h := tensor.RandN(r, 1, 5, 6)
	neg := UnitRows(tensor.RandN(r, 1, 3, 6))
	inputs := []*tensor.Tensor{tensor.RandN(r, 1, 5, 6), NewLogScale(0.3).Value}
	res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
		return StageALossLearntTau(tp, xs[0], h, neg, xs[1], DefaultStageAWeights())
	}, inputs, autograd.CheckOpts{Tol: 2e-3})
	if err != nil {
		t.Fatalf("%v (%+v)", err, res)
	}
}

// TestStageALossLearntTauMatches: at a fixed scale the learnt-temperature
// loss is StageALoss at τ = 1/scale, and the scale is clamped to [1, 100].
func TestStageALossLearntTauMatches(t *testing.T) {
	r := testutil.RNG(32)
	p, h := tensor.RandN(r, 1, 4, 8), tensor.RandN(r, 1, 4, 8)
	neg := UnitRows(tensor.RandN(r, 1, 2, 8))
	for _, tc := range []struct{ tau, want float32 }{{0.17, 0.17}, {0.08, 0.08}, {0.001, 0.01}, {3, 1}} {
		got := StageALossLearntTau(nil, autograd.Const(p), h, neg, NewLogScale(tc.tau), DefaultStageAWeights()).Item()
		want := StageALoss(nil, autograd.Const(p), h, neg, tc.want, DefaultStageAWeights()).Item()
		if math.Abs(float64(got-want)) > 1e-4*math.Abs(float64(want)) {
			t.Errorf("τ %g: %g, StageALoss at τ %g gives %g", tc.tau, got, tc.want, want)
		}
	}
}
