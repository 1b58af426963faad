package train

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
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
	ResamplerLR float32 `json:"resampler_lr,omitempty"`
	// LexicalLR is word slots' lexical map's learning rate as a fraction
	// of LRSlots (0 means DefaultLexicalLR): the map arrives aligned by
	// the word alignment, and Stage B only adjusts it.
	LexicalLR   float32             `json:"lexical_lr,omitempty"`
	LRScale     float32             `json:"lr_scale"`
	WeightDecay float32             `json:"weight_decay"`
	Clip        float32             `json:"clip"`
	Weights     llink.StageBWeights `json:"weights"`
	Seed        uint64              `json:"seed"`
	Checkpoint  Checkpointing       `json:"checkpoint"`
	// MicroBatch splits each step's batch into forward and backward passes
	// of this many examples whose gradients add up to the whole batch's
	// (0: the whole batch at once); the step is the same, its memory is a
	// micro-batch's.
	MicroBatch int `json:"micro_batch,omitempty"`
	// Memory, when MicroBatch is 0, is a budget in bytes for the training
	// process: the largest micro-batch whose measured activations fit it
	// beside what the process holds is used ([FitMicroBatch]).
	Memory int64 `json:"memory,omitempty"`
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
	case c.MicroBatch < 0 || c.Memory < 0:
		return fmt.Errorf("train: negative micro-batch %d or memory budget %d", c.MicroBatch, c.Memory)
	}
	return nil
}

// DefaultLexicalLR is [StageBConfig.LexicalLR]'s default, chosen on the
// dev split (docs/EXPERIMENTS.md).
const DefaultLexicalLR = 0.1

// StageBResult reports a Stage B (or direct fine-tuning) run.
type StageBResult struct {
	Final      float64 // last answer cross-entropy
	Elapsed    time.Duration
	MicroBatch int // examples per forward and backward pass
}

// sameStep returns c without the settings that change how a step is
// computed but not the step (micro-batch, memory budget): a run may resume
// with other values of these.
func (c StageBConfig) sameStep() StageBConfig {
	c.MicroBatch, c.Memory = 0, 0
	return c
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

// slotsOf returns text i's number of slots: counts[i], or k when counts
// is nil (every text has K).
func slotsOf(counts []int, i, k int) int {
	if counts == nil {
		return k
	}
	return counts[i]
}

// realSlots returns the slots [N, K, d] that examples use — example i's
// first counts[i] — as rows in example order, [Σ counts, d]: the rows
// batchInput.slotRows lists.
func realSlots(tp *autograd.Tape, s *autograd.Var, counts []int) *autograd.Var {
	sh := s.Shape()
	var rows []int
	for i, k := range counts {
		for j := range k {
			rows = append(rows, i*sh[1]+j)
		}
	}
	return tp.Gather(tp.Reshape(s, sh[0]*sh[1], sh[2]), rows)
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
	st, groups, params := stageBStep(m, slots, lora, c)
	return decoderLoop(exs, pad, groups, params, c, st, log)
}

// stageBStep returns Stage B's loss, its optimiser groups and the
// parameters it trains.
func stageBStep(m *llama.Model, slots *llink.Slots, lora []*autograd.Var, c StageBConfig) (decoderStep, []nn.ParamGroup, []*autograd.Var) {
	d := m.Config.Hidden
	groups := []nn.ParamGroup{{Params: lora, LR: c.LRLoRA, WeightDecay: c.WeightDecay},
		{Params: append(slots.Adapter.Params(), slots.Expander.Params()...), LR: c.LRSlots, WeightDecay: c.WeightDecay},
		{Params: slots.Scale.Params(), LR: c.LRScale, WeightDecay: 0}}
	if slots.Lexical != nil {
		groups[1].Params, groups[1].LR = slots.LexicalParams(), c.LRSlots*cmp.Or(c.LexicalLR, DefaultLexicalLR)
	}
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
		emb = llink.UnitRows(m.Emb.Float32())
	}
	st := decoderStep{name: "stage B", m: m, usage: w.Usage, margin: w.Margin, usageEvery: w.UsageEvery}
	st.slots = func(tp *autograd.Tape, step int, batch []Example, in batchInput) (*autograd.Var, []int, error) {
		v, _, err := exampleVecs(batch, d)
		if err != nil {
			return nil, nil, err
		}
		var tok *llink.Tokens
		if slots.ReadsTokens() {
			if tok, err = exampleTokens(batch, slots.TokenWidth()); err != nil {
				return nil, nil, fmt.Errorf("train: stage B step %d: %w", step, err)
			}
		}
		counts := slots.SlotCounts(llink.Source{Tok: tok})
		for i, e := range batch {
			if ki := slotsOf(counts, i, k); len(e.SlotPos) != ki {
				return nil, nil, fmt.Errorf("train: stage B step %d: example %d has %d slot positions, its text %d slots (K=%d)", step, i, len(e.SlotPos), ki, k)
			}
		}
		return slots.Forward(tp, autograd.Const(v), tok), counts, nil
	}
	if w.AlignMSE != 0 || w.AlignNCE != 0 || emb != nil || bow != nil {
		st.slotTerms = func(tp *autograd.Tape, loss, s *autograd.Var, counts []int, batch []Example) *autograd.Var {
			add := func(t *autograd.Var) {
				if loss == nil {
					loss = t
				} else {
					loss = tp.Add(loss, t)
				}
			}
			if w.AlignMSE != 0 || w.AlignNCE != 0 {
				_, h, _ := exampleVecs(batch, d) // checked by st.slots
				add(llink.SlotAlignLoss(tp, s, counts, h, w.AlignMSE, w.AlignNCE, w.AlignTau))
			}
			if emb != nil {
				words := make([][]int, len(batch))
				for i, e := range batch {
					words[i] = e.Words
				}
				add(tp.Scale(llink.WordLoss(tp, s, counts, emb, words), w.Words))
			}
			if bow != nil {
				answers := make([][]int, len(batch))
				for i, e := range batch {
					answers[i] = e.Answer
				}
				add(tp.Scale(bow.Loss(tp, s, counts, answers), w.BagOfWords))
			}
			return loss
		}
	}
	return st, groups, params
}

