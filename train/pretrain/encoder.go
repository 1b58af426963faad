package pretrain

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"time"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/nn"
)

// EncoderConfig sizes the tiny multilingual encoder, its tokenizer and its
// masked language modelling.
type EncoderConfig struct {
	Vocab  int `json:"vocab"` // Unigram vocabulary over Khmer + English, specials included
	Hidden int `json:"hidden"`
	Layers int `json:"layers"`
	Heads  int `json:"heads"`
	FFN    int `json:"ffn"`
	Steps  int `json:"steps"`
	Batch  int `json:"batch"`
	// LR is AdamW's peak learning rate (warm-up then linear decay).
	LR   float32 `json:"lr"`
	Seed uint64  `json:"seed"`
	// TLM is the share of each batch's rows that are translation language
	// modelling rows (XLM's TLM): an English–Khmer pair of
	// EncoderData.Pairs packed into one row in a random order and masked
	// over both halves, so that a masked word can be read from its
	// translation. 0: masked LM on monolingual sentences only.
	TLM float64 `json:"tlm,omitempty"`
	// MaxTokens clips every training row (each half of a TLM row to
	// MaxTokens/2); 0: the model's positions (256).
	MaxTokens int `json:"max_tokens,omitempty"`
	// Group is how many rows are padded together: a batch's rows are sorted
	// by length and encoded in groups of Group rows, so that short rows are
	// not padded to the batch's longest (the same loss for less work; the
	// masking draws differ). 0: the whole batch padded as one.
	Group int `json:"group,omitempty"`
	// InitFrom continues training from the weights (MLM head included) and
	// tokenizer of a folder an earlier encoder run wrote — a warm restart
	// with its own warm-up and decay — instead of starting from scratch;
	// its provenance is kept in the metadata under "init.".
	InitFrom string `json:"init_from,omitempty"`
	// MaxPiece bounds the tokenizer's pieces in characters; 0: 16, as
	// SentencePiece. On generated text, whose phrases repeat, 16 lets one
	// piece hold a phrase of several words ("planted sugarcane on the
	// land"); a smaller bound keeps pieces near a word, as a vocabulary
	// shared by many languages does.
	MaxPiece int `json:"max_piece,omitempty"`
}

// DefaultEncoder is the embedded default's tiny encoder.
func DefaultEncoder() EncoderConfig {
	return EncoderConfig{Vocab: 4000, Hidden: 256, Layers: 4, Heads: 4, FFN: 768, Steps: 3000, Batch: 48, LR: 1e-3, Seed: 1}
}

// EncoderData is the encoder's text: monolingual sentences and, for TLM,
// translation pairs.
type EncoderData struct {
	English, Khmer []string
	// Pairs are translations read by TLM rows (EncoderConfig.TLM).
	Pairs []data.Pair
	// Dev sentences (both languages) measure the final MLM loss and
	// masked-token accuracy.
	Dev []string
}

// DefaultEncoderData is 20,000 English and 20,000 Khmer sentences drawn
// independently (not translations of each other), and 250 more of each
// from another seed as the dev set.
func DefaultEncoderData(seed uint64) EncoderData {
	en, km := data.Monolingual(20000, seed+100)
	return EncoderData{English: en, Khmer: km, Dev: DefaultEncoderDev(seed)}
}

// AddPairs adds real translation pairs to d: their English and Khmer join
// the monolingual sentences, and they become the TLM rows' pairs
// (EncoderConfig.TLM). Each side is then shuffled (seeded by seed), since
// the tokenizer is trained on the first sentences of each
// ([EncoderTokenizer]) and must see every source.
func (d *EncoderData) AddPairs(pairs []data.Pair, seed uint64) {
	for _, p := range pairs {
		d.English = append(d.English, p.English)
		d.Khmer = append(d.Khmer, p.Foreign)
	}
	d.Pairs = append(d.Pairs, pairs...)
	r := rand.New(rand.NewPCG(seed, 0xe1c))
	for _, xs := range [][]string{d.English, d.Khmer} {
		r.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	}
}

