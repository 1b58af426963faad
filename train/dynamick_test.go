package train

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
)

// dynamicSlots returns word slots with dynamic K (2 words per segment,
// one segment per 2 encoder tokens, at most 6 slots) on encoder width enc.
func dynamicSlots(enc, dec int) (llink.Config, *llink.Slots) {
	cfg := llink.DefaultConfig(enc, dec)
	cfg.K, cfg.SlotInput, cfg.WordsPerSegment, cfg.TokensPerSegment = 6, llink.SlotsWords, 2, 2
	return cfg, llink.NewSlots(cfg, 1, testutil.RNG(36))
}

// withDynamicK rewrites examples (with token states of width enc) so that
// each prompt carries its text's number of slot tokens under cfg's rule,
// as the pipeline builds them: [lead…, BOS, ask, <f0>…<fK_i-1>, ask].
func withDynamicK(t *testing.T, exs []Example, cfg llink.Config, enc int) []Example {
	t.Helper()
	out := make([]Example, len(exs))
	ks := map[int]bool{}
	for i, e := range exs {
		k := cfg.SlotsFor(len(e.Tok) / enc)
		ks[k] = true
		lead := r0(e)
		e.Prompt = append(slices.Clone(e.Prompt[:lead]), tBOS, tAsk)
		e.SlotPos = nil
		for j := range k {
			e.SlotPos = append(e.SlotPos, len(e.Prompt))
			e.Prompt = append(e.Prompt, 11+j)
		}
		e.Prompt = append(e.Prompt, tAsk)
		out[i] = e
	}
	if len(ks) < 2 {
		t.Fatalf("the examples' slot counts %v are not ragged enough for the test", ks)
	}
	return out
}

// r0 returns how many leading BOS tokens accumulationTask put before an
// example's prompt.
func r0(e Example) int { return e.SlotPos[0] - 2 }

// TestStageBDynamicKRows: a Stage B batch whose examples have different
// numbers of slots gives each example the next-token logits it gets alone,
// and its answer cross-entropy is the token-weighted mean of theirs — so
// the padding of prompts and slots leaks into nothing.
func TestStageBDynamicKRows(t *testing.T) {
	const enc = 16
	m := tinyDecoder(36)
	cfg, slots := dynamicSlots(enc, m.Config.Hidden)
	exs := withDynamicK(t, accumulationTask(6, enc), cfg, enc)
	st, _, _ := stageBStep(m, slots, nil, DefaultStageB())
	run := func(batch []Example) (logits *tensor.Tensor, ce float32, answers int) {
		tp := autograd.NewTape()
		in := batchInputs(batch, 0)
		s, counts, err := st.slots(tp, 1, batch, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) > 1 && counts == nil {
			t.Fatal("dynamic K gave no slot counts")
		}
		c, _ := st.answer(tp, in, s, counts, false, nil)
		x := tp.ScatterRows(m.EmbedTape(in.b.IDs, in.b.B, in.b.T), realSlots(tp, s, counts), in.slotRows)
		h := m.ForwardTape(tp, x, in.b.Mask, nil)
		d := m.Config.Hidden
		return m.LogitsTape(tp, tp.Gather(tp.Reshape(h, h.Value.Len()/d, d), in.predPos)).Value, c.Item(), len(in.targets)
	}
	all, ce, _ := run(exs)
	var row int
	var sum float64
	var tokens int
	for i := range exs {
		one, c, n := run(exs[i : i+1])
		v := one.Dim(1)
		got := all.Data()[row*v:][:n*v]
		for j, w := range one.Data() {
			if math.Abs(float64(got[j]-w)) > 1e-4 {
				t.Fatalf("example %d (%d slots): logit %d is %g in the batch, %g alone", i, len(exs[i].SlotPos), j, got[j], w)
			}
		}
		row += n
		sum += float64(c) * float64(n)
		tokens += n
	}
	if want := sum / float64(tokens); math.Abs(float64(ce)-want) > 1e-5 {
		t.Fatalf("batch cross-entropy %.7g, token-weighted mean alone %.7g", ce, want)
	}
	// An example whose prompt has another number of slots than its text
	// gets is refused, naming it.
	bad := slices.Clone(exs)
	bad[2].SlotPos = bad[2].SlotPos[:len(bad[2].SlotPos)-1]
	if _, _, err := st.slots(autograd.NewTape(), 1, bad, batchInputs(bad, 0)); err == nil {
		t.Fatal("an example with a slot position missing was accepted")
	}
}

