package train

import (
	"fmt"
	"github.com/llink-go/llink/autograd"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train/eval"
)

// Pair is one parallel sentence pair.
type Pair struct {
	English string `json:"english"`
	Foreign string `json:"foreign"`
}

// Task is one instruction about a foreign passage with its reference
// answer. Kind "translate" is scored with chrF, every other kind with
// normalised exact match; numeric fidelity is scored on all.
type Task struct {
	Kind        string `json:"kind"`
	Instruction string `json:"instruction"`
	Foreign     string `json:"foreign"`
	English     string `json:"english"` // the passage in English (teacher side)
	Answer      string `json:"answer"`
}

// Data is everything the pipeline trains and evaluates on.
type Data struct {
	TrainPairs, DevPairs  []Pair // Stage A
	Pool                  []Pair // held-out retrieval pool (paper: 1,024)
	TrainTasks, TestTasks []Task
}

// DecoderSpecials are the decoder's chat and LLINK token ids.
type DecoderSpecials struct {
	BOS, EOT, Pad                  int
	Foreign, ForeignEnd, ForeignEm int
	Slots                          []int // <f0>…<fK-1>
}

// Models are the frozen networks with their tokenizers.
type Models struct {
	Decoder   *llama.Model
	DecTok    Tokenizer
	Specials  DecoderSpecials
	DecoderID string
	// Chat wraps a user message in the decoder's chat template, ending
	// where the assistant's answer starts (nil: Llama-3 format).
	Chat func(user string) string

	Encoder   *xlmr.Model
	EncTok    Tokenizer
	EncPad    int
	EncoderID string

	// BaseVocab is the decoder's vocabulary before LLINK's tokens were
	// added, AddedTokens how many rows were added (0 when its tokenizer
	// already had them); bundles record both.
	BaseVocab, AddedTokens int
}

// Llama3Chat wraps user in the Llama-3 instruct template with the
// assistant header open.
func Llama3Chat(user string) string {
	return "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n" + user +
		"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
}

// PipelineConfig holds the whole run's settings.
type PipelineConfig struct {
	Slots    llink.Config      `json:"slots"`
	StageA   StageAConfig      `json:"stage_a"`
	StageB   StageBConfig      `json:"stage_b"`
	LoRA     llama.LoRAOptions `json:"lora"`
	MaxNew   int               `json:"max_new_tokens"`
	GenBatch int               `json:"generate_batch"`
	CacheDir string            `json:"cache_dir"`
	Seed     uint64            `json:"seed"`
	// BundlePath, when set, is where the trained LLINK parts (projector,
	// slots, LoRA) are saved as a bundle right after Stage B, for
	// `llink ask` and the root package's Load.
	BundlePath string `json:"bundle_path,omitempty"`
	// SkipBaselines leaves out the base and direct fine-tuning rows (and
	// the direct fine-tuning): `llink ablate` varies LLINK only.
	SkipBaselines bool `json:"skip_baselines,omitempty"`
	// EvalOnDev records that the tasks and pool evaluated are the
	// development split (for tuning), not the held-out test: the report
	// says so in its headings.
	EvalOnDev bool `json:"eval_on_dev,omitempty"`
	// SkipLayers leaves out the Figure-3 layer analysis.
	SkipLayers bool `json:"skip_layers,omitempty"`

	// StepHook, when set, receives every training step of each stage
	// ("stage A", "stage B", "direct FT") instead of the periodic log lines.
	StepHook func(stage string, steps int) func(StepLog) `json:"-"`
	// CacheProgress, when set, reports vector-cache building per set.
	CacheProgress func(name string) func(done, total int) `json:"-"`
	// EvalProgress, when set, reports each method's answer generation on
	// the test tasks.
	EvalProgress func(method string) func(done, total int) `json:"-"`
}

// MethodResult is one row of the results table.
type MethodResult struct {
	Method string          `json:"method"`
	KmToEn *eval.Retrieval `json:"retrieval_km_en,omitempty"`
	EnToKm *eval.Retrieval `json:"retrieval_en_km,omitempty"`
	// Similarity is the top-left SimilarityBlock×SimilarityBlock corner of
	// the km→en cosine matrix (row-major; queries are pool pairs in order,
	// so the diagonal holds the positives), for the heat-map plot.
	Similarity    []float32          `json:"similarity_block,omitempty"`
	ExactMatch    float64            `json:"exact_match"`     // share of non-translation tasks
	ChrF          float64            `json:"chrf"`            // corpus chrF of translations
	NumericMatch  int                `json:"numeric_matched"` // reference quantities reproduced
	NumericTotal  int                `json:"numeric_total"`
	PerKind       map[string]float64 `json:"per_kind"`       // EM (or chrF for translate) per task kind
	PromptTokens  float64            `json:"prompt_tokens"`  // mean decoder input tokens per prompt
	ForeignTokens float64            `json:"foreign_tokens"` // mean tokens of the foreign span
	Samples       []Sample           `json:"samples,omitempty"`
	// Answers are all the method's answers with their references, in the
	// order of the evaluated tasks, for error analysis.
	Answers []Answer `json:"answers,omitempty"`
}

