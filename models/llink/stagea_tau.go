package llink

import (
	"math"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// Bounds of a learnt Stage A temperature: its inverse (the logit scale)
// stays in [1, 100], CLIP's clamp.
const (
	minLogScale = 0
	maxLogScale = 4.605170185988092 // log 100
)

// NewLogScale returns a learnt temperature's parameter, the log of the
// logit scale (1/τ), named "stagea.log_scale", starting at 1/tau.
func NewLogScale(tau float32) *autograd.Var {
	return autograd.NewParam("stagea.log_scale", tensor.FromSlice([]float32{float32(-math.Log(float64(tau)))}, 1))
}

// StageALossLearntTau is [StageALoss] with a learnt temperature in place of
// the annealed one (CLIP's logit scale): the contrastive logits are
// cos·exp(s), with s = logScale [1] on the tape, clamped so that the scale
// stays in [1, 100]. The direction and norm terms are StageALoss's. Not in
// the paper, which anneals τ 0.17 → 0.08.
func StageALossLearntTau(tp *autograd.Tape, p *autograd.Var, h, negatives *tensor.Tensor, logScale *autograd.Var, w StageAWeights) *autograd.Var {
	return stageALoss(tp, p, h, negatives, 1, tp.Clamp(logScale, minLogScale, maxLogScale), w)
}

// LearntTau returns the temperature a learnt logScale stands for, 1/exp(s)
// with s clamped as [StageALossLearntTau] clamps it.
func LearntTau(logScale *autograd.Var) float32 {
	return float32(math.Exp(-min(max(float64(logScale.Value.Data()[0]), minLogScale), maxLogScale)))
}
