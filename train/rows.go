package train

import (
	"fmt"
	"slices"
	"strings"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
)

// The rows of the results table (docs/EVALUATION.md), in table order. Every
// row builds its prompts from one [llink.Form]; the rows differ only in the
// form, in what trains and in the retrieval query.
const (
	RowBase     = "base"             // raw Khmer, base decoder
	RowBaseCopy = "base + copy"      // raw Khmer + the copied spans, base decoder
	RowFT       = "direct FT"        // raw Khmer, LoRA fine-tuned on such prompts
	RowFTCopy   = "direct FT + copy" // raw Khmer + copied spans, LoRA fine-tuned on such prompts
	// RowFTCopyPairs is direct FT + copy that also learns from Stage A's
	// parallel pairs: one epoch of translating them before its tasks.
	RowFTCopyPairs = "direct FT + copy + pairs"
	RowCopyOnly    = "copy only"          // the copied spans alone, LoRA fine-tuned on such prompts
	RowStageAOnly  = "Stage A only"       // one slot (the Stage A vector) + copied spans, base decoder
	RowLLINKNoCopy = "LLINK without copy" // K slots, Stage B
	RowLLINK       = "LLINK"              // K slots + copied spans, Stage B
)

// FairRows lists every row in table order.
var FairRows = []string{RowBase, RowBaseCopy, RowFT, RowFTCopy, RowFTCopyPairs, RowCopyOnly, RowStageAOnly, RowLLINKNoCopy, RowLLINK}

// FairControls are the rows that get the same information as LLINK (the
// copy channel's spans): the only rows a claim "LLINK beats X" is made
// against. Only direct FT + copy + pairs also learns from the parallel
// pairs that LLINK's Stage A (and word alignment) read.
var FairControls = []string{RowBaseCopy, RowFTCopy, RowFTCopyPairs, RowCopyOnly}

// ControlRows are the rows that fine-tune the decoder's LoRA on their own
// prompts ([Stages.TrainControl]).
var ControlRows = []string{RowFT, RowFTCopy, RowFTCopyPairs, RowCopyOnly}

// TrainedRows are the rows that train with Stage B's budget; each may have
// its own learning-rate factor ([PipelineConfig.LRFactor]).
var TrainedRows = []string{RowFT, RowFTCopy, RowFTCopyPairs, RowCopyOnly, RowLLINKNoCopy, RowLLINK}

// DefaultRows are the rows `llink run` evaluates, in order: LLINK, Stage A
// only and the fair controls. `llink fair` runs all of [FairRows].
var DefaultRows = []string{RowBaseCopy, RowFTCopy, RowCopyOnly, RowStageAOnly, RowLLINK}

// DefaultControls are the fine-tuned controls `llink run` trains.
var DefaultControls = []string{RowFTCopy, RowCopyOnly}

// rowForm returns a row's prompt form for K slots and its retrieval query.
// Rows whose retrieval would repeat another's (base + copy ranks by the same
// decoder state as base) or that have no foreign text to rank with (copy
// only) have none.
func rowForm(row string, k int) (llink.Form, Query, error) {
	switch row {
	case RowBase, RowFT:
		return llink.Form{Content: llink.Raw}, DecoderState, nil
	case RowBaseCopy:
		return llink.Form{Content: llink.Raw, Copy: true}, NoRetrieval, nil
	case RowFTCopy, RowFTCopyPairs:
		return llink.Form{Content: llink.Raw, Copy: true}, DecoderState, nil
	case RowCopyOnly:
		return llink.Form{Content: llink.Nothing, Copy: true}, NoRetrieval, nil
	case RowStageAOnly:
		return llink.Form{Content: llink.SlotTokens, K: 1, Copy: true}, Projection, nil
	case RowLLINKNoCopy:
		return llink.Form{Content: llink.SlotTokens, K: k}, SlotMean, nil
	case RowLLINK:
		return llink.Form{Content: llink.SlotTokens, K: k, Copy: true}, SlotMean, nil
	}
	return llink.Form{}, NoRetrieval, fmt.Errorf("train: unknown row %q (rows: %s)", row, strings.Join(FairRows, ", "))
}

// lrFactor returns the row's learning-rate factor (1 unless set).
func (c PipelineConfig) lrFactor(row string) float64 {
	if f, ok := c.LRFactor[row]; ok {
		return f
	}
	return 1
}

// checkLRFactors refuses factors for rows that do not train, or ≤ 0.
func checkLRFactors(fs map[string]float64) error {
	for r, f := range fs {
		if !slices.Contains(TrainedRows, r) || !(f > 0) || f > 1000 {
			return fmt.Errorf("train: learning-rate factor %v for row %q (trained rows: %s; factor in (0, 1000])", f, r, strings.Join(TrainedRows, ", "))
		}
	}
	return nil
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

// WithLRFactor returns stages that share s's models, data and vectors and
// train row at factor f of Stage B's learning rates (for choosing f on dev).
func (s *Stages) WithLRFactor(row string, f float64) *Stages {
	return s.withConfig(func(c *PipelineConfig) {
		m := map[string]float64{row: f}
		for r, v := range c.LRFactor {
			if r != row {
				m[r] = v
			}
		}
		c.LRFactor = m
	})
}

// scaleLR multiplies every Stage B learning rate by f.
func (c *PipelineConfig) scaleLR(f float64) {
	c.StageB.LRLoRA *= float32(f)
	c.StageB.LRSlots *= float32(f)
	c.StageB.LRScale *= float32(f)
}

// Control is a fine-tuned control row: its adapters (not attached) and
// their parameters (for llink.SaveLoRA).
type Control struct {
	Row    string
	LoRA   llama.Adapters
	Params []*autograd.Var
}

// ControlFile is the file name of a control row's saved LoRA in a run
// folder: "lora-direct-ft-copy.safetensors" for "direct FT + copy".
func ControlFile(row string) string { return "lora-" + Slug(row) + ".safetensors" }

// Slug writes a row name as a file-name part: lower case, words joined by
// "-", "+" dropped ("direct FT + copy" → "direct-ft-copy").
func Slug(row string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.NewReplacer("+", " ").Replace(row))), "-")
}