// TrainDirectFT trains the direct fine-tuning baseline: the decoder's LoRA
// parameters (lora, attached to m) on raw-text examples, answer
// cross-entropy only, with Stage B's loop and settings.
func TrainDirectFT(m *llama.Model, lora []*autograd.Var, exs []Example, pad int, c StageBConfig, log func(StepLog)) (StageBResult, error) {
	groups := []nn.ParamGroup{{Params: lora, LR: c.LRLoRA, WeightDecay: c.WeightDecay}}
	return decoderLoop(exs, pad, groups, lora, c, decoderStep{name: "direct FT", m: m}, log)
}

// decoderStep is the loss of a Stage B or direct fine-tuning step, in the
// parts that let a batch run whole or in micro-batches: the answer
// cross-entropy through the decoder (a mean over the batch's answer
// tokens), the usage hinge on it, and the terms that read only the slots.
type decoderStep struct {
	name string // for errors: "stage B", "direct FT"
	m    *llama.Model
	// slots returns a batch's slot vectors [N, K, d] and, with dynamic K,
	// each example's number of them (its first ones; nil: K each); nil for
	// raw-text fine-tuning.
	slots func(tp *autograd.Tape, step int, batch []Example, in batchInput) (*autograd.Var, []int, error)
	// slotTerms adds to loss (nil: zero) the terms that read the slots
	// only (slot-mean alignment, word loss, bag of words); nil when there
	// are none.
	slotTerms     func(tp *autograd.Tape, loss, s *autograd.Var, counts []int, batch []Example) *autograd.Var
	usage, margin float32
	usageEvery    int
}

// usageStep reports whether step carries the usage hinge.
func (st decoderStep) usageStep(step int) bool {
	return st.usage != 0 && st.usageEvery > 0 && step%st.usageEvery == st.usageEvery-1
}

// answer returns the answer cross-entropy of in with the slot vectors s
// (nil: none; with counts, example i's first counts[i]) spliced in and,
// with zero, its value with the slot positions holding their plain
// embeddings (no graph: the usage hinge's constant).
func (st decoderStep) answer(tp *autograd.Tape, in batchInput, s *autograd.Var, counts []int, zero bool, rng *rand.Rand) (ce *autograd.Var, ceZero float32) {
	x := st.m.EmbedTape(in.b.IDs, in.b.B, in.b.T)
	if s != nil {
		if counts != nil {
			s = realSlots(tp, s, counts)
		}
		ce = answerCE(tp, st.m, tp.ScatterRows(x, s, in.slotRows), in, rng)
	} else {
		ce = answerCE(tp, st.m, x, in, rng)
	}
	if zero {
		defer tp.NoGrad()()
		ceZero = answerCE(tp, st.m, x, in, nil).Item()
	}
	return ce, ceZero
}

// run runs a step's forward and backward passes on batch, whole or in
// micro-batches of mb examples ([decoderStep.accumulate]), leaving the
// step's gradient in params', and returns its loss and answer
// cross-entropy.
func (st decoderStep) run(tp *autograd.Tape, step, mb, pad int, batch []Example, params []*autograd.Var, rng *rand.Rand) (loss, ce float32, err error) {
	if mb < len(batch) {
		return st.accumulate(tp, step, mb, pad, batch, params, rng)
	}
	tp.Reset()
	in := batchInputs(batch, pad)
	var s *autograd.Var
	var counts []int
	if st.slots != nil {
		if s, counts, err = st.slots(tp, step, batch, in); err != nil {
			return 0, 0, err
		}
	}
	usage := st.usageStep(step)
	cv, ceZero := st.answer(tp, in, s, counts, usage, rng)
	lv := cv
	if usage {
		lv = tp.Add(lv, tp.Scale(llink.UsageLoss(tp, cv, ceZero, st.margin), st.usage))
	}
	if st.slotTerms != nil {
		lv = st.slotTerms(tp, lv, s, counts, batch)
	}
	tp.Backward(lv)
	return lv.Item(), cv.Item(), nil
}

