package train

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
)

// Data is everything the pipeline trains and evaluates on: the pairs and
// tasks of package data (a task's EnglishPassage is its teacher side;
// kind "translate" is scored with chrF, every other kind with normalised
// exact match; numeric fidelity is scored on all).
type Data struct {
	TrainPairs, DevPairs  []data.Pair // Stage A
	Pool                  []data.Pair // held-out retrieval pool (paper: 1,024)
	TrainTasks, TestTasks []data.Task
}

// Models are the frozen networks as LLINK uses them: the decoder (with
// its tokenizer, chat template and LLINK's token ids) and the reader of
// foreign text (the encoder with its tokenizer and pooling), with their ids.
type Models struct {
	Dec       *llink.Decoder
	Enc       *llink.Reader
	DecoderID string
	EncoderID string
	// BaseVocab is the decoder's vocabulary before LLINK's tokens were
	// added, AddedTokens how many rows were added (0 when its tokenizer
	// already had them); bundles record both.
	BaseVocab, AddedTokens int
}

// NewModels sets up frozen models for LLINK with k slots: LLINK's tokens
// are added to the decoder's tokenizer and vocabulary when missing
// ([llink.AddTokens]), the chat template is Llama-3's.
func NewModels(dec *llama.Model, dt llink.TokenAdder, decoderID string, enc llink.Encoder, et llink.Tokenizer, encPad int, encoderID string, k int) (*Models, error) {
	base, added, err := llink.AddTokens(dec, dt, k)
	if err != nil {
		return nil, err
	}
	d, err := llink.NewDecoder(dec, dt, nil, "", "", k)
	if err != nil {
		return nil, err
	}
	return &Models{Dec: d, Enc: &llink.Reader{Encoder: enc, Tok: et, Pad: encPad, ID: encoderID}, DecoderID: decoderID,
		EncoderID: encoderID, BaseVocab: base, AddedTokens: added}, nil
}

// Identity returns the models' identity, as bundles record it.
func (m *Models) Identity() llink.Identity {
	return llink.Identity{DecoderID: m.DecoderID, EncoderID: m.EncoderID, DecDim: m.Dec.Model.Config.Hidden, EncDim: m.Enc.Dim()}
}

// LayerPairsN is how many pool pairs the layer analysis averages over.
const LayerPairsN = 64

// pipeline carries the state of one run.
type pipeline struct {
	m   *Models
	c   PipelineConfig
	log io.Writer
	res *Results
	mu  *sync.Mutex // guards res.Timing and log lines across lanes
}

func (p *pipeline) logf(format string, args ...any) {
	if p.log != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		fmt.Fprintf(p.log, format+"\n", args...)
	}
}

// timed runs f and adds its wall time to the run's timing of name.
func (p *pipeline) timed(name string, f func() error) error {
	t0 := time.Now()
	err := f()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.Timing[name] += time.Since(t0).Seconds()
	return err
}

// timing returns the run's timing of name so far.
func (p *pipeline) timing(name string) float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.res.Timing[name]
}

// RunPipeline runs Stage A, Stage B, the fine-tuned controls
// ([DefaultControls]) and the evaluation of [DefaultRows], and returns the
// results table. Progress lines go to log (may be nil). It is
// the composition of [Stages]' steps, which `llink stage-a`, `stage-b`,
// `baseline` and `eval` run one per process.
//
// With two or more kernel threads ([asm.Threads]) and no memory budget,
// the steps run on two lanes at once: LLINK's (Stage A, Stage B, its rows'
// evaluation, the layer analysis) and one on a fork of the decoder with
// its own adapters ([llama.Model.Fork]) that trains and evaluates the
// controls' rows; LLINK's lane takes the rows left once its own steps are
// done. Each step keeps its own random streams and every kernel splits its
// work as it does alone, so the table is the same to the digit; the lanes
// fill the cores that one step's small kernels leave idle.
func RunPipeline(m *Models, d Data, c PipelineConfig, log io.Writer) (*Results, error) {
	s, err := NewStages(m, d, c, log)
	if err != nil {
		return nil, err
	}
	if !c.Lanes() {
		return s.runSerial()
	}
	return s.runLanes()
}

// Lanes reports whether [RunPipeline] runs its steps on two lanes at once
// (two or more kernel threads and no memory budget: the budget measures one
// step's activations beside what the process holds).
func (c PipelineConfig) Lanes() bool { return asm.Threads() >= 2 && c.StageB.Memory == 0 }

