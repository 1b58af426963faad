package train

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/train/eval"
)

// The rows of the fair comparison (docs/EVALUATION.md), in table order.
const (
	RowBase        = "base"
	RowBaseCopy    = "base + copy"
	RowFT          = "direct FT"
	RowFTCopy      = "direct FT + copy"
	RowCopyOnly    = "copy only"
	RowStageAOnly  = "Stage A only"
	RowLLINKNoCopy = "LLINK without copy"
	RowLLINK       = "LLINK"
)

// FairRows lists every row of the fair comparison in table order.
var FairRows = []string{RowBase, RowBaseCopy, RowFT, RowFTCopy, RowCopyOnly, RowStageAOnly, RowLLINKNoCopy, RowLLINK}

// FairControls are the rows that get the same information as LLINK (the
// copy channel's spans): the only rows a claim "LLINK beats X" is made
// against.
var FairControls = []string{RowBaseCopy, RowFTCopy, RowCopyOnly}

// TrainedRows are the rows that train decoder adapters with Stage B's
// budget; each gets its own learning rate (a factor of the defaults).
var TrainedRows = []string{RowFT, RowFTCopy, RowCopyOnly, RowLLINKNoCopy, RowLLINK}

// FairOptions selects the rows to run and each trained row's learning-rate
// factor (multiplying Stage B's rates; missing rows use 1).
type FairOptions struct {
	Rows     []string
	LRFactor map[string]float64
	// Projector, when set, is the Stage A projector the slot rows use;
	// nil trains one.
	Projector *llink.Projector
}

// lrFactor returns the row's learning-rate factor.
func (o FairOptions) lrFactor(row string) float64 {
	if f, ok := o.LRFactor[row]; ok {
		return f
	}
	return 1
}

// withConfig returns stages that share s's models, data and vectors but
// run with the settings edit makes (results are gathered in the same table).
func (s *Stages) withConfig(edit func(*PipelineConfig)) *Stages {
	p := *s.p
	edit(&p.c)
	t := *s
	t.p = &p
	return &t
}

// scaledLR scales every Stage B learning rate by f.
func scaledLR(f float64) func(*PipelineConfig) {
	return func(c *PipelineConfig) {
		c.StageB.LRLoRA *= float32(f)
		c.StageB.LRSlots *= float32(f)
		c.StageB.LRScale *= float32(f)
	}
}

// Fair trains what the selected rows need — one Stage A shared by the slot
// rows, Stage B with and without the copy channel, direct fine-tuning on
// each prompt form, all with Stage B's steps, batch and schedule and each at
// its own learning-rate factor — and evaluates every row on the test tasks
// (no layer analysis). Rows come back in [FairRows] order.
func (s *Stages) Fair(o FairOptions) ([]MethodResult, error) {
	for _, r := range o.Rows {
		if !slices.Contains(FairRows, r) {
			return nil, fmt.Errorf("train: unknown row %q (rows: %v)", r, FairRows)
		}
	}
	for r, f := range o.LRFactor {
		if !slices.Contains(TrainedRows, r) || !(f > 0) {
			return nil, fmt.Errorf("train: learning-rate factor %v for row %q (trained rows: %v, factor > 0)", f, r, TrainedRows)
		}
	}
	want := func(r string) bool { return slices.Contains(o.Rows, r) }
	c := s.p.c
	noCopy := func(pc *PipelineConfig) { pc.Slots.CopyChannel = false }
	withCopy := func(pc *PipelineConfig) { pc.Slots.CopyChannel = true }
	proj := o.Projector
	if proj == nil && (want(RowStageAOnly) || want(RowLLINK) || want(RowLLINKNoCopy)) {
		var err error
		if proj, err = s.StageA(); err != nil {
			return nil, err
		}
	}
	var ms []Method
	var bundle *llink.Bundle
	for _, row := range FairRows {
		if !want(row) {
			continue
		}
		m := Method{Name: row, LoRA: s.base}
		lr := scaledLR(o.lrFactor(row))
		switch row {
		case RowBase, RowBaseCopy:
			m.Form = llink.Form{Content: llink.Raw, Copy: row == RowBaseCopy}
			if row == RowBase {
				m.Query = DecoderState
			}
		case RowFT, RowFTCopy, RowCopyOnly:
			m.Form = llink.Form{Content: llink.Raw, Copy: row == RowFTCopy}
			m.Query = DecoderState
			if row == RowCopyOnly {
				m.Form, m.Query = llink.Form{Content: llink.Nothing, Copy: true}, NoRetrieval
			}
			set, _, err := s.withConfig(lr).DirectFT(m.Form)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", row, err)
			}
			m.LoRA = set
		case RowStageAOnly:
			one := llink.Form{Content: llink.SlotTokens, K: 1, Copy: true}
			m.Form, m.Inject, m.Query = one, llink.NewScale(s.gamma0(), c.Slots.Eps), Projection
		case RowLLINK, RowLLINKNoCopy:
			edit := withCopy
			if row == RowLLINKNoCopy {
				edit = noCopy
			}
			st := s.withConfig(edit).withConfig(lr)
			b, err := st.StageB(proj)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", row, err)
			}
			set, err := b.Adapters(s.p.m.Dec.Model)
			if err != nil {
				return nil, fmt.Errorf("%s LoRA: %w", row, err)
			}
			m.Form, m.LoRA, m.Inject, m.Query = st.p.c.Slots.Form(), set, b.Slots, SlotMean
			bundle = b
		}
		ms = append(ms, m)
	}
	if bundle == nil {
		bundle = &llink.Bundle{Projector: proj}
	}
	ev := s.withConfig(func(pc *PipelineConfig) { pc.SkipLayers = true })
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

// FairSettings records the settings every row shares, for the record.
func FairSettings(c PipelineConfig, o FairOptions) map[string]string {
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
		"max_new_tokens": strconv.Itoa(c.MaxNew),
	}
	for _, r := range TrainedRows {
		s["lr_factor "+r] = strconv.FormatFloat(o.lrFactor(r), 'g', 4, 64)
	}
	return s
}