// accumulate runs a step's forward and backward passes in micro-batches of
// mb examples, leaving in params' gradients what one backward pass over the
// whole batch leaves, and returns the step's loss and answer
// cross-entropy. Each micro-batch's cross-entropy is weighted by its share
// of the batch's answer tokens, so their sum is the batch's mean. The usage
// hinge max(0, m + CE − CE₀) is a function of the whole batch's means: its
// gradient is the indicator of a non-negative argument times the
// cross-entropy's, so once every micro-batch has run the cross-entropy
// gradient is scaled by 1 + λ_use when it is active. The slot terms read
// only the slots, not the decoder, so they run once over the whole batch
// (the slot-mean InfoNCE needs every example of the batch as negatives).
func (st decoderStep) accumulate(tp *autograd.Tape, step, mb, pad int, batch []Example, params []*autograd.Var, rng *rand.Rand) (loss, ce float32, err error) {
	tokens := 0
	for _, e := range batch {
		tokens += len(e.Answer)
	}
	usage := st.usageStep(step)
	var ceSum, zeroSum float64
	for lo := 0; lo < len(batch); lo += mb {
		micro := batch[lo:min(lo+mb, len(batch))]
		in := batchInputs(micro, pad)
		tp.Reset()
		var s *autograd.Var
		var counts []int
		if st.slots != nil {
			if s, counts, err = st.slots(tp, step, micro, in); err != nil {
				return 0, 0, err
			}
		}
		part, partZero := st.answer(tp, in, s, counts, usage, rng)
		share := float32(len(in.targets)) / float32(tokens)
		ceSum += float64(share * part.Item())
		zeroSum += float64(share * partZero)
		tp.Backward(tp.Scale(part, share))
	}
	ce = float32(ceSum)
	loss = ce
	if usage {
		if h := ce + (st.margin - float32(zeroSum)); h >= 0 { // autograd.Clamp's gradient is 1 on [0, ∞)
			loss += st.usage * h
			for _, p := range params {
				if p.Grad != nil {
					p.Grad.ScaleInPlace(1 + st.usage)
				}
			}
		}
	}
	if st.slotTerms != nil {
		tp.Reset()
		s, counts, err := st.slots(tp, step, batch, batchInputs(batch, pad))
		if err != nil {
			return 0, 0, err
		}
		t := st.slotTerms(tp, nil, s, counts, batch)
		loss += t.Item()
		tp.Backward(t)
	}
	return loss, ce, nil
}

// decoderLoop runs Stage B or direct fine-tuning as a [Loop]:
// length-bucketed batches, run whole or in micro-batches
// ([StageBConfig.MicroBatch], [StageBConfig.Memory]), AdamW with warm-up
// then linear decay.
func decoderLoop(exs []Example, pad int, groups []nn.ParamGroup, params []*autograd.Var, c StageBConfig, st decoderStep, log func(StepLog)) (StageBResult, error) {
	var res StageBResult
	if err := c.Validate(); err != nil {
		return res, err
	}
	name := st.name
	if len(exs) == 0 {
		return res, fmt.Errorf("train: %s: no training examples", name)
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
	bs := min(c.Batch, len(exs))
	mb := c.MicroBatch
	if mb == 0 && c.Memory > 0 {
		var err error
		if mb, err = st.fitMemory(c.Memory, exs, pad, bs, params); err != nil {
			return res, fmt.Errorf("train: %s: %w", name, err)
		}
	}
	if c.Memory > 0 {
		defer limitMemory(c.Memory)()
	}
	if mb <= 0 || mb > bs {
		mb = bs
	}
	res.MicroBatch = mb
	opt := nn.NewAdamW(groups, 0.9, 0.999, 1e-8)
	opt.Schedule = nn.WarmupLinear(int(c.WarmupFrac*float32(c.Steps)), c.Steps)
	src := rand.NewPCG(c.Seed, 0xB0B)
	rng := rand.New(src)
	tp := autograd.NewTape()
	loop := &Loop{Name: "train: " + name, Params: params, Opt: opt, Clip: c.Clip, Steps: c.Steps,
		Order: func() []int { return epochOrder(rng, exs, bs) }, Examples: len(exs), Batch: bs, RNG: src,
		Checkpoint: c.Checkpoint, Data: examplesFingerprint(exs), Settings: SettingsOf(c.sameStep())}
	loop.Step = func(step int, idx []int) (float32, error) {
		batch := make([]Example, len(idx))
		for i, j := range idx {
			batch[i] = exs[j]
		}
		loss, ce, err := st.run(tp, step, mb, pad, batch, params, rng)
		res.Final = float64(ce)
		return loss, err
	}
	loop.Log = func(l StepLog) error {
		if log != nil {
			log(l)
		}
		return nil
	}
	if err := loop.Run(); err != nil {
		return res, err
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
