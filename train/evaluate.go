package train

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train/eval"
)

// Query is how a method's retrieval ranks the pool's English teachers.
type Query int

// The retrieval queries of the methods.
const (
	// NoRetrieval leaves the method's retrieval columns empty.
	NoRetrieval Query = iota
	// DecoderState queries with the decoder's own state at <foreign_emb>
	// after the raw foreign text (with the method's adapters).
	DecoderState
	// Projection queries with the Stage A projection P(z).
	Projection
	// SlotMean queries with the mean of the method's slot vectors.
	SlotMean
)

// Method is one row of the results table: the form of its prompts, the
// decoder's adapters (nil: the base decoder) and, for a form with slots,
// the injector of its soft vectors (of the Stage A projections).
type Method struct {
	Name   string
	Form   llink.Form
	LoRA   llama.Adapters
	Inject llink.Injector
	Query  Query
}

// Methods returns the default table's rows ([DefaultRows]) for the bundle b
// and the trained controls: the untrained baselines, each control given
// (a control row without adapters is left out), Stage A only (the
// projection rescaled as one slot, base decoder) and LLINK. With
// SkipBaselines only the last two.
func (s *Stages) Methods(b *llink.Bundle, controls []Control) ([]Method, error) {
	set, err := b.Adapters(s.p.m.Dec.Model)
	if err != nil {
		return nil, fmt.Errorf("LLINK LoRA: %w", err)
	}
	var ms []Method
	for _, row := range DefaultRows {
		var lora llama.Adapters
		switch {
		case row == RowLLINK:
			lora = set
		case row == RowStageAOnly:
		case s.p.c.SkipBaselines:
			continue
		case slices.Contains(ControlRows, row):
			i := slices.IndexFunc(controls, func(c Control) bool { return c.Row == row })
			if i < 0 {
				continue
			}
			lora = controls[i].LoRA
		}
		m, err := s.method(row, lora, b)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// Evaluate fills the results table with [Stages.Methods]' rows on the
// held-out tasks and the retrieval pool, then the layer analysis unless the
// settings skip it.
func (s *Stages) Evaluate(b *llink.Bundle, controls []Control) (*Results, error) {
	if b == nil || b.Projector == nil || b.Slots == nil {
		return nil, errors.New("train: evaluate needs the LLINK bundle")
	}
	ms, err := s.Methods(b, controls)
	if err != nil {
		return nil, err
	}
	return s.EvaluateMethods(b, ms)
}

// EvaluateMethods is [Stages.Evaluate] with the given rows (b supplies the
// projector of every slot method and the layer analysis' LLINK).
func (s *Stages) EvaluateMethods(b *llink.Bundle, ms []Method) (*Results, error) {
	rs, err := s.evalRows(ms, b.Projector)
	s.p.res.Methods = append(s.p.res.Methods, rs...)
	if err != nil {
		return s.p.res, err
	}
	if err := s.layers(b); err != nil {
		return nil, err
	}
	return s.p.res, nil
}

// evalRows evaluates the rows ms in order (proj: the projector of slot
// methods; nil when there are none), adding their time to the run's
// "eval" timing, and returns their results (those done before an error
// included).
func (s *Stages) evalRows(ms []Method, proj *llink.Projector) ([]MethodResult, error) {
	p := s.p
	var rs []MethodResult
	err := p.timed("eval", func() error {
		for _, m := range ms {
			r, err := s.evalMethod(m, proj)
			if err != nil {
				return fmt.Errorf("evaluating %s: %w", m.Name, err)
			}
			p.logf("%-13s EM %.3f  chrF %.1f  numbers %d/%d", r.Method, r.ExactMatch, r.ChrF, r.NumericMatch, r.NumericTotal)
			rs = append(rs, r)
		}
		return nil
	})
	return rs, err
}

// layers runs the layer analysis with b's LLINK into the run's results,
// unless the settings skip it.
func (s *Stages) layers(b *llink.Bundle) error {
	p, c := s.p, s.p.c
	if c.SkipLayers {
		return nil
	}
	dec := p.m.Dec.Model
	set, err := b.Adapters(dec)
	if err != nil {
		return err
	}
	err = p.timed("layers", func() (err error) {
		poolV := s.vecs["pool"]
		n := min(LayerPairsN, len(s.d.Pool))
		z, err := s.student("pool", b.Projector)
		if err != nil {
			return err
		}
		src := llink.Source{V: b.Projector.Project(rows(z, poolV.IDs[:n]))}
		if b.Slots.ReadsTokens() {
			tok, err := s.tokens("pool")
			if err != nil {
				return err
			}
			src.Tok = tok.Head(n)
		}
		p.res.Layers, err = p.layerAnalysis(s.d.Pool[:n], src, b.Slots, s.base, set)
		return err
	})
	if err != nil {
		return fmt.Errorf("layer analysis: %w", err)
	}
	return nil
}

// evalMethod answers the test tasks and ranks the pool as method m.
func (s *Stages) evalMethod(m Method, proj *llink.Projector) (MethodResult, error) {
	p := s.p
	defer p.m.Dec.Model.UseLoRA(m.LoRA)()
	r := MethodResult{Method: m.Name}
	tasks := s.d.TestTasks
	var src llink.Source
	if m.Form.Content == llink.SlotTokens {
		var err error
		if src, err = s.source(m, "test-tasks", proj); err != nil {
			return r, err
		}
	}
	in, err := p.inputs(tasks, m.Form, m.Inject, src)
	if err != nil {
		return r, err
	}
	out, err := p.generate(m.Name, in)
	if err != nil {
		return r, err
	}
	if err := score(&r, tasks, out); err != nil {
		return r, err
	}
	if err := p.tokenUsage(&r, in); err != nil {
		return r, err
	}
	if m.Query == NoRetrieval {
		return r, nil
	}
	q, err := s.queries(m, proj)
	if err != nil {
		return r, err
	}
	return r, retrieval(&r, q, s.vecs["pool"])
}

// source returns what method m's slots are made of for a cache set: the
// projected vectors, and the token states when its injector reads them.
func (s *Stages) source(m Method, set string, proj *llink.Projector) (llink.Source, error) {
	v, err := s.projected(set, proj)
	if err != nil {
		return llink.Source{}, err
	}
	src := llink.Source{V: v}
	if m.Inject != nil && m.Inject.ReadsTokens() {
		if src.Tok, err = s.tokens(set); err != nil {
			return src, err
		}
	}
	return src, nil
}

// queries returns the pool's query vectors for a method's retrieval.
func (s *Stages) queries(m Method, proj *llink.Projector) (*tensor.Tensor, error) {
	dec := s.p.m.Dec
	switch m.Query {
	case Projection:
		return s.projected("pool", proj)
	case SlotMean:
		if m.Inject == nil {
			return nil, errors.New("train: slot-mean retrieval without an injector")
		}
		src, err := s.source(m, "pool", proj)
		if err != nil {
			return nil, err
		}
		return llink.MeanSlots(m.Inject.SlotVectors(src), m.Inject.SlotCounts(src)), nil
	case DecoderState:
		seqs := make([][]int, len(s.d.Pool))
		for i, pr := range s.d.Pool {
			seqs[i] = append(append([]int{dec.IDs.BOS}, dec.Tok.Encode(pr.Foreign, false)...), dec.IDs.ForeignEmb)
		}
		return teacherOf(s.p.m, s.p.c.Slots).Vectors(seqs) // as the keys are made
	}
	return nil, fmt.Errorf("train: unknown retrieval query %d", m.Query)
}

// retrieval fills the pool retrieval metrics of a result from the query
// vectors q [N, d], row i for pool pair i.
func retrieval(r *MethodResult, q *tensor.Tensor, pool Pairs) error {
	fwd, bwd, corner, err := eval.BothWays(q.Data(), pool.H.Data(), pool.Len(), pool.H.Dim(1), SimilarityBlock)
	if err != nil {
		return fmt.Errorf("retrieval for %s: %w", r.Method, err)
	}
	r.KmToEn, r.EnToKm, r.Similarity = &fwd, &bwd, corner
	return nil
}

// inputs builds the generation inputs of tasks in form f.
func (p *pipeline) inputs(tasks []data.Task, f llink.Form, inj llink.Injector, src llink.Source) ([]llink.Input, error) {
	instr, foreign := make([]string, len(tasks)), make([]string, len(tasks))
	for i, t := range tasks {
		instr[i], foreign[i] = t.Instruction, t.Foreign
	}
	return p.m.Dec.Inputs(f, instr, foreign, inj, src)
}

// generate answers inputs in chunks of a few batches, for progress;
// batched generation equals one-at-a-time generation, so the chunking does
// not change answers. When the run's stop channel (the checkpoints' Stop)
// is closed, it stops before the next chunk with an [ErrInterrupted] error.
func (p *pipeline) generate(method string, in []llink.Input) ([]string, error) {
	var report func(done, total int)
	if p.c.EvalProgress != nil {
		report = p.c.EvalProgress(method)
	}
	stop := p.c.StageA.Checkpoint.Stop
	chunk := 4 * max(p.c.GenBatch, 1)
	var out []string
	for lo := 0; lo < len(in); lo += chunk {
		select {
		case <-stop:
			return nil, fmt.Errorf("train: evaluating %s stopped after %d of %d answers: %w", method, lo, len(in), ErrInterrupted)
		default:
		}
		hi := min(lo+chunk, len(in))
		g, err := p.m.Dec.Generate(in[lo:hi], p.c.MaxNew, p.c.GenBatch)
		if err != nil {
			return nil, err
		}
		out = append(out, g...)
		if report != nil {
			report(hi, len(in))
		}
	}
	return out, nil
}

// tokenUsage records the mean prompt and foreign-span lengths.
func (p *pipeline) tokenUsage(r *MethodResult, in []llink.Input) error {
	var n, f float64
	for _, e := range in {
		k, err := p.m.Dec.SpanTokens(e.IDs)
		if err != nil {
			return err
		}
		n += float64(len(e.IDs))
		f += float64(k)
	}
	r.PromptTokens, r.ForeignTokens = n/float64(len(in)), f/float64(len(in))
	return nil
}

// score fills the task metrics of r from generated outputs — exact match,
// corpus chrF, numeric fidelity and the score of each kind, as
// [eval.ScoreAnswers] computes them — and keeps the answers and the first
// samples.
func score(r *MethodResult, tasks []data.Task, outputs []string) error {
	kinds, refs := make([]string, len(tasks)), make([]string, len(tasks))
	for i, t := range tasks {
		kinds[i], refs[i] = t.Kind, t.Answer
	}
	ms, err := eval.ScoreAnswers(r.Method, kinds, outputs, refs)
	if err != nil {
		return err
	}
	r.ExactMatch, r.ChrF = 0, ms.CorpusChrF
	if em := ms.EM(); !math.IsNaN(em) {
		r.ExactMatch = em
	}
	r.NumericMatch, r.NumericTotal = ms.NumericMatch, ms.NumericTotal
	r.PerKind = map[string]float64{}
	for _, k := range kinds {
		if _, done := r.PerKind[k]; !done {
			r.PerKind[k] = ms.KindScore(kinds, k)
		}
	}
	for i, t := range tasks {
		r.Answers = append(r.Answers, Answer{Kind: t.Kind, Question: t.Instruction, Output: outputs[i], Reference: t.Answer})
	}
	for i := 0; i < min(4, len(tasks)); i++ {
		r.Samples = append(r.Samples, Sample{Instruction: tasks[i].Instruction, Foreign: tasks[i].Foreign, Output: outputs[i], Reference: tasks[i].Answer})
	}
	return nil
}

// SimilarityBlock is the side of the similarity-matrix corner each method's
// result keeps (MethodResult.Similarity).
const SimilarityBlock = 64
