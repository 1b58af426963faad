package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train/eval"
)

// Pairs are cached vectors of parallel sentences: row i of Z is the frozen
// encoder's pooled vector of the foreign sentence of pair IDs[i], row i of H
// the frozen decoder's hidden state for its English side.
type Pairs struct {
	Z   *tensor.Tensor // [N, enc]
	H   *tensor.Tensor // [N, dec]
	IDs []int          // pair ids (distinct per sentence pair)
}

// Len returns the number of pairs.
func (p Pairs) Len() int { return len(p.IDs) }

// Validate checks the shapes agree.
func (p Pairs) Validate() error {
	if p.Z == nil || p.H == nil || p.Z.Dims() != 2 || p.H.Dims() != 2 {
		return errors.New("train: pairs need Z [N, enc] and H [N, dec] matrices")
	}
	if p.Z.Dim(0) != len(p.IDs) || p.H.Dim(0) != len(p.IDs) {
		return fmt.Errorf("train: pairs have Z %v, H %v and %d ids", p.Z.Shape(), p.H.Shape(), len(p.IDs))
	}
	return nil
}

// rows gathers the given rows of x into a new tensor.
func rows(x *tensor.Tensor, idx []int) *tensor.Tensor {
	out := tensor.New(len(idx), x.Dim(1))
	for i, r := range idx {
		copy(out.Row(i), x.Row(r))
	}
	return out
}

// StageAConfig holds Stage A's optimisation settings. [DefaultStageA] gives
// the paper's values.
type StageAConfig struct {
	Steps       int                 `json:"steps"`
	Warmup      int                 `json:"warmup"`
	Batch       int                 `json:"batch"`
	LR          float32             `json:"lr"`
	LRMin       float32             `json:"lr_min"`
	Beta1       float32             `json:"beta1"`
	Beta2       float32             `json:"beta2"`
	WeightDecay float32             `json:"weight_decay"`
	Clip        float32             `json:"clip"`
	TauStart    float32             `json:"tau_start"`
	TauEnd      float32             `json:"tau_end"`
	QueueSize   int                 `json:"queue_size"` // capped at the training pairs
	HardM       int                 `json:"hard_negatives"`
	Weights     llink.StageAWeights `json:"weights"`
	EvalEvery   int                 `json:"eval_every"`
	Seed        uint64              `json:"seed"`
	// LearnTau trains the temperature (CLIP's logit scale from 1/TauStart,
	// [llink.StageALossLearntTau]) in place of the annealed TauStart →
	// TauEnd. Not in the paper.
	LearnTau   bool          `json:"learn_tau,omitempty"`
	Checkpoint Checkpointing `json:"checkpoint"`
}

// DefaultStageA returns the paper's Stage A settings (20k steps, 3k warm-up,
// batch 128 — as one real batch, not 8×16 accumulation: with cached vectors
// a large batch is cheap and gives more in-batch negatives).
func DefaultStageA() StageAConfig {
	return StageAConfig{Steps: 20000, Warmup: 3000, Batch: 128, LR: 1e-3, LRMin: 1e-5,
		Beta1: 0.9, Beta2: 0.98, WeightDecay: 0.05, Clip: 1, TauStart: 0.17, TauEnd: 0.08,
		QueueSize: 32768, HardM: 256, Weights: llink.DefaultStageAWeights(), EvalEvery: 500, Seed: 1}
}

// Validate reports the first unusable setting.
func (c StageAConfig) Validate() error {
	switch {
	case c.Steps <= 0 || c.Batch < 2:
		return fmt.Errorf("train: stage A needs steps > 0 and batch ≥ 2 (got %d, %d)", c.Steps, c.Batch)
	case c.LR <= 0 || c.LRMin < 0 || c.LRMin > c.LR:
		return fmt.Errorf("train: stage A learning rates %g → %g", c.LR, c.LRMin)
	case c.TauStart <= 0 || c.TauEnd <= 0:
		return fmt.Errorf("train: temperatures must be positive (%g → %g)", c.TauStart, c.TauEnd)
	case c.Warmup < 0 || c.Warmup >= c.Steps:
		return fmt.Errorf("train: warm-up %d must be below steps %d", c.Warmup, c.Steps)
	}
	return nil
}

