package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

// toyRun is a linear regression trained by a Loop: w fits y = x·w* on 40
// examples in batches of 8, with dropout on the inputs (so the RNG's state
// matters), and a running sum of the logged losses as the loop's own
// state (Save, Restore). With sample the step draws its batch from the
// RNG (with replacement, as pretraining does) instead of the loop's data
// order.
type toyRun struct {
	loop *Loop
	w    *autograd.Var
	sum  float64   // the logged losses' sum, checkpointed
	logs []StepLog // this process's steps
}

// toyFault makes a toy run misbehave at a step (counted from 0): kill
// returns errKilled before the step (a process killed after step kill),
// nan makes its loss NaN, badGrad a gradient NaN; -1 is never.
type toyFault struct{ kill, nan, badGrad int }

var errKilled = errors.New("killed")

const toySteps = 30

func newToy(sample bool, ck Checkpointing, f toyFault, stopAt int, stop chan struct{}) *toyRun {
	const n, d, bs = 40, 5, 8
	r := testutil.RNG(7)
	x, wStar := tensor.RandN(r, 1, n, d), tensor.RandN(r, 1, d)
	y := tensor.New(n, 1)
	for i := range n {
		for j, v := range x.Row(i) {
			y.Data()[i] += v * wStar.Data()[j]
		}
	}
	run := &toyRun{w: autograd.NewParam("w", tensor.RandN(testutil.RNG(8), 0.1, d, 1))}
	params := []*autograd.Var{run.w}
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params, LR: 0.05, WeightDecay: 0.01}}, 0.9, 0.999, 1e-8)
	opt.Schedule = nn.WarmupLinear(3, toySteps)
	src := rand.NewPCG(3, 4)
	rng := rand.New(src)
	tp := autograd.NewTape()
	l := &Loop{Name: "toy", Params: params, Opt: opt, Clip: 1, Steps: toySteps, RNG: src, Checkpoint: ck,
		Data: Fingerprint(x.Data(), y.Data()), Settings: map[string]string{"steps": strconv.Itoa(toySteps)}}
	if !sample {
		l.Order, l.Examples, l.Batch = func() []int { return rng.Perm(n) }, n, bs
	}
	l.Step = func(step int, batch []int) (float32, error) {
		if step == f.kill {
			return 0, errKilled
		}
		if sample {
			batch = make([]int, bs)
			for i := range batch {
				batch[i] = rng.IntN(n)
			}
		}
		tp.Reset()
		pred := tp.MatMul(tp.Dropout(autograd.Const(rows(x, batch)), 0.2, rng), run.w, false, false)
		loss := tp.MSE(pred, autograd.Const(rows(y, batch)))
		if step == f.nan {
			loss = tp.Scale(loss, float32(math.NaN()))
		}
		tp.Backward(loss)
		if step == f.badGrad {
			run.w.Grad.Data()[2] = float32(math.Inf(1))
		}
		return loss.Item(), nil
	}
	l.Log = func(s StepLog) error {
		run.logs = append(run.logs, s)
		run.sum += s.Loss
		if s.Step == stopAt {
			close(stop)
		}
		return nil
	}
	l.Save = func() (map[string]string, map[string]*tensor.Tensor) {
		return map[string]string{"sum": strconv.FormatFloat(run.sum, 'g', -1, 64)},
			map[string]*tensor.Tensor{"w0": tensor.FromSlice([]float32{run.w.Data()[0]}, 1)}
	}
	l.Restore = func(st LoopState, ts map[string][]float32) error {
		if len(ts["w0"]) != 1 || ts["w0"][0] != run.w.Data()[0] {
			return fmt.Errorf("extra tensor w0 %v, parameter %g", ts["w0"], run.w.Data()[0])
		}
		var err error
		run.sum, err = strconv.ParseFloat(st.Extra["sum"], 64)
		return err
	}
	run.loop = l
	return run
}