// DefaultEncoderDev is [DefaultEncoderData]'s dev set: 250 English then
// 250 Khmer sentences.
func DefaultEncoderDev(seed uint64) []string {
	en, km := data.Monolingual(250, seed+200)
	return append(en, km...)
}

// DevSeed seeds the masking of [MLMEval] in recorded metrics.
const DevSeed = 77

// MLMEval returns the MLM loss and masked-token accuracy of m on sents
// (BERT masking seeded by seed, batches of 32 sentences).
func MLMEval(m *xlmr.MLM, tok tokenizer.Tokenizer, sents []string, seed uint64) (loss, acc float64) {
	mc, err := maskConfig(tok)
	if err != nil || len(sents) == 0 {
		return 0, 0
	}
	cfg := m.Model.Config
	rng := rand.New(rand.NewPCG(seed, 33))
	var sum float64
	n, right := 0, 0
	for lo := 0; lo < len(sents); lo += 32 {
		var seqs [][]int
		for _, s := range sents[lo:min(lo+32, len(sents))] {
			seqs = append(seqs, clip(tok.Encode(s, true), cfg.MaxPositions-2))
		}
		b := xlmr.PadRight(seqs, cfg.PadTokenID)
		rows, tgts := xlmr.MaskTokens(&b, mc, rng)
		tp := autograd.NewTape()
		logits := m.LogitsTape(tp, m.EncodeTape(tp, b), rows)
		sum += float64(tp.CrossEntropy(logits, tgts, -100).Item()) * float64(len(rows))
		n += len(rows)
		v := cfg.VocabSize
		for i, t := range tgts {
			row := logits.Data()[i*v : (i+1)*v]
			best := 0
			for j, x := range row {
				if x > row[best] {
					best = j
				}
			}
			if best == t {
				right++
			}
		}
	}
	return sum / float64(n), float64(right) / float64(n)
}

// maskConfig is BERT's 15% / 80-10-10 masking for tok's vocabulary, its
// specials never chosen.
func maskConfig(tok tokenizer.Tokenizer) (xlmr.MaskConfig, error) {
	maskID, ok := tok.TokenID("<mask>")
	if !ok {
		return xlmr.MaskConfig{}, errors.New("pretrain: encoder tokenizer has no <mask>")
	}
	specials := map[int]bool{maskID: true}
	for _, s := range []string{"<s>", "<pad>", "</s>", "<unk>"} {
		if id, ok := tok.TokenID(s); ok {
			specials[id] = true
		}
	}
	return xlmr.MaskConfig{Prob: 0.15, MaskID: maskID, VocabSize: tok.VocabSize(), Special: func(id int) bool { return specials[id] }}, nil
}

// clip keeps at most n tokens of ids, the last one (</s>) included.
func clip(ids []int, n int) []int {
	if len(ids) <= n {
		return ids
	}
	return append(ids[:n-1:n-1], ids[len(ids)-1])
}

// EncoderTokenizer trains the encoder's Unigram vocabulary (XLM-R id
// layout, <mask> last) on up to 8,000 sentences of each language.
func EncoderTokenizer(d EncoderData, c EncoderConfig) (*tokenizer.Unigram, error) {
	texts := append(append([]string(nil), d.English[:min(len(d.English), 8000)]...), d.Khmer[:min(len(d.Khmer), 8000)]...)
	return tokenizer.TrainUnigram(texts, tokenizer.UnigramTrainConfig{VocabSize: c.Vocab, MaxPieceLen: c.MaxPiece})
}

