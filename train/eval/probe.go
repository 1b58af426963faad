package eval

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

// Linear probes: how much of an attribute (a sentence's place, month,
// object or frame) a frozen representation keeps in linearly readable
// form. A probe is trained on one set of sentences and scored on another;
// its test accuracy is what the representation gives away to any linear
// reader, such as a projector or a resampler's first layer.

// ProbeOptions are the probes' optimisation settings (full-batch AdamW on
// standardised features).
type ProbeOptions struct {
	Steps       int     // default 300
	LR          float32 // default 0.05
	WeightDecay float32 // default 1e-3
	Seed        uint64
}

func (o ProbeOptions) withDefaults() ProbeOptions {
	if o.Steps == 0 {
		o.Steps = 300
	}
	if o.LR == 0 {
		o.LR = 0.05
	}
	if o.WeightDecay == 0 {
		o.WeightDecay = 1e-3
	}
	return o
}

// ProbeSet is a probe's data: features X — pooled vectors [N, D], or token
// states [N, T, D] with Mask [N·T] true at real tokens — and labels Y in
// 0..classes-1 (negative: the sentence lacks the attribute, left out).
type ProbeSet struct {
	X    *tensor.Tensor
	Mask []bool
	Y    []int
}

// keep returns the set restricted to labelled rows.
func (s ProbeSet) keep() (ProbeSet, error) {
	n := s.X.Dim(0)
	if len(s.Y) != n {
		return s, fmt.Errorf("eval: probe set of %d rows with %d labels", n, len(s.Y))
	}
	tokens := s.X.Dims() == 3
	if tokens && len(s.Mask) != n*s.X.Dim(1) {
		return s, fmt.Errorf("eval: probe token states %v with a mask of %d", s.X.Shape(), len(s.Mask))
	}
	var idx []int
	for i, y := range s.Y {
		if y >= 0 {
			idx = append(idx, i)
		}
	}
	row := s.X.Len() / max(n, 1)
	out := ProbeSet{X: tensor.New(append([]int{len(idx)}, s.X.Shape()[1:]...)...)}
	for j, i := range idx {
		copy(out.X.Data()[j*row:(j+1)*row], s.X.Data()[i*row:(i+1)*row])
		out.Y = append(out.Y, s.Y[i])
		if tokens {
			out.Mask = append(out.Mask, s.Mask[i*s.X.Dim(1):(i+1)*s.X.Dim(1)]...)
		}
	}
	return out, nil
}

// Probe trains a linear probe on train and returns its accuracy on test.
// On pooled vectors it is softmax regression; on token states a class's
// score is the log-sum-exp over the text's tokens of a linear score, so
// the probe finds an attribute that one token carries wherever it stands.
func Probe(train, test ProbeSet, classes int, o ProbeOptions) (float64, error) {
	o = o.withDefaults()
	if classes < 2 {
		return 0, fmt.Errorf("eval: a probe needs ≥ 2 classes, got %d", classes)
	}
	if train.X.Dims() != test.X.Dims() || train.X.Dim(-1) != test.X.Dim(-1) || train.X.Dims() < 2 || train.X.Dims() > 3 {
		return 0, fmt.Errorf("eval: probe features %v (train) and %v (test) must both be [N, D] or [N, T, D]", train.X.Shape(), test.X.Shape())
	}
	var err error
	if train, err = train.keep(); err != nil {
		return 0, err
	}
	if test, err = test.keep(); err != nil {
		return 0, err
	}
	if len(train.Y) == 0 || len(test.Y) == 0 {
		return 0, errors.New("eval: a probe needs labelled train and test rows")
	}
	for _, y := range append(append([]int(nil), train.Y...), test.Y...) {
		if y >= classes {
			return 0, fmt.Errorf("eval: label %d of %d classes", y, classes)
		}
	}
	mean, std := featureStats(train)
	standardise(train, mean, std)
	standardise(test, mean, std)
	d := train.X.Dim(-1)
	r := rand.New(rand.NewPCG(o.Seed, 0x9b0be))
	w := autograd.NewParam("probe.weight", tensor.RandN(r, 0.01, d, classes))
	b := autograd.NewParam("probe.bias", tensor.New(classes))
	params := []*autograd.Var{w, b}
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params, LR: o.LR, WeightDecay: o.WeightDecay}}, 0.9, 0.999, 1e-8)
	tp := autograd.NewTape()
	for range o.Steps {
		tp.Reset()
		autograd.ZeroGrad(params)
		loss := tp.CrossEntropy(probeLogits(tp, train, w, b), train.Y, -100)
		tp.Backward(loss)
		opt.Step()
	}
	logits := probeLogits(nil, test, w, b).Value
	right := 0
	for i, y := range test.Y {
		row := logits.Row(i)
		best := 0
		for c, v := range row {
			if v > row[best] {
				best = c
			}
		}
		if best == y {
			right++
		}
	}
	return float64(right) / float64(len(test.Y)), nil
}

// probeLogits returns the probe's class scores [N, C].
func probeLogits(tp *autograd.Tape, s ProbeSet, w, b *autograd.Var) *autograd.Var {
	x := autograd.Const(s.X)
	if s.X.Dims() == 2 {
		return tp.Add(tp.MatMul(x, w, false, false), b)
	}
	n, T, c := s.X.Dim(0), s.X.Dim(1), w.Shape()[1]
	// [N, T, C] → [N, C, T], padding pushed to -1e4, log-sum-exp over T as
	// x_0 − logsoftmax(x)_0 (token 0 is always real).
	scores := tp.TransposeLast2(tp.Add(tp.MatMul(x, w, false, false), b))
	pad := tensor.New(n, 1, T)
	for i, m := range s.Mask {
		if !m {
			pad.Data()[i] = -1e4
		}
	}
	scores = tp.Add(scores, autograd.Const(pad))
	lse := tp.Sub(scores, tp.LogSoftmax(scores))
	return tp.Reshape(tp.Slice(lse, 2, 0, 1), n, c)
}

// featureStats returns the per-feature mean and standard deviation of a
// set's (real) rows or tokens.
func featureStats(s ProbeSet) (mean, std []float64) {
	d := s.X.Dim(-1)
	mean, std = make([]float64, d), make([]float64, d)
	var n float64
	each(s, func(v []float32) {
		n++
		for j, x := range v {
			mean[j] += float64(x)
			std[j] += float64(x) * float64(x)
		}
	})
	for j := range mean {
		mean[j] /= n
		std[j] = math.Sqrt(max(std[j]/n-mean[j]*mean[j], 1e-12))
	}
	return mean, std
}

// standardise maps every feature of s to zero mean, unit variance under
// the given statistics (padding left as it is: masked anyway).
func standardise(s ProbeSet, mean, std []float64) {
	each(s, func(v []float32) {
		for j := range v {
			v[j] = float32((float64(v[j]) - mean[j]) / std[j])
		}
	})
}

// each calls f on every real row (pooled) or token (token states) of s.
func each(s ProbeSet, f func([]float32)) {
	d := s.X.Dim(-1)
	data := s.X.Data()
	for i := range s.X.Len() / d {
		if s.Mask == nil || s.Mask[i] {
			f(data[i*d : (i+1)*d])
		}
	}
}