// runSerial runs the pipeline's steps one after the other.
func (s *Stages) runSerial() (*Results, error) {
	b, err := s.stageAB()
	if err != nil {
		return nil, err
	}
	var controls []Control
	if !s.p.c.SkipBaselines {
		for _, row := range DefaultControls {
			ctl, err := s.TrainControl(row)
			if err != nil {
				return nil, err
			}
			controls = append(controls, ctl)
		}
	}
	return s.Evaluate(b, controls)
}

// stageAB trains Stage A and Stage B and saves the bundle (when the
// settings name a path).
func (s *Stages) stageAB() (*llink.Bundle, error) {
	c := s.p.c
	proj, err := s.StageA()
	if err != nil {
		return nil, err
	}
	b, err := s.StageB(proj)
	if err != nil {
		return nil, err
	}
	if c.BundlePath != "" {
		meta := map[string]string{"stage_a_steps": strconv.Itoa(c.StageA.Steps), "stage_b_steps": strconv.Itoa(c.StageB.Steps),
			"seed": strconv.FormatUint(c.Seed, 10)}
		if err := llink.SaveBundle(c.BundlePath, b, meta); err != nil {
			return nil, fmt.Errorf("saving the LLINK bundle: %w", err)
		}
		s.p.logf("LLINK bundle: %s", c.BundlePath)
	}
	return b, nil
}

// runLanes runs the pipeline as [RunPipeline] describes. The controls'
// rows are jobs (train, then evaluate; base + copy only evaluates), longest
// first: the fork's lane takes them from the start, LLINK's lane takes the
// ones left once its own steps are done. A row's result does not depend on
// the lane that ran it (the same weights, its own adapters and random
// streams). The first error stops the other lane at its next step (a
// training loop writes its checkpoint then).
func (s *Stages) runLanes() (*Results, error) {
	c := s.p.c
	halt := make(chan struct{})
	var once sync.Once
	stop := func() { once.Do(func() { close(halt) }) }
	if user := c.StageA.Checkpoint.Stop; user != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-user:
				stop()
			case <-done:
			}
		}()
	}
	s = s.withConfig(func(c *PipelineConfig) { c.StageA.Checkpoint.Stop, c.StageB.Checkpoint.Stop = halt, halt })
	var jobs []string
	if !c.SkipBaselines {
		jobs = append(slices.Clone(DefaultControls), RowBaseCopy)
	}
	var (
		mu   sync.Mutex
		next int
		all  []MethodResult
		errs []error
	)
	// work runs control rows on t until none is left or a lane failed.
	work := func(t *Stages) error {
		for {
			mu.Lock()
			if next == len(jobs) || len(errs) > 0 {
				mu.Unlock()
				return nil
			}
			row := jobs[next]
			next++
			mu.Unlock()
			r, err := t.controlRow(row)
			if err != nil {
				return err
			}
			mu.Lock()
			all = append(all, r)
			mu.Unlock()
		}
	}
	lane := func(f func() error) {
		if err := f(); err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
			stop()
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		lane(func() error { return work(s.fork()) })
	}()
	lane(func() error {
		rs, err := s.llinkLane()
		if err != nil {
			return err
		}
		mu.Lock()
		all = append(all, rs...)
		mu.Unlock()
		return work(s)
	})
	wg.Wait()
	if err := firstRealErr(errs...); err != nil {
		return nil, err
	}
	// The table in DefaultRows order, as the serial run makes it.
	p := s.p
	for _, row := range DefaultRows {
		for _, r := range all {
			if r.Method == row {
				p.res.Methods = append(p.res.Methods, r)
			}
		}
	}
	return p.res, nil
}

// firstRealErr returns the first error that is not the other lane's
// interruption, else the interruption, else nil.
func firstRealErr(errs ...error) error {
	var interrupted error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, ErrInterrupted):
			interrupted = cmp.Or(interrupted, err)
		default:
			return err
		}
	}
	return interrupted
}

// llinkLane trains Stage A and Stage B, evaluates Stage A only and LLINK
// and runs the layer analysis; it returns the rows' results (the layers go
// to the run's results).
func (s *Stages) llinkLane() ([]MethodResult, error) {
	b, err := s.stageAB()
	if err != nil {
		return nil, err
	}
	ms, err := s.Methods(b, nil)
	if err != nil {
		return nil, err
	}
	ms = slices.DeleteFunc(ms, func(m Method) bool { return m.Name != RowStageAOnly && m.Name != RowLLINK })
	rs, err := s.evalRows(ms, b.Projector)
	if err != nil {
		return nil, err
	}
	return rs, s.layers(b)
}

