package pretrain

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/train"
	"github.com/llink-go/llink/train/eval"
)

// DecoderConfig sizes the tiny English decoder, its tokenizer and its
// training.
type DecoderConfig struct {
	Vocab   int `json:"vocab"` // byte-level BPE vocabulary, specials included
	Hidden  int `json:"hidden"`
	Layers  int `json:"layers"`
	Heads   int `json:"heads"`
	KVHeads int `json:"kv_heads"`
	FFN     int `json:"ffn"`
	Steps   int `json:"steps"`
	Batch   int `json:"batch"`
	// LR is AdamW's peak learning rate (warm-up then cosine decay to 5%).
	LR float32 `json:"lr"`
	// LMShare is the share of batch rows that are plain English sentences.
	LMShare float64 `json:"lm_share"`
	// ContextWeight weighs the language-modelling loss on every token that
	// is not an answer token (prompts, plain sentences) against the loss
	// on answer tokens (weight 1).
	ContextWeight float32 `json:"context_weight"`
	// SplitDigits trains the BPE on text without digits, so numbers are
	// encoded digit by digit (as Llama-2 and Mistral do) instead of in
	// rare three-digit tokens a tiny model cannot learn to copy.
	SplitDigits bool   `json:"split_digits"`
	DevTasks    int    `json:"dev_tasks"` // dev questions the final exact match is measured on
	Seed        uint64 `json:"seed"`
	// InitFrom continues training from the weights and tokenizer of a
	// folder an earlier run wrote (a second phase with its own schedule)
	// instead of starting from scratch; its provenance is kept in the
	// metadata under "init.".
	InitFrom string `json:"init_from,omitempty"`
	// Boost repeats the training tasks of the named kinds (data.Kind*) that
	// many times in the sampling pool, for kinds a phase should practise
	// more (yes/no questions need many examples to rise above chance).
	Boost map[string]int `json:"boost,omitempty"`
}

// DefaultDecoder is the embedded default's tiny decoder.
func DefaultDecoder() DecoderConfig {
	return DecoderConfig{Vocab: 2048, Hidden: 256, Layers: 4, Heads: 8, KVHeads: 4, FFN: 688,
		Steps: 1800, Batch: 32, LR: 2e-3, LMShare: 0.15, ContextWeight: 0.5, SplitDigits: true,
		DevTasks: 240, Seed: 1}
}

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

// DecoderData is what the decoder is trained and measured on.
type DecoderData struct {
	Train   []data.Task // instruction tasks; their English passages are used
	Dev     []data.Task // dev tasks (translations are skipped)
	English []string    // plain English sentences
}

// DefaultDecoderData is the generated corpus's train and dev tasks and
// 20,000 monolingual English sentences.
func DefaultDecoderData(seed uint64) DecoderData {
	_, tr, dev, _ := data.Default()
	english, _ := data.Monolingual(20000, seed)
	return DecoderData{Train: tr, Dev: dev, English: english}
}

// Result is what a pretraining run measured.
type Result struct {
	Steps    int           // optimizer steps taken in total
	Loss     float64       // mean training loss over the last 5% of steps
	DevEM    float64       // decoder: exact match on English-passage dev questions
	Elapsed  time.Duration // this process's training time
	Metadata map[string]string
}