// Answer is one generated answer to an evaluated task.
type Answer struct {
	Kind      string `json:"kind"`
	Output    string `json:"output"`
	Reference string `json:"reference"`
}

// Sample is one generation shown in the report.
type Sample struct {
	Instruction string `json:"instruction"`
	Foreign     string `json:"foreign"`
	Output      string `json:"output"`
	Reference   string `json:"reference"`
}

// NumericFidelity returns matched/total (0 when there is nothing to match).
func (r *MethodResult) NumericFidelity() float64 {
	if r.NumericTotal == 0 {
		return 0
	}
	return float64(r.NumericMatch) / float64(r.NumericTotal)
}

// Results is a whole pipeline run.
type Results struct {
	Methods []MethodResult     `json:"methods"`
	StageA  StageAResult       `json:"stage_a"`
	Timing  map[string]float64 `json:"timing_seconds"`
	Config  PipelineConfig     `json:"config"`
	// Layers is the Figure-3 analysis (layer-wise Khmer/English cosine and
	// norms, base decoder on raw Khmer vs LLINK slots) on the first
	// LayerPairsN pool pairs.
	Layers []LayerStats `json:"layers,omitempty"`
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

// RunPipeline runs Stage A, Stage B, both baselines and the evaluation, and
// returns the results table. Progress lines go to log (may be nil). It is
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
		if err := SaveBundle(c.BundlePath, b, meta); err != nil {
			return nil, fmt.Errorf("saving the LLINK bundle: %w", err)
		}
		s.p.logf("LLINK bundle: %s", c.BundlePath)
	}
	var ft []*autograd.Var
	if !c.SkipBaselines {
		if ft, err = s.Baseline(); err != nil {
			return nil, err
		}
	}
	return s.Evaluate(b, ft)
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
	teacher := &TeacherEmbedder{Model: m.Decoder, Tok: m.DecTok, BOS: m.Specials.BOS, ForeignEmb: m.Specials.ForeignEm, ModelID: m.DecoderID}
	student := &StudentEmbedder{Model: m.Encoder, Tok: m.EncTok, Pad: m.EncPad, ModelID: m.EncoderID, Pool: pool}
	spec := func(pairs []Pair) *CacheSpec {
		s := &CacheSpec{Dir: dir, Student: student, Teacher: teacher, Batch: 32}
		for _, pr := range pairs {
			s.Foreign = append(s.Foreign, pr.Foreign)
			s.English = append(s.English, pr.English)
		}
		return s
	}
	taskPairs := func(ts []Task) []Pair {
		out := make([]Pair, len(ts))
		for i, t := range ts {
			out[i] = Pair{English: t.English, Foreign: t.Foreign}
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
			dev = fmt.Sprintf("  dev R@1 %.3f", *l.Dev)
		}
		p.logf("  %s step %5d/%d  loss %.4f  lr %.2e%s  (%s, eta %s)", stage, l.Step, steps, l.Loss, l.LR, dev,
			el.Round(time.Second), eta.Round(time.Second))
	}
}

// UserMessage is LLINK's instruction prompt (before the chat template)
// with the given foreign span: "<foreign>…</foreign>" around raw text, or
// the slot tokens.
func UserMessage(instruction, span string) string {
	return "Instruction: " + instruction + "\nForeign: " + span + "\nAnswer in English only."
}

// prompt returns the chat-wrapped prompt text with the given foreign span.
func (p *pipeline) prompt(t Task, span string) string {
	return p.m.Chat(UserMessage(t.Instruction, span))
}

// examples turns tasks into decoder examples: with slots (LLINK, vectors v
// and h row-aligned with tasks) or with the raw foreign text (baselines).
func (p *pipeline) examples(tasks []Task, withSlots bool, v, h *tensor.Tensor) []Example {
	exs := make([]Example, len(tasks))
	k := p.c.Slots.K
	for i, t := range tasks {
		span := "<foreign>" + t.Foreign + "</foreign>"
		if withSlots {
			span = p.c.Slots.Span(t.Foreign)
		}
		e := Example{Prompt: p.m.DecTok.Encode(p.prompt(t, span), false)}
		e.Answer = append(p.m.DecTok.Encode(t.Answer, false), p.m.Specials.EOT)
		if withSlots {
			e.SlotPos = p.slotPositions(e.Prompt, k)
			e.V, e.H = v.Row(i), h.Row(i)
		}
		exs[i] = e
	}
	return exs
}

