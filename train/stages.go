package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/llink-go/llink/models/llama"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/llink"
)

// Stages is the LLINK pipeline one step at a time, over the models, data and
// settings of one run: the vector caches (read or built by [NewStages]),
// [Stages.StageA], [Stages.StageB], [Stages.Baseline] and
// [Stages.Evaluate]. Each step takes what the earlier ones produced, so the
// steps can run in one process ([RunPipeline]) or in separate ones with the
// results saved in between (the projector with [SaveProjector], the LLINK
// parts with [SaveBundle], the baseline's LoRA with [SaveLoRA]). Every step
// seeds its own random stream from the run's seed, so both ways give the
// same numbers.
type Stages struct {
	p    *pipeline
	d    Data
	vecs map[string]Pairs
	base loraSet // the decoder's adapters before any step (normally none)
}

// NewStages checks the settings against the models and data and loads (or
// builds) the vector caches.
func NewStages(m *Models, d Data, c PipelineConfig, log io.Writer) (*Stages, error) {
	if m.Chat == nil {
		m.Chat = Llama3Chat
	}
	if len(m.Specials.Slots) != c.Slots.K {
		return nil, fmt.Errorf("train: %d slot tokens for K=%d", len(m.Specials.Slots), c.Slots.K)
	}
	if err := c.Slots.Validate(); err != nil {
		return nil, err
	}
	if len(d.TrainPairs) < c.StageA.Batch || len(d.Pool) < 2 || len(d.TrainTasks) == 0 || len(d.TestTasks) == 0 {
		return nil, fmt.Errorf("train: not enough data (%d train pairs for batch %d, %d pool, %d train tasks, %d test tasks)",
			len(d.TrainPairs), c.StageA.Batch, len(d.Pool), len(d.TrainTasks), len(d.TestTasks))
	}
	p := &pipeline{m: m, c: c, log: log, res: &Results{Timing: map[string]float64{}, Config: c}}
	s := &Stages{p: p, d: d, vecs: map[string]Pairs{}, base: detachLoRA(m.Decoder)}
	attachLoRA(m.Decoder, s.base)
	for _, set := range CacheSets(m, d, c.CacheDir, c.Slots.EncoderPool) {
		if c.CacheProgress != nil {
			set.Spec.Progress = c.CacheProgress(set.Name)
		}
		err := p.timed("cache_"+set.Name, func() (err error) {
			s.vecs[set.Name], err = LoadOrBuildCache(set.Spec)
			return err
		})
		if err != nil {
			return nil, err
		}
		p.logf("vectors %-11s %5d pairs (%.1fs)", set.Name, len(set.Spec.Foreign), p.res.Timing["cache_"+set.Name])
	}
	return s, nil
}

// Results returns the results gathered so far (timings, Stage A's, and after
// Evaluate the table).
func (s *Stages) Results() *Results { return s.p.res }

// rng returns the step's own random stream.
func (s *Stages) rng(step uint64) *rand.Rand { return rand.New(rand.NewPCG(s.p.c.Seed, step)) }

// StageA trains the projector on the cached vectors (checkpointed as the
// settings say) and returns it with its best dev parameters.
func (s *Stages) StageA() (*llink.Projector, error) {
	p, c := s.p, s.p.c
	proj := llink.NewProjector(c.Slots, s.rng(0x11))
	p.logf("stage A: %d steps, batch %d", c.StageA.Steps, c.StageA.Batch)
	err := p.timed("stage_a", func() (err error) {
		p.res.StageA, err = TrainStageA(proj, s.vecs["train"], s.vecs["dev"], c.StageA, p.stepLogger("stage A", c.StageA.Steps))
		return err
	})
	return proj, err
}

// gamma0 is the Scale's initial γ: the median decoder embedding-row norm.
func (s *Stages) gamma0() float32 { return llink.MedianRowNorm(s.p.m.Decoder.Emb.Float32()) }

// StageB trains the slots (scale, adapter, expander) and the decoder's LoRA
// on the training tasks with proj frozen, and returns everything LLINK
// trained as a bundle (its LoRA is left detached from the decoder).
func (s *Stages) StageB(proj *llink.Projector) (*Bundle, error) {
	p, c, m := s.p, s.p.c, s.p.m
	dec := m.Decoder
	rng := s.rng(0x12)
	slots := llink.NewSlots(c.Slots, s.gamma0(), rng)
	tv := s.vecs["train-tasks"]
	exs := p.examples(s.d.TrainTasks, true, Project(proj, tv.Z), tv.H)
	attachLoRA(dec, s.base)
	lora := dec.AddLoRA(c.LoRA, rng)
	defer attachLoRA(dec, s.base)
	p.logf("stage B: %d steps, batch %d, %d LoRA tensors", c.StageB.Steps, c.StageB.Batch, len(lora))
	if err := p.timed("stage_b", func() error {
		_, err := TrainStageB(dec, slots, lora, exs, m.Specials.Pad, c.StageB, p.stepLogger("stage B", c.StageB.Steps))
		return err
	}); err != nil {
		return nil, err
	}
	b := &Bundle{Config: c.Slots, LoRA: c.LoRA, Projector: proj, Slots: slots, LoRAParams: lora,
		BaseVocab: m.BaseVocab, AddedTokens: m.AddedTokens, DecoderID: m.DecoderID, EncoderID: m.EncoderID}
	if b.BaseVocab == 0 {
		b.BaseVocab = dec.Config.VocabSize - b.AddedTokens
	}
	return b, nil
}