// llamaSpecials are the Llama-3 special tokens of the tiny decoder's
// tokenizer, so the Llama-3 chat template applies unchanged.
var llamaSpecials = []string{"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}

// DecoderTokenizer trains the decoder's byte-level BPE on English text
// only (sentences, instructions and answers, plus the prompt's fixed
// words), adds the Llama-3 specials and LLINK's tokens.
func DecoderTokenizer(d DecoderData, c DecoderConfig) (*tokenizer.BPE, error) {
	var texts []string
	texts = append(texts, d.English...)
	for _, t := range d.Train[:min(len(d.Train), 20000)] {
		texts = append(texts, t.Instruction, t.Answer)
	}
	texts = append(texts, llink.UserMessage("", ""), "user", "assistant")
	if c.SplitDigits {
		for i, t := range texts {
			texts[i] = strings.Map(func(r rune) rune {
				if unicode.IsDigit(r) {
					return ' '
				}
				return r
			}, t)
		}
	}
	bpe, err := tokenizer.TrainBPE(texts, tokenizer.BPETrainConfig{VocabSize: c.Vocab, Specials: llamaSpecials, BOS: llamaSpecials[0]})
	if err != nil {
		return nil, err
	}
	bpe.AddSpecialTokens(tokenizer.LLINKTokens...)
	return bpe, nil
}

// InstructionExample is task t over its English passage in LLINK's prompt
// (the passage inside <foreign>…</foreign>, Llama-3 chat template); the
// answer ends with eot.
func InstructionExample(tok tokenizer.Tokenizer, t data.Task, eot int) train.Example {
	prompt := llink.Llama3Chat(llink.UserMessage(t.Instruction, llink.Form{Content: llink.Raw}.Span(t.EnglishPassage)))
	return train.Example{Prompt: tok.Encode(prompt, false), Answer: append(tok.Encode(t.Answer, false), eot)}
}

// Decoder trains the tiny English decoder (tokenizer included) on d and
// writes a Hugging Face Llama folder to dir. It measures greedy exact match
// on English-passage dev questions and records it, with the final loss and
// o.Provenance, in model.safetensors' metadata.
func Decoder(dir string, d DecoderData, c DecoderConfig, o Options) (Result, error) {
	o.defaults(c.Steps)
	start := time.Now()
	cj, _ := json.Marshal(c)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, err
	}
	statePath := filepath.Join(dir, CheckpointName)
	tok, err := decoderTokenizer(dir, statePath, d, c, o.Resume)
	if err != nil {
		return Result{}, err
	}
	eot, ok1 := tok.TokenID("<|eot_id|>")
	bos, ok2 := tok.TokenID("<|begin_of_text|>")
	if !ok1 || !ok2 {
		return Result{}, errors.New("pretrain: decoder tokenizer lacks the Llama-3 specials")
	}
	fmt.Fprintf(o.Log, "decoder tokenizer: %d tokens (%.1fs)\n", tok.VocabSize(), time.Since(start).Seconds())
	m, cfg, initMD, err := decoderModel(tok, bos, eot, c, o)
	if err != nil {
		return Result{}, err
	}
	params := m.Trainable()
	nParams := 0
	for _, p := range params {
		nParams += p.Value.Len()
	}
	insts := make([]train.Example, 0, len(d.Train))
	for _, t := range d.Train {
		e := InstructionExample(tok, t, eot)
		for range max(c.Boost[t.Kind], 1) {
			insts = append(insts, e)
		}
	}
	sents := make([][]int, len(d.English))
	for i, s := range d.English {
		sents[i] = append(append([]int{bos}, tok.Encode(s, false)...), eot)
	}
	if len(insts) == 0 {
		return Result{}, errors.New("pretrain: no instruction tasks")
	}
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params, LR: c.LR, WeightDecay: 0.01}}, 0.9, 0.95, 1e-8)
	opt.Schedule = nn.WarmupCosine(max(c.Steps/20, 1), c.Steps, 0.05)
	src := rand.NewPCG(c.Seed, 22)
	rng := rand.New(src)
	st := loopState{Config: string(cj)}
	if o.Resume {
		if st, err = loadState(statePath, params, opt, string(cj)); err != nil {
			return Result{}, err
		}
		if err := src.UnmarshalBinary(st.RNG); err != nil {
			return Result{}, fmt.Errorf("pretrain: resume: sampler state: %w", err)
		}
		fmt.Fprintf(o.Log, "resuming at step %d\n", st.Step)
	}
	fmt.Fprintf(o.Log, "decoder: %d parameters, %d instruction examples, %d sentences, %d steps of %d rows\n",
		nParams, len(insts), len(sents), c.Steps, c.Batch)

	tp := autograd.NewTape()
	t0, tokens, first, before := time.Now(), 0, st.Step, st.Seconds
	lossAvg := newTail(c.Steps)
	lossAvg.restore(st.Tail)
	for st.Step < c.Steps {
		seqs, ansFrom := decoderBatch(rng, c, sents, insts)
		for _, s := range seqs {
			tokens += len(s)
		}
		tp.Reset()
		autograd.ZeroGrad(params)
		loss, err := decoderLoss(tp, m, seqs, ansFrom, eot, c.ContextWeight)
		if err != nil {
			return Result{}, err
		}
		if err := nn.CheckFinite(loss, nil); err != nil {
			return Result{}, fmt.Errorf("pretrain: decoder step %d: %w", st.Step, err)
		}
		tp.Backward(loss)
		nn.ClipGradNorm(params, 1)
		opt.Step()
		st.Step++
		lossAvg.add(float64(loss.Item()))
		st.Loss = lossAvg.mean()
		if st.Step%o.LogEvery == 0 || st.Step == first+1 || st.Step == c.Steps {
			progress(o.Log, "decoder", st.Step, first, c.Steps, float64(loss.Item()), tokens, time.Since(t0))
		}
		stop := o.stopRequested() && st.Step < c.Steps
		if stop || o.CheckpointEvery > 0 && st.Step%o.CheckpointEvery == 0 && st.Step < c.Steps {
			st.RNG, st.Tail, st.Seconds = pcgBytes(src), lossAvg.values(), before+time.Since(t0).Seconds()
			if err := saveState(statePath, params, opt, st); err != nil {
				return Result{}, err
			}
		}
		if stop {
			return Result{}, fmt.Errorf("pretrain: decoder stopped after step %d, checkpoint in %s: %w", st.Step, statePath, train.ErrInterrupted)
		}
		if o.stopAfter > 0 && st.Step == o.stopAfter {
			return Result{}, errStopped
		}
	}
	elapsed := time.Duration(before*float64(time.Second)) + time.Since(t0) // resumes included
	if o.BF16 {
		roundBF16(params) // measure the weights that are saved
	}
	em, err := DevExactMatch(m, tok, d.Dev, c.DevTasks)
	if err != nil {
		return Result{}, err
	}
	fmt.Fprintf(o.Log, "decoder: dev exact match on %d English-passage questions %.3f; final loss %.4f (%s)\n",
		min(c.DevTasks, countQuestions(d.Dev)), em, st.Loss, time.Since(start).Round(time.Second))
	md := map[string]string{
		"dev_exact_match": fmt.Sprintf("%.4f", em), "dev_questions": fmt.Sprint(min(c.DevTasks, countQuestions(d.Dev))),
		"final_loss": fmt.Sprintf("%.4f", st.Loss), "steps": fmt.Sprint(c.Steps), "parameters": fmt.Sprint(nParams),
		"pretrain_config": string(cj), "train_seconds": fmt.Sprintf("%.0f", elapsed.Seconds()),
	}
	maps.Copy(md, initMD)
	maps.Copy(md, o.Provenance)
	out := cfg
	out.ModelType = "llama"
	if err := writeJSON(filepath.Join(dir, "config.json"), out); err != nil {
		return Result{}, err
	}
	if err := writeWeights(filepath.Join(dir, "model.safetensors"), params, md, o.BF16); err != nil {
		return Result{}, err
	}
	os.Remove(statePath)
	return Result{Steps: st.Step, Loss: st.Loss, DevEM: em, Elapsed: elapsed, Metadata: md}, nil
}