// TestStageBDynamicKTrains: Stage B with dynamic K on ragged examples runs
// and brings the answer cross-entropy down, and the word alignment runs on
// ragged texts.
func TestStageBDynamicKTrains(t *testing.T) {
	const enc = 16
	m := tinyDecoder(37)
	cfg, slots := dynamicSlots(enc, m.Config.Hidden)
	exs := withDynamicK(t, accumulationTask(48, enc), cfg, enc)
	lora := m.AddLoRA(llama.LoRAOptions{Rank: 4, Alpha: 4, Targets: []string{"q_proj", "v_proj"}}, testutil.RNG(38))
	c := DefaultStageB()
	c.Steps, c.Batch, c.LRLoRA, c.LRSlots, c.LRScale = 30, 8, 1e-2, 1e-2, 1e-2
	c.Weights.Words, c.Weights.UsageEvery = 0.5, 2
	var first, last float64
	if _, err := TrainStageB(m, slots, lora, exs, 0, c, func(l StepLog) {
		if l.Step == 1 {
			first = l.Loss
		}
		last = l.Loss
	}); err != nil {
		t.Fatal(err)
	}
	if !(last < first) {
		t.Fatalf("loss %.4f → %.4f", first, last)
	}
	rows := make([][]float32, len(exs))
	words := make([][]int, len(exs))
	for i, e := range exs {
		rows[i], words[i] = e.Tok, e.Words
	}
	tok, err := llink.StackTokens(rows, enc)
	if err != nil {
		t.Fatal(err)
	}
	unit := llink.UnitRows(m.Emb.Float32())
	wc := WordAlignConfig{Steps: 5, Batch: 8, LR: 1e-2, Seed: 1}
	res, err := AlignWords(slots, tok, words, unit, tok, words, wc, nil)
	if err != nil || math.IsNaN(res.Final) || res.Recall <= 0 {
		t.Fatalf("word alignment on ragged texts: %+v (%v)", res, err)
	}
}

// TestDynamicKBundle: a bundle of dynamic-K slots records its rule, loads
// with it and answers as the trained model does, each text with its own
// number of slots; a fixed-K bundle's config does not name the rule (so
// it reads as before, and a bundle written before dynamic K loads as fixed
// K).
func TestDynamicKBundle(t *testing.T) {
	const enc = 16
	m := tinyDecoder(39)
	cfg, slots := dynamicSlots(enc, m.Config.Hidden)
	cfg.MinK = 4
	slots = llink.NewSlots(cfg, 1, testutil.RNG(40))
	exs := withDynamicK(t, accumulationTask(32, enc), cfg, enc)
	lopt := llama.LoRAOptions{Rank: 2, Alpha: 4, Targets: []string{"q_proj", "v_proj"}}
	lora := m.AddLoRA(lopt, testutil.RNG(41))
	c := DefaultStageB()
	c.Steps, c.Batch, c.LRLoRA, c.LRSlots = 10, 8, 1e-2, 1e-2
	if _, err := TrainStageB(m, slots, lora, exs, 0, c, nil); err != nil {
		t.Fatal(err)
	}
	b := &llink.Bundle{Config: cfg, LoRA: lopt, Projector: llink.NewProjector(cfg, testutil.RNG(42)), Slots: slots, LoRAParams: lora,
		BaseVocab: m.Config.VocabSize, DecoderID: "tiny-dec", EncoderID: "tiny-enc"}
	path := filepath.Join(t.TempDir(), "llink.safetensors")
	if err := llink.SaveBundle(path, b, nil); err != nil {
		t.Fatal(err)
	}
	want := generate(t, m, slots, exs, 3, 8)
	fresh := tinyDecoder(39)
	lb, err := llink.LoadBundle(path, fresh, enc, "tiny-dec", "")
	if err != nil {
		t.Fatal(err)
	}
	if lb.Config != cfg {
		t.Fatalf("loaded config %+v, saved %+v", lb.Config, cfg)
	}
	set, err := lb.Adapters(fresh)
	if err != nil {
		t.Fatal(err)
	}
	fresh.UseLoRA(set)
	rows := make([][]float32, len(exs))
	for i, e := range exs {
		rows[i] = e.Tok
	}
	tok, err := llink.StackTokens(rows, enc)
	if err != nil {
		t.Fatal(err)
	}
	src := llink.Source{Tok: tok}
	if got, w := lb.Slots.SlotCounts(src), slots.SlotCounts(src); !slices.Equal(got, w) || slices.Min(got) != 4 {
		t.Fatalf("loaded slots count %v, trained %v (floor 4)", got, w)
	}
	if got := generate(t, fresh, lb.Slots, exs, 3, 8); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("loaded bundle generates %v, trained model %v", got, want)
	}
	fixed := cfg
	fixed.TokensPerSegment, fixed.MinK = 0, 0
	if js := mustJSON(t, fixed); strings.Contains(js, "tokens_per_segment") || strings.Contains(js, "min_k") {
		t.Fatalf("a fixed-K config names the dynamic-K rule: %s", js)
	}
}
