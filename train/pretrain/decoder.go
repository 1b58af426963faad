package pretrain

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
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
	// MaxTokens clips every plain-sentence row to its first MaxTokens
	// tokens (begin-of-text included; a clipped row has no closing eot);
	// 0: no clip. Instruction rows are never clipped.
	MaxTokens int `json:"max_tokens,omitempty"`
	// Group is how many rows are padded together, as EncoderConfig.Group:
	// a batch's rows are sorted by length and run in groups of Group rows
	// (the same loss for less padding work). 0: the whole batch as one.
	Group int `json:"group,omitempty"`
	// PseudoNames is the share of the instruction tasks naming a person
	// whose given names are replaced by generated pseudo-names of
	// PseudoAlphabet (train.Rename; "" is "simple", "full" the names like
	// real ones): answers that can only be written by copying a name from
	// the passage, as a real decoder copies names it never saw. With it the
	// result also records exact match on the dev questions whose names were
	// all replaced by such pseudo-names, and by the real names reserved for
	// dev (train.DevReal).
	PseudoNames    float64 `json:"pseudo_names,omitempty"`
	PseudoAlphabet string  `json:"pseudo_alphabet,omitempty"`
	// RenameDistractors also renames, in every task renamed for
	// PseudoNames, the person a yes/no question asks about when the passage
	// does not name them (train.RenameDistractors), in training and in the
	// renamed dev questions: without it an answer-"no" distractor keeps a
	// lexicon name while the passage's people have new ones, and "an
	// unknown name" answers every such question. false keeps the recipe of
	// the decoders trained before it.
	RenameDistractors bool `json:"rename_distractors,omitempty"`
}

// DefaultDecoder is the embedded default's tiny decoder.
func DefaultDecoder() DecoderConfig {
	return DecoderConfig{Vocab: 2048, Hidden: 256, Layers: 4, Heads: 8, KVHeads: 4, FFN: 688,
		Steps: 1800, Batch: 32, LR: 2e-3, LMShare: 0.15, ContextWeight: 0.5, SplitDigits: true,
		DevTasks: 240, Seed: 1}
}

// DecoderData is what the decoder is trained and measured on.
type DecoderData struct {
	Train   []data.Task // instruction tasks; their English passages are used
	Dev     []data.Task // dev tasks (translations are skipped)
	English []string    // plain English sentences
}