// Encoder trains the tiny encoder (tokenizer included) with masked
// language modelling on d's monolingual sentences and writes a Hugging Face
// XLM-R folder to dir (the MLM head's lm_head.* tensors included; the
// inference loader ignores them). The final loss is recorded in
// model.safetensors' metadata with o.Provenance.
func Encoder(dir string, d EncoderData, c EncoderConfig, o Options) (Result, error) {
	if c.MaxTokens < 0 || c.MaxTokens > 0 && c.MaxTokens < 4 { // before anything is written
		return Result{}, fmt.Errorf("pretrain: MaxTokens %d: want 0 or at least 4 (a TLM half keeps <s>, a token and </s>)", c.MaxTokens)
	}
	t, err := newTrainer("encoder", dir, c, d.fingerprint(), c.Steps, o)
	if err != nil {
		return Result{}, err
	}
	o = t.o
	tok, err := encoderTokenizer(dir, d, c, o.Resume)
	if err != nil {
		return Result{}, err
	}
	mc, err := maskConfig(tok)
	if err != nil {
		return Result{}, err
	}
	fmt.Fprintf(o.Log, "encoder tokenizer: %d pieces (%.1fs)\n", tok.VocabSize(), time.Since(t.began).Seconds())
	m, initMD, err := encoderModel(tok, c, o)
	if err != nil {
		return Result{}, err
	}
	cfg := m.Model.Config
	maxTok := cfg.MaxPositions - 2 // positions start at pad+1
	if c.MaxTokens > 0 {
		maxTok = min(maxTok, c.MaxTokens)
	}
	var seqs [][]int
	for _, s := range append(append([]string(nil), d.English...), d.Khmer...) {
		seqs = append(seqs, clip(tok.Encode(s, true), maxTok))
	}
	if len(seqs) == 0 {
		return Result{}, errors.New("pretrain: no encoder text")
	}
	tl, err := newTLM(tok, d.Pairs, c, maxTok)
	if err != nil {
		return Result{}, err
	}
	t.params, t.src = m.Params(), rand.NewPCG(c.Seed, 32)
	t.opt = nn.NewAdamW([]nn.ParamGroup{{Params: t.params, LR: c.LR, WeightDecay: 0.01}}, 0.9, 0.98, 1e-6)
	t.opt.Schedule = nn.WarmupLinear(max(c.Steps/20, 1), c.Steps)
	rng := rand.New(t.src)
	if err := t.start(func(tp *autograd.Tape) (*autograd.Var, int, error) {
		return mlmBatch(tp, m, seqs, c.Batch-tl.rows, tl, c.Group, mc, rng)
	}); err != nil {
		return Result{}, err
	}
	fmt.Fprintf(o.Log, "encoder: %d parameters, %d sentences (Khmer and English, monolingual), %d translation pairs, %d steps of %d rows (%d TLM), rows of at most %d tokens\n",
		nn.CountParams(t.params), len(seqs), len(tl.pairs), c.Steps, c.Batch, tl.rows, maxTok)
	elapsed, err := t.run()
	if err != nil {
		return Result{}, err
	}
	loss := t.lossAvg.mean()
	devLoss, devAcc := MLMEval(m, tok, d.Dev, DevSeed)
	fmt.Fprintf(o.Log, "encoder: final MLM loss %.4f; dev MLM loss %.4f, masked-token accuracy %.3f on %d sentences (%s)\n",
		loss, devLoss, devAcc, len(d.Dev), time.Since(t.began).Round(time.Second))
	md := t.metadata(map[string]string{"final_mlm_loss": fmt.Sprintf("%.4f", loss), "dev_mlm_loss": fmt.Sprintf("%.4f", devLoss),
		"dev_mlm_accuracy": fmt.Sprintf("%.4f", devAcc), "dev_sentences": fmt.Sprint(len(d.Dev))}, elapsed)
	maps.Copy(md, initMD)
	if tl.rows > 0 {
		md["tlm_pairs"] = fmt.Sprint(len(tl.pairs))
	}
	if err := t.save(cfg, md); err != nil {
		return Result{}, err
	}
	return Result{Steps: c.Steps, Loss: loss, Elapsed: elapsed, Metadata: md}, nil
}

