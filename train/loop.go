package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

// Loop is the training floor's one optimisation loop: Stage A, Stage B,
// the direct fine-tuning baseline and both pretraining runs
// (train/pretrain) are each a Loop with their own Step.
//
// A step takes the next Batch indices of the data order (a new epoch from
// Order when the current one runs short), clears the gradients, calls Step
// (which records the loss and back-propagates it), refuses a non-finite
// loss or gradient naming the step, clips the gradient norm to Clip, takes
// the AdamW step and calls Log. The checkpoint ([SaveState]: parameters,
// AdamW moments, step, data order and position, RNG and what Save adds)
// is written every Checkpoint.Every steps, after the last step, and when
// Checkpoint.Stop fires, which then ends the run with [ErrInterrupted].
// With Checkpoint.Resume a run whose checkpoint exists continues from it
// and ends bit-identical to an uninterrupted run.
type Loop struct {
	// Name begins the loop's errors, e.g. "train: stage A".
	Name   string
	Params []*autograd.Var
	Opt    *nn.AdamW
	// Clip is the gradient norm clipped to ([nn.ClipGradNorm]).
	Clip  float32
	Steps int
	// Order returns a new epoch's order of indices into the Examples
	// training examples; each step's batch is its next Batch entries. With
	// Order nil the loop keeps no data order and Step draws its own batch
	// (sampling with replacement from RNG).
	Order           func() []int
	Examples, Batch int
	// RNG is the source of every random draw of the run (data order,
	// dropout, sampling); its state is checkpointed.
	RNG *rand.PCG
	// Step records step's loss (steps count from 0) on the examples batch
	// (nil without Order) and back-propagates it; it returns the loss.
	Step func(step int, batch []int) (loss float32, err error)
	// Log, if non-nil, receives every step after its update (Step counts
	// from 1; Tau and Dev are left to it).
	Log        func(StepLog) error
	Checkpoint Checkpointing
	// Data fingerprints the training data and Settings holds the run's
	// settings ([LoopState.Resumes]): a resume with other ones is refused.
	Data     string
	Settings map[string]string
	// Save, if non-nil, returns the loop's own state for a checkpoint:
	// entries of [LoopState.Extra] and tensors; Restore puts them back on a
	// resume (after the parameters, AdamW moments and RNG).
	Save    func() (map[string]string, map[string]*tensor.Tensor)
	Restore func(st LoopState, tensors map[string][]float32) error

	started bool  // Resume ran
	step    int   // steps done
	order   []int // the current epoch's data order
	pos     int   // the next batch's start in order
}

// check reports a loop that cannot run.
func (l *Loop) check() error {
	switch {
	case len(l.Params) == 0:
		return fmt.Errorf("%s: nothing to train", l.Name)
	case l.Opt == nil || l.Step == nil || l.RNG == nil:
		return fmt.Errorf("%s: a loop needs an optimiser, a step and an RNG", l.Name)
	case l.Order != nil && (l.Batch < 1 || l.Batch > l.Examples):
		return fmt.Errorf("%s: batch %d for %d training examples", l.Name, l.Batch, l.Examples)
	}
	return nil
}

// Resume restores the run from Checkpoint.Path when Checkpoint.Resume is
// set and the file exists, and returns the number of steps done (0 for a
// new run). The checkpoint must come from a run with the same Data and
// Settings and fit its data and steps ([LoopState.Check]); what differs is
// named before any tensor is read. [Loop.Run] calls Resume unless it ran.
func (l *Loop) Resume() (int, error) {
	if err := l.check(); err != nil {
		return 0, err
	}
	l.started = true
	ck := &l.Checkpoint
	if !ck.enabled() || !ck.Resume {
		return 0, nil
	}
	if _, err := os.Stat(ck.Path); err != nil {
		return 0, nil
	}
	st, err := ReadLoopState(ck.Path)
	if err != nil {
		return 0, err
	}
	fail := func(err error) (int, error) { return 0, fmt.Errorf("%s: resume %s: %w", l.Name, ck.Path, err) }
	if err := firstErr(st.Resumes(l.Data, l.Settings), st.Check(l.Examples, max(l.Batch, 1), l.Steps)); err != nil {
		return fail(err)
	}
	st, tensors, err := LoadState(ck.Path, l.Params, l.Opt)
	if err != nil {
		return 0, err
	}
	if err := l.RNG.UnmarshalBinary(st.RNG); err != nil {
		return fail(fmt.Errorf("random state: %w", err))
	}
	if l.Restore != nil {
		if err := l.Restore(st, tensors); err != nil {
			return fail(err)
		}
	}
	l.step, l.order, l.pos = st.Step, st.Order, st.Pos
	if l.order == nil {
		l.order = []int{} // a resumed run draws no first epoch up front
	}
	return st.Step, nil
}

// Run takes the loop's remaining steps (resuming first, see [Loop.Resume]).
func (l *Loop) Run() error {
	if !l.started {
		if _, err := l.Resume(); err != nil {
			return err
		}
	}
	if l.Order != nil && l.order == nil {
		l.order = l.Order()
	}
	ck := &l.Checkpoint
	for ; l.step < l.Steps; l.step++ {
		step := l.step
		var batch []int
		if l.Order != nil {
			if l.pos+l.Batch > len(l.order) {
				l.order, l.pos = l.Order(), 0
			}
			batch = l.order[l.pos : l.pos+l.Batch]
			l.pos += l.Batch
		}
		autograd.ZeroGrad(l.Params)
		loss, err := l.Step(step, batch)
		if err != nil {
			return err
		}
		if err := finiteStep(loss, l.Params); err != nil {
			autograd.ZeroGrad(l.Params) // the parameters hold the last good step, and no gradient of this one
			return fmt.Errorf("%s step %d: %w", l.Name, step, err)
		}
		norm := nn.ClipGradNorm(l.Params, l.Clip)
		lr := l.Opt.LR(0)
		l.Opt.Step()
		if l.Log != nil {
			if err := l.Log(StepLog{Step: step + 1, Loss: float64(loss), LR: float64(lr), Norm: float64(norm)}); err != nil {
				return err
			}
		}
		stop, last := ck.stopRequested(), step == l.Steps-1
		if ck.enabled() && (stop || last || ck.Every > 0 && (step+1)%ck.Every == 0) {
			if err := l.save(step + 1); err != nil {
				return err
			}
		}
		if stop && !last {
			return fmt.Errorf("%s stopped after step %d, checkpoint in %s (rerun with resume to continue): %w", l.Name, step+1, ck.Path, ErrInterrupted)
		}
	}
	return nil
}

// finiteStep reports a non-finite loss or gradient.
func finiteStep(loss float32, params []*autograd.Var) error {
	if math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0) {
		return fmt.Errorf("loss is %g", loss)
	}
	return checkGrads(params)
}

// save writes the checkpoint after step steps.
func (l *Loop) save(step int) error {
	st := LoopState{Step: step, Pos: l.pos, Order: l.order, RNG: pcgState(l.RNG), Data: l.Data, Settings: l.Settings}
	var tensors map[string]*tensor.Tensor
	if l.Save != nil {
		st.Extra, tensors = l.Save()
	}
	return SaveState(l.Checkpoint.Path, l.Params, l.Opt, st, tensors)
}
