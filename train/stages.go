package train

import (
	"cmp"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
)

// Stages is the LLINK pipeline one step at a time, over the models, data and
// settings of one run: the vector caches (read or built by [NewStages]),
// [Stages.StageA], [Stages.StageB], [Stages.DirectFT] and
// [Stages.Evaluate]. Each step takes what the earlier ones produced, so the
// steps can run in one process ([RunPipeline]) or in separate ones with the
// results saved in between (llink.SaveProjector, llink.SaveBundle,
// llink.SaveLoRA). Every step seeds its own random stream from the run's
// seed, so both ways give the same numbers.
type Stages struct {
	p     *pipeline
	d     Data
	vecs  map[string]Pairs
	tok   map[string]*llink.Tokens // token states by cache set, read when token-level slots need them
	store map[string]*TokenStore   // token states by cache set, read when the projector pools them (llink.Config.AttnHeads)
	tokMu *sync.Mutex              // guards tok and store
	base  llama.Adapters           // the decoder's adapters before any step (normally none)
}

// NewStages checks the settings against the models and data and loads (or
// builds) the vector caches.
func NewStages(m *Models, d Data, c PipelineConfig, log io.Writer) (*Stages, error) {
	if len(m.Dec.IDs.Slots) < c.Slots.K {
		return nil, fmt.Errorf("train: %d slot tokens for K=%d", len(m.Dec.IDs.Slots), c.Slots.K)
	}
	if err := c.Slots.Validate(); err != nil {
		return nil, err
	}
	if err := llink.CheckTeacher(c.Slots.TeacherPool, c.Slots.TeacherLayer, m.Dec.Model.Config.Layers); err != nil {
		return nil, err
	}
	if len(d.TrainPairs) < c.StageA.Batch || len(d.Pool) < 2 || len(d.TrainTasks) == 0 || len(d.TestTasks) == 0 {
		return nil, fmt.Errorf("train: not enough data (%d train pairs for batch %d, %d pool, %d train tasks, %d test tasks)",
			len(d.TrainPairs), c.StageA.Batch, len(d.Pool), len(d.TrainTasks), len(d.TestTasks))
	}
	p := &pipeline{m: m, c: c, log: log, res: &Results{Timing: map[string]float64{}, Config: c}, mu: new(sync.Mutex)}
	s := &Stages{p: p, d: d, vecs: map[string]Pairs{}, tok: map[string]*llink.Tokens{}, store: map[string]*TokenStore{}, tokMu: new(sync.Mutex), base: m.Dec.Model.Adapters()}
	for _, set := range CacheSets(m, d, c.CacheDir, c.Slots) {
		if c.CacheProgress != nil {
			set.Spec.Progress = c.CacheProgress(set.Name)
		}
		set.Spec.Stop = c.StageA.Checkpoint.Stop // the run's interrupt stops the caches too
		err := p.timed("cache_"+set.Name, func() (err error) {
			s.vecs[set.Name], err = LoadOrBuildCache(set.Spec)
			return err
		})
		if err != nil {
			return nil, err
		}
		p.logf("vectors %-11s %5d pairs (%.1fs)", set.Name, len(set.Spec.Foreign), p.timing("cache_"+set.Name))
	}
	return s, nil
}

