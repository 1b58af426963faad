package train

import (
	"cmp"
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
	// Tok holds the foreign text's encoder token states [n·enc] (LLINK
	// with token-level slots only).
	Tok []float32
	// Words are the decoder ids of the English passage (LLINK only; read
	// by the word loss, llink.WordLoss).
	Words []int
}

// StageBConfig holds Stage B's (and the direct fine-tuning baseline's)
// optimisation settings. [DefaultStageB] gives the paper's values.
type StageBConfig struct {
	Steps      int     `json:"steps"`
	Batch      int     `json:"batch"`
	WarmupFrac float32 `json:"warmup_frac"`
	LRLoRA     float32 `json:"lr_lora"`
	LRSlots    float32 `json:"lr_slots"` // adapter and expander
	// ResamplerLR is the token-level slots' resampler's learning rate as a
	// fraction of LRSlots (0 means 1).
	ResamplerLR float32             `json:"resampler_lr,omitempty"`
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

// batchInput is a batch of examples (prompt+answer) right-padded, the
// flat positions whose next token is an answer token with those targets,
// and the flat slot rows in example order.
type batchInput struct {
	b                          llama.Batch
	predPos, targets, slotRows []int
}

// batchInputs packs examples into a batchInput.
func batchInputs(exs []Example, pad int) batchInput {
	seqs := make([][]int, len(exs))
	for i, e := range exs {
		seqs[i] = append(append([]int(nil), e.Prompt...), e.Answer...)
	}
	in := batchInput{b: llama.PadRight(seqs, pad)}
	for i, e := range exs {
		base := i * in.b.T
		for t := len(e.Prompt) - 1; t < len(seqs[i])-1; t++ {
			in.predPos = append(in.predPos, base+t)
			in.targets = append(in.targets, seqs[i][t+1])
		}
		for _, p := range e.SlotPos {
			in.slotRows = append(in.slotRows, base+p)
		}
	}
	return in
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

// answerCE records the mean cross-entropy of a batch's answer tokens given
// its input embeddings x [B, T, d].
func answerCE(tp *autograd.Tape, m *llama.Model, x *autograd.Var, in batchInput, rng *rand.Rand) *autograd.Var {
	h := m.ForwardTape(tp, x, in.b.Mask, rng)
	d := m.Config.Hidden
	rows := tp.Gather(tp.Reshape(h, h.Value.Len()/d, d), in.predPos)
	return tp.CrossEntropy(m.LogitsTape(tp, rows), in.targets, -100)
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

// exampleTokens stacks the token states of a batch (encoder width enc).
func exampleTokens(exs []Example, enc int) (*llink.Tokens, error) {
	rows := make([][]float32, len(exs))
	for i, e := range exs {
		rows[i] = e.Tok
	}
	return llink.StackTokens(rows, enc)
}

// TrainStageB trains the LLINK slots (scale, adapter, expander) and the
// decoder's LoRA parameters (lora, attached to m) on examples with slot
// positions, with the answer cross-entropy, the usage-enforcement hinge
// every Weights.UsageEvery steps and the slot-mean alignment terms. pad is
// any valid token id (padding is masked).
func TrainStageB(m *llama.Model, slots *llink.Slots, lora []*autograd.Var, exs []Example, pad int, c StageBConfig, log func(StepLog)) (StageBResult, error) {
	if slots == nil {
		return StageBResult{}, errors.New("train: stage B needs the slots")
	}
	d := m.Config.Hidden
	groups := []nn.ParamGroup{{Params: lora, LR: c.LRLoRA, WeightDecay: c.WeightDecay},
		{Params: append(slots.Adapter.Params(), slots.Expander.Params()...), LR: c.LRSlots, WeightDecay: c.WeightDecay},
		{Params: slots.Scale.Params(), LR: c.LRScale, WeightDecay: 0}}
	if rs := slots.Resampler.Params(); rs != nil {
		groups = append(groups, nn.ParamGroup{Params: rs, LR: c.LRSlots * cmp.Or(c.ResamplerLR, 1), WeightDecay: c.WeightDecay})
	}
	params := append(append([]*autograd.Var(nil), lora...), slots.Params()...)
	var bow *llink.BagOfWords
	if c.Weights.BagOfWords != 0 {
		// The optional head trains with the adapter/expander learning rate;
		// it only shapes the slot mean and is dropped after training.
		bow = llink.NewBagOfWords(d, m.Config.VocabSize, rand.New(rand.NewPCG(c.Seed, 0xB0E)))
		groups[1].Params = append(groups[1].Params, bow.Params()...)
		params = append(params, bow.Params()...)
	}
	k, w := slots.Expander.K, c.Weights
	var emb *tensor.Tensor
	if w.Words != 0 {
		emb = m.Emb.Float32()
	}
	loss := func(tp *autograd.Tape, step int, batch []Example, in batchInput, rng *rand.Rand) (loss, ce *autograd.Var, err error) {
		if len(in.slotRows) != len(batch)*k {
			return nil, nil, fmt.Errorf("train: stage B step %d: %d slot positions for %d examples of K=%d", step, len(in.slotRows), len(batch), k)
		}
		v, h, err := exampleVecs(batch, d)
		if err != nil {
			return nil, nil, err
		}
		var tok *llink.Tokens
		if slots.ReadsTokens() {
			if tok, err = exampleTokens(batch, slots.TokenWidth()); err != nil {
				return nil, nil, fmt.Errorf("train: stage B step %d: %w", step, err)
			}
		}
		x := m.EmbedTape(in.b.IDs, in.b.B, in.b.T)
		s := slots.Forward(tp, autograd.Const(v), tok)
		ce = answerCE(tp, m, tp.ScatterRows(x, s, in.slotRows), in, rng)
		loss = ce
		if w.Usage != 0 && w.UsageEvery > 0 && step%w.UsageEvery == w.UsageEvery-1 {
			var ceZero float32
			func() {
				defer tp.NoGrad()()
				ceZero = answerCE(tp, m, x, in, nil).Item()
			}()
			loss = tp.Add(loss, tp.Scale(llink.UsageLoss(tp, ce, ceZero, w.Margin), w.Usage))
		}
		if w.AlignMSE != 0 || w.AlignNCE != 0 {
			loss = tp.Add(loss, llink.SlotAlignLoss(tp, s, h, w.AlignMSE, w.AlignNCE, w.AlignTau))
		}
		if emb != nil {
			words := make([][]int, len(batch))
			for i, e := range batch {
				words[i] = e.Words
			}
			loss = tp.Add(loss, tp.Scale(llink.WordLoss(tp, s, emb, words), w.Words))
		}
		if bow != nil {
			answers := make([][]int, len(batch))
			for i, e := range batch {
				answers[i] = e.Answer
			}
			loss = tp.Add(loss, tp.Scale(bow.Loss(tp, s, answers), w.BagOfWords))
		}
		return loss, ce, nil
	}
	return decoderLoop("stage B", exs, pad, groups, params, c, loss, log)
}

// TrainDirectFT trains the direct fine-tuning baseline: the decoder's LoRA
// parameters (lora, attached to m) on raw-text examples, answer
// cross-entropy only, with Stage B's loop and settings.
func TrainDirectFT(m *llama.Model, lora []*autograd.Var, exs []Example, pad int, c StageBConfig, log func(StepLog)) (StageBResult, error) {
	groups := []nn.ParamGroup{{Params: lora, LR: c.LRLoRA, WeightDecay: c.WeightDecay}}
	loss := func(tp *autograd.Tape, _ int, _ []Example, in batchInput, rng *rand.Rand) (*autograd.Var, *autograd.Var, error) {
		ce := answerCE(tp, m, m.EmbedTape(in.b.IDs, in.b.B, in.b.T), in, rng)
		return ce, ce, nil
	}
	return decoderLoop("direct FT", exs, pad, groups, lora, c, loss, log)
}

// stepLoss returns a training step's loss and its answer cross-entropy.
type stepLoss func(tp *autograd.Tape, step int, batch []Example, in batchInput, rng *rand.Rand) (loss, ce *autograd.Var, err error)

// decoderLoop is the optimisation loop of Stage B and direct fine-tuning:
// length-bucketed batches, AdamW with warm-up then linear decay, gradient
// clipping, finiteness checks and resumable checkpoints.
func decoderLoop(name string, exs []Example, pad int, groups []nn.ParamGroup, params []*autograd.Var, c StageBConfig, lossOf stepLoss, log func(StepLog)) (StageBResult, error) {
	var res StageBResult
	if err := c.Validate(); err != nil {
		return res, err
	}
	if len(exs) == 0 {
		return res, fmt.Errorf("train: %s: no training examples", name)
	}
	if len(params) == 0 {
		return res, fmt.Errorf("train: %s: nothing to train", name)
	}
	grouped := map[*autograd.Var]bool{}
	for _, g := range groups {
		for _, p := range g.Params {
			grouped[p] = true
		}
	}
	for _, p := range params {
		if !grouped[p] {
			return res, fmt.Errorf("train: %s: parameter %s has no learning rate (in no optimiser group)", name, p.Name)
		}
	}
	start := time.Now()
	opt := nn.NewAdamW(groups, 0.9, 0.999, 1e-8)
	opt.Schedule = nn.WarmupLinear(int(c.WarmupFrac*float32(c.Steps)), c.Steps)
	src := rand.NewPCG(c.Seed, 0xB0B)
	rng := rand.New(src)
	tp := autograd.NewTape()
	bs := min(c.Batch, len(exs))
	order, pos, first := epochOrder(rng, exs, bs), 0, 0
	ck := &c.Checkpoint
	data, settings := examplesFingerprint(exs), SettingsOf(c)
	if ck.enabled() && ck.Resume {
		if _, err := os.Stat(ck.Path); err == nil {
			st, _, err := LoadState(ck.Path, params, opt)
			if err != nil {
				return res, err
			}
			if err := firstErr(st.Resumes(data, settings), st.Check(len(exs), bs, c.Steps), src.UnmarshalBinary(st.RNG)); err != nil {
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
		tp.Reset()
		autograd.ZeroGrad(params)
		loss, ce, err := lossOf(tp, step, batch, batchInputs(batch, pad), rng)
		if err != nil {
			return res, err
		}
		if err := nn.CheckFinite(loss, nil); err != nil {
			return res, fmt.Errorf("train: %s step %d: %w", name, step, err)
		}
		tp.Backward(loss)
		if err := checkGrads(params); err != nil {
			return res, fmt.Errorf("train: %s step %d: %w", name, step, err)
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
			st := LoopState{Step: step + 1, Pos: pos, Order: order, RNG: pcgState(src), Data: data, Settings: settings}
			if err := SaveState(ck.Path, params, opt, st, nil); err != nil {
				return res, err
			}
		}
		if stop && !last {
			return res, fmt.Errorf("train: %s stopped after step %d, checkpoint in %s (rerun with resume to continue): %w", name, step+1, ck.Path, ErrInterrupted)
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// examplesFingerprint identifies a loop's training examples for its
// checkpoints ([LoopState.Data]).
func examplesFingerprint(exs []Example) string {
	var vals []any
	for _, e := range exs {
		vals = append(vals, e.Prompt, e.Answer, e.SlotPos, e.V, e.H, e.Tok, e.Words)
	}
	return Fingerprint(vals...)
}