// TestLoop: a run interrupted — stopped through Checkpoint.Stop (which
// writes the checkpoint), or killed after a periodic checkpoint — and
// resumed ends bit-identical to an uninterrupted one, its own state and
// step logs included, with a data order or a sampling step; a NaN loss or
// gradient ends the run with an error naming the step and keeps the last
// good checkpoint, from which it resumes.
func TestLoop(t *testing.T) {
	none := toyFault{-1, -1, -1}
	for _, tc := range []struct {
		name   string
		sample bool
		every  int
		stopAt int // Stop fires after this step (1-based; 0: never)
		fault  toyFault
		want   string // the interrupted run's error
		ckStep int    // the checkpoint's step after it
	}{
		{name: "stop after the first step", stopAt: 1, fault: none, want: "toy stopped after step 1", ckStep: 1},
		{name: "stop mid-epoch", stopAt: 7, fault: none, want: "toy stopped after step 7", ckStep: 7},
		{name: "stop before the last step", stopAt: toySteps - 1, every: 4, fault: none, want: "stopped after step 29", ckStep: 29},
		{name: "stop at the last step finishes", stopAt: toySteps, fault: none, ckStep: toySteps},
		{name: "sampling, stop", sample: true, stopAt: 11, fault: none, want: "toy stopped after step 11", ckStep: 11},
		{name: "killed after a periodic checkpoint", every: 4, fault: toyFault{10, -1, -1}, want: "killed", ckStep: 8},
		{name: "sampling, killed", sample: true, every: 5, fault: toyFault{13, -1, -1}, want: "killed", ckStep: 10},
		{name: "NaN loss", every: 1, fault: toyFault{-1, 5, -1}, want: "toy step 5: loss is NaN", ckStep: 5},
		{name: "infinite gradient", every: 3, fault: toyFault{-1, -1, 7}, want: "toy step 7: nn: gradient of w [5 1] is +Inf at element 2", ckStep: 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := newToy(tc.sample, Checkpointing{}, none, 0, nil)
			if err := ref.loop.Run(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "ck.safetensors")
			stop := make(chan struct{})
			part := newToy(tc.sample, Checkpointing{Path: path, Every: tc.every, Stop: stop}, tc.fault, tc.stopAt, stop)
			err := part.loop.Run()
			if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("interrupted run: %v, want %q", err, tc.want)
			}
			if tc.stopAt > 0 && tc.stopAt < toySteps && !errors.Is(err, ErrInterrupted) {
				t.Errorf("stopped run: %v does not wrap ErrInterrupted", err)
			}
			st, err := ReadLoopState(path)
			if err != nil || st.Step != tc.ckStep {
				t.Fatalf("checkpoint at step %d (%v), want %d", st.Step, err, tc.ckStep)
			}
			if err := nn.CheckFinite(nil, part.loop.Params); err != nil {
				t.Errorf("after the interrupted run: %v", err)
			}
			resumed := newToy(tc.sample, Checkpointing{Path: path, Resume: true}, none, 0, nil)
			if err := resumed.loop.Run(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(resumed.w.Data(), ref.w.Data()) || resumed.sum != ref.sum {
				t.Fatalf("resumed run ends with w %v, sum %v; uninterrupted %v, %v", resumed.w.Data(), resumed.sum, ref.w.Data(), ref.sum)
			}
			if !slices.Equal(resumed.logs, ref.logs[tc.ckStep:]) {
				t.Fatalf("resumed run logged %v, the uninterrupted run %v", resumed.logs, ref.logs[tc.ckStep:])
			}
		})
	}
}

// TestLoopRefuses: a resume with other training data or settings, or a
// loop that cannot run, fails before any step, saying why.
func TestLoopRefuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	stop := make(chan struct{})
	if err := newToy(false, Checkpointing{Path: path, Stop: stop}, toyFault{-1, -1, -1}, 4, stop).loop.Run(); !errors.Is(err, ErrInterrupted) {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(l *Loop)
		want string
	}{
		{"other data", func(l *Loop) { l.Data = Fingerprint("other") }, "toy: resume " + path + ": the checkpoint was made from other training data"},
		{"other settings", func(l *Loop) { l.Settings = map[string]string{"steps": "31"} }, "other settings (steps 30, now 31)"},
		{"fewer examples", func(l *Loop) { l.Examples = 20 }, "its data order has 40 entries for 20 examples"},
		{"batch over the data", func(l *Loop) { l.Batch = 41 }, "toy: batch 41 for 40 training examples"},
		{"no parameters", func(l *Loop) { l.Params = nil }, "toy: nothing to train"},
		{"no RNG", func(l *Loop) { l.RNG = nil }, "a loop needs an optimiser, a step and an RNG"},
	} {
		run := newToy(false, Checkpointing{Path: path, Resume: true}, toyFault{0, -1, -1}, 0, nil)
		tc.edit(run.loop)
		if err := run.loop.Run(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}