// StepLog is one logged training step.
type StepLog struct {
	Step int      `json:"step"`
	Loss float64  `json:"loss"`
	LR   float64  `json:"lr"`
	Tau  float64  `json:"tau,omitempty"`
	Norm float64  `json:"grad_norm"`
	Dev  *float64 `json:"dev_r1,omitempty"`
	// DevMetric names Dev when it is not the dev retrieval R@1 (the word
	// alignment reports its dev word recall@5).
	DevMetric string `json:"dev_metric,omitempty"`
}

// DevName is the name of l.Dev's metric: "R@1" unless DevMetric says.
func (l StepLog) DevName() string {
	if l.DevMetric != "" {
		return l.DevMetric
	}
	return "R@1"
}

// StageAResult reports a Stage A run.
type StageAResult struct {
	BestStep int
	Best     eval.Retrieval // dev retrieval of the kept (best) projector
	Final    float64        // last training loss
	Elapsed  time.Duration
	// LearntTau is the learnt temperature at the kept step (0 with the
	// annealed one).
	LearntTau float32 `json:",omitempty"`
}

// TrainStageA trains proj on cached pairs and keeps the parameters with the
// best dev MRR (dev may be empty: then the final parameters are kept). log,
// if non-nil, receives every step.
func TrainStageA(proj *llink.Projector, trainSet, dev Pairs, c StageAConfig, log func(StepLog)) (StageAResult, error) {
	return TrainStageALevers(proj, trainSet, dev, c, StageALevers{}, log)
}

// StageALevers are Stage A options beyond the paper's: a student made on the
// tape (the pipeline's attention pooling, bench/stagea's English rows) and
// a learnt temperature. The zero value is the paper's Stage A. The levers'
// parameters train with the projector's learning rate and no weight decay,
// the kept step keeps their values too, and a checkpoint holds them (its
// settings name them, so a resume with other levers is refused).
type StageALevers struct {
	// Student, when set, makes the student vectors of training rows idx on
	// tp in place of their cached pooled vectors (e.g. an [llink.AttnPool]
	// of their token states), and DevStudent the dev set's, in place of
	// dev.Z, for the choice of the kept step. Params are its parameters.
	Student    func(tp *autograd.Tape, idx []int) *autograd.Var
	DevStudent func() *tensor.Tensor
	Params     []*autograd.Var
	// LogScale, when set, is a learnt temperature ([llink.NewLogScale],
	// [llink.StageALossLearntTau]) in place of the annealed TauStart →
	// TauEnd; [StageAConfig.LearnTau] makes one when it is nil.
	LogScale *autograd.Var
}

