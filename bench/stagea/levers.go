package main

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train"
)

// levers are the Stage A options (train.StageALevers) the bench's flags
// set. With none set, run uses train.TrainStageA.
type levers struct {
	attnHeads  int     // > 0: attention pooling over the token states (llink.AttnPool)
	learnTau   bool    // a learnt temperature (llink.StageALossLearntTau)
	mixEnglish float64 // > 0: English rows with this probability (englishMix)
	mixShift   bool    // the English rows moved by the languages' mean difference (shiftMean)
}

func (l levers) any() bool { return l.attnHeads > 0 || l.learnTau || l.mixEnglish > 0 }

// check reports a combination of levers the bench cannot run.
func (l levers) check() error {
	switch {
	case l.attnHeads < 0:
		return fmt.Errorf("-attn-heads %d: want ≥ 0", l.attnHeads)
	case l.mixEnglish < 0 || l.mixEnglish > 1 || math.IsNaN(l.mixEnglish):
		return fmt.Errorf("-mix-english %g: want a probability in [0, 1]", l.mixEnglish)
	case l.mixShift && l.mixEnglish == 0:
		return errors.New("-mix-shift moves the English rows of -mix-english: give -mix-english too")
	case l.mixEnglish > 0 && l.attnHeads > 0:
		return errors.New("-mix-english mixes pooled vectors: not with -attn-heads (no English token states)")
	}
	return nil
}

// studentVectors returns Stage A's student vectors of the pairs: the cached
// pooled vectors z, or with the projector's attention pooling its pooling
// of the token states tok.
func studentVectors(z *tensor.Tensor, proj *llink.Projector, tok *train.TokenStore) *tensor.Tensor {
	if !proj.ReadsTokens() {
		return z
	}
	return tok.Student(proj)
}

// leverSet returns the training levers of the projector's attention
// pooling (none without one) over the training and selection token states.
func leverSet(proj *llink.Projector, trainTok *train.TokenStore, sel train.Pairs, selTok *train.TokenStore) train.StageALevers {
	if !proj.ReadsTokens() {
		return train.StageALevers{}
	}
	return train.StageALevers{
		Student:    func(tp *autograd.Tape, idx []int) *autograd.Var { return proj.Pool.Forward(tp, trainTok.Batch(idx)) },
		DevStudent: func() *tensor.Tensor { return studentVectors(sel.Z, proj, selTok) },
		Params:     proj.Pool.Params(),
	}
}

// englishMix is Stage A's student with English rows: training row i's
// student vector is row i of en (the encoder's pooled vector of the pair's
// English side) with probability p, of km (its Khmer side) otherwise. The
// draws come from r, afresh at every call, so Stage A's own random streams
// (data order, dropout, hard negatives) are those of a run without it.
// The teacher target is the English vector either way: the projector learns
// one map for both languages, and the Khmer rows inherit what the English
// rows teach it as far as the frozen encoder aligns the two.
type englishMix struct {
	km, en *tensor.Tensor // [N, enc] each
	p      float64
	r      *rand.Rand
}

// rows returns the student vectors of training rows idx, [len(idx), enc].
func (m *englishMix) rows(idx []int) *tensor.Tensor {
	out := tensor.New(len(idx), m.km.Dim(1))
	for i, r := range idx {
		src := m.km
		if m.r.Float64() < m.p {
			src = m.en
		}
		copy(out.Row(i), src.Row(r))
	}
	return out
}

// shiftMean returns en moved by the difference of the row means of km and
// en (each row plus mean(km) − mean(en), the means taken in float64): the
// English vectors carried into the Khmer vectors' region, so that a
// language's constant offset cannot tell the projector which one it reads.
func shiftMean(en, km *tensor.Tensor) *tensor.Tensor {
	d := en.Dim(1)
	shift := make([]float64, d)
	for _, side := range []struct {
		x    *tensor.Tensor
		sign float64
	}{{km, 1}, {en, -1}} {
		for i := range side.x.Dim(0) {
			for k, v := range side.x.Row(i) {
				shift[k] += side.sign * float64(v) / float64(side.x.Dim(0))
			}
		}
	}
	out := tensor.New(en.Dim(0), d)
	for i := range en.Dim(0) {
		dst := out.Row(i)
		for k, v := range en.Row(i) {
			dst[k] = float32(float64(v) + shift[k])
		}
	}
	return out
}