// TrainControl trains a control row ([ControlRows]): the decoder's LoRA
// with Stage B's rank, targets, steps, batch and schedule, at Stage B's
// LoRA rate times the row's factor, on the training tasks in the row's
// prompt form. Every control starts from the same initial adapters.
func (s *Stages) TrainControl(row string) (Control, error) {
	if !slices.Contains(ControlRows, row) {
		return Control{}, fmt.Errorf("train: %q is not a fine-tuned control (controls: %s)", row, strings.Join(ControlRows, ", "))
	}
	f, _, err := rowForm(row, s.p.c.Slots.K)
	if err != nil {
		return Control{}, err
	}
	p, m := s.p, s.p.m
	cfg := s.p.c
	cfg.scaleLR(cfg.lrFactor(row))
	dec := m.Dec.Model
	set, lora := dec.NewLoRA(cfg.LoRA, s.rng(0x13))
	defer dec.UseLoRA(set)()
	p.logf("%s: %d steps", row, cfg.StageB.Steps)
	if ck := &cfg.StageB.Checkpoint; ck.Path != "" {
		ck.Path = strings.TrimSuffix(ck.Path, ".safetensors") + "-" + Slug(row) + ".safetensors"
	}
	if row == RowFTCopyPairs {
		if err := s.translatePairs(dec, lora, f, cfg); err != nil {
			return Control{}, err
		}
	}
	exs, err := p.examples(s.d.TrainTasks, f, nil, nil, nil, nil)
	if err != nil {
		return Control{}, err
	}
	err = p.timed(Slug(row), func() error {
		res, err := TrainDirectFT(dec, lora, exs, m.Dec.IDs.Pad, cfg.StageB, p.stepLogger(row, cfg.StageB.Steps))
		p.logMicroBatch(row, res.MicroBatch, cfg.StageB)
		return err
	})
	return Control{Row: row, LoRA: set, Params: lora}, err
}

// translatePairs fine-tunes lora (attached to dec) for one epoch of
// Stage B batches on translating Stage A's training pairs in form f —
// the parallel data LLINK's Stage A reads, given to a control as a
// fine-tuning of its own (about the compute of Stage A and the word
// alignment) — at cfg's rates, before the control's tasks.
func (s *Stages) translatePairs(dec *llama.Model, lora []*autograd.Var, f llink.Form, cfg PipelineConfig) error {
	p := s.p
	exs, err := p.examples(s.pairTasks(), f, nil, nil, nil, nil)
	if err != nil {
		return err
	}
	c := pairsEpoch(cfg.StageB, len(exs))
	p.logf("%s: %d steps translating %d pairs", RowFTCopyPairs, c.Steps, len(exs))
	return p.timed(Slug(RowFTCopyPairs)+"-pairs", func() error {
		_, err := TrainDirectFT(dec, lora, exs, p.m.Dec.IDs.Pad, c, p.stepLogger(RowFTCopyPairs+" pairs", c.Steps))
		return err
	})
}

// pairTasks returns the translation tasks of Stage A's training pairs, one
// per pair in the pairs' order (so row i reads pair i's vectors).
func (s *Stages) pairTasks() []data.Task {
	var tasks []data.Task
	for _, t := range data.MakeTasks(s.d.TrainPairs, s.p.c.Seed+0x9A) {
		if t.Kind == data.KindTranslate {
			tasks = append(tasks, t)
		}
	}
	return tasks
}

// pairsEpoch returns Stage B's settings for one epoch over n pair
// examples: its batch, rates and schedule, as many steps as batches, and a
// checkpoint of its own.
func pairsEpoch(c StageBConfig, n int) StageBConfig {
	c.Steps = max(n/c.Batch, 1)
	if c.Checkpoint.Path != "" {
		c.Checkpoint.Path = strings.TrimSuffix(c.Checkpoint.Path, ".safetensors") + "-pairs.safetensors"
	}
	return c
}

// method returns the results-table row named row: its form and query, the
// decoder's adapters (nil: the base decoder's) and, for slot rows, the
// injector — the bundle's slots, or the rescaled Stage A vector.
func (s *Stages) method(row string, lora llama.Adapters, b *llink.Bundle) (Method, error) {
	f, q, err := rowForm(row, s.p.c.Slots.K)
	if err != nil {
		return Method{}, err
	}
	if lora == nil {
		lora = s.base
	}
	m := Method{Name: row, Form: f, LoRA: lora, Query: q}
	switch row {
	case RowStageAOnly:
		m.Inject = llink.NewScale(s.gamma0(), s.p.c.Slots.Eps)
	case RowLLINK, RowLLINKNoCopy:
		if b == nil || b.Slots == nil {
			return Method{}, fmt.Errorf("train: row %s needs its bundle", row)
		}
		m.Inject = b.Slots
	}
	return m, nil
}