// Baseline trains the direct fine-tuning baseline — LoRA with Stage B's
// rank, targets, steps and learning rate on the raw-Khmer prompts — and
// returns its LoRA parameters (left detached from the decoder).
func (s *Stages) Baseline() ([]*autograd.Var, error) {
	p, c, m := s.p, s.p.c, s.p.m
	dec := m.Decoder
	attachLoRA(dec, s.base)
	lora := dec.AddLoRA(c.LoRA, s.rng(0x13))
	defer attachLoRA(dec, s.base)
	p.logf("direct fine-tuning baseline: %d steps", c.StageB.Steps)
	cfg := c.StageB
	if ck := &cfg.Checkpoint; ck.Path != "" {
		ck.Path = strings.TrimSuffix(ck.Path, ".safetensors") + "-direct-ft.safetensors"
	}
	err := p.timed("direct_ft", func() error {
		_, err := TrainStageB(dec, nil, lora, p.examples(s.d.TrainTasks, false, nil, nil), m.Specials.Pad, cfg, p.stepLogger("direct FT", c.StageB.Steps))
		return err
	})
	return lora, err
}

// loraSetOf attaches params (LoRA tensors made by AddLoRA on this decoder,
// possibly loaded from a file) and returns them as a set, detached again.
func (s *Stages) loraSetOf(params []*autograd.Var) (loraSet, error) {
	dec := s.p.m.Decoder
	attachLoRA(dec, s.base)
	defer attachLoRA(dec, s.base)
	set := loraSet{}
	byName := map[string]*autograd.Var{}
	for _, v := range params {
		byName[v.Name] = v
	}
	// AddLoRA names its tensors after the projections: re-create the
	// adapters and point them at the given tensors.
	fresh := dec.AddLoRA(s.p.c.LoRA, s.rng(0x14))
	for _, v := range fresh {
		w, ok := byName[v.Name]
		if !ok {
			return nil, fmt.Errorf("train: LoRA tensor %s missing (trained with other LoRA targets?)", v.Name)
		}
		if w.Value.Len() != v.Value.Len() {
			return nil, fmt.Errorf("train: LoRA tensor %s has %d values, this decoder needs %d", v.Name, w.Value.Len(), v.Value.Len())
		}
		copy(v.Value.Data(), w.Value.Data())
	}
	if len(fresh) != len(params) {
		return nil, fmt.Errorf("train: %d LoRA tensors given, the decoder's LoRA has %d", len(params), len(fresh))
	}
	for w, l := range detachLoRA(dec) {
		if l != nil {
			set[w] = l
		}
	}
	return set, nil
}

