package train

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train/eval"
)

// DecoderPretrainConfig sizes the tiny English decoder and its training.
type DecoderPretrainConfig struct {
	Vocab    int     `json:"vocab"`  // byte-level BPE vocabulary (English only)
	Hidden   int     `json:"hidden"` // model width
	Layers   int     `json:"layers"`
	Heads    int     `json:"heads"`
	KVHeads  int     `json:"kv_heads"`
	FFN      int     `json:"ffn"`
	Steps    int     `json:"steps"`
	Batch    int     `json:"batch"`
	LR       float32 `json:"lr"`
	LMShare  float64 `json:"lm_share"` // share of batch rows that are plain English sentences
	DevTasks int     `json:"dev_tasks"`
	Seed     uint64  `json:"seed"`
	// AnswerWeight scales the extra loss on the answer tokens.
	AnswerWeight float32 `json:"answer_weight"`
	// InitFrom continues training from a folder this function wrote (its
	// tokenizer and weights) instead of starting from scratch.
	InitFrom string `json:"init_from,omitempty"`
}

// DefaultDecoderPretrain is the embedded default's tiny decoder.
func DefaultDecoderPretrain() DecoderPretrainConfig {
	return DecoderPretrainConfig{Vocab: 2048, Hidden: 256, Layers: 4, Heads: 8, KVHeads: 4, FFN: 688,
		Steps: 1200, Batch: 32, LR: 2e-3, LMShare: 0.2, DevTasks: 240, Seed: 1, AnswerWeight: 1}
}

// llamaSpecials are the Llama-3 special tokens the tiny decoder's tokenizer
// carries (so the Llama-3 chat template applies unchanged).
var llamaSpecials = []string{"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}

// englishExample is one instruction over an English passage, in the exact
// prompt format LLINK uses (the passage inside <foreign>…</foreign>).
func englishExample(tok tokenizer.Tokenizer, t data.Task, eot int) Example {
	prompt := Llama3Chat(UserMessage(t.Instruction, "<foreign>"+t.EnglishPassage+"</foreign>"))
	return Example{Prompt: tok.Encode(prompt, false), Answer: append(tok.Encode(t.Answer, false), eot)}
}

// PretrainDecoder trains the tiny English decoder and its tokenizer from
// the generated corpus (English sentences and English-only instruction
// tasks) and writes a Hugging Face folder (config.json, model.safetensors
// in bf16 with provenance metadata, tokenizer.json) to dir. It returns the
// dev exact match on English-passage questions.
func PretrainDecoder(dir string, c DecoderPretrainConfig, provenance map[string]string, log io.Writer) (float64, error) {
	start := time.Now()
	_, trainTasks, devTasks, _ := data.Default()
	english, _ := data.Monolingual(20000, c.Seed)
	var tokText []string
	tokText = append(tokText, english...)
	for _, t := range trainTasks[:min(len(trainTasks), 20000)] {
		tokText = append(tokText, t.Instruction, t.Answer)
	}
	tokText = append(tokText, UserMessage("", ""), "user", "assistant")
	var tok tokenizer.Tokenizer
	var m *llama.Model
	if c.InitFrom != "" {
		var err error
		if tok, err = tokenizer.Load(c.InitFrom); err != nil {
			return 0, err
		}
		if m, err = llama.Load(c.InitFrom, llama.LoadOptions{}); err != nil {
			return 0, err
		}
		fmt.Fprintf(log, "continuing from %s\n", c.InitFrom)
	} else {
		bpe, err := tokenizer.TrainBPE(tokText, tokenizer.BPETrainConfig{VocabSize: c.Vocab, Specials: llamaSpecials, BOS: llamaSpecials[0]})
		if err != nil {
			return 0, err
		}
		bpe.AddSpecialTokens(tokenizer.LLINKTokens...)
		tok = bpe
	}
	eot, _ := tok.TokenID("<|eot_id|>")
	bos, _ := tok.TokenID("<|begin_of_text|>")
	fmt.Fprintf(log, "decoder tokenizer: %d tokens (%.1fs)\n", tok.VocabSize(), time.Since(start).Seconds())
	if m == nil {
		cfg := llama.Tiny(tok.VocabSize())
		cfg.Hidden, cfg.Layers, cfg.Heads, cfg.KVHeads, cfg.HeadDim, cfg.Intermediate = c.Hidden, c.Layers, c.Heads, c.KVHeads, c.Hidden/c.Heads, c.FFN
		cfg.MaxPositions = 512
		cfg.BOS, cfg.EOS = llama.TokenIDs{bos}, llama.TokenIDs{eot}
		m = llama.New(cfg, rand.New(rand.NewPCG(c.Seed, 21)))
	}
	cfg := m.Config
	params := m.Trainable()

	var insts []Example
	for _, t := range trainTasks {
		insts = append(insts, englishExample(tok, t, eot))
	}
	var sents [][]int
	for _, s := range english {
		sents = append(sents, append([]int{bos}, append(tok.Encode(s, false), eot)...))
	}
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params, LR: c.LR, WeightDecay: 0.01}}, 0.9, 0.95, 1e-8)
	opt.Schedule = nn.WarmupCosine(c.Steps/20, c.Steps, 0.05)
	src := rand.NewPCG(c.Seed, 22)
	rng := rand.New(src)
	tp := autograd.NewTape()
	pad := eot
	t0 := time.Now()
	var tokens int
	for step := 0; step < c.Steps; step++ {
		// A batch: instruction rows (loss on every next token, answers
		// counted twice) and plain sentences (language modelling).
		var seqs [][]int
		var ansFrom []int
		for i := 0; i < c.Batch; i++ {
			if rng.Float64() < c.LMShare {
				s := sents[rng.IntN(len(sents))]
				seqs, ansFrom = append(seqs, s), append(ansFrom, len(s))
			} else {
				e := insts[rng.IntN(len(insts))]
				seqs = append(seqs, append(append([]int(nil), e.Prompt...), e.Answer...))
				ansFrom = append(ansFrom, len(e.Prompt))
			}
		}
		b := llama.PadRight(seqs, pad)
		var allPos, allTgt, ansPos, ansTgt []int
		for i, s := range seqs {
			for t := 0; t < len(s)-1; t++ {
				allPos, allTgt = append(allPos, i*b.T+t), append(allTgt, s[t+1])
				if t+1 >= ansFrom[i] {
					ansPos, ansTgt = append(ansPos, i*b.T+t), append(ansTgt, s[t+1])
				}
			}
			tokens += len(s)
		}
		tp.Reset()
		autograd.ZeroGrad(params)
		x := m.EmbedTapeOn(tp, b.IDs, b.B, b.T)
		h := m.ForwardTape(tp, x, b.Mask, nil)
		flat := tp.Reshape(h, b.B*b.T, cfg.Hidden)
		logits := m.LogitsTape(tp, flat)
		loss := tp.CrossEntropy(tp.Gather(logits, allPos), allTgt, -100)
		if len(ansPos) > 0 {
			loss = tp.Add(loss, tp.Scale(tp.CrossEntropy(tp.Gather(logits, ansPos), ansTgt, -100), c.AnswerWeight))
		}
		if err := nn.CheckFinite(loss, nil); err != nil {
			return 0, fmt.Errorf("train: decoder pretraining step %d: %w", step, err)
		}
		tp.Backward(loss)
		nn.ClipGradNorm(params, 1)
		opt.Step()
		if (step+1)%max(c.Steps/20, 1) == 0 || step == 0 {
			el := time.Since(t0)
			fmt.Fprintf(log, "  decoder step %5d/%d  loss %.4f  %.0f tok/s  eta %s\n", step+1, c.Steps, loss.Item(),
				float64(tokens)/el.Seconds(), (el / time.Duration(step+1) * time.Duration(c.Steps-step-1)).Round(time.Second))
		}
	}
	em := englishDevEM(m, tok, devTasks, c.DevTasks, eot)
	fmt.Fprintf(log, "decoder: dev exact match on English-passage questions %.3f (%.0fs)\n", em, time.Since(start).Seconds())
	md := map[string]string{"dev_exact_match": fmt.Sprintf("%.4f", em), "steps": fmt.Sprint(c.Steps)}
	cj, _ := json.Marshal(c)
	md["pretrain_config"] = string(cj)
	for k, v := range provenance {
		md[k] = v
	}
	return em, saveLlamaFolder(dir, m, params, tok, md)
}

