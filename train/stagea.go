package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
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
	Checkpoint  Checkpointing       `json:"checkpoint"`
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
}

// StageAResult reports a Stage A run.
type StageAResult struct {
	BestStep int
	Best     eval.Retrieval // dev retrieval of the kept (best) projector
	Final    float64        // last training loss
	Elapsed  time.Duration
}

// TrainStageA trains proj on cached pairs and keeps the parameters with the
// best dev MRR (dev may be empty: then the final parameters are kept). log,
// if non-nil, receives every step.
func TrainStageA(proj *llink.Projector, trainSet, dev Pairs, c StageAConfig, log func(StepLog)) (StageAResult, error) {
	if err := c.Validate(); err != nil {
		return StageAResult{}, err
	}
	if err := trainSet.Validate(); err != nil {
		return StageAResult{}, fmt.Errorf("train set: %w", err)
	}
	if trainSet.Len() < c.Batch {
		return StageAResult{}, fmt.Errorf("train: stage A batch %d larger than the %d training pairs", c.Batch, trainSet.Len())
	}
	start := time.Now()
	params := proj.Params()
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params, LR: c.LR, WeightDecay: c.WeightDecay}}, c.Beta1, c.Beta2, 1e-8)
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

	order := rng.Perm(trainSet.Len())
	pos, first := 0, 0
	var res StageAResult
	res.Best.MRR = -1
	var best []*tensor.Tensor
	ck := &c.Checkpoint
	data, settings := Fingerprint(trainSet.IDs, trainSet.Z.Data(), trainSet.H.Data()), SettingsOf(c)
	if ck.enabled() && ck.Resume {
		if _, err := os.Stat(ck.Path); err == nil {
			st, extra, err := LoadState(ck.Path, params, opt)
			if err != nil {
				return res, err
			}
			if err := firstErr(st.Resumes(data, settings), st.Check(trainSet.Len(), c.Batch, c.Steps)); err != nil {
				return res, fmt.Errorf("train: resume %s: %w", ck.Path, err)
			}
			if err := restoreStageA(st, extra, src, queue, params, &res, &best); err != nil {
				return res, fmt.Errorf("train: resume %s: %w", ck.Path, err)
			}
			first, order, pos = st.Step, st.Order, st.Pos
		}
	}
	for step := first; step < c.Steps; step++ {
		if pos+c.Batch > len(order) {
			order, pos = rng.Perm(trainSet.Len()), 0
		}
		idx := order[pos : pos+c.Batch]
		pos += c.Batch
		ids := make([]int, len(idx))
		for i, r := range idx {
			ids[i] = trainSet.IDs[r]
		}
		z, h := rows(trainSet.Z, idx), rows(trainSet.H, idx)
		tau := llink.Tau(step, c.Steps, c.TauStart, c.TauEnd)

		tp.Reset()
		autograd.ZeroGrad(params)
		p := proj.Forward(tp, autograd.Const(z), rng)
		neg := queue.Hardest(p.Value, c.HardM, ids)
		loss := llink.StageALoss(tp, p, h, neg, tau, c.Weights)
		if err := nn.CheckFinite(loss, nil); err != nil {
			return res, fmt.Errorf("train: stage A step %d: %w", step, err)
		}
		tp.Backward(loss)
		if err := checkGrads(params); err != nil {
			return res, fmt.Errorf("train: stage A step %d: %w", step, err)
		}
		norm := nn.ClipGradNorm(params, c.Clip)
		lr := opt.LR(0)
		opt.Step()
		queue.Push(h, ids)
		res.Final = float64(loss.Item())

		entry := StepLog{Step: step + 1, Loss: res.Final, LR: float64(lr), Tau: float64(tau), Norm: float64(norm)}
		last := step == c.Steps-1
		if dev.Len() > 0 && (last || c.EvalEvery > 0 && (step+1)%c.EvalEvery == 0) {
			m, err := RetrievalStageA(proj, dev)
			if err != nil {
				return res, err
			}
			r1 := m.R1
			entry.Dev = &r1
			if m.MRR > res.Best.MRR {
				res.Best, res.BestStep, best = m, step+1, snapshot(params)
			}
		}
		if log != nil {
			log(entry)
		}
		stop := ck.stopRequested()
		if ck.enabled() && (stop || last || ck.Every > 0 && (step+1)%ck.Every == 0) {
			st, extra := saveStageA(step+1, pos, order, src, queue, params, &res, best)
			st.Data, st.Settings = data, settings
			if err := SaveState(ck.Path, params, opt, st, extra); err != nil {
				return res, err
			}
		}
		if stop && !last {
			return res, fmt.Errorf("train: stage A stopped after step %d, checkpoint in %s (rerun with resume to continue): %w", step+1, ck.Path, ErrInterrupted)
		}
	}
	if best != nil {
		restore(params, best)
	} else {
		res.BestStep = c.Steps
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// saveStageA gathers Stage A's loop state for a checkpoint.
func saveStageA(step, pos int, order []int, src *rand.PCG, q *llink.Queue, params []*autograd.Var, res *StageAResult, best []*tensor.Tensor) (LoopState, map[string]*tensor.Tensor) {
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
	return LoopState{Step: step, Pos: pos, Order: order, RNG: pcgState(src), Extra: map[string]string{
		"queue_ids": string(ids), "queue_next": strconv.Itoa(qs.Next), "queue_n": strconv.Itoa(qs.N), "best": string(bestJSON),
	}}, extra
}

// restoreStageA puts a checkpoint's loop state back.
func restoreStageA(st LoopState, extra map[string][]float32, src *rand.PCG, q *llink.Queue, params []*autograd.Var, res *StageAResult, best *[]*tensor.Tensor) error {
	if err := src.UnmarshalBinary(st.RNG); err != nil {
		return err
	}
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