// slotPositions finds <f0>…<fk-1> in a prompt (panics if the tokenizer did
// not keep them as single tokens: a programmer error in setting up
// specials, caught by the first pipeline test).
func (p *pipeline) slotPositions(ids []int, k int) []int {
	pos := make([]int, 0, k)
	for j := 0; j < k; j++ {
		at := slices.Index(ids, p.m.Specials.Slots[j])
		if at < 0 {
			panic(fmt.Sprintf("train: slot token <f%d> (id %d) not found in the tokenised prompt", j, p.m.Specials.Slots[j]))
		}
		pos = append(pos, at)
	}
	return pos
}

// score fills the task metrics of r from generated outputs.
func score(r *MethodResult, tasks []Task, outputs []string) {
	var chrf eval.ChrFStats
	byKind := map[string][2]float64{}
	var em, emN float64
	for i, t := range tasks {
		out := outputs[i]
		m, n := eval.NumericFidelity(out, t.Answer)
		r.NumericMatch += m
		r.NumericTotal += n
		k := byKind[t.Kind]
		if t.Kind == "translate" {
			chrf.Add(out, t.Answer)
			k[0] += eval.ChrF(out, t.Answer)
		} else {
			ok := 0.0
			if eval.ExactMatch(out, t.Answer) {
				ok = 1
			}
			em += ok
			emN++
			k[0] += ok
		}
		k[1]++
		byKind[t.Kind] = k
	}
	if emN > 0 {
		r.ExactMatch = em / emN
	}
	r.ChrF = chrf.Score()
	r.PerKind = map[string]float64{}
	for kind, v := range byKind {
		r.PerKind[kind] = v[0] / v[1]
	}
	for i, t := range tasks {
		r.Answers = append(r.Answers, Answer{Kind: t.Kind, Output: outputs[i], Reference: t.Answer})
	}
	for i := 0; i < min(4, len(tasks)); i++ {
		r.Samples = append(r.Samples, Sample{Instruction: tasks[i].Instruction, Foreign: tasks[i].Foreign, Output: outputs[i], Reference: tasks[i].Answer})
	}
}

func (p *pipeline) generate(method string, exs []Example, slots *llink.Slots) ([]string, error) {
	var report func(done, total int)
	if p.c.EvalProgress != nil {
		report = p.c.EvalProgress(method)
	}
	// Chunks of a few batches, for progress; batched generation equals
	// one-at-a-time generation, so the chunking does not change answers.
	chunk := 4 * max(p.c.GenBatch, 1)
	var gen [][]int
	for lo := 0; lo < len(exs); lo += chunk {
		hi := min(lo+chunk, len(exs))
		g, err := GenerateAnswers(p.m.Decoder, slots, exs[lo:hi], p.m.Specials.Pad, p.c.MaxNew, []int{p.m.Specials.EOT}, p.c.GenBatch)
		if err != nil {
			return nil, err
		}
		gen = append(gen, g...)
		if report != nil {
			report(hi, len(exs))
		}
	}
	out := make([]string, len(gen))
	for i, g := range gen {
		out[i] = strings.TrimSpace(p.m.DecTok.Decode(g))
	}
	return out, nil
}

// spanTokens counts the decoder tokens strictly between <foreign> and
// </foreign> in a prompt: the raw text's tokens, or the K slots plus the
// copy channel's spans.
func (p *pipeline) spanTokens(ids []int) int {
	lo, hi := slices.Index(ids, p.m.Specials.Foreign), slices.Index(ids, p.m.Specials.ForeignEnd)
	if lo < 0 || hi < lo {
		panic(fmt.Sprintf("train: prompt without a <foreign>…</foreign> span (ids %d, %d)", p.m.Specials.Foreign, p.m.Specials.ForeignEnd))
	}
	return hi - lo - 1
}

func (p *pipeline) tokenUsage(r *MethodResult, exs []Example) {
	var n, f float64
	for _, e := range exs {
		n += float64(len(e.Prompt))
		f += float64(p.spanTokens(e.Prompt))
	}
	r.PromptTokens, r.ForeignTokens = n/float64(len(exs)), f/float64(len(exs))
}

func (p *pipeline) evalTasks(name string, tasks []Task, slots *llink.Slots, v, h *tensor.Tensor) (MethodResult, error) {
	r := MethodResult{Method: name}
	exs := p.examples(tasks, slots != nil, v, h)
	out, err := p.generate(name, exs, slots)
	if err != nil {
		return r, err
	}
	score(&r, tasks, out)
	p.tokenUsage(&r, exs)
	return r, nil
}