// englishDevEM generates greedy answers for up to n dev questions (not
// translations) over English passages and returns the exact-match rate.
func englishDevEM(m *llama.Model, tok tokenizer.Tokenizer, dev []data.Task, n, eot int) float64 {
	var qs []data.Task
	for _, t := range dev {
		if t.Kind != data.KindTranslate && len(qs) < n {
			qs = append(qs, t)
		}
	}
	if len(qs) == 0 {
		return 0
	}
	exs := make([]Example, len(qs))
	for i, t := range qs {
		exs[i] = englishExample(tok, t, eot)
	}
	gen, err := GenerateAnswers(m, nil, exs, eot, 24, []int{eot}, 32)
	if err != nil {
		return 0
	}
	ok := 0
	for i, g := range gen {
		if eval.ExactMatch(strings.TrimSpace(tok.Decode(g)), qs[i].Answer) {
			ok++
		}
	}
	return float64(ok) / float64(len(qs))
}

// saveLlamaFolder writes a Hugging Face Llama folder with bf16 weights.
func saveLlamaFolder(dir string, m *llama.Model, params []*autograd.Var, tok tokenizer.Tokenizer, md map[string]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg := m.Config
	cfg.ModelType = "llama"
	js, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), js, 0o644); err != nil {
		return err
	}
	return saveBF16(filepath.Join(dir, "model.safetensors"), params, md, tok, dir)
}

// saveBF16 writes params rounded to bf16 plus the tokenizer.json.
func saveBF16(path string, params []*autograd.Var, md map[string]string, tok tokenizer.Tokenizer, dir string) error {
	var ts []safetensors.Tensor
	for _, p := range params {
		ts = append(ts, safetensors.FromBF16(p.Name, p.Shape(), tensor.ToBF16(p.Value).Data()))
	}
	if err := safetensors.Write(path, ts, md); err != nil {
		return err
	}
	return tokenizer.SaveJSON(tok, filepath.Join(dir, "tokenizer.json"))
}
