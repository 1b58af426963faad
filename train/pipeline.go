package train

import (
	"fmt"
	"io"
	"strconv"
	"time"

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
}

func (p *pipeline) logf(format string, args ...any) {
	if p.log != nil {
		fmt.Fprintf(p.log, format+"\n", args...)
	}
}

func (p *pipeline) timed(name string, f func() error) error {
	t0 := time.Now()
	err := f()
	p.res.Timing[name] = time.Since(t0).Seconds()
	return err
}

// RunPipeline runs Stage A, Stage B, the fine-tuned controls
// ([DefaultControls]) and the evaluation of [DefaultRows], and returns the
// results table. Progress lines go to log (may be nil). It is
// the composition of [Stages]' steps, which `llink stage-a`, `stage-b`,
// `baseline` and `eval` run one per process.
func RunPipeline(m *Models, d Data, c PipelineConfig, log io.Writer) (*Results, error) {
	s, err := NewStages(m, d, c, log)
	if err != nil {
		return nil, err
	}
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
	var controls []Control
	if !c.SkipBaselines {
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

// CacheSet is one of the vector caches the pipeline reads.
type CacheSet struct {
	Name string // "train", "dev", "pool", "train-tasks" or "test-tasks"
	Spec *CacheSpec
}

// CacheSets returns the vector caches [RunPipeline] reads for these models
// and data, in the order it reads them: the same specs (and so the same
// cache keys) whoever builds them — `llink run` itself, or `llink
// embed-cache --shard I/N` on many machines followed by a merge. pool is
// the encoder pooling (llink.Config.EncoderPool).
func CacheSets(m *Models, d Data, dir, pool string) []CacheSet {
	teacher := &llink.Teacher{Dec: m.Dec, ID: m.DecoderID}
	student := *m.Enc
	student.Pool = pool
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
// teacher vectors, and tok (nil unless the slots read tokens) the token
// states.
func (p *pipeline) examples(tasks []data.Task, f llink.Form, v, h *tensor.Tensor, tok *llink.Tokens) ([]Example, error) {
	exs := make([]Example, len(tasks))
	for i, t := range tasks {
		pr, err := p.m.Dec.Prompt(f, t.Instruction, t.Foreign)
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
