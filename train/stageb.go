package train

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

// Example is one instruction example for the decoder: a prompt that ends
// where the answer starts (after the assistant header of the chat template),
// the answer tokens (with the end-of-turn token), and — for LLINK — the
// prompt positions of the slot tokens <f0>…<fK-1> with the example's
// projected vector V and teacher vector H. Raw-text examples (the
// baselines) have no SlotPos.
type Example struct {
	Prompt  []int
	Answer  []int
	SlotPos []int
	V       []float32 // projected foreign vector P(z) [d] (LLINK only)
	H       []float32 // Stage A teacher vector [d] (LLINK only)
}

// StageBConfig holds Stage B's (and the direct fine-tuning baseline's)
// optimisation settings. [DefaultStageB] gives the paper's values.
type StageBConfig struct {
	Steps       int                 `json:"steps"`
	Batch       int                 `json:"batch"`
	WarmupFrac  float32             `json:"warmup_frac"`
	LRLoRA      float32             `json:"lr_lora"`
	LRSlots     float32             `json:"lr_slots"` // adapter and expander
	LRScale     float32             `json:"lr_scale"`
	WeightDecay float32             `json:"weight_decay"`
	Clip        float32             `json:"clip"`
	Weights     llink.StageBWeights `json:"weights"`
	Seed        uint64              `json:"seed"`
	Checkpoint  Checkpointing       `json:"checkpoint"`
}

// DefaultStageB returns the paper's Stage B settings (batch 128, 15%
// warm-up then linear decay, lr LoRA 1e-4, adapter/expander 3e-5, scale
// 5e-4, AdamW wd 0.01, clip 1). Steps: 40k examples × 3 epochs / 128.
func DefaultStageB() StageBConfig {
	return StageBConfig{Steps: 940, Batch: 128, WarmupFrac: 0.15, LRLoRA: 1e-4, LRSlots: 3e-5, LRScale: 5e-4,
		WeightDecay: 0.01, Clip: 1, Weights: llink.DefaultStageBWeights(), Seed: 1}
}

// Validate reports the first unusable setting.
func (c StageBConfig) Validate() error {
	switch {
	case c.Steps <= 0 || c.Batch <= 0:
		return fmt.Errorf("train: stage B needs steps and batch > 0 (got %d, %d)", c.Steps, c.Batch)
	case c.WarmupFrac < 0 || c.WarmupFrac >= 1:
		return fmt.Errorf("train: warm-up fraction %g not in [0, 1)", c.WarmupFrac)
	case c.LRLoRA < 0 || c.LRSlots < 0 || c.LRScale < 0:
		return errors.New("train: negative learning rate")
	}
	return nil
}

// StageBResult reports a Stage B (or direct fine-tuning) run.
type StageBResult struct {
	Final   float64 // last answer cross-entropy
	Elapsed time.Duration
}

// batchInputs packs examples (prompt+answer) into a right-padded batch and
// returns the ids, mask, the flat positions whose next token is an answer
// token with those targets, and the flat slot rows in example order.
func batchInputs(exs []Example, pad int) (b llama.Batch, predPos, targets, slotRows []int) {
	seqs := make([][]int, len(exs))
	for i, e := range exs {
		seqs[i] = append(append([]int(nil), e.Prompt...), e.Answer...)
	}
	b = llama.PadRight(seqs, pad)
	for i, e := range exs {
		base := i * b.T
		for t := len(e.Prompt) - 1; t < len(seqs[i])-1; t++ {
			predPos = append(predPos, base+t)
			targets = append(targets, seqs[i][t+1])
		}
		for _, p := range e.SlotPos {
			slotRows = append(slotRows, base+p)
		}
	}
	return b, predPos, targets, slotRows
}

// bucketBatches is how many batches' worth of shuffled examples are sorted
// by length together when an epoch's order is drawn.
const bucketBatches = 32