// encoderTokenizer returns the encoder's tokenizer: the one in dir when
// resuming, else InitFrom's or a new one trained on d, written to dir.
func encoderTokenizer(dir string, d EncoderData, c EncoderConfig, resume bool) (tokenizer.Tokenizer, error) {
	if resume {
		return resumeTokenizer(dir)
	}
	var t tokenizer.Tokenizer
	var err error
	if c.InitFrom != "" {
		t, err = tokenizer.Load(filepath.Join(c.InitFrom, "tokenizer.json"))
	} else {
		t, err = EncoderTokenizer(d, c)
	}
	if err != nil {
		return nil, fmt.Errorf("pretrain: encoder tokenizer: %w", err)
	}
	return t, writeTokenizer(dir, t)
}

// encoderModel returns the encoder to train with its MLM head: new from
// the config, or InitFrom's (with its metadata as "init.*" entries). A
// resumed run's weights come from its checkpoint, so only InitFrom's
// metadata is read then (when the folder still holds it).
func encoderModel(tok tokenizer.Tokenizer, c EncoderConfig, o Options) (*xlmr.MLM, map[string]string, error) {
	cfg := xlmr.Tiny(tok.VocabSize())
	cfg.Hidden, cfg.Layers, cfg.Heads, cfg.Intermediate = c.Hidden, c.Layers, c.Heads, c.FFN
	initMD := map[string]string{}
	if c.InitFrom == "" || o.Resume {
		m, err := xlmr.NewMLM(cfg, rand.New(rand.NewPCG(c.Seed, 31)))
		if c.InitFrom != "" && err == nil {
			initMD, _ = initMetadata(c.InitFrom)
		}
		return m, initMD, err
	}
	have, err := xlmr.ReadConfig(c.InitFrom)
	if err != nil {
		return nil, nil, fmt.Errorf("pretrain: init: %w", err)
	}
	if have.VocabSize != cfg.VocabSize || have.Hidden != cfg.Hidden || have.Layers != cfg.Layers || have.Heads != cfg.Heads || have.Intermediate != cfg.Intermediate {
		return nil, nil, fmt.Errorf("pretrain: init: %s holds an encoder of vocabulary %d, hidden %d, %d layers, %d heads, FFN %d; the config describes %d, %d, %d, %d, %d",
			c.InitFrom, have.VocabSize, have.Hidden, have.Layers, have.Heads, have.Intermediate, cfg.VocabSize, cfg.Hidden, cfg.Layers, cfg.Heads, cfg.Intermediate)
	}
	f, err := safetensors.Open(filepath.Join(c.InitFrom, modelFile))
	if err != nil {
		return nil, nil, fmt.Errorf("pretrain: init: %w", err)
	}
	defer f.Close()
	m, err := xlmr.MLMFromCheckpoint(have, f)
	if err != nil {
		return nil, nil, fmt.Errorf("pretrain: init: %s: %w", c.InitFrom, err)
	}
	fmt.Fprintf(o.Log, "continuing from %s\n", c.InitFrom)
	return m, initEntries(f.Metadata()), nil
}

