package train

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

// EncoderPretrainConfig sizes the tiny multilingual encoder and its masked
// language modelling.
type EncoderPretrainConfig struct {
	Vocab  int     `json:"vocab"` // Unigram vocabulary over Khmer + English
	Hidden int     `json:"hidden"`
	Layers int     `json:"layers"`
	Heads  int     `json:"heads"`
	FFN    int     `json:"ffn"`
	Steps  int     `json:"steps"`
	Batch  int     `json:"batch"`
	LR     float32 `json:"lr"`
	Seed   uint64  `json:"seed"`
}

// DefaultEncoderPretrain is the embedded default's tiny encoder.
func DefaultEncoderPretrain() EncoderPretrainConfig {
	return EncoderPretrainConfig{Vocab: 4000, Hidden: 192, Layers: 3, Heads: 4, FFN: 512, Steps: 800, Batch: 48, LR: 1e-3, Seed: 1}
}

// mlmModel is a trainable XLM-R with its MLM head, parameters named as in a
// Hugging Face checkpoint.
type mlmModel struct {
	c      xlmr.Config
	p      map[string]*autograd.Var
	names  []string
	params []*autograd.Var
}

func newMLM(c xlmr.Config, r *rand.Rand) *mlmModel {
	m := &mlmModel{c: c, p: map[string]*autograd.Var{}}
	d, f := c.Hidden, c.Intermediate
	add := func(name string, init nn.Init, shape ...int) {
		t := tensor.New(shape...)
		init(r, t)
		v := autograd.NewParam(name, t)
		m.p[name], m.names, m.params = v, append(m.names, name), append(m.params, v)
	}
	w := nn.Normal(0.02)
	add("embeddings.word_embeddings.weight", w, c.VocabSize, d)
	add("embeddings.position_embeddings.weight", w, c.MaxPositions, d)
	add("embeddings.token_type_embeddings.weight", w, c.TypeVocabSize, d)
	add("embeddings.LayerNorm.weight", nn.Ones, d)
	add("embeddings.LayerNorm.bias", nn.Zeros, d)
	for i := 0; i < c.Layers; i++ {
		p := fmt.Sprintf("encoder.layer.%d.", i)
		for _, n := range []string{"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"} {
			add(p+n+".weight", w, d, d)
			add(p+n+".bias", nn.Zeros, d)
		}
		add(p+"attention.output.LayerNorm.weight", nn.Ones, d)
		add(p+"attention.output.LayerNorm.bias", nn.Zeros, d)
		add(p+"intermediate.dense.weight", w, f, d)
		add(p+"intermediate.dense.bias", nn.Zeros, f)
		add(p+"output.dense.weight", w, d, f)
		add(p+"output.dense.bias", nn.Zeros, d)
		add(p+"output.LayerNorm.weight", nn.Ones, d)
		add(p+"output.LayerNorm.bias", nn.Zeros, d)
	}
	add("lm_head.dense.weight", w, d, d)
	add("lm_head.dense.bias", nn.Zeros, d)
	add("lm_head.layer_norm.weight", nn.Ones, d)
	add("lm_head.layer_norm.bias", nn.Zeros, d)
	add("lm_head.bias", nn.Zeros, c.VocabSize)
	return m
}

// forward returns the MLM logits at rows (flat indices into the batch).
func (m *mlmModel) forward(tp *autograd.Tape, b xlmr.Batch, rows []int) *autograd.Var {
	c, p := m.c, m.p
	d, eps := c.Hidden, float32(c.LayerNormEps)
	pos := make([]int, len(b.IDs))
	for r := 0; r < b.B; r++ {
		n := 0
		for t := 0; t < b.T; t++ {
			i := r*b.T + t
			if b.IDs[i] != c.PadTokenID {
				n++
				pos[i] = c.PadTokenID + n
			} else {
				pos[i] = c.PadTokenID
			}
		}
	}
	types := make([]int, len(b.IDs))
	x := tp.Add(tp.Add(tp.Gather(p["embeddings.word_embeddings.weight"], b.IDs), tp.Gather(p["embeddings.position_embeddings.weight"], pos)),
		tp.Gather(p["embeddings.token_type_embeddings.weight"], types))
	x = tp.LayerNorm(x, p["embeddings.LayerNorm.weight"], p["embeddings.LayerNorm.bias"], eps)
	hd := d / c.Heads
	lin := func(x *autograd.Var, n string) *autograd.Var { return tp.Linear(x, p[n+".weight"], p[n+".bias"]) }
	for i := 0; i < c.Layers; i++ {
		pre := fmt.Sprintf("encoder.layer.%d.", i)
		q := tp.Reshape(lin(x, pre+"attention.self.query"), b.B, b.T, c.Heads, hd)
		k := tp.Reshape(lin(x, pre+"attention.self.key"), b.B, b.T, c.Heads, hd)
		v := tp.Reshape(lin(x, pre+"attention.self.value"), b.B, b.T, c.Heads, hd)
		a := tp.Reshape(tp.Attention(q, k, v, autograd.AttnOpts{KeyMask: b.Mask}), b.B*b.T, d)
		x = tp.LayerNorm(tp.Add(x, lin(a, pre+"attention.output.dense")), p[pre+"attention.output.LayerNorm.weight"], p[pre+"attention.output.LayerNorm.bias"], eps)
		f := lin(tp.GELU(lin(x, pre+"intermediate.dense")), pre+"output.dense")
		x = tp.LayerNorm(tp.Add(x, f), p[pre+"output.LayerNorm.weight"], p[pre+"output.LayerNorm.bias"], eps)
	}
	h := tp.Gather(x, rows)
	h = tp.LayerNorm(tp.GELU(lin(h, "lm_head.dense")), p["lm_head.layer_norm.weight"], p["lm_head.layer_norm.bias"], eps)
	return tp.Linear(h, p["embeddings.word_embeddings.weight"], p["lm_head.bias"])
}