// AddEnglish adds the English side of real translation pairs (a corpus's
// training part) to d's plain sentences, which language-modelling rows
// read.
func (d *DecoderData) AddEnglish(pairs []data.Pair) {
	for _, p := range pairs {
		d.English = append(d.English, p.English)
	}
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
var llamaSpecials = []string{tokenizer.BeginOfText, tokenizer.EndOfText, tokenizer.StartHeader, tokenizer.EndHeader, tokenizer.EOT}

// decoderSlots is how many slot tokens the tiny decoder's vocabulary
// carries after LLINK's other tokens: the default K.
const decoderSlots = 8

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
	bpe.AddSpecialTokens(llink.TokenNames(decoderSlots)...)
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
	if c.MaxTokens < 0 || c.MaxTokens == 1 || c.Group < 0 { // before anything is written
		return Result{}, fmt.Errorf("pretrain: MaxTokens %d, Group %d: want MaxTokens 0 or at least 2 (begin-of-text and a token), Group ≥ 0", c.MaxTokens, c.Group)
	}
	if !(c.PseudoNames >= 0 && c.PseudoNames <= 1) {
		return Result{}, fmt.Errorf("pretrain: PseudoNames %g: want a share in 0..1", c.PseudoNames)
	}
	alphabet, err := train.ParseNames(c.PseudoAlphabet)
	if err != nil || alphabet == train.DevReal {
		return Result{}, fmt.Errorf("pretrain: PseudoAlphabet %q: want simple or full", c.PseudoAlphabet)
	}
	var copyDev, realDev []data.Task
	if c.PseudoNames > 0 {
		d.Train = train.Rename(d.Train, c.PseudoNames, c.Seed, alphabet)
		if c.RenameDistractors {
			d.Train = train.RenameDistractors(d.Train, c.Seed, alphabet)
		}
		copyDev = CopyQuestions(d.Dev, c, alphabet)
		realDev = CopyQuestions(d.Dev, c, train.DevReal)
	}
	t, err := newTrainer("decoder", dir, c, d.fingerprint(), c.Steps, o)
	if err != nil {
		return Result{}, err
	}
	o = t.o
	tok, err := decoderTokenizer(dir, d, c, o.Resume)
	if err != nil {
		return Result{}, err
	}
	eot, ok1 := tok.TokenID("<|eot_id|>")
	bos, ok2 := tok.TokenID("<|begin_of_text|>")
	if !ok1 || !ok2 {
		return Result{}, errors.New("pretrain: decoder tokenizer lacks the Llama-3 specials")
	}
	fmt.Fprintf(o.Log, "decoder tokenizer: %d tokens (%.1fs)\n", tok.VocabSize(), time.Since(t.began).Seconds())
	m, cfg, initMD, err := decoderModel(tok, bos, eot, c, o)
	if err != nil {
		return Result{}, err
	}
	sents, insts := decoderExamples(tok, d, c, bos, eot)
	if len(insts) == 0 {
		return Result{}, errors.New("pretrain: no instruction tasks")
	}
	// copyEM measures and logs exact match on the renamed dev questions:
	// pseudo-names of the training alphabet, and real names reserved for dev.
	nCopy, nReal := min(c.DevTasks, countQuestions(copyDev)), min(c.DevTasks, countQuestions(realDev))
	copyEM := func(when string) (pseudo, real float64, err error) {
		if pseudo, err = DevExactMatch(m, tok, copyDev, c.DevTasks); err != nil {
			return 0, 0, err
		}
		if real, err = DevExactMatch(m, tok, realDev, c.DevTasks); err != nil {
			return 0, 0, err
		}
		fmt.Fprintf(o.Log, "decoder%s: dev exact match on %d questions with pseudo-names %.3f, on %d with real names held out %.3f\n", when, nCopy, pseudo, nReal, real)
		return pseudo, real, nil
	}
	if len(copyDev) > 0 && c.InitFrom != "" && !o.Resume {
		if _, _, err := copyEM(" before training"); err != nil {
			return Result{}, err
		}
	}
	t.params, t.src = m.Trainable(), rand.NewPCG(c.Seed, 22)
	t.opt = nn.NewAdamW([]nn.ParamGroup{{Params: t.params, LR: c.LR, WeightDecay: 0.01}}, 0.9, 0.95, 1e-8)
	t.opt.Schedule = nn.WarmupCosine(max(c.Steps/20, 1), c.Steps, 0.05)
	rng := rand.New(t.src)
	if err := t.start(func(tp *autograd.Tape) (*autograd.Var, int, error) {
		rows := decoderBatch(rng, c, sents, insts)
		tokens := 0
		for _, r := range rows {
			tokens += len(r.ids)
		}
		loss, err := decoderLoss(tp, m, rows, eot, c.ContextWeight, c.Group)
		return loss, tokens, err
	}); err != nil {
		return Result{}, err
	}
	fmt.Fprintf(o.Log, "decoder: %d parameters, %d instruction examples, %d sentences, %d steps of %d rows (%.0f%% sentences)\n",
		nn.CountParams(t.params), len(insts), len(sents), c.Steps, c.Batch, 100*c.LMShare)
	elapsed, err := t.run()
	if err != nil {
		return Result{}, err
	}
	loss := t.lossAvg.mean()
	em, err := DevExactMatch(m, tok, d.Dev, c.DevTasks)
	if err != nil {
		return Result{}, err
	}
	nDev := min(c.DevTasks, countQuestions(d.Dev))
	fmt.Fprintf(o.Log, "decoder: dev exact match on %d English-passage questions %.3f; final loss %.4f (%s)\n",
		nDev, em, loss, time.Since(t.began).Round(time.Second))
	md := map[string]string{"dev_exact_match": fmt.Sprintf("%.4f", em), "dev_questions": fmt.Sprint(nDev), "final_loss": fmt.Sprintf("%.4f", loss)}
	if len(copyDev) > 0 {
		pem, rem, err := copyEM("")
		if err != nil {
			return Result{}, err
		}
		md["dev_pseudo_exact_match"], md["dev_pseudo_questions"] = fmt.Sprintf("%.4f", pem), fmt.Sprint(nCopy)
		md["dev_real_names_exact_match"], md["dev_real_names_questions"] = fmt.Sprintf("%.4f", rem), fmt.Sprint(nReal)
	}
	maps.Copy(md, initMD)
	md = t.metadata(md, elapsed)
	cfg.ModelType = "llama"
	if err := t.save(cfg, md); err != nil {
		return Result{}, err
	}
	return Result{Steps: c.Steps, Loss: loss, DevEM: em, Elapsed: elapsed, Metadata: md}, nil
}