// decoderTokenizer returns the decoder's tokenizer: the one in dir when
// resuming, else InitFrom's or a new one trained on d, written to dir.
func decoderTokenizer(dir, statePath string, d DecoderData, c DecoderConfig, resume bool) (tokenizer.Tokenizer, error) {
	if resume {
		if _, err := os.Stat(statePath); err != nil {
			return nil, fmt.Errorf("pretrain: resume: no checkpoint in %s", dir)
		}
		t, err := tokenizer.Load(filepath.Join(dir, "tokenizer.json"))
		if err != nil {
			return nil, fmt.Errorf("pretrain: resume: %w", err)
		}
		return t, nil
	}
	var t tokenizer.Tokenizer
	var err error
	if c.InitFrom != "" {
		t, err = tokenizer.Load(filepath.Join(c.InitFrom, "tokenizer.json"))
	} else {
		t, err = DecoderTokenizer(d, c)
	}
	if err != nil {
		return nil, err
	}
	return t, writeTokenizer(dir, t)
}

// decoderModel returns the model to train: new from the config, or
// InitFrom's (with its metadata as "init.*" entries).
func decoderModel(tok tokenizer.Tokenizer, bos, eot int, c DecoderConfig, o Options) (*llama.Model, llama.Config, map[string]string, error) {
	cfg := llama.Tiny(tok.VocabSize())
	cfg.Hidden, cfg.Layers, cfg.Heads, cfg.KVHeads, cfg.HeadDim, cfg.Intermediate = c.Hidden, c.Layers, c.Heads, c.KVHeads, c.Hidden/c.Heads, c.FFN
	cfg.MaxPositions = 512
	cfg.BOS, cfg.EOS = llama.TokenIDs{bos}, llama.TokenIDs{eot}
	m := llama.New(cfg, rand.New(rand.NewPCG(c.Seed, 21)))
	initMD := map[string]string{}
	if c.InitFrom == "" {
		return m, cfg, initMD, nil
	}
	m, err := llama.Load(c.InitFrom, llama.LoadOptions{})
	if err != nil {
		return nil, cfg, nil, err
	}
	if m.Config.VocabSize != tok.VocabSize() || m.Config.Hidden != c.Hidden || m.Config.Layers != c.Layers {
		return nil, cfg, nil, fmt.Errorf("pretrain: %s holds a different model than the config describes", c.InitFrom)
	}
	if f, err := safetensors.Open(filepath.Join(c.InitFrom, "model.safetensors")); err == nil {
		for k, v := range f.Metadata() {
			initMD["init."+k] = v
		}
		f.Close()
	}
	fmt.Fprintf(o.Log, "continuing from %s\n", c.InitFrom)
	return m, m.Config, initMD, nil
}