// TrainStageALevers is [TrainStageA] with the levers lv (same data order,
// dropout draws, hard negatives, schedule and choice of the kept step).
func TrainStageALevers(proj *llink.Projector, trainSet, dev Pairs, c StageAConfig, lv StageALevers, log func(StepLog)) (StageAResult, error) {
	if err := c.Validate(); err != nil {
		return StageAResult{}, err
	}
	if c.LearnTau && lv.LogScale == nil {
		lv.LogScale = llink.NewLogScale(c.TauStart)
	}
	extra := lv.Params
	if lv.LogScale != nil {
		extra = append(slices.Clip(extra), lv.LogScale)
	}
	switch {
	case (lv.Student == nil) != (lv.DevStudent == nil) || lv.Student == nil && len(lv.Params) > 0:
		return StageAResult{}, errors.New("train: stage A levers: a student needs its dev vectors and parameters, and parameters need a student")
	}
	if err := trainSet.Validate(); err != nil {
		return StageAResult{}, fmt.Errorf("train set: %w", err)
	}
	if trainSet.Len() < c.Batch {
		return StageAResult{}, fmt.Errorf("train: stage A batch %d larger than the %d training pairs", c.Batch, trainSet.Len())
	}
	start := time.Now()
	// A lever's parameters that the projector holds (its attention
	// pooling) train in the levers' group, not twice.
	own := slices.DeleteFunc(proj.Params(), func(p *autograd.Var) bool { return slices.Contains(extra, p) })
	groups := []nn.ParamGroup{{Params: own, LR: c.LR, WeightDecay: c.WeightDecay}}
	if len(extra) > 0 {
		groups = append(groups, nn.ParamGroup{Params: extra, LR: c.LR})
	}
	params := append(slices.Clip(own), extra...)
	opt := nn.NewAdamW(groups, c.Beta1, c.Beta2, 1e-8)
	opt.Schedule = nn.WarmupCosine(c.Warmup, c.Steps, c.LRMin/c.LR)
	src := rand.NewPCG(c.Seed, 0xA11CE)
	rng := rand.New(src)
	// The queue holds past teacher vectors; cached teachers are fixed, so
	// once it has seen an epoch, more room only holds copies of vectors it
	// already has (which the hardest-M selection would then count twice).
	// Cap it at the number of training pairs: the same distinct negatives,
	// and with 4,000 pairs an 8× cheaper hard-negative search.
	queue := llink.NewQueue(min(c.QueueSize, trainSet.Len()), trainSet.H.Dim(1))
	tp := autograd.NewTape()
	var res StageAResult
	res.Best.MRR = -1
	var best []*tensor.Tensor
	loop := &Loop{Name: "train: stage A", Params: params, Opt: opt, Clip: c.Clip, Steps: c.Steps,
		Order: func() []int { return rng.Perm(trainSet.Len()) }, Examples: trainSet.Len(), Batch: c.Batch, RNG: src,
		Checkpoint: c.Checkpoint, Data: Fingerprint(trainSet.IDs, trainSet.Z.Data(), trainSet.H.Data()), Settings: leverSettings(c, lv, extra)}
	loop.Step = func(step int, idx []int) (float32, error) {
		ids := make([]int, len(idx))
		for i, r := range idx {
			ids[i] = trainSet.IDs[r]
		}
		h := rows(trainSet.H, idx)
		tp.Reset()
		var z *autograd.Var
		if lv.Student != nil {
			z = lv.Student(tp, idx)
		} else {
			z = autograd.Const(rows(trainSet.Z, idx))
		}
		p := proj.Forward(tp, z, rng)
		neg := queue.Hardest(p.Value, c.HardM, ids)
		var loss *autograd.Var
		if lv.LogScale != nil {
			loss = llink.StageALossLearntTau(tp, p, h, neg, lv.LogScale, c.Weights)
		} else {
			loss = llink.StageALoss(tp, p, h, neg, llink.Tau(step, c.Steps, c.TauStart, c.TauEnd), c.Weights)
		}
		tp.Backward(loss)
		queue.Push(h, ids)
		return loss.Item(), nil
	}
	loop.Log = func(entry StepLog) error {
		res.Final = entry.Loss
		entry.Tau = float64(llink.Tau(entry.Step-1, c.Steps, c.TauStart, c.TauEnd))
		if lv.LogScale != nil {
			entry.Tau = float64(llink.LearntTau(lv.LogScale))
		}
		last := entry.Step == c.Steps
		if dev.Len() > 0 && (last || c.EvalEvery > 0 && entry.Step%c.EvalEvery == 0) {
			d := dev
			if lv.DevStudent != nil {
				d.Z = lv.DevStudent()
			}
			m, err := RetrievalStageA(proj, d)
			if err != nil {
				return err
			}
			r1 := m.R1
			entry.Dev = &r1
			if m.MRR > res.Best.MRR {
				res.Best, res.BestStep, best = m, entry.Step, snapshot(params)
			}
		}
		if log != nil {
			log(entry)
		}
		return nil
	}
	loop.Save = func() (map[string]string, map[string]*tensor.Tensor) { return saveStageA(queue, params, &res, best) }
	loop.Restore = func(st LoopState, extra map[string][]float32) error {
		return restoreStageA(st, extra, queue, params, &res, &best)
	}
	if err := loop.Run(); err != nil {
		return res, err
	}
	if best != nil {
		restore(params, best)
	} else {
		res.BestStep = c.Steps
	}
	if lv.LogScale != nil {
		res.LearntTau = llink.LearntTau(lv.LogScale)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// leverSettings are a Stage A checkpoint's settings: c's, and with levers
// their trained parameters' names and shapes (an attention pooling's
// heads, a learnt temperature), so that a resume with other levers is
// refused before any tensor is read. Without levers they are c's alone,
// as in checkpoints written before the levers.
func leverSettings(c StageAConfig, lv StageALevers, extra []*autograd.Var) map[string]string {
	s := SettingsOf(c)
	if lv.Student != nil {
		s["student"] = "made on the tape"
	}
	if len(extra) > 0 {
		var names []string
		for _, p := range extra {
			names = append(names, fmt.Sprintf("%s%v", p.Name, p.Shape()))
		}
		s["lever_params"] = strings.Join(names, " ")
	}
	return s
}

// saveStageA gathers Stage A's own state for a checkpoint: the queue, the
// best dev result and its parameters, the last loss.
func saveStageA(q *llink.Queue, params []*autograd.Var, res *StageAResult, best []*tensor.Tensor) (map[string]string, map[string]*tensor.Tensor) {
	qs := q.State()
	extra := map[string]*tensor.Tensor{"queue": tensor.FromSlice(qs.Vecs, len(qs.Vecs))}
	for i, b := range best {
		extra["best/"+params[i].Name] = b
	}
	ids, _ := json.Marshal(qs.IDs)
	bestJSON, _ := json.Marshal(struct {
		Best     eval.Retrieval
		BestStep int
		HasBest  bool
		Final    float64
	}{res.Best, res.BestStep, best != nil, res.Final})
	return map[string]string{
		"queue_ids": string(ids), "queue_next": strconv.Itoa(qs.Next), "queue_n": strconv.Itoa(qs.N), "best": string(bestJSON),
	}, extra
}

// restoreStageA puts back what saveStageA kept.
func restoreStageA(st LoopState, extra map[string][]float32, q *llink.Queue, params []*autograd.Var, res *StageAResult, best *[]*tensor.Tensor) error {
	qs := queueStateFrom(st, extra)
	if err := q.SetState(qs); err != nil {
		return err
	}
	var b struct {
		Best     eval.Retrieval
		BestStep int
		HasBest  bool
		Final    float64 // the last step's loss (absent in checkpoints before it was kept: 0)
	}
	if err := json.Unmarshal([]byte(st.Extra["best"]), &b); err != nil {
		return fmt.Errorf("bad best record: %w", err)
	}
	res.Best, res.BestStep, res.Final = b.Best, b.BestStep, b.Final
	if b.HasBest {
		*best = make([]*tensor.Tensor, len(params))
		for i, p := range params {
			v, ok := extra["best/"+p.Name]
			if !ok || len(v) != p.Value.Len() {
				return fmt.Errorf("best snapshot of %s missing", p.Name)
			}
			(*best)[i] = tensor.FromSlice(v, p.Shape()...)
		}
	}
	return nil
}

// queueStateFrom decodes the queue saved by saveStageA.
func queueStateFrom(st LoopState, extra map[string][]float32) llink.QueueState {
	var qs llink.QueueState
	qs.Vecs = extra["queue"]
	_ = json.Unmarshal([]byte(st.Extra["queue_ids"]), &qs.IDs)
	qs.Next, _ = strconv.Atoi(st.Extra["queue_next"])
	qs.N, _ = strconv.Atoi(st.Extra["queue_n"])
	return qs
}

// RetrievalStageA ranks each projected foreign vector against all English
// teacher vectors of the set (foreign → English).
func RetrievalStageA(proj *llink.Projector, set Pairs) (eval.Retrieval, error) {
	p := proj.Project(set.Z)
	return eval.CosineRetrieval(p.Data(), set.H.Data(), set.Len(), set.H.Dim(1))
}