// epochOrder returns one epoch's example order: a random permutation cut
// into windows of bucketBatches batches, each window sorted by sequence
// length and cut into batches, and the batches shuffled. Batches then hold
// examples of similar length (little padding: raw-Khmer prompts vary from
// ~100 to ~400 tokens) while every example is still seen once per epoch in
// a random batch order.
func epochOrder(rng *rand.Rand, exs []Example, bs int) []int {
	perm := rng.Perm(len(exs))
	length := func(i int) int { return len(exs[i].Prompt) + len(exs[i].Answer) }
	// The last partial batch is dropped, as before; it is left out of the
	// sorting so that the dropped examples are random ones, not always the
	// longest of the last window.
	nb := len(perm) / bs
	for lo := 0; lo < nb*bs; lo += bs * bucketBatches {
		w := perm[lo:min(lo+bs*bucketBatches, nb*bs)]
		sort.SliceStable(w, func(a, b int) bool { return length(w[a]) < length(w[b]) })
	}
	out := make([]int, 0, nb*bs)
	for _, b := range rng.Perm(nb) {
		out = append(out, perm[b*bs:(b+1)*bs]...)
	}
	return out
}

// answerCE records the mean cross-entropy of the answer tokens given input
// embeddings x [B, T, d].
func answerCE(tp *autograd.Tape, m *llama.Model, x *autograd.Var, mask []bool, predPos, targets []int, rng *rand.Rand) *autograd.Var {
	h := m.ForwardTape(tp, x, mask, rng)
	d := m.Config.Hidden
	rows := tp.Gather(tp.Reshape(h, h.Value.Len()/d, d), predPos)
	return tp.CrossEntropy(m.LogitsTape(tp, rows), targets, -100)
}

// exampleVecs stacks the V and H vectors of a batch.
func exampleVecs(exs []Example, d int) (v, h *tensor.Tensor, err error) {
	v, h = tensor.New(len(exs), d), tensor.New(len(exs), d)
	for i, e := range exs {
		if len(e.V) != d || len(e.H) != d {
			return nil, nil, fmt.Errorf("train: example %d has V/H of width %d/%d, decoder width %d", i, len(e.V), len(e.H), d)
		}
		copy(v.Row(i), e.V)
		copy(h.Row(i), e.H)
	}
	return v, h, nil
}