// PretrainEncoder trains the tiny encoder's Unigram tokenizer and the
// encoder itself with masked language modelling on monolingual Khmer and
// English sentences only (no parallel signal), and writes a Hugging Face
// XLM-R folder to dir. It returns the final MLM loss.
func PretrainEncoder(dir string, c EncoderPretrainConfig, provenance map[string]string, log io.Writer) (float64, error) {
	start := time.Now()
	english, khmer := data.Monolingual(20000, c.Seed+100)
	tok, err := tokenizer.TrainUnigram(append(append([]string(nil), english[:8000]...), khmer[:8000]...), tokenizer.UnigramTrainConfig{VocabSize: c.Vocab})
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(log, "encoder tokenizer: %d pieces (%.1fs)\n", tok.VocabSize(), time.Since(start).Seconds())
	maskID, ok := tok.TokenID("<mask>")
	if !ok {
		return 0, fmt.Errorf("train: encoder tokenizer has no <mask>")
	}
	cfg := xlmr.Tiny(tok.VocabSize())
	cfg.Hidden, cfg.Layers, cfg.Heads, cfg.Intermediate = c.Hidden, c.Layers, c.Heads, c.FFN
	m := newMLM(cfg, rand.New(rand.NewPCG(c.Seed, 31)))
	texts := append(english, khmer...)
	var seqs [][]int
	for _, s := range texts {
		ids := tok.Encode(s, true)
		if len(ids) > cfg.MaxPositions-2 {
			ids = append(ids[:cfg.MaxPositions-3:cfg.MaxPositions-3], ids[len(ids)-1])
		}
		seqs = append(seqs, ids)
	}
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: m.params, LR: c.LR, WeightDecay: 0.01}}, 0.9, 0.98, 1e-6)
	opt.Schedule = nn.WarmupLinear(c.Steps/20, c.Steps)
	rng := rand.New(rand.NewPCG(c.Seed, 32))
	tp := autograd.NewTape()
	var final float64
	t0 := time.Now()
	for step := 0; step < c.Steps; step++ {
		batch := make([][]int, c.Batch)
		for i := range batch {
			batch[i] = append([]int(nil), seqs[rng.IntN(len(seqs))]...)
		}
		var rows, tgts []int
		b := xlmr.PadRight(batch, cfg.PadTokenID)
		for i, s := range batch {
			for t := 1; t < len(s)-1; t++ { // never <s> or </s>
				if rng.Float64() >= 0.15 {
					continue
				}
				idx := i*b.T + t
				rows, tgts = append(rows, idx), append(tgts, s[t])
				switch u := rng.Float64(); {
				case u < 0.8:
					b.IDs[idx] = maskID
				case u < 0.9:
					b.IDs[idx] = 4 + rng.IntN(tok.VocabSize()-5)
				}
			}
		}
		if len(rows) == 0 {
			continue
		}
		tp.Reset()
		autograd.ZeroGrad(m.params)
		loss := tp.CrossEntropy(m.forward(tp, b, rows), tgts, -100)
		if err := nn.CheckFinite(loss, nil); err != nil {
			return 0, fmt.Errorf("train: encoder pretraining step %d: %w", step, err)
		}
		tp.Backward(loss)
		nn.ClipGradNorm(m.params, 1)
		opt.Step()
		final = float64(loss.Item())
		if (step+1)%max(c.Steps/20, 1) == 0 || step == 0 {
			el := time.Since(t0)
			fmt.Fprintf(log, "  encoder step %5d/%d  MLM loss %.4f  eta %s\n", step+1, c.Steps, final,
				(el / time.Duration(step+1) * time.Duration(c.Steps-step-1)).Round(time.Second))
		}
	}
	md := map[string]string{"final_mlm_loss": fmt.Sprintf("%.4f", final), "steps": fmt.Sprint(c.Steps)}
	cj, _ := json.Marshal(c)
	md["pretrain_config"] = string(cj)
	for k, v := range provenance {
		md[k] = v
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	js, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), js, 0o644); err != nil {
		return 0, err
	}
	fmt.Fprintf(log, "encoder: final MLM loss %.3f (%.0fs)\n", final, time.Since(start).Seconds())
	return final, saveBF16(filepath.Join(dir, "model.safetensors"), m.params, md, tok, dir)
}