// Evaluate fills the results table: base (raw Khmer), direct FT (when ft is
// non-nil), Stage A only and LLINK (b) on the held-out tasks and the
// retrieval pool, then the layer analysis unless the settings skip it.
func (s *Stages) Evaluate(b *Bundle, ft []*autograd.Var) (*Results, error) {
	p, c, m := s.p, s.p.c, s.p.m
	if b == nil || b.Projector == nil || b.Slots == nil {
		return nil, errors.New("train: evaluate needs the LLINK bundle")
	}
	dec := m.Decoder
	llinkSet, err := s.loraSetOf(b.LoRAParams)
	if err != nil {
		return nil, fmt.Errorf("LLINK LoRA: %w", err)
	}
	var ftSet loraSet
	if ft != nil {
		if ftSet, err = s.loraSetOf(ft); err != nil {
			return nil, fmt.Errorf("direct fine-tuning LoRA: %w", err)
		}
	}
	proj, slots := b.Projector, b.Slots
	testTV, poolV := s.vecs["test-tasks"], s.vecs["pool"]
	testV := Project(proj, testTV.Z)
	stageAOnly := llink.NewScale(s.gamma0(), c.Slots.Eps)
	defer attachLoRA(dec, s.base)
	err = p.timed("eval", func() error {
		for _, method := range []struct {
			name  string
			lora  loraSet
			slots bool
			skip  bool
		}{
			{"base", s.base, false, c.SkipBaselines},
			{"direct FT", ftSet, false, ft == nil},
			{"Stage A only", s.base, true, false},
			{"LLINK", llinkSet, true, false},
		} {
			if method.skip {
				continue
			}
			attachLoRA(dec, method.lora)
			var r MethodResult
			var err error
			switch {
			case method.name == "Stage A only":
				r, err = p.evalStageAOnly(s.d.TestTasks, testV, stageAOnly)
			case method.slots:
				r, err = p.evalTasks(method.name, s.d.TestTasks, slots, testV, testTV.H)
			default:
				r, err = p.evalTasks(method.name, s.d.TestTasks, nil, nil, nil)
			}
			if err != nil {
				return fmt.Errorf("evaluating %s: %w", method.name, err)
			}
			if err := p.retrieval(&r, method.name, proj, slots, poolV, s.d.Pool); err != nil {
				return err
			}
			p.logf("%-13s EM %.3f  chrF %.1f  numbers %d/%d", r.Method, r.ExactMatch, r.ChrF, r.NumericMatch, r.NumericTotal)
			p.res.Methods = append(p.res.Methods, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if c.SkipLayers {
		return p.res, nil
	}
	err = p.timed("layers", func() (err error) {
		n := min(LayerPairsN, len(s.d.Pool))
		v := Project(proj, rows(poolV.Z, poolV.IDs[:n]))
		p.res.Layers, err = p.layerAnalysis(s.d.Pool[:n], v, slots, s.base, llinkSet)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("layer analysis: %w", err)
	}
	return p.res, nil
}

// SaveProjector writes Stage A's projector with its config and the models'
// ids, atomically.
func SaveProjector(path string, proj *llink.Projector, c llink.Config, decoderID, encoderID string) error {
	cfg, _ := json.Marshal(c)
	return SaveParams(path, proj.Params(), map[string]string{"format": "llink-projector-v1", "llink_config": string(cfg),
		"decoder": decoderID, "encoder": encoderID})
}

// LoadProjector reads a projector written by [SaveProjector] and checks it
// was trained for models of these widths and (when both sides know them)
// ids.
func LoadProjector(path string, encDim, decDim int, decoderID, encoderID string) (*llink.Projector, llink.Config, error) {
	var c llink.Config
	md, err := readMetadata(path)
	if err != nil {
		return nil, c, err
	}
	if md["format"] != "llink-projector-v1" {
		return nil, c, fmt.Errorf("train: %s is not a Stage A projector (format %q)", path, md["format"])
	}
	if err := json.Unmarshal([]byte(md["llink_config"]), &c); err != nil {
		return nil, c, fmt.Errorf("train: %s: bad llink_config: %w", path, err)
	}
	if err := checkModels(path, c, md, encDim, decDim, decoderID, encoderID); err != nil {
		return nil, c, err
	}
	proj := llink.NewProjector(c, rand.New(rand.NewPCG(0, 0)))
	if _, err := LoadParams(path, proj.Params()); err != nil {
		return nil, c, err
	}
	return proj, c, nil
}

func checkModels(path string, c llink.Config, md map[string]string, encDim, decDim int, decoderID, encoderID string) error {
	switch {
	case c.DecDim != decDim || c.EncDim != encDim:
		return fmt.Errorf("train: %s was trained for an encoder/decoder of widths %d/%d; these have %d/%d", path, c.EncDim, c.DecDim, encDim, decDim)
	case decoderID != "" && md["decoder"] != "" && decoderID != md["decoder"]:
		return fmt.Errorf("train: %s was trained with decoder %q, not %q", path, md["decoder"], decoderID)
	case encoderID != "" && md["encoder"] != "" && encoderID != md["encoder"]:
		return fmt.Errorf("train: %s was trained with encoder %q, not %q", path, md["encoder"], encoderID)
	}
	return nil
}

// SaveLoRA writes LoRA tensors (from [Stages.Baseline]) with their options
// and the decoder's id, atomically.
func SaveLoRA(path string, lora []*autograd.Var, opts llama.LoRAOptions, decoderID string) error {
	o, _ := json.Marshal(opts)
	return SaveParams(path, lora, map[string]string{"format": "llink-lora-v1", "lora_config": string(o), "decoder": decoderID})
}

// LoadLoRA reads LoRA tensors written by [SaveLoRA] for dec (left without
// adapters attached) and checks the decoder id when both sides know it.
func LoadLoRA(path string, dec *llama.Model, decoderID string) ([]*autograd.Var, error) {
	md, err := readMetadata(path)
	if err != nil {
		return nil, err
	}
	if md["format"] != "llink-lora-v1" {
		return nil, fmt.Errorf("train: %s is not a LoRA file (format %q)", path, md["format"])
	}
	if decoderID != "" && md["decoder"] != "" && decoderID != md["decoder"] {
		return nil, fmt.Errorf("train: %s was trained with decoder %q, not %q", path, md["decoder"], decoderID)
	}
	var opts llama.LoRAOptions
	if err := json.Unmarshal([]byte(md["lora_config"]), &opts); err != nil {
		return nil, fmt.Errorf("train: %s: bad lora_config: %w", path, err)
	}
	saved := detachLoRA(dec)
	defer attachLoRA(dec, saved)
	params := dec.AddLoRA(opts, rand.New(rand.NewPCG(0, 0)))
	if _, err := LoadParams(path, params); err != nil {
		return nil, err
	}
	return params, nil
}
