package train

import (
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
)

// PipelineConfig holds the whole run's settings.
type PipelineConfig struct {
	Slots  llink.Config `json:"slots"`
	StageA StageAConfig `json:"stage_a"`
	StageB StageBConfig `json:"stage_b"`
	// WordAlign is the word alignment word slots get before Stage B
	// (unused by the other slot inputs).
	WordAlign WordAlignConfig   `json:"word_align"`
	LoRA      llama.LoRAOptions `json:"lora"`
	MaxNew    int               `json:"max_new_tokens"`
	GenBatch  int               `json:"generate_batch"`
	CacheDir  string            `json:"cache_dir"`
	Seed      uint64            `json:"seed"`
	// BundlePath, when set, is where the trained LLINK parts (projector,
	// slots, LoRA) are saved as a bundle right after Stage B, for
	// `llink ask` and the root package's Load.
	BundlePath string `json:"bundle_path,omitempty"`
	// SkipBaselines leaves out the control rows (and their fine-tuning):
	// `llink ablate` varies LLINK only.
	SkipBaselines bool `json:"skip_baselines,omitempty"`
	// EvalOnDev records that the tasks and pool evaluated are the
	// development split (for tuning), not the held-out test: the report
	// says so in its headings.
	EvalOnDev bool `json:"eval_on_dev,omitempty"`
	// SkipLayers leaves out the Figure-3 layer analysis.
	SkipLayers bool `json:"skip_layers,omitempty"`
	// LRFactor multiplies Stage B's learning rates for one trained row
	// ([TrainedRows]; missing rows: 1): each row at the rate chosen for it
	// on the dev split.
	LRFactor map[string]float64 `json:"lr_factor,omitempty"`
	// SlotPairs gives LLINK's Stage B the parallel pairs as direct FT +
	// copy + pairs gets them: one epoch translating Stage A's training
	// pairs read through the slots (same steps, batch and schedule as the
	// control's), then the tasks.
	SlotPairs bool `json:"slot_pairs,omitempty"`

	// StepHook, when set, receives every training step of each stage
	// ("stage A", "stage B", "direct FT") instead of the periodic log lines.
	StepHook func(stage string, steps int) func(StepLog) `json:"-"`
	// CacheProgress, when set, reports vector-cache building per set.
	CacheProgress func(name string) func(done, total int) `json:"-"`
	// EvalProgress, when set, reports each method's answer generation on
	// the test tasks.
	EvalProgress func(method string) func(done, total int) `json:"-"`
}

// RunSettings are the few choices of a run that its defaults derive from.
type RunSettings struct {
	StageASteps, StageBSteps int
	TrainPairs               int    // Stage A training pairs (caps the queue)
	Seed                     uint64 // one seed for every stage
	// PaperLR keeps the paper's Stage B learning rates and slot-mean
	// InfoNCE weight instead of the short-run ones (see [DefaultPipeline]).
	PaperLR bool
}

// LLINKLoRA is LLINK's LoRA (the paper's): rank 16, α 16, dropout 0.05 on
// q, k, v, o, up and down of every decoder layer.
func LLINKLoRA() llama.LoRAOptions {
	return llama.LoRAOptions{Rank: 16, Alpha: 16, Dropout: 0.05, Targets: []string{"q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"}}
}

// TunedLRFactors are the trained rows' learning-rate factors chosen on the
// dev split by `llink fair -tune 0.333,1,3` (bench/results/tune.json): LLINK
// 3, the fine-tuned controls 1; the rows without the copy channel take
// their counterpart's factor, and direct FT + copy + pairs that of direct
// FT + copy.
func TunedLRFactors() map[string]float64 {
	return map[string]float64{RowLLINK: 3, RowLLINKNoCopy: 3, RowFTCopy: 1, RowFTCopyPairs: 1, RowFT: 1, RowCopyOnly: 1}
}

// DefaultPipeline returns the tuned settings of a run with LLINK parts
// slots: the paper's values, scaled to the step budget (warm-up a tenth of
// Stage A, six dev evaluations, Stage B batch 16), with — unless
// r.PaperLR — Stage B learning rates for short runs (LoRA 3e-3,
// adapter/expander 3e-3, scale 5e-3), each trained row's factor of them
// ([TunedLRFactors]) and the slot-mean InfoNCE at 0.2 (paper 0.001), chosen
// on the dev split (docs/EXPERIMENTS.md). The
// caller sets the paths (cache, checkpoints, bundle) and hooks.
func DefaultPipeline(slots llink.Config, r RunSettings) PipelineConfig {
	c := PipelineConfig{Slots: slots, StageA: DefaultStageA(), StageB: DefaultStageB(), WordAlign: DefaultWordAlign(), LoRA: LLINKLoRA(),
		MaxNew: 48, GenBatch: 16, Seed: r.Seed}
	c.StageA.Steps, c.StageA.Warmup, c.StageA.Seed = r.StageASteps, r.StageASteps/10, r.Seed
	c.StageA.EvalEvery = max(r.StageASteps/6, 1)
	c.StageA.QueueSize = min(c.StageA.QueueSize, r.TrainPairs)
	c.StageB.Steps, c.StageB.Seed, c.StageB.Batch = r.StageBSteps, r.Seed, 16
	if !r.PaperLR {
		c.StageB.LRLoRA, c.StageB.LRSlots, c.StageB.LRScale = 3e-3, 3e-3, 5e-3
		c.StageB.Weights.AlignNCE = 0.2
		c.LRFactor = TunedLRFactors()
	}
	return c
}
