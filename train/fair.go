package train

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/train/eval"
)

// FairOptions selects the rows [Stages.Fair] runs.
type FairOptions struct {
	Rows []string
	// Projector, when set, is the Stage A projector the slot rows use;
	// nil trains one.
	Projector *llink.Projector
}

// Fair trains what the selected rows need — one Stage A shared by the slot
// rows, Stage B with and without the copy channel, each fine-tuned control
// — all with Stage B's steps, batch and schedule and each at its own
// learning-rate factor (PipelineConfig.LRFactor), and evaluates every row on
// the test tasks (no layer analysis). Rows come back in [FairRows] order.
func (s *Stages) Fair(o FairOptions) ([]MethodResult, error) {
	for _, r := range o.Rows {
		if _, _, err := rowForm(r, 1); err != nil {
			return nil, err
		}
	}
	if err := checkLRFactors(s.p.c.LRFactor); err != nil {
		return nil, err
	}
	want := func(r string) bool { return slices.Contains(o.Rows, r) }
	proj := o.Projector
	if proj == nil && (want(RowStageAOnly) || want(RowLLINK) || want(RowLLINKNoCopy)) {
		var err error
		if proj, err = s.StageA(); err != nil {
			return nil, err
		}
	}
	var ms []Method
	bundle := &llink.Bundle{Projector: proj}
	for _, row := range FairRows {
		if !want(row) {
			continue
		}
		var lora llama.Adapters
		var b *llink.Bundle
		switch row {
		case RowFT, RowFTCopy, RowFTCopyPairs, RowCopyOnly:
			ctl, err := s.TrainControl(row)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", row, err)
			}
			lora = ctl.LoRA
		case RowLLINK, RowLLINKNoCopy:
			var err error
			copyOn := row == RowLLINK
			if b, err = s.withConfig(func(c *PipelineConfig) { c.Slots.CopyChannel = copyOn }).StageB(proj); err != nil {
				return nil, fmt.Errorf("%s: %w", row, err)
			}
			if lora, err = b.Adapters(s.p.m.Dec.Model); err != nil {
				return nil, fmt.Errorf("%s LoRA: %w", row, err)
			}
			bundle = b
		}
		m, err := s.method(row, lora, b)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	ev := s.withConfig(func(c *PipelineConfig) { c.SkipLayers = true })
	start := len(s.p.res.Methods)
	if _, err := ev.EvaluateMethods(bundle, ms); err != nil {
		return nil, err
	}
	return slices.Clone(s.p.res.Methods[start:]), nil
}

// FairSlice is one slice of the test tasks: n consecutive tasks.
type FairSlice struct {
	Name, About string
	N           int
}

// FairSeedRuns splits one seed's rows (evaluated on the slices' tasks back
// to back) into one [eval.SliceRun] per slice holding that seed's run:
// every method's per-question scores, prompt tokens and (on the first
// slice) km→en retrieval.
func FairSeedRuns(seed uint64, slicesOf []FairSlice, rows []MethodResult) ([]eval.SliceRun, error) {
	out := make([]eval.SliceRun, len(slicesOf))
	lo := 0
	for si, sl := range slicesOf {
		hi := lo + sl.N
		run := eval.SeedRun{Seed: seed}
		for ri, r := range rows {
			if len(r.Answers) < hi {
				return nil, fmt.Errorf("train: %s has %d answers, the slices need %d", r.Method, len(r.Answers), hi)
			}
			kinds, outs, refs := make([]string, sl.N), make([]string, sl.N), make([]string, sl.N)
			for i, a := range r.Answers[lo:hi] {
				kinds[i], outs[i], refs[i] = a.Kind, a.Output, a.Reference
			}
			if ri == 0 {
				run.Kinds = kinds
			}
			ms, err := eval.ScoreAnswers(r.Method, kinds, outs, refs)
			if err != nil {
				return nil, err
			}
			ms.PromptTokens = r.PromptTokens
			if si == 0 && r.KmToEn != nil {
				ret := *r.KmToEn
				ret.Ranks = nil
				ms.Retrieval = &ret
			}
			run.Methods = append(run.Methods, ms)
		}
		out[si] = eval.SliceRun{Name: sl.Name, About: sl.About, Seeds: []eval.SeedRun{run}}
		lo = hi
	}
	return out, nil
}

// FairSettings records the settings every row shares, and each trained
// row's learning-rate factor, for the record.
func FairSettings(c PipelineConfig) map[string]string {
	s := map[string]string{
		"stage_a_steps":  strconv.Itoa(c.StageA.Steps),
		"stage_b_steps":  strconv.Itoa(c.StageB.Steps),
		"stage_b_batch":  strconv.Itoa(c.StageB.Batch),
		"warmup_frac":    strconv.FormatFloat(float64(c.StageB.WarmupFrac), 'g', 4, 32),
		"lr_lora":        strconv.FormatFloat(float64(c.StageB.LRLoRA), 'g', 4, 32),
		"lr_slots":       strconv.FormatFloat(float64(c.StageB.LRSlots), 'g', 4, 32),
		"lr_scale":       strconv.FormatFloat(float64(c.StageB.LRScale), 'g', 4, 32),
		"lora":           fmt.Sprintf("rank %d, alpha %g, dropout %g", c.LoRA.Rank, c.LoRA.Alpha, c.LoRA.Dropout),
		"k":              strconv.Itoa(c.Slots.K),
		"encoder_pool":   c.Slots.EncoderPool,
		"slot_input":     cmp.Or(c.Slots.SlotInput, llink.SlotsPooled),
		"max_new_tokens": strconv.Itoa(c.MaxNew),
	}
	if c.Slots.WordsPerSegment > 1 {
		s["words_per_segment"] = strconv.Itoa(c.Slots.WordsPerSegment)
	}
	if c.Slots.LexicalHidden > 0 {
		s["lexical_hidden"] = strconv.Itoa(c.Slots.LexicalHidden)
	}
	if c.Slots.DynamicK() {
		s["tokens_per_segment"] = strconv.Itoa(c.Slots.TokensPerSegment)
		s["min_k"] = strconv.Itoa(c.Slots.SlotsFor(1))
	}
	if c.SlotPairs {
		s["slot_pairs"] = "true"
	}
	for _, r := range TrainedRows {
		s["lr_factor "+r] = strconv.FormatFloat(c.lrFactor(r), 'g', 4, 64)
	}
	return s
}
