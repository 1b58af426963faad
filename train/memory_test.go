package train

import (
	"math"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
)

// accumulationTask is synthTask with prompts and answers of varied length
// (so micro-batches pad differently and hold different numbers of answer
// tokens), token states and English words.
func accumulationTask(n, enc int) []Example {
	r := testutil.RNG(31)
	exs := synthTask(r, tensor.RandN(r, 1, 4, 32), n)
	for i := range exs {
		e := &exs[i]
		lead := r.IntN(4)
		for range lead {
			e.Prompt = append([]int{tBOS}, e.Prompt...)
		}
		for j := range e.SlotPos {
			e.SlotPos[j] += lead
		}
		for range r.IntN(4) {
			e.Answer = append([]int{tClass0 + r.IntN(4)}, e.Answer...)
		}
		e.Tok = tensor.RandN(r, 1, (1+r.IntN(5))*enc).Data()
		e.Words = []int{4 + r.IntN(28), 4 + r.IntN(28), e.Answer[0]}
	}
	return exs
}

// TestMicroBatchSameStep checks that a step run in micro-batches of 1 and 3
// (uneven: 3+3+2) leaves the parameters where the whole batch of 8 does,
// for Stage B with the usage hinge on and off (UsageEvery 1; margin 10
// makes it active), the slot-mean alignment with its in-batch InfoNCE, the
// bag of words, token-level slots with the word loss, word slots with
// dynamic K (ragged slot counts) with the word loss and the masked
// slot-mean alignment, and direct fine-tuning.
func TestMicroBatchSameStep(t *testing.T) {
	const enc = 16
	exs := accumulationTask(40, enc)
	cases := []struct {
		name  string
		input string
		setup func(c *StageBConfig)
		ft    bool
		dyn   bool
	}{
		{name: "pooled, usage every step active", input: llink.SlotsPooled, setup: func(c *StageBConfig) { c.Weights.UsageEvery, c.Weights.Margin = 1, 10 }},
		{name: "pooled, usage every 2nd step, bag of words", input: llink.SlotsPooled, setup: func(c *StageBConfig) { c.Weights.UsageEvery, c.Weights.BagOfWords = 2, 0.1 }},
		{name: "tokens, word loss", input: llink.SlotsTokens, setup: func(c *StageBConfig) { c.Weights.Words, c.Weights.UsageEvery = 0.5, 2 }},
		{name: "words, dynamic K, word loss and slot-mean alignment", dyn: true, setup: func(c *StageBConfig) { c.Weights.Words, c.Weights.UsageEvery = 0.5, 2 }},
		{name: "direct fine-tuning", ft: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			train := func(micro int) ([]*autograd.Var, []StepLog) {
				m := tinyDecoder(32)
				lora := m.AddLoRA(llama.LoRAOptions{Rank: 4, Alpha: 4, Targets: []string{"q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"}}, testutil.RNG(33))
				c := DefaultStageB()
				c.Steps, c.Batch, c.MicroBatch, c.LRLoRA, c.LRSlots, c.LRScale = 4, 8, micro, 1e-2, 1e-2, 1e-2
				var logs []StepLog
				logf := func(l StepLog) { logs = append(logs, l) }
				if tc.ft {
					if _, err := TrainDirectFT(m, lora, exs, 0, c, logf); err != nil {
						t.Fatal(err)
					}
					return lora, logs
				}
				cfg := llink.DefaultConfig(enc, m.Config.Hidden)
				cfg.K, cfg.ExpHidden, cfg.SlotInput = tK, 64, tc.input
				slots := llink.NewSlots(cfg, 1, testutil.RNG(34))
				exs := exs
				if tc.dyn {
					cfg, slots = dynamicSlots(enc, m.Config.Hidden)
					exs = withDynamicK(t, exs, cfg, enc)
				}
				tc.setup(&c)
				res, err := TrainStageB(m, slots, lora, exs, 0, c, logf)
				if err != nil {
					t.Fatal(err)
				}
				if want := min(max(micro, 0), 8); micro > 0 && res.MicroBatch != want {
					t.Errorf("micro-batch %d reported as %d", micro, res.MicroBatch)
				}
				return append(lora, slots.Params()...), logs
			}
			wantP, wantLog := train(0)
			for _, micro := range []int{1, 3} {
				gotP, gotLog := train(micro)
				for i, p := range gotP {
					var diff, norm float64
					for j, v := range p.Data() {
						w := float64(wantP[i].Data()[j])
						diff += (float64(v) - w) * (float64(v) - w)
						norm += w * w
					}
					if rel := math.Sqrt(diff / norm); !(rel <= 1e-5) {
						t.Errorf("micro-batch %d: %s differs from the whole batch's by %.2g relative", micro, p.Name, rel)
					}
				}
				for i, l := range gotLog {
					w := wantLog[i]
					if math.Abs(l.Loss-w.Loss) > 1e-5*math.Abs(w.Loss) || math.Abs(l.Norm-w.Norm) > 1e-4*w.Norm {
						t.Errorf("micro-batch %d step %d: loss %.7g norm %.7g, whole batch %.7g %.7g", micro, l.Step, l.Loss, l.Norm, w.Loss, w.Norm)
					}
				}
			}
		})
	}
}

