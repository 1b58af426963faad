package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
)

// A synthetic LLINK task: the answer is one of four class tokens that only
// the injected vector reveals (the prompt tokens are the same for every
// class). A decoder can only solve it by reading the slots.
const (
	tBOS, tF0, tAsk, tEOT = 1, 2, 10, 3
	tClass0               = 20
	tK                    = 2
)

func synthTask(r *rand.Rand, protos *tensor.Tensor, n int) []Example {
	d := protos.Dim(1)
	exs := make([]Example, n)
	for i := range exs {
		c := r.IntN(protos.Dim(0))
		v := make([]float32, d)
		for j := range v {
			v[j] = protos.Row(c)[j] + 0.3*float32(r.NormFloat64())
		}
		exs[i] = Example{
			Prompt:  []int{tBOS, tAsk, tF0, tF0 + 1, tAsk},
			Answer:  []int{tClass0 + c, tEOT},
			SlotPos: []int{2, 3},
			V:       v,
			H:       protos.Row(c),
		}
	}
	return exs
}

func tinyDecoder(seed uint64) *llama.Model {
	c := llama.Tiny(32)
	c.Hidden, c.Intermediate, c.Layers, c.Heads, c.KVHeads, c.HeadDim = 32, 64, 2, 4, 2, 8
	m := llama.New(c, testutil.RNG(seed))
	// HF's std-0.02 init caps logits at ≈ ±0.6 for d=32 (|row|·|h| with
	// RMS-normed h), too flat for a confident answer: use unit-scale rows.
	m.Emb.W.ScaleInPlace(8)
	return m
}

// generate answers examples greedily through llink's injection path:
// the slot vectors of inj (nil: none) replace the embeddings at SlotPos.
func generate(t *testing.T, m *llama.Model, inj llink.Injector, exs []Example, maxNew, batch int) [][]int {
	t.Helper()
	in := make([]llink.Input, len(exs))
	d := m.Config.Hidden
	for i, e := range exs {
		in[i].Prompt = llink.Prompt{IDs: e.Prompt, SlotPos: e.SlotPos}
		if inj != nil && len(e.SlotPos) > 0 {
			src := llink.Source{V: tensor.FromSlice(e.V, 1, d)}
			if s, ok := inj.(*llink.Slots); ok && s.ReadsTokens() {
				var err error
				if src.Tok, err = llink.StackTokens([][]float32{e.Tok}, s.TokenWidth()); err != nil {
					t.Fatal(err)
				}
			}
			in[i].Vectors = inj.SlotVectors(src).Data()[:len(e.SlotPos)*d] // with dynamic K, the text's own slots
		}
	}
	gen, err := llink.GenerateIDs(m, in, 0, tEOT, maxNew, batch)
	if err != nil {
		t.Fatal(err)
	}
	return gen
}

func accuracy(t *testing.T, m *llama.Model, slots *llink.Slots, exs []Example) float64 {
	t.Helper()
	gen := generate(t, m, slots, exs, 2, 8)
	ok := 0
	for i, g := range gen {
		if len(g) == 1 && g[0] == exs[i].Answer[0] {
			ok++
		}
	}
	return float64(ok) / float64(len(exs))
}

func TestStageBLearnsToReadSlots(t *testing.T) {
	m := tinyDecoder(1)
	r := testutil.RNG(2)
	protos := tensor.RandN(r, 1, 4, m.Config.Hidden)
	trainSet, test := synthTask(r, protos, 256), synthTask(r, protos, 64)
	cfg := llink.DefaultConfig(m.Config.Hidden, m.Config.Hidden)
	cfg.K, cfg.ExpHidden = tK, 64
	slots := llink.NewSlots(cfg, 1, testutil.RNG(3))
	lora := m.AddLoRA(llama.LoRAOptions{Rank: 4, Alpha: 4, Targets: []string{"q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"}}, testutil.RNG(4))
	before := accuracy(t, m, slots, test)
	c := DefaultStageB()
	c.Steps, c.Batch, c.LRLoRA, c.LRSlots, c.LRScale = 300, 16, 1e-2, 1e-2, 1e-2
	var first, last StepLog
	res, err := TrainStageB(m, slots, lora, trainSet, 0, c, func(l StepLog) {
		if l.Step == 1 {
			first = l
		}
		last = l
	})
	if err != nil {
		t.Fatal(err)
	}
	after := accuracy(t, m, slots, test)
	t.Logf("accuracy %.2f → %.2f, loss %.3f → %.3f (CE %.3f) in %v", before, after, first.Loss, last.Loss, res.Final, res.Elapsed)
	if after < 0.9 {
		t.Fatalf("stage B did not learn to read the slots: test accuracy %.2f", after)
	}
	// The slots are used: replacing them by the plain <fi> embeddings hurts.
	in := batchInputs(test, 0)
	v, _, _ := exampleVecs(test, m.Config.Hidden)
	x := m.EmbedTape(in.b.IDs, in.b.B, in.b.T)
	withS := answerCE(nil, m, (*autograd.Tape)(nil).ScatterRows(x, autograd.Const(slots.SlotVectors(llink.Source{V: v})), in.slotRows), in, nil).Item()
	zero := answerCE(nil, m, x, in, nil).Item()
	if withS+1 > zero {
		t.Fatalf("CE with slots %.3f not well below CE without %.3f", withS, zero)
	}
}

