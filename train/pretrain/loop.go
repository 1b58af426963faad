package pretrain

import (
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
	"github.com/llink-go/llink/train"
)

// Options are a run's settings that do not change the trained weights.
type Options struct {
	// Resume continues from the training checkpoint in the output folder
	// (an error when there is none).
	Resume bool
	// CheckpointEvery is how often (in steps) the training checkpoint is
	// written; 0 means every 100 steps, negative never.
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

// stopRequested reports whether Stop has been closed.
func (o Options) stopRequested() bool {
	select {
	case <-o.Stop:
		return true
	default:
		return false
	}
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

// trainer is the optimisation loop both pretraining runs share: AdamW
// over params, batches drawn from the sampler src, a progress line every
// Options.LogEvery steps and the resumable checkpoint at statePath.
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
		steps: steps, o: o, began: time.Now()}, nil
}

// batchLoss records one batch's loss on tp and returns it with the number
// of tokens the batch holds.
type batchLoss func(tp *autograd.Tape) (loss *autograd.Var, tokens int, err error)

// start returns the loop state to begin with: a fresh one, or with
// Options.Resume the checkpoint's, its parameters, AdamW moments and
// sampler state restored.
func (t *trainer) start() (loopState, error) {
	if !t.o.Resume {
		// The new run replaces the model and checkpoint an earlier run left
		// in the folder (read by now when it is the run's Init folder): one
		// interrupted must not leave old weights beside its new tokenizer.
		for _, f := range []string{modelFile, configFile, CheckpointName} {
			if err := os.Remove(filepath.Join(t.dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return loopState{}, fmt.Errorf("pretrain: replacing the earlier run in %s: %w", t.dir, err)
			}
		}
		return loopState{}, nil
	}
	st, err := loadState(t.statePath, t.params, t.opt, t.id)
	if err != nil {
		return st, err
	}
	if err := t.src.UnmarshalBinary(st.RNG); err != nil {
		return st, fmt.Errorf("pretrain: resume: sampler state: %w", err)
	}
	fmt.Fprintf(t.o.Log, "resuming at step %d\n", st.Step)
	return st, nil
}

// run takes optimizer steps from st until t.steps, checkpointing every
// Options.CheckpointEvery steps and when Options.Stop fires. It returns
// the final state and the training time summed over every process that
// worked on the run. With Options.BF16 the parameters end rounded to
// bfloat16, so what is measured afterwards is what is saved.
func (t *trainer) run(st loopState, batch batchLoss) (loopState, time.Duration, error) {
	tp := autograd.NewTape()
	t0, tokens, first, before := time.Now(), 0, st.Step, st.Seconds
	lossAvg := newTail(t.steps)
	lossAvg.restore(st.Tail)
	for st.Step < t.steps {
		tp.Reset()
		autograd.ZeroGrad(t.params)
		loss, n, err := batch(tp)
		if err != nil {
			return st, 0, err
		}
		tokens += n
		if err := nn.CheckFinite(loss, nil); err != nil {
			return st, 0, fmt.Errorf("pretrain: %s step %d: %w", t.what, st.Step, err)
		}
		tp.Backward(loss)
		nn.ClipGradNorm(t.params, 1)
		t.opt.Step()
		st.Step++
		lossAvg.add(float64(loss.Item()))
		st.Loss = lossAvg.mean()
		if st.Step%t.o.LogEvery == 0 || st.Step == first+1 || st.Step == t.steps {
			progress(t.o.Log, t.what, st.Step, first, t.steps, float64(loss.Item()), tokens, time.Since(t0))
		}
		stop := t.o.stopRequested() && st.Step < t.steps
		if stop || t.o.CheckpointEvery > 0 && st.Step%t.o.CheckpointEvery == 0 && st.Step < t.steps {
			st.RNG, st.Tail, st.Seconds = pcgBytes(t.src), lossAvg.values(), before+time.Since(t0).Seconds()
			if err := saveState(t.statePath, t.params, t.opt, st, t.id); err != nil {
				return st, 0, err
			}
		}
		if stop {
			return st, 0, fmt.Errorf("pretrain: %s stopped after step %d, checkpoint in %s: %w", t.what, st.Step, t.statePath, train.ErrInterrupted)
		}
		if t.o.stopAfter > 0 && st.Step == t.o.stopAfter {
			return st, 0, errStopped
		}
	}
	if t.o.BF16 {
		roundBF16(t.params)
	}
	return st, time.Duration(before*float64(time.Second)) + time.Since(t0), nil
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