func TestFitMicroBatch(t *testing.T) {
	for _, tc := range []struct {
		budget, fixed, per int64
		batch, want        int
	}{
		{budget: 100, fixed: 20, per: 10, batch: 16, want: 8},
		{budget: 100, fixed: 20, per: 10, batch: 4, want: 4},
		{budget: 100, fixed: 20, per: 80, batch: 16, want: 1},
		{budget: 100, fixed: 20, per: 81, batch: 16, want: 0},
		{budget: 100, fixed: 120, per: 1, batch: 16, want: 0},
	} {
		got, err := FitMicroBatch(tc.budget, tc.fixed, tc.per, tc.batch)
		if tc.want == 0 {
			if err == nil || !strings.Contains(err.Error(), "does not fit a micro-batch of one example") {
				t.Errorf("%+v: got %d, %v; want the error", tc, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%+v: got %d, %v; want %d", tc, got, err, tc.want)
		}
	}
}

// TestStageBMemoryBudget checks the loop's use of a memory budget: one
// that cannot hold the process is refused with the error and an ample one
// runs the whole batch at once and leaves the runtime's memory limit as it
// was.
func TestStageBMemoryBudget(t *testing.T) {
	exs := accumulationTask(24, 16)
	run := func(budget int64) (StageBResult, error) {
		m := tinyDecoder(32)
		lora := m.AddLoRA(llama.LoRAOptions{Rank: 4, Alpha: 4, Targets: []string{"q_proj", "v_proj"}}, testutil.RNG(33))
		cfg := llink.DefaultConfig(16, m.Config.Hidden)
		cfg.K, cfg.ExpHidden = tK, 64
		slots := llink.NewSlots(cfg, 1, testutil.RNG(34))
		c := DefaultStageB()
		c.Steps, c.Batch, c.Memory = 1, 8, budget
		return TrainStageB(m, slots, lora, exs, 0, c, nil)
	}
	if _, err := run(1 << 20); err == nil || !strings.Contains(err.Error(), "does not fit a micro-batch of one example") {
		t.Fatalf("a 1 MiB budget: %v, want the error", err)
	}
	limit := debug.SetMemoryLimit(-1)
	res, err := run(1 << 40)
	if err != nil || res.MicroBatch != 8 {
		t.Fatalf("a 1 TiB budget: micro-batch %d, %v; want the whole batch of 8", res.MicroBatch, err)
	}
	if after := debug.SetMemoryLimit(-1); after != limit {
		t.Errorf("the runtime's memory limit is %d after training, %d before", after, limit)
	}
}

// TestActivationsEstimate checks the memory budget's estimate against the
// arena a real step uses: micro-batches of n examples (with the usage
// hinge's second forward and the slot terms) stay under n times the
// estimate for one example, and not far under it.
func TestActivationsEstimate(t *testing.T) {
	exs := accumulationTask(24, 16)
	m := tinyDecoder(32)
	lora := m.AddLoRA(llama.LoRAOptions{Rank: 4, Alpha: 4, Targets: []string{"q_proj", "v_proj", "down_proj"}}, testutil.RNG(33))
	cfg := llink.DefaultConfig(16, m.Config.Hidden)
	cfg.K, cfg.ExpHidden, cfg.SlotInput = tK, 64, llink.SlotsTokens
	c := DefaultStageB()
	c.Weights.Words = 0.5
	st, _, params := stageBStep(m, llink.NewSlots(cfg, 1, testutil.RNG(34)), lora, c)
	perExample, slotTerms, err := st.activations(exs, 0, params)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 3, 8} {
		tp := autograd.NewTape()
		if _, _, err := st.accumulate(tp, c.Weights.UsageEvery-1, n, 0, exs[:n], params, nil); err != nil {
			t.Fatal(err)
		}
		used, est := int64(tp.Arena().Bytes()), int64(n)*(perExample+slotTerms)
		t.Logf("micro-batch %d: arena %d bytes, estimate %d", n, used, est)
		if used > est || 4*used < est {
			t.Errorf("micro-batch %d: arena %d bytes, estimate %d (want arena ≤ estimate ≤ 4× arena)", n, used, est)
		}
	}
}
