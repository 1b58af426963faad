package pretrain

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train"
)

// Options are a run's settings that do not change the trained weights.
type Options struct {
	// Resume continues from the training checkpoint in the output folder
	// (an error when there is none).
	Resume bool
	// CheckpointEvery is how often (in steps) the training checkpoint is
	// written; 0 means every 100 steps, negative only on Stop (and after
	// the last step, as always: it is removed once the model is saved).
	CheckpointEvery int
	// LogEvery is how often (in steps) a progress line is printed; 0 means
	// about 40 lines per run.
	LogEvery int
	// Log receives progress lines (nil: discarded).
	Log io.Writer
	// Provenance is stored in model.safetensors' metadata (command, seed,
	// commit, ...).
	Provenance map[string]string
	// BF16 stores the final weights as bfloat16 (half the size).
	BF16 bool
	// Stop, when closed, makes the run finish its step, write the training
	// checkpoint and return an error wrapping train.ErrInterrupted (the
	// CLI closes it on SIGINT/SIGTERM).
	Stop <-chan struct{}

	stopAfter int // tests: return errStopped after this step, as if killed
}

// errStopped is returned by a run stopped by Options.stopAfter.
var errStopped = errors.New("pretrain: stopped")

func (o *Options) defaults(steps int) {
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = 100
	}
	if o.LogEvery <= 0 {
		o.LogEvery = max(steps/40, 1)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// The trained model's files in the output folder (a Hugging Face folder,
// with tokenizer.json).
const (
	modelFile  = "model.safetensors"
	configFile = "config.json"
)

// trainer runs a pretraining run on the training floor's loop
// (train.Loop): AdamW over params, batches drawn from the sampler src, a
// progress line every Options.LogEvery steps and the resumable checkpoint
// at statePath.
type trainer struct {
	what      string // "encoder" or "decoder", for messages
	dir       string
	statePath string
	id        runID // the run's data and config; a resume must match it
	steps     int
	o         Options
	began     time.Time
	// Set by the run once its model is built:
	params []*autograd.Var
	opt    *nn.AdamW
	src    *rand.PCG

	loop    *train.Loop
	lossAvg *tail     // the recent losses (Result.Loss is their mean)
	first   int       // steps done when this process started
	t0      time.Time // when this process started training
	before  float64   // training seconds of the processes before this one
}

// newTrainer starts a run of steps steps writing to dir (created if
// needed) with settings config on training data fingerprinted data, o's
// defaults filled in.
func newTrainer(what, dir string, config any, data string, steps int, o Options) (*trainer, error) {
	o.defaults(steps)
	id, err := newRunID(config, data)
	if err != nil {
		return nil, err
	}
	statePath := filepath.Join(dir, CheckpointName)
	if _, err := os.Stat(statePath); err != nil && o.Resume { // before anything touches dir
		return nil, fmt.Errorf("pretrain: resume: no checkpoint in %s", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &trainer{what: what, dir: dir, statePath: statePath, id: id,
		steps: steps, o: o, began: time.Now(), lossAvg: newTail(steps)}, nil
}

// batchLoss records one batch's loss on tp and returns it with the number
// of tokens the batch holds.
type batchLoss func(tp *autograd.Tape) (loss *autograd.Var, tokens int, err error)

// start builds the run's loop over batch: a new run's folder loses an
// earlier run's model and checkpoint; with Options.Resume the
// checkpoint's step, parameters, AdamW moments, sampler state and recent
// losses are restored.
func (t *trainer) start(batch batchLoss) error {
	t.loop = t.newLoop(batch)
	if !t.o.Resume {
		// The new run replaces the model and checkpoint an earlier run left
		// in the folder (read by now when it is the run's Init folder): one
		// interrupted must not leave old weights beside its new tokenizer.
		for _, f := range []string{modelFile, configFile, CheckpointName} {
			if err := os.Remove(filepath.Join(t.dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("pretrain: replacing the earlier run in %s: %w", t.dir, err)
			}
		}
		return nil
	}
	if err := checkState(t.statePath, t.id); err != nil {
		return err
	}
	step, err := t.loop.Resume()
	if err != nil {
		return err
	}
	t.first = step
	fmt.Fprintf(t.o.Log, "resuming at step %d\n", step)
	return nil
}

// run takes the loop's steps, checkpointing every Options.CheckpointEvery
// steps and when Options.Stop fires. It returns the training time summed
// over every process that worked on the run. With Options.BF16 the
// parameters end rounded to bfloat16, so what is measured afterwards is
// what is saved.
func (t *trainer) run() (time.Duration, error) {
	t.t0 = time.Now()
	if err := t.loop.Run(); err != nil {
		return 0, err
	}
	if t.o.BF16 {
		roundBF16(t.params)
	}
	return time.Duration(t.seconds() * float64(time.Second)), nil
}

// seconds is the run's training time so far, over every process.
func (t *trainer) seconds() float64 { return t.before + time.Since(t.t0).Seconds() }

// newLoop returns the run's train.Loop: each step one batch from batch,
// gradients clipped to norm 1.
func (t *trainer) newLoop(batch batchLoss) *train.Loop {
	tp := autograd.NewTape()
	every := max(t.o.CheckpointEvery, 0) // negative: only when stopped
	l := &train.Loop{Name: "pretrain: " + t.what, Params: t.params, Opt: t.opt, Clip: 1, Steps: t.steps, RNG: t.src,
		Checkpoint: train.Checkpointing{Path: t.statePath, Every: every, Resume: t.o.Resume, Stop: t.o.Stop},
		Data:       t.id.data, Settings: t.id.settings}
	tokens := 0
	l.Step = func(step int, _ []int) (float32, error) {
		if t.o.stopAfter > 0 && step == t.o.stopAfter {
			return 0, errStopped // tests: as if killed after step stopAfter
		}
		tp.Reset()
		loss, n, err := batch(tp)
		if err != nil {
			return 0, err
		}
		tokens += n
		tp.Backward(loss)
		return loss.Item(), nil
	}
	l.Log = func(s train.StepLog) error {
		t.lossAvg.add(s.Loss)
		if s.Step%t.o.LogEvery == 0 || s.Step == t.first+1 || s.Step == t.steps {
			progress(t.o.Log, t.what, s.Step, t.first, t.steps, s.Loss, tokens, time.Since(t.t0))
		}
		return nil
	}
	l.Save = func() (map[string]string, map[string]*tensor.Tensor) {
		js, _ := json.Marshal(loopState{Tail: t.lossAvg.values(), Seconds: t.seconds()})
		return map[string]string{"pretrain": string(js)}, nil
	}
	l.Restore = func(ls train.LoopState, _ map[string][]float32) error {
		st, err := pretrainState(ls)
		if err != nil {
			return err
		}
		t.lossAvg.restore(st.Tail)
		t.before = st.Seconds
		return nil
	}
	return l
}

// metadata completes a trained model's metadata md with what every run
// records — steps, parameters, config, training time — and the
// provenance.
func (t *trainer) metadata(md map[string]string, elapsed time.Duration) map[string]string {
	md["steps"], md["parameters"] = fmt.Sprint(t.steps), fmt.Sprint(nn.CountParams(t.params))
	md["pretrain_config"], md["train_seconds"] = t.id.config, fmt.Sprintf("%.0f", elapsed.Seconds())
	maps.Copy(md, t.o.Provenance)
	return md
}

// save writes the trained model to the output folder — config.json from
// cfg, model.safetensors with metadata md — and removes the checkpoint.
func (t *trainer) save(cfg any, md map[string]string) error {
	if err := writeJSON(filepath.Join(t.dir, configFile), cfg); err != nil {
		return err
	}
	if err := writeWeights(filepath.Join(t.dir, modelFile), t.params, md, t.o.BF16); err != nil {
		return err
	}
	os.Remove(t.statePath)
	return nil
}

// resumeTokenizer loads the tokenizer an interrupted run wrote to dir
// (newTrainer checked that it holds its checkpoint).
func resumeTokenizer(dir string) (tokenizer.Tokenizer, error) {
	t, err := tokenizer.Load(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return nil, fmt.Errorf("pretrain: resume: %w", err)
	}
	return t, nil
}

// progress prints one progress line: step, loss, tokens/s since this
// process started (from step first) and the ETA.
func progress(w io.Writer, what string, step, first, steps int, loss float64, tokens int, el time.Duration) {
	done := step - first
	eta := el / time.Duration(max(done, 1)) * time.Duration(steps-step)
	fmt.Fprintf(w, "  %s step %5d/%d  loss %.4f  %6.0f tok/s  elapsed %s  eta %s\n", what, step, steps, loss,
		float64(tokens)/max(el.Seconds(), 1e-9), el.Round(time.Second), eta.Round(time.Second))
}

// tail keeps the mean of the last n/20 (at least 1) values added.
type tail struct {
	buf []float64
	i   int
	n   int
}

func newTail(steps int) *tail { return &tail{buf: make([]float64, max(steps/20, 1))} }

func (t *tail) add(v float64) {
	t.buf[t.i%len(t.buf)] = v
	t.i++
	t.n = min(t.n+1, len(t.buf))
}

// values returns the kept values, oldest first.
func (t *tail) values() []float64 {
	var out []float64
	for k := t.i - t.n; k < t.i; k++ {
		out = append(out, t.buf[k%len(t.buf)])
	}
	return out
}

// restore re-adds values (from a checkpoint).
func (t *tail) restore(vs []float64) {
	for _, v := range vs {
		t.add(v)
	}
}

func (t *tail) mean() float64 {
	if t.n == 0 {
		return 0
	}
	s := 0.0
	for _, v := range t.buf[:t.n] {
		s += v
	}
	return s / float64(t.n)
}