// controlRow trains the control row (one of [DefaultControls]) and
// evaluates it, or evaluates base + copy, on s's decoder.
func (s *Stages) controlRow(row string) (MethodResult, error) {
	var lora llama.Adapters
	if row != RowBaseCopy {
		ctl, err := s.TrainControl(row)
		if err != nil {
			return MethodResult{}, err
		}
		lora = ctl.LoRA
	}
	m, err := s.method(row, lora, nil)
	if err != nil {
		return MethodResult{}, err
	}
	rs, err := s.evalRows([]Method{m}, nil)
	if err != nil {
		return MethodResult{}, err
	}
	return rs[0], nil
}

// CacheSet is one of the vector caches the pipeline reads.
type CacheSet struct {
	Name string // "train", "dev", "pool", "train-tasks" or "test-tasks"
	Spec *CacheSpec
}

// CacheSets returns the vector caches [RunPipeline] reads for these models
// and data, in the order it reads them: the same specs (and so the same
// cache keys) whoever builds them — `llink run` itself, or `llink
// embed-cache --shard I/N` on many machines followed by a merge. c gives
// the encoder pooling and the teacher vector's definition
// (llink.Config.EncoderPool, TeacherPool and TeacherLayer).
func CacheSets(m *Models, d Data, dir string, c llink.Config) []CacheSet {
	teacher := teacherOf(m, c)
	student := *m.Enc
	student.Pool = c.EncoderPool
	spec := func(pairs []data.Pair) *CacheSpec {
		s := &CacheSpec{Dir: dir, Student: &student, Teacher: teacher, Batch: 32}
		for _, pr := range pairs {
			s.Foreign = append(s.Foreign, pr.Foreign)
			s.English = append(s.English, pr.English)
		}
		return s
	}
	taskPairs := func(ts []data.Task) []data.Pair {
		out := make([]data.Pair, len(ts))
		for i, t := range ts {
			out[i] = data.Pair{English: t.EnglishPassage, Foreign: t.Foreign}
		}
		return out
	}
	return []CacheSet{
		{"train", spec(d.TrainPairs)}, {"dev", spec(d.DevPairs)}, {"pool", spec(d.Pool)},
		{"train-tasks", spec(taskPairs(d.TrainTasks))}, {"test-tasks", spec(taskPairs(d.TestTasks))},
	}
}

// teacherOf returns Stage A's teacher on m's decoder with c's definition
// of the teacher vector.
func teacherOf(m *Models, c llink.Config) *llink.Teacher {
	return &llink.Teacher{Dec: m.Dec, ID: m.DecoderID, Pool: c.TeacherPool, Layer: c.TeacherLayer}
}

// stepLogger prints about 10 progress lines per stage.
func (p *pipeline) stepLogger(stage string, steps int) func(StepLog) {
	if p.c.StepHook != nil {
		return p.c.StepHook(stage, steps)
	}
	every := max(steps/10, 1)
	t0 := time.Now()
	return func(l StepLog) {
		if l.Step%every != 0 && l.Step != steps {
			return
		}
		el := time.Since(t0)
		eta := time.Duration(float64(el) / float64(l.Step) * float64(steps-l.Step))
		dev := ""
		if l.Dev != nil {
			dev = fmt.Sprintf("  dev %s %.3f", l.DevName(), *l.Dev)
		}
		p.logf("  %s step %5d/%d  loss %.4f  lr %.2e%s  (%s, eta %s)", stage, l.Step, steps, l.Loss, l.LR, dev,
			el.Round(time.Second), eta.Round(time.Second))
	}
}

// examples turns tasks into training examples with prompts of form f; for
// a form with slots, v and h (row-aligned with tasks) are the projected and
// teacher vectors, tok (nil unless the slots read tokens) the token
// states, and counts (nil: f.K each) each task's number of slots with
// dynamic K ([llink.Config.SlotCounts]).
func (p *pipeline) examples(tasks []data.Task, f llink.Form, v, h *tensor.Tensor, tok *llink.Tokens, counts []int) ([]Example, error) {
	exs := make([]Example, len(tasks))
	for i, t := range tasks {
		fi := f
		fi.K = slotsOf(counts, i, f.K)
		pr, err := p.m.Dec.Prompt(fi, t.Instruction, t.Foreign)
		if err != nil {
			return nil, err
		}
		e := Example{Prompt: pr.IDs, SlotPos: pr.SlotPos}
		e.Answer = append(p.m.Dec.Tok.Encode(t.Answer, false), p.m.Dec.IDs.EOT)
		if f.Content == llink.SlotTokens {
			e.V, e.H = v.Row(i), h.Row(i)
			e.Words = p.m.Dec.Tok.Encode(t.EnglishPassage, false)
			if tok != nil {
				e.Tok = tok.Row(i)
			}
		}
		exs[i] = e
	}
	return exs, nil
}