func TestDirectFineTuneBaseline(t *testing.T) {
	// Without slots the class is not in the prompt: LoRA alone cannot beat
	// chance by much, but it must train (loss falls to the class entropy).
	m := tinyDecoder(5)
	r := testutil.RNG(6)
	exs := synthTask(r, tensor.RandN(r, 1, 4, m.Config.Hidden), 64)
	for i := range exs {
		exs[i].SlotPos, exs[i].V, exs[i].H = nil, nil, nil
	}
	lora := m.AddLoRA(llama.LoRAOptions{Rank: 4, Alpha: 4, Targets: []string{"q_proj", "v_proj"}}, testutil.RNG(7))
	c := DefaultStageB()
	c.Steps, c.Batch, c.LRLoRA = 150, 16, 1e-2
	var first float64
	res, err := TrainDirectFT(m, lora, exs, 0, c, func(l StepLog) {
		if l.Step == 1 {
			first = l.Loss
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// The answer is a class (entropy ln 4 ≈ 1.39 when the prompt does not
	// tell) then EOT (predictable): the mean CE floor is ≈ 0.69; from ≈ 5 at
	// the start it must at least halve.
	t.Logf("direct fine-tuning CE %.3f → %.3f", first, res.Final)
	if res.Final > first/2 || res.Final < 0.6 {
		t.Fatalf("direct fine-tuning loss %.3f → %.3f", first, res.Final)
	}
	if _, err := TrainDirectFT(m, nil, exs, 0, c, nil); err == nil {
		t.Fatal("nothing to train accepted")
	}
}

// TestStageBBagOfWords checks that the optional bag-of-words term joins the
// Stage B loss: the same first step with the head on reports the answer
// loss plus w·BCE, a positive amount more than with it off.
func TestStageBBagOfWords(t *testing.T) {
	firstLoss := func(w float32) float64 {
		m := tinyDecoder(1)
		r := testutil.RNG(2)
		protos := tensor.RandN(r, 1, 4, m.Config.Hidden)
		exs := synthTask(r, protos, 32)
		cfg := llink.DefaultConfig(m.Config.Hidden, m.Config.Hidden)
		cfg.K, cfg.ExpHidden = tK, 64
		slots := llink.NewSlots(cfg, 1, testutil.RNG(3))
		lora := m.AddLoRA(llama.LoRAOptions{Rank: 4, Alpha: 4, Targets: []string{"q_proj", "v_proj"}}, testutil.RNG(4))
		c := DefaultStageB()
		c.Steps, c.Batch = 2, 8
		c.Weights.BagOfWords = w
		var first float64
		if _, err := TrainStageB(m, slots, lora, exs, 0, c, func(s StepLog) {
			if s.Step == 1 {
				first = s.Loss
			}
		}); err != nil {
			t.Fatal(err)
		}
		return first
	}
	off, on := firstLoss(0), firstLoss(0.1)
	// BCE of a fresh head is about ln 2 per logit, so 0.1·BCE ≈ 0.07.
	if diff := on - off; diff < 0.02 || diff > 0.2 {
		t.Fatalf("first loss %v with the head, %v without: difference %v, want ≈ 0.07", on, off, diff)
	}
}

// TestLastHiddenBatchingInvariant checks that LastHidden's length-sorted
// batches give every sequence the hidden state it has when run alone.
func TestLastHiddenBatchingInvariant(t *testing.T) {
	m := tinyDecoder(3)
	r := testutil.RNG(4)
	seqs := make([][]int, 37) // more than two of LastHidden's batches of 16
	for i := range seqs {
		seqs[i] = make([]int, 1+r.IntN(40))
		for j := range seqs[i] {
			seqs[i][j] = 4 + r.IntN(m.Config.VocabSize-4)
		}
	}
	got := llink.LastHidden(m, seqs, 0)
	for i, s := range seqs {
		want := llink.LastHidden(m, [][]int{s}, 0)
		for j, w := range want.Row(0) {
			if g := got.Row(i)[j]; math.Abs(float64(g-w)) > 1e-4*(1+math.Abs(float64(w))) {
				t.Fatalf("sequence %d (length %d) dim %d: batched %g, alone %g", i, len(s), j, g, w)
			}
		}
	}
}

// TestEpochOrder checks the length-bucketed epoch order: a permutation of
// whole batches (each example at most once, the partial batch dropped),
// with far less padding than random batches, and seeded.
func TestEpochOrder(t *testing.T) {
	r := testutil.RNG(9)
	exs := make([]Example, 1000)
	for i := range exs {
		exs[i].Prompt = make([]int, 50+r.IntN(350))
		exs[i].Answer = []int{1}
	}
	const bs = 16
	padding := func(order []int) (pad int) {
		for lo := 0; lo+bs <= len(order); lo += bs {
			longest := 0
			for _, i := range order[lo : lo+bs] {
				longest = max(longest, len(exs[i].Prompt))
			}
			for _, i := range order[lo : lo+bs] {
				pad += longest - len(exs[i].Prompt)
			}
		}
		return pad
	}
	order := epochOrder(rand.New(rand.NewPCG(1, 2)), exs, bs)
	if len(order) != len(exs)/bs*bs {
		t.Fatalf("order has %d examples, want %d", len(order), len(exs)/bs*bs)
	}
	seen := map[int]bool{}
	for _, i := range order {
		if seen[i] || i < 0 || i >= len(exs) {
			t.Fatalf("example %d twice or out of range", i)
		}
		seen[i] = true
	}
	random := rand.New(rand.NewPCG(1, 2)).Perm(len(exs))
	if p, q := padding(order), padding(random); p*4 > q {
		t.Errorf("bucketed batches pad %d tokens, random ones %d: want at least 4x less", p, q)
	}
	if again := epochOrder(rand.New(rand.NewPCG(1, 2)), exs, bs); !slices.Equal(order, again) {
		t.Error("epoch order not reproducible from the seed")
	}
}

// TestStageBTokenSlots: when the class is carried by one encoder token at a
// random place in the text and the pooled Stage A vector knows nothing of
// it, token-level slots (resampler or segments) learn the task and the
// pooled path cannot.
func TestStageBTokenSlots(t *testing.T) {
	const enc = 16
	r := testutil.RNG(21)
	protos := tensor.RandN(r, 1.5, 4, enc)
	task := func(n int) []Example {
		exs := synthTask(r, tensor.RandN(r, 1, 4, 32), n)
		for i := range exs {
			c := exs[i].Answer[0] - tClass0
			exs[i].V = tensor.RandN(r, 1, 32).Data() // no class information
			length := 2 + r.IntN(5)
			at := r.IntN(length)
			tok := tensor.RandN(r, 0.3, length*enc).Data()
			for j := range enc {
				tok[at*enc+j] += protos.Row(c)[j]
			}
			exs[i].Tok = tok
		}
		return exs
	}
	trainSet, test := task(256), task(64)
	for _, input := range []string{llink.SlotsTokens, llink.SlotsSegments, llink.SlotsPooled} {
		m := tinyDecoder(22)
		cfg := llink.DefaultConfig(enc, m.Config.Hidden)
		cfg.K, cfg.ExpHidden, cfg.SlotInput = tK, 64, input
		slots := llink.NewSlots(cfg, 1, testutil.RNG(23))
		if input == llink.SlotsSegments {
			slots.Projector = llink.NewProjector(cfg, testutil.RNG(25)) // frozen, untrained
		}
		lora := m.AddLoRA(llama.LoRAOptions{Rank: 4, Alpha: 4, Targets: []string{"q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"}}, testutil.RNG(24))
		c := DefaultStageB()
		c.Steps, c.Batch, c.LRLoRA, c.LRSlots, c.LRScale = 300, 16, 1e-2, 1e-2, 1e-2
		c.Weights.AlignMSE, c.Weights.AlignNCE = 0, 0 // the teachers here are random
		if _, err := TrainStageB(m, slots, lora, trainSet, 0, c, nil); err != nil {
			t.Fatal(err)
		}
		acc := accuracy(t, m, slots, test)
		t.Logf("%s slots: test accuracy %.2f", input, acc)
		switch {
		case input != llink.SlotsPooled && acc < 0.9:
			t.Fatalf("%s slots did not learn to read the tokens: accuracy %.2f", input, acc)
		case input == llink.SlotsPooled && acc > 0.5:
			t.Fatalf("the pooled path reached %.2f on a class only the tokens carry: the task leaks", acc)
		}
	}
}

// BenchmarkDirectFTStep times one direct fine-tuning step at the default
// run's shape — the largest part of `go run ./cmd/llink`: the tiny decoder
// (d 256, 4 layers) with LLINK's LoRA, a batch of 16 raw-Khmer-length
// prompts (240–270 tokens) with 8-token answers, forward and backward
// (the optimiser step excluded), reporting tokens per second.
func BenchmarkDirectFTStep(b *testing.B) {
	m := llama.New(llama.Tiny(1760), testutil.RNG(1))
	lora := m.AddLoRA(LLINKLoRA(), testutil.RNG(2))
	r := testutil.RNG(3)
	batch := make([]Example, 16)
	tokens := 0
	for i := range batch {
		e := Example{Prompt: make([]int, 240+r.IntN(30)), Answer: make([]int, 8)}
		for j := range e.Prompt {
			e.Prompt[j] = r.IntN(1700)
		}
		for j := range e.Answer {
			e.Answer[j] = r.IntN(1700)
		}
		batch[i], tokens = e, tokens+len(e.Prompt)+len(e.Answer)
	}
	st, tp, rng := decoderStep{name: "direct FT", m: m}, autograd.NewTape(), testutil.RNG(4)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		autograd.ZeroGrad(lora)
		if _, _, err := st.run(tp, i, len(batch), 0, batch, lora, rng); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(tokens*b.N)/b.Elapsed().Seconds(), "tokens/s")
}