// decoderBatch draws one batch: each row an English sentence (language
// modelling, share c.LMShare) or an instruction example; ansFrom[i] is
// where row i's answer starts (its length for a sentence).
func decoderBatch(rng *rand.Rand, c DecoderConfig, sents [][]int, insts []train.Example) (seqs [][]int, ansFrom []int) {
	seqs, ansFrom = make([][]int, c.Batch), make([]int, c.Batch)
	for i := range seqs {
		if len(sents) > 0 && rng.Float64() < c.LMShare {
			seqs[i] = sents[rng.IntN(len(sents))]
			ansFrom[i] = len(seqs[i])
		} else {
			e := insts[rng.IntN(len(insts))]
			seqs[i] = append(append([]int(nil), e.Prompt...), e.Answer...)
			ansFrom[i] = len(e.Prompt)
		}
	}
	return seqs, ansFrom
}

// decoderLoss records a batch's loss: the cross-entropy of the answer
// tokens plus contextWeight times that of the tokens before them.
func decoderLoss(tp *autograd.Tape, m *llama.Model, seqs [][]int, ansFrom []int, pad int, contextWeight float32) (*autograd.Var, error) {
	b := llama.PadRight(seqs, pad)
	var ctxPos, ctxTgt, ansPos, ansTgt []int
	for i, s := range seqs {
		for t := 0; t+1 < len(s); t++ {
			if t+1 >= ansFrom[i] {
				ansPos, ansTgt = append(ansPos, i*b.T+t), append(ansTgt, s[t+1])
			} else {
				ctxPos, ctxTgt = append(ctxPos, i*b.T+t), append(ctxTgt, s[t+1])
			}
		}
	}
	x := m.EmbedTapeOn(tp, b.IDs, b.B, b.T)
	h := tp.Reshape(m.ForwardTape(tp, x, b.Mask, nil), b.B*b.T, m.Config.Hidden)
	logits := m.LogitsTape(tp, h)
	var loss *autograd.Var
	if len(ansPos) > 0 {
		loss = tp.CrossEntropy(tp.Gather(logits, ansPos), ansTgt, -100)
	}
	if len(ctxPos) > 0 && contextWeight > 0 {
		l := tp.Scale(tp.CrossEntropy(tp.Gather(logits, ctxPos), ctxTgt, -100), contextWeight)
		if loss == nil {
			loss = l
		} else {
			loss = tp.Add(loss, l)
		}
	}
	if loss == nil {
		return nil, errors.New("pretrain: a batch with nothing to predict")
	}
	return loss, nil
}

func countQuestions(dev []data.Task) int {
	n := 0
	for _, t := range dev {
		if t.Kind != data.KindTranslate {
			n++
		}
	}
	return n
}

// DevExactMatch generates greedy answers for the first n dev questions
// (translations skipped) over their English passages and returns the
// share answered exactly (eval.ExactMatch).
func DevExactMatch(m *llama.Model, tok tokenizer.Tokenizer, dev []data.Task, n int) (float64, error) {
	eot, ok := tok.TokenID("<|eot_id|>")
	if !ok {
		return 0, errors.New("pretrain: tokenizer lacks <|eot_id|>")
	}
	var qs []data.Task
	for _, t := range dev {
		if t.Kind != data.KindTranslate && len(qs) < n {
			qs = append(qs, t)
		}
	}
	if len(qs) == 0 {
		return 0, nil
	}
	in := make([]llink.Input, len(qs))
	for i, t := range qs {
		in[i].IDs = InstructionExample(tok, t, eot).Prompt
	}
	gen, err := llink.GenerateIDs(m, in, eot, eot, 24, 32)
	if err != nil {
		return 0, err
	}
	ok2 := 0
	for i, g := range gen {
		if eval.ExactMatch(strings.TrimSpace(tok.Decode(g)), qs[i].Answer) {
			ok2++
		}
	}
	return float64(ok2) / float64(len(qs)), nil
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