// initMetadata is the metadata of the model in dir as "init.*" entries.
func initMetadata(dir string) (map[string]string, error) {
	f, err := safetensors.Open(filepath.Join(dir, modelFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return initEntries(f.Metadata()), nil
}

// initEntries is md with every key prefixed "init.".
func initEntries(md map[string]string) map[string]string {
	out := make(map[string]string, len(md))
	for k, v := range md {
		out["init."+k] = v
	}
	return out
}

// tlm is a run's translation language modelling: its pairs, tokenized
// (each half clipped), and the TLM rows of each batch.
type tlm struct {
	pairs [][2][]int // English, Khmer: <s> … </s> each
	rows  int
	eos   int
}

// newTLM tokenizes pairs for c's TLM rows, each half clipped to maxTok/2
// tokens; with c.TLM 0 it has no rows.
func newTLM(tok tokenizer.Tokenizer, pairs []data.Pair, c EncoderConfig, maxTok int) (tlm, error) {
	if c.TLM < 0 || c.TLM >= 1 {
		return tlm{}, fmt.Errorf("pretrain: TLM share %g: want 0 ≤ share < 1", c.TLM)
	}
	rows := int(math.Round(c.TLM * float64(c.Batch)))
	if c.TLM == 0 {
		return tlm{}, nil
	}
	if len(pairs) == 0 {
		return tlm{}, errors.New("pretrain: TLM share given, but no translation pairs")
	}
	eos, ok := tok.TokenID("</s>")
	if !ok {
		return tlm{}, errors.New("pretrain: encoder tokenizer has no </s>")
	}
	t := tlm{rows: max(rows, 1), eos: eos, pairs: make([][2][]int, len(pairs))}
	for i, p := range pairs {
		t.pairs[i] = [2][]int{clip(tok.Encode(p.English, true), maxTok/2), clip(tok.Encode(p.Foreign, true), maxTok/2)}
	}
	return t, nil
}

// row draws a pair and packs it in a random order.
func (t tlm) row(rng *rand.Rand) []int {
	p := t.pairs[rng.IntN(len(t.pairs))]
	if rng.IntN(2) == 1 {
		return packPair(p[1], p[0], t.eos)
	}
	return packPair(p[0], p[1], t.eos)
}

// packPair joins two encoded sentences (<s> … </s> each) the way XLM-R
// joins a pair: <s> a </s></s> b </s>.
func packPair(a, b []int, eos int) []int {
	out := make([]int, 0, len(a)+len(b))
	out = append(append(out, a...), eos)
	return append(out, b[1:]...)
}

// mlmBatch records the masked language modelling loss of mono sentences
// drawn from seqs and tl.rows TLM rows, masked alike and padded in groups
// of group rows of similar length (0: all together), and returns it with
// the batch's token count.
func mlmBatch(tp *autograd.Tape, m *xlmr.MLM, seqs [][]int, mono int, tl tlm, group int, mc xlmr.MaskConfig, rng *rand.Rand) (*autograd.Var, int, error) {
	rowsOf, tokens := make([][]int, mono, mono+tl.rows), 0
	for i := range rowsOf {
		rowsOf[i] = seqs[rng.IntN(len(seqs))]
	}
	for range tl.rows {
		rowsOf = append(rowsOf, tl.row(rng))
	}
	for _, r := range rowsOf {
		tokens += len(r)
	}
	var logits []*autograd.Var
	var tgts []int
	for _, g := range lengthGroups(rowsOf, group) {
		b := xlmr.PadRight(g, m.Model.Config.PadTokenID)
		rows, t := xlmr.MaskTokens(&b, mc, rng)
		if len(rows) == 0 { // nothing to predict (only special tokens)
			continue
		}
		logits = append(logits, m.LogitsTape(tp, m.EncodeTape(tp, b), rows))
		tgts = append(tgts, t...)
	}
	if len(logits) == 0 {
		return nil, 0, errors.New("pretrain: a batch with no token to predict")
	}
	return tp.CrossEntropy(concatRows(tp, logits), tgts, -100), tokens, nil
}

// lengthGroups splits rows into groups of size rows of similar length
// (sorted by length, stable); size 0 or at least len(rows): one group,
// in order.
func lengthGroups(rows [][]int, size int) [][][]int {
	return groupsByLen(rows, size, func(r []int) int { return len(r) })
}

// groupsByLen is lengthGroups for any kind of row, n giving its length.
func groupsByLen[T any](rows []T, size int, n func(T) int) [][]T {
	if size <= 0 || size >= len(rows) {
		return [][]T{rows}
	}
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b T) int { return cmp.Compare(n(a), n(b)) })
	var out [][]T
	for lo := 0; lo < len(sorted); lo += size {
		out = append(out, sorted[lo:min(lo+size, len(sorted))])
	}
	return out
}