// tokens returns the encoder token states of a cache set's foreign texts
// ("train-tasks", "test-tasks", "pool", or the Stage A pairs "train-pairs"
// and "dev-pairs" for the word alignment), row-aligned with its texts;
// they are read once, when token-level slots first need them.
func (s *Stages) tokens(set string) (*llink.Tokens, error) {
	s.tokMu.Lock()
	defer s.tokMu.Unlock()
	if t, ok := s.tok[set]; ok {
		return t, nil
	}
	var t *llink.Tokens
	err := s.readTokens(set, func(r *llink.Reader, texts []string) (err error) {
		t, err = r.Tokens(texts)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.tok[set] = t
	return t, nil
}

// readTokens runs read on a cache set's foreign texts with the run's
// encoder reader (its pooling set as the slots read it), its time added
// to the run's "tokens_"+set; the token paths of [Stages.tokens] and
// [Stages.tokenStore] differ only in what read keeps.
func (s *Stages) readTokens(set string, read func(r *llink.Reader, texts []string) error) error {
	texts, err := s.foreign(set)
	if err != nil {
		return err
	}
	r := *s.p.m.Enc
	r.Pool = s.p.c.Slots.EncoderPool
	if err := s.p.timed("tokens_"+set, func() error { return read(&r, texts) }); err != nil {
		return fmt.Errorf("train: token states of %s: %w", set, err)
	}
	return nil
}

// foreign returns the foreign texts of a cache set ("train-tasks",
// "test-tasks", "pool", and the Stage A pairs "train" and "dev", also
// named "train-pairs" and "dev-pairs"), row-aligned with its vectors.
func (s *Stages) foreign(set string) ([]string, error) {
	var texts []string
	switch set {
	case "train-tasks", "test-tasks":
		tasks := s.d.TrainTasks
		if set == "test-tasks" {
			tasks = s.d.TestTasks
		}
		for _, t := range tasks {
			texts = append(texts, t.Foreign)
		}
	case "pool", "train", "train-pairs", "dev", "dev-pairs":
		pairs := map[string][]data.Pair{"pool": s.d.Pool, "train": s.d.TrainPairs, "train-pairs": s.d.TrainPairs,
			"dev": s.d.DevPairs, "dev-pairs": s.d.DevPairs}[set]
		for _, pr := range pairs {
			texts = append(texts, pr.Foreign)
		}
	default:
		return nil, fmt.Errorf("train: no token states for set %q", set)
	}
	return texts, nil
}

// tokenStore returns the token states of a cache set's foreign texts
// ("train", "dev", "pool", "train-tasks", "test-tasks"), row-aligned with
// its vectors, for the projector's attention pooling: read from the cache
// folder, or computed and cached there, once per run.
func (s *Stages) tokenStore(set string) (*TokenStore, error) {
	s.tokMu.Lock()
	defer s.tokMu.Unlock()
	if t, ok := s.store[set]; ok {
		return t, nil
	}
	var t *TokenStore
	t0 := time.Now() // this read's own time: "tokens_"+set also sums Stages.tokens' reads of set
	err := s.readTokens(set, func(r *llink.Reader, texts []string) (err error) {
		t, err = LoadOrBuildTokens(r, texts, s.p.c.CacheDir)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.p.logf("token states %-11s %5d texts, %d tokens (%.1fs)", set, t.Len(), t.Tokens(), time.Since(t0).Seconds())
	s.store[set] = t
	return t, nil
}

// student returns proj's input for a cache set's texts: their pooled
// vectors, or with an attention pooling its pooling of their token states.
func (s *Stages) student(set string, proj *llink.Projector) (*tensor.Tensor, error) {
	if !proj.ReadsTokens() {
		return s.vecs[set].Z, nil
	}
	t, err := s.tokenStore(set)
	if err != nil {
		return nil, err
	}
	return t.Student(proj), nil
}

// projected returns a cache set's Stage A vectors: proj applied to its
// student vectors ([Stages.student]).
func (s *Stages) projected(set string, proj *llink.Projector) (*tensor.Tensor, error) {
	z, err := s.student(set, proj)
	if err != nil {
		return nil, err
	}
	return proj.Project(z), nil
}

// fork returns stages that share s's data, vectors, settings and results
// but run on a fork of the decoder ([llama.Model.Fork]): their adapters
// are their own, so they can train and evaluate beside s. Adapter sets
// they return are keyed by the fork's projections.
func (s *Stages) fork() *Stages {
	dec := s.p.m.Dec.Model
	f := dec.Fork()
	m := *s.p.m
	d := *m.Dec
	d.Model, m.Dec = f, &d
	p := *s.p
	p.m = &m
	t := *s
	t.p, t.base = &p, f.Rekey(s.base, dec)
	return &t
}

// Results returns the results gathered so far (timings, Stage A's, and after
// Evaluate the table).
func (s *Stages) Results() *Results { return s.p.res }

// rng returns the step's own random stream.
func (s *Stages) rng(step uint64) *rand.Rand { return rand.New(rand.NewPCG(s.p.c.Seed, step)) }

// StageA trains the projector on the cached vectors (checkpointed as the
// settings say) and returns it with its best dev parameters. With an
// attention pooling (llink.Config.AttnHeads) the projector reads the
// pooling of the texts' token states, trained with it; with
// StageAConfig.LearnTau the temperature is learnt.
func (s *Stages) StageA() (*llink.Projector, error) {
	p, c := s.p, s.p.c
	proj := llink.NewProjector(c.Slots, s.rng(0x11))
	var lv StageALevers
	if proj.ReadsTokens() {
		trainTok, err := s.tokenStore("train")
		if err != nil {
			return nil, err
		}
		devTok, err := s.tokenStore("dev")
		if err != nil {
			return nil, err
		}
		lv = StageALevers{
			Student: func(tp *autograd.Tape, idx []int) *autograd.Var {
				return proj.Pool.Forward(tp, trainTok.Batch(idx))
			},
			DevStudent: func() *tensor.Tensor { return devTok.Student(proj) },
			Params:     proj.Pool.Params(),
		}
	}
	p.logf("stage A: %d steps, batch %d", c.StageA.Steps, c.StageA.Batch)
	err := p.timed("stage_a", func() (err error) {
		p.res.StageA, err = TrainStageALevers(proj, s.vecs["train"], s.vecs["dev"], c.StageA, lv, p.stepLogger("stage A", c.StageA.Steps))
		return err
	})
	if err == nil && c.StageA.LearnTau {
		p.logf("stage A: learnt temperature %.4f at the kept step %d", p.res.StageA.LearntTau, p.res.StageA.BestStep)
	}
	return proj, err
}

// gamma0 is the Scale's initial γ: the median decoder embedding-row norm.
func (s *Stages) gamma0() float32 { return llink.MedianRowNorm(s.p.m.Dec.Model.Emb.Float32()) }

// StageB trains the slots (scale, adapter, expander) and the decoder's LoRA
// on the training tasks with proj frozen, and returns everything LLINK
// trained as a bundle (its LoRA is not left attached to the decoder). Its
// learning rates are Stage B's times the factor of its row (LLINK, or LLINK
// without copy when the settings turn the copy channel off).
func (s *Stages) StageB(proj *llink.Projector) (*llink.Bundle, error) {
	p, c, m := s.p, s.p.c, s.p.m
	dec := m.Dec.Model
	rng := s.rng(0x12)
	slots := llink.NewSlots(c.Slots, s.gamma0(), rng)
	if c.Slots.SlotInput == llink.SlotsSegments {
		slots.Projector = proj
	}
	slots.SetVocabulary(dec.Emb.Float32)
	if slots.Lexical != nil {
		if err := s.alignWords(slots); err != nil {
			return nil, err
		}
		// Word slots live in the embedding space, not the teacher's: the
		// slot-mean alignment with the Stage A teacher does not apply.
		c.StageB.Weights.AlignMSE, c.StageB.Weights.AlignNCE = 0, 0
	}
	tv := s.vecs["train-tasks"]
	var tok *llink.Tokens
	if c.Slots.TokenSlots() {
		var err error
		if tok, err = s.tokens("train-tasks"); err != nil {
			return nil, err
		}
	}
	v, err := s.projected("train-tasks", proj)
	if err != nil {
		return nil, err
	}
	exs, err := p.examples(s.d.TrainTasks, c.Slots.Form(), v, tv.H, tok, c.Slots.SlotCounts(tok))
	if err != nil {
		return nil, err
	}
	set, lora := dec.NewLoRA(c.LoRA, rng)
	defer dec.UseLoRA(set)()
	row := RowLLINK
	if !c.Slots.CopyChannel {
		row = RowLLINKNoCopy
	}
	c.scaleLR(c.lrFactor(row))
	if c.SlotPairs {
		if err := s.slotPairs(dec, slots, lora, proj, c); err != nil {
			return nil, err
		}
	}
	p.logf("stage B: %d steps, batch %d, %d LoRA tensors", c.StageB.Steps, c.StageB.Batch, len(lora))
	if err := p.timed("stage_b", func() error {
		res, err := TrainStageB(dec, slots, lora, exs, m.Dec.IDs.Pad, c.StageB, p.stepLogger("stage B", c.StageB.Steps))
		p.logMicroBatch("stage B", res.MicroBatch, c.StageB)
		return err
	}); err != nil {
		return nil, err
	}
	b := &llink.Bundle{Config: c.Slots, LoRA: c.LoRA, Projector: proj, Slots: slots, LoRAParams: lora,
		BaseVocab: m.BaseVocab, AddedTokens: m.AddedTokens, DecoderID: m.DecoderID, EncoderID: m.EncoderID}
	if b.BaseVocab == 0 {
		b.BaseVocab = dec.Config.VocabSize - b.AddedTokens
	}
	return b, nil
}

// slotPairs trains LLINK's slots and lora (attached to dec) for one epoch
// of Stage B on translating Stage A's training pairs read through the
// slots — the epoch direct FT + copy + pairs gets, at c's rates — before
// the tasks ([PipelineConfig.SlotPairs]).
func (s *Stages) slotPairs(dec *llama.Model, slots *llink.Slots, lora []*autograd.Var, proj *llink.Projector, c PipelineConfig) error {
	p := s.p
	pv := s.vecs["train"]
	var tok *llink.Tokens
	if c.Slots.TokenSlots() {
		var err error
		if tok, err = s.tokens("train-pairs"); err != nil {
			return err
		}
	}
	v, err := s.projected("train", proj)
	if err != nil {
		return err
	}
	exs, err := p.examples(s.pairTasks(), c.Slots.Form(), v, pv.H, tok, c.Slots.SlotCounts(tok))
	if err != nil {
		return err
	}
	pc := pairsEpoch(c.StageB, len(exs))
	p.logf("stage B: %d steps translating %d pairs", pc.Steps, len(exs))
	return p.timed("stage_b_pairs", func() error {
		_, err := TrainStageB(dec, slots, lora, exs, p.m.Dec.IDs.Pad, pc, p.stepLogger("stage B pairs", pc.Steps))
		return err
	})
}

// alignWords trains word slots' lexical map on the training pairs before
// Stage B ([AlignWords]), reporting the word recall on the dev pairs.
func (s *Stages) alignWords(slots *llink.Slots) error {
	p := s.p
	tok, err := s.tokens("train-pairs")
	if err != nil {
		return err
	}
	devTok, err := s.tokens("dev-pairs")
	if err != nil {
		return err
	}
	enc := func(pairs []data.Pair) [][]int {
		out := make([][]int, len(pairs))
		for i, pr := range pairs {
			out[i] = p.m.Dec.Tok.Encode(pr.English, false)
		}
		return out
	}
	unit := llink.UnitRows(p.m.Dec.Model.Emb.Float32())
	c, d := p.c.WordAlign, DefaultWordAlign()
	c.Steps, c.Batch, c.LR, c.Seed = cmp.Or(c.Steps, d.Steps), min(cmp.Or(c.Batch, d.Batch), tok.Len()), cmp.Or(c.LR, d.LR), p.c.Seed
	p.logf("word alignment: %d steps, batch %d", c.Steps, c.Batch)
	return p.timed("word_align", func() error {
		res, err := AlignWords(slots, tok, enc(s.d.TrainPairs), unit, devTok, enc(s.d.DevPairs), c, p.stepLogger("word alignment", c.Steps))
		p.logf("word alignment: loss %.4f, dev word recall@5 %.3f", res.Final, res.Recall)
		return err
	})
}