// evalStageAOnly injects the Stage A projection, rescaled to the embedding
// norm, as a single slot into an untrained decoder.
func (p *pipeline) evalStageAOnly(tasks []Task, v *tensor.Tensor, scale *llink.Scale) (MethodResult, error) {
	r := MethodResult{Method: "Stage A only"}
	sv := scale.Forward(nil, constOf(v)).Value
	exs := make([]Example, len(tasks))
	d := p.m.Decoder.Config.Hidden
	one := p.c.Slots // the same prompt as LLINK's with one slot
	one.K = 1
	for i, t := range tasks {
		ids := p.m.DecTok.Encode(p.prompt(t, one.Span(t.Foreign)), false)
		exs[i] = Example{Prompt: ids, SlotPos: p.slotPositions(ids, 1)}
	}
	// Inject by hand: GenerateAnswers expects K-slot examples from slots.
	out := make([]string, len(tasks))
	batch := max(p.c.GenBatch, 1)
	for lo := 0; lo < len(exs); lo += batch {
		hi := min(lo+batch, len(exs))
		prompts := make([][]int, hi-lo)
		for i := range prompts {
			prompts[i] = exs[lo+i].Prompt
		}
		b := llama.PadLeft(prompts, p.m.Specials.Pad)
		x := p.m.Decoder.Embed(b.IDs).Reshape(b.B, b.T, d)
		for i := range prompts {
			off := b.T - len(prompts[i])
			copy(x.Data()[(i*b.T+off+exs[lo+i].SlotPos[0])*d:][:d], sv.Row(lo+i))
		}
		gen := p.m.Decoder.GenerateEmbeds(x, b.Mask, prompts, llama.GenerateOptions{MaxNew: p.c.MaxNew, Stop: []int{p.m.Specials.EOT}, Pad: p.m.Specials.Pad})
		for i, g := range gen {
			if n := len(g); n > 0 && g[n-1] == p.m.Specials.EOT {
				g = g[:n-1]
			}
			out[lo+i] = strings.TrimSpace(p.m.DecTok.Decode(g))
		}
	}
	score(&r, tasks, out)
	p.tokenUsage(&r, exs)
	return r, nil
}

// retrieval fills the pool retrieval metrics of a method: Stage A ranks
// P(z) against the teachers; LLINK the normalised slot mean; base and
// direct FT the decoder's own hidden state at <foreign_emb> after the raw
// foreign text.
func (p *pipeline) retrieval(r *MethodResult, method string, proj *llink.Projector, slots *llink.Slots, pool Pairs, raw []Pair) error {
	n, d := pool.Len(), pool.H.Dim(1)
	var q *tensor.Tensor
	switch method {
	case "Stage A only":
		q = Project(proj, pool.Z)
	case "LLINK":
		s := SlotVectors(slots, Project(proj, pool.Z))
		q = tensor.MeanAxis(s, 1, false)
	default:
		seqs := make([][]int, n)
		for i, pr := range raw {
			seqs[i] = append(append([]int{p.m.Specials.BOS}, p.m.DecTok.Encode(pr.Foreign, false)...), p.m.Specials.ForeignEm)
		}
		q = LastHidden(p.m.Decoder, seqs, p.m.Specials.Pad)
	}
	sim, err := eval.CosineMatrix(q.Data(), pool.H.Data(), n, d)
	if err != nil {
		return fmt.Errorf("retrieval for %s: %w", method, err)
	}
	b := min(n, SimilarityBlock)
	r.Similarity = make([]float32, b*b)
	for i := range b {
		copy(r.Similarity[i*b:(i+1)*b], sim[i*n:i*n+b])
	}
	for dir, s := range map[string][]float32{"km-en": sim, "en-km": eval.Transpose(sim, n)} {
		ranks, err := eval.RanksFromSimilarity(s, n)
		if err != nil {
			return err
		}
		m := eval.FromRanks(ranks)
		if dir == "km-en" {
			r.KmToEn = &m
		} else {
			r.EnToKm = &m
		}
	}
	return nil
}

// SimilarityBlock is the side of the similarity-matrix corner each method's
// result keeps (MethodResult.Similarity).
const SimilarityBlock = 64

// loraSet records which LoRA adapter each projection carries.
type loraSet map[*llama.Weight]*llama.LoRA

// detachLoRA removes every adapter from m and returns them.
func detachLoRA(m *llama.Model) loraSet {
	s := loraSet{}
	for _, l := range m.Layers {
		for _, w := range l.Projections() {
			s[w] = w.LoRA
			w.LoRA = nil
		}
	}
	return s
}

// attachLoRA puts a recorded set of adapters back (nil entries remove).
func attachLoRA(m *llama.Model, s loraSet) {
	for _, l := range m.Layers {
		for _, w := range l.Projections() {
			w.LoRA = s[w]
		}
	}
}