// TrainStageB trains the LLINK slots (scale, adapter, expander) and the
// decoder's LoRA parameters on examples, with the answer cross-entropy, the
// usage-enforcement hinge every Weights.UsageEvery steps and the slot-mean
// alignment terms. With slots == nil it is the direct fine-tuning baseline:
// LoRA only, answer cross-entropy only, on raw-text prompts. pad is any
// valid token id (padding is masked).
func TrainStageB(m *llama.Model, slots *llink.Slots, lora []*autograd.Var, exs []Example, pad int, c StageBConfig, log func(StepLog)) (StageBResult, error) {
	if err := c.Validate(); err != nil {
		return StageBResult{}, err
	}
	if len(exs) == 0 {
		return StageBResult{}, errors.New("train: stage B: no training examples")
	}
	start := time.Now()
	d := m.Config.Hidden
	groups := []nn.ParamGroup{{Params: lora, LR: c.LRLoRA, WeightDecay: c.WeightDecay}}
	params := append([]*autograd.Var(nil), lora...)
	if slots != nil {
		rest := append(slots.Adapter.Params(), slots.Expander.Params()...)
		groups = append(groups,
			nn.ParamGroup{Params: rest, LR: c.LRSlots, WeightDecay: c.WeightDecay},
			nn.ParamGroup{Params: slots.Scale.Params(), LR: c.LRScale, WeightDecay: 0})
		params = append(params, slots.Params()...)
	}
	var bow *llink.BagOfWords
	if slots != nil && c.Weights.BagOfWords != 0 {
		// The optional head trains with the adapter/expander learning rate;
		// it only shapes the slot mean and is dropped after training.
		bow = llink.NewBagOfWords(d, m.Config.VocabSize, rand.New(rand.NewPCG(c.Seed, 0xB0E)))
		groups[1].Params = append(groups[1].Params, bow.Params()...)
		params = append(params, bow.Params()...)
	}
	if len(params) == 0 {
		return StageBResult{}, errors.New("train: stage B: nothing to train (no LoRA and no slots)")
	}
	opt := nn.NewAdamW(groups, 0.9, 0.999, 1e-8)
	opt.Schedule = nn.WarmupLinear(int(c.WarmupFrac*float32(c.Steps)), c.Steps)
	src := rand.NewPCG(c.Seed, 0xB0B)
	rng := rand.New(src)
	tp := autograd.NewTape()
	bs := min(c.Batch, len(exs))
	order, pos, first := epochOrder(rng, exs, bs), 0, 0
	var res StageBResult
	ck := &c.Checkpoint
	if ck.enabled() && ck.Resume {
		if _, err := os.Stat(ck.Path); err == nil {
			st, _, err := loadState(ck.Path, params, opt)
			if err != nil {
				return res, err
			}
			if err := src.UnmarshalBinary(st.RNG); err != nil {
				return res, fmt.Errorf("train: resume %s: %w", ck.Path, err)
			}
			first, order, pos = st.Step, st.Order, st.Pos
		}
	}
	for step := first; step < c.Steps; step++ {
		if pos+bs > len(order) {
			order, pos = epochOrder(rng, exs, bs), 0
		}
		batch := make([]Example, bs)
		for i, j := range order[pos : pos+bs] {
			batch[i] = exs[j]
		}
		pos += bs
		b, predPos, targets, slotRows := batchInputs(batch, pad)

		tp.Reset()
		autograd.ZeroGrad(params)
		x := m.EmbedTape(b.IDs, b.B, b.T)
		var loss, ce *autograd.Var
		if slots != nil {
			if len(slotRows) != bs*slots.Expander.K {
				return res, fmt.Errorf("train: stage B step %d: %d slot positions for %d examples of K=%d", step, len(slotRows), bs, slots.Expander.K)
			}
			v, h, err := exampleVecs(batch, d)
			if err != nil {
				return res, err
			}
			s := slots.Forward(tp, autograd.Const(v))
			xs := tp.ScatterRows(x, s, slotRows)
			ce = answerCE(tp, m, xs, b.Mask, predPos, targets, rng)
			loss = ce
			w := c.Weights
			if w.Usage != 0 && w.UsageEvery > 0 && step%w.UsageEvery == w.UsageEvery-1 {
				var ceZero float32
				func() {
					defer tp.NoGrad()()
					ceZero = answerCE(tp, m, x, b.Mask, predPos, targets, nil).Item()
				}()
				loss = tp.Add(loss, tp.Scale(llink.UsageLoss(tp, ce, ceZero, w.Margin), w.Usage))
			}
			if w.AlignMSE != 0 || w.AlignNCE != 0 {
				loss = tp.Add(loss, llink.SlotAlignLoss(tp, s, h, w.AlignMSE, w.AlignNCE, w.AlignTau))
			}
			if bow != nil {
				answers := make([][]int, len(batch))
				for i, e := range batch {
					answers[i] = e.Answer
				}
				loss = tp.Add(loss, tp.Scale(bow.Loss(tp, s, answers), w.BagOfWords))
			}
		} else {
			ce = answerCE(tp, m, x, b.Mask, predPos, targets, rng)
			loss = ce
		}
		if err := nn.CheckFinite(loss, nil); err != nil {
			return res, fmt.Errorf("train: stage B step %d: %w", step, err)
		}
		tp.Backward(loss)
		if err := checkGrads(params); err != nil {
			return res, fmt.Errorf("train: stage B step %d: %w", step, err)
		}
		norm := nn.ClipGradNorm(params, c.Clip)
		lr := opt.LR(0)
		opt.Step()
		res.Final = float64(ce.Item())
		if log != nil {
			log(StepLog{Step: step + 1, Loss: float64(loss.Item()), LR: float64(lr), Norm: float64(norm)})
		}
		stop, last := ck.stopRequested(), step == c.Steps-1
		if ck.enabled() && (stop || last || ck.Every > 0 && (step+1)%ck.Every == 0) {
			st := loopState{Step: step + 1, Pos: pos, Order: order, RNG: pcgState(src)}
			if err := saveState(ck.Path, params, opt, st, nil); err != nil {
				return res, err
			}
		}
		if stop && !last {
			return res, fmt.Errorf("train: stage B stopped after step %d, checkpoint in %s (rerun with resume to continue): %w", step+1, ck.Path, ErrInterrupted)
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// SlotVectors computes the K slot vectors [N, K, d] of projected vectors v
// [N, d] without a tape (inference).
func SlotVectors(slots *llink.Slots, v *tensor.Tensor) *tensor.Tensor {
	return slots.Forward(nil, autograd.Const(v)).Value
}

// GenerateAnswers generates greedy answers (up to maxNew tokens, stopping
// at any stop token, which is not returned) for examples' prompts; for
// examples with SlotPos the slot vectors of slots replace those embeddings.
// Examples are run in batches of batch rows.
func GenerateAnswers(m *llama.Model, slots *llink.Slots, exs []Example, pad, maxNew int, stop []int, batch int) ([][]int, error) {
	out := make([][]int, len(exs))
	d := m.Config.Hidden
	if batch <= 0 {
		batch = 16
	}
	// Batch prompts of similar length (less left padding to run through
	// every generation step); outputs go back to the examples' order.
	idx := make([]int, len(exs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return len(exs[idx[a]].Prompt) < len(exs[idx[b]].Prompt) })
	for lo := 0; lo < len(exs); lo += batch {
		hi := min(lo+batch, len(exs))
		part := make([]Example, hi-lo)
		for i, j := range idx[lo:hi] {
			part[i] = exs[j]
		}
		prompts := make([][]int, len(part))
		for i, e := range part {
			prompts[i] = e.Prompt
		}
		b := llama.PadLeft(prompts, pad)
		x := m.Embed(b.IDs).Reshape(b.B, b.T, d)
		if slots != nil {
			var withSlots []int
			for i, e := range part {
				if len(e.SlotPos) > 0 {
					withSlots = append(withSlots, i)
				}
			}
			if len(withSlots) > 0 {
				v := tensor.New(len(withSlots), d)
				for r, i := range withSlots {
					if len(part[i].V) != d {
						return nil, fmt.Errorf("train: example %d has a projected vector of width %d, decoder width %d", idx[lo+i], len(part[i].V), d)
					}
					copy(v.Row(r), part[i].V)
				}
				s := SlotVectors(slots, v)
				k := slots.Expander.K
				for r, i := range withSlots {
					e := part[i]
					if len(e.SlotPos) != k {
						return nil, fmt.Errorf("train: example %d has %d slot positions, K=%d", idx[lo+i], len(e.SlotPos), k)
					}
					off := b.T - len(e.Prompt) // left padding
					for j, p := range e.SlotPos {
						copy(x.Data()[((i*b.T)+off+p)*d:][:d], s.Data()[(r*k+j)*d:][:d])
					}
				}
			}
		}
		gen := m.GenerateEmbeds(x, b.Mask, prompts, llama.GenerateOptions{MaxNew: maxNew, Stop: stop, Pad: pad})
		for i, g := range gen {
			if n := len(g); n > 0 && containsInt(stop, g[n-1]) {
				g = g[:n-1]
			}
			out[idx[lo+i]] = g
		}
	}
	return out, nil
}

func containsInt(xs []int, v int) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}