// decoderTokenizer returns the decoder's tokenizer: the one in dir when
// resuming, else InitFrom's or a new one trained on d, written to dir.
func decoderTokenizer(dir string, d DecoderData, c DecoderConfig, resume bool) (tokenizer.Tokenizer, error) {
	if resume {
		return resumeTokenizer(dir)
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

// decoderExamples encodes d's plain English sentences (between bos and
// eot, clipped to c.MaxTokens) and its instruction tasks, each repeated as
// c.Boost says.
func decoderExamples(tok tokenizer.Tokenizer, d DecoderData, c DecoderConfig, bos, eot int) (sents [][]int, insts []train.Example) {
	insts = make([]train.Example, 0, len(d.Train))
	for _, t := range d.Train {
		e := InstructionExample(tok, t, eot)
		for range max(c.Boost[t.Kind], 1) {
			insts = append(insts, e)
		}
	}
	sents = make([][]int, len(d.English))
	for i, s := range d.English {
		sents[i] = append(append([]int{bos}, tok.Encode(s, false)...), eot)
		if c.MaxTokens > 0 && len(sents[i]) > c.MaxTokens {
			sents[i] = sents[i][:c.MaxTokens:c.MaxTokens]
		}
	}
	return sents, insts
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
	if md, err := initMetadata(c.InitFrom); err == nil {
		initMD = md
	}
	fmt.Fprintf(o.Log, "continuing from %s\n", c.InitFrom)
	return m, m.Config, initMD, nil
}

// decoderRow is one training row: its tokens, and where its answer starts
// (its length for a plain sentence, which has no answer).
type decoderRow struct {
	ids     []int
	ansFrom int
}

// decoderBatch draws one batch: each row an English sentence (language
// modelling, share c.LMShare) or an instruction example.
func decoderBatch(rng *rand.Rand, c DecoderConfig, sents [][]int, insts []train.Example) []decoderRow {
	rows := make([]decoderRow, c.Batch)
	for i := range rows {
		if len(sents) > 0 && rng.Float64() < c.LMShare {
			s := sents[rng.IntN(len(sents))]
			rows[i] = decoderRow{s, len(s)}
		} else {
			e := insts[rng.IntN(len(insts))]
			rows[i] = decoderRow{append(append([]int(nil), e.Prompt...), e.Answer...), len(e.Prompt)}
		}
	}
	return rows
}

// decoderLoss records a batch's loss: the cross-entropy of the answer
// tokens plus contextWeight times that of the tokens before them. The rows
// run in groups of group rows of similar length (0: all together); the
// vocabulary head reads only the predicted positions, never the padding.
func decoderLoss(tp *autograd.Tape, m *llama.Model, rows []decoderRow, pad int, contextWeight float32, group int) (*autograd.Var, error) {
	var ans, ctx []*autograd.Var
	var ansTgt, ctxTgt []int
	for _, g := range groupsByLen(rows, group, func(r decoderRow) int { return len(r.ids) }) {
		seqs := make([][]int, len(g))
		for i, r := range g {
			seqs[i] = r.ids
		}
		b := llama.PadRight(seqs, pad)
		var ctxPos, ansPos []int
		for i, r := range g {
			for t := 0; t+1 < len(r.ids); t++ {
				if t+1 >= r.ansFrom {
					ansPos, ansTgt = append(ansPos, i*b.T+t), append(ansTgt, r.ids[t+1])
				} else if contextWeight > 0 {
					ctxPos, ctxTgt = append(ctxPos, i*b.T+t), append(ctxTgt, r.ids[t+1])
				}
			}
		}
		x := m.EmbedTapeOn(tp, b.IDs, b.B, b.T)
		h := tp.Reshape(m.ForwardTape(tp, x, b.Mask, nil), b.B*b.T, m.Config.Hidden)
		if len(ansPos) > 0 {
			ans = append(ans, m.LogitsTape(tp, tp.Gather(h, ansPos)))
		}
		if len(ctxPos) > 0 {
			ctx = append(ctx, m.LogitsTape(tp, tp.Gather(h, ctxPos)))
		}
	}
	var loss *autograd.Var
	if len(ans) > 0 {
		loss = tp.CrossEntropy(concatRows(tp, ans), ansTgt, -100)
	}
	if len(ctx) > 0 {
		l := tp.Scale(tp.CrossEntropy(concatRows(tp, ctx), ctxTgt, -100), contextWeight)
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

// concatRows stacks vs along their first axis (vs itself when it is one).
func concatRows(tp *autograd.Tape, vs []*autograd.Var) *autograd.Var {
	if len(vs) == 1 {
		return vs[0]
	}
	return tp.Concat(0, vs...)
}

// RenamedQuestions returns the dev tasks whose people's given names
// train.Rename replaces by names (every task it can rename, drawn from
// seed): questions only a decoder that copies names from the passage can
// answer. A decoder trained with PseudoNames, alphabet a and seed s was
// measured on RenamedQuestions(dev, s, a) and (dev, s, train.DevReal).
func RenamedQuestions(dev []data.Task, seed uint64, names train.Names) []data.Task {
	renamed := train.Rename(dev, 1, seed^0x5eed, names) // not the training draw's stream
	var out []data.Task
	for i, t := range renamed {
		if t.Answer != dev[i].Answer || t.EnglishPassage != dev[i].EnglishPassage {
			out = append(out, t)
		}
	}
	return out
}

// CopyQuestions returns the renamed dev questions a decoder pretrained with
// c was measured on for names: RenamedQuestions(dev, c.Seed, names), whose
// yes/no distractors are renamed from names too when c.RenameDistractors.
func CopyQuestions(dev []data.Task, c DecoderConfig, names train.Names) []data.Task {
	qs := RenamedQuestions(dev, c.Seed, names)
	if c.RenameDistractors {
		qs = train.RenameDistractors(qs, c.Seed^0x5eed, names)
	}
	return qs
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
