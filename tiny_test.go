package llink_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llink-go/llink"
	"github.com/llink-go/llink/models/llama"
	parts "github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
)

// byteTokenizer is a byte-level BPE without merges: every byte of any text
// (Khmer included) is a token, and the specials are matched whole. The
// specials come first (ids 0…), the 256 bytes after them.
func byteTokenizer(specials []string, prefix, suffix []string) *tokenizer.BPE {
	c := tokenizer.BPEConfig{Vocab: map[string]int{}, Pre: tokenizer.PreByteLevelOnly}
	for i, s := range specials {
		c.Added = append(c.Added, tokenizer.AddedToken{ID: i, Content: s, Special: true})
	}
	for b := range 256 {
		c.Vocab[tokenizer.ByteLevelEncode(string([]byte{byte(b)}))] = len(specials) + b
	}
	id := func(s string) int {
		for i, t := range specials {
			if t == s {
				return i
			}
		}
		panic(s)
	}
	for _, s := range prefix {
		c.Prefix = append(c.Prefix, id(s))
	}
	for _, s := range suffix {
		c.Suffix = append(c.Suffix, id(s))
	}
	t, err := tokenizer.NewBPE(c)
	if err != nil {
		panic(err)
	}
	return t
}

// randomSource serves random weights for any BERT-family tensor name.
type randomSource struct{ c xlmr.Config }

func (s randomSource) shape(name string) []int {
	d, f := s.c.Hidden, s.c.Intermediate
	switch {
	case strings.HasSuffix(name, "word_embeddings.weight"):
		return []int{s.c.VocabSize, d}
	case strings.HasSuffix(name, "position_embeddings.weight"):
		return []int{s.c.MaxPositions, d}
	case strings.HasSuffix(name, "token_type_embeddings.weight"):
		return []int{s.c.TypeVocabSize, d}
	case strings.HasSuffix(name, "intermediate.dense.weight"):
		return []int{f, d}
	case strings.HasSuffix(name, "intermediate.dense.bias"):
		return []int{f}
	case strings.HasSuffix(name, "output.dense.weight") && !strings.Contains(name, "attention"):
		return []int{d, f}
	case strings.HasSuffix(name, ".weight") && !strings.Contains(name, "LayerNorm"):
		return []int{d, d}
	}
	return []int{d}
}

func (s randomSource) Names() []string { return nil }
func (s randomSource) Info(name string) (safetensors.TensorInfo, bool) {
	return safetensors.TensorInfo{Name: name, DType: safetensors.F32, Shape: s.shape(name)}, true
}
func (s randomSource) Float32(name string) ([]float32, error) {
	n := 1
	for _, v := range s.shape(name) {
		n *= v
	}
	r := rand.New(rand.NewPCG(uint64(len(name)), 3))
	out := make([]float32, n)
	for i := range out {
		if strings.Contains(name, "LayerNorm.weight") {
			out[i] = 1
		} else {
			out[i] = float32(0.2 * r.NormFloat64())
		}
	}
	return out, nil
}

// tinyParts builds random tiny frozen models with their tokenizers and
// writes an untrained LLINK bundle with K slots for them to dir; it returns
// the Config for llink.New and the bundle's path.
func tinyParts(dir string, k int) (llink.Config, string) { return tinySlotParts(dir, k, "") }

// tinySlotParts is tinyParts with the slots' input (parts.Config.SlotInput).
func tinySlotParts(dir string, k int, input string) (llink.Config, string) {
	return tinyPartsWith(dir, k, func(c *parts.Config) { c.SlotInput = input })
}

// tinyPartsWith is tinyParts with the bundle's config edited by edit.
func tinyPartsWith(dir string, k int, edit func(*parts.Config)) (llink.Config, string) {
	specials := []string{"<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>",
		llink.ForeignOpen, llink.ForeignClose, llink.ForeignEmb}
	for i := range k {
		specials = append(specials, llink.SlotToken(i))
	}
	decTok := byteTokenizer(specials, nil, nil)
	encTok := byteTokenizer([]string{"<s>", "<pad>", "</s>"}, []string{"<s>"}, []string{"</s>"})

	r := rand.New(rand.NewPCG(1, 2))
	dc := llama.Tiny(256 + len(specials))
	dc.Hidden, dc.Intermediate, dc.Layers, dc.Heads, dc.KVHeads, dc.HeadDim = 32, 64, 2, 4, 2, 8
	dec := llama.New(dc, r)
	ec := xlmr.Tiny(256 + 3)
	ec.Hidden, ec.Intermediate, ec.Layers, ec.Heads = 24, 48, 1, 2 // <pad> is id 1, as in XLM-R
	enc, err := xlmr.FromCheckpoint(ec, randomSource{ec})
	if err != nil {
		panic(err)
	}

	pc := parts.DefaultConfig(ec.Hidden, dc.Hidden)
	pc.K, pc.ProjHidden, pc.ExpHidden = k, 32, 32
	edit(&pc)
	b := &parts.Bundle{Config: pc, Projector: parts.NewProjector(pc, r),
		Slots:     parts.NewSlots(pc, parts.MedianRowNorm(dec.Emb.Float32()), r),
		LoRA:      llama.LoRAOptions{Rank: 2, Alpha: 2, Targets: []string{"q_proj", "v_proj"}},
		BaseVocab: dc.VocabSize, DecoderID: "tiny-decoder", EncoderID: "tiny-encoder"}
	b.LoRAParams = dec.AddLoRA(b.LoRA, r)
	if rs := b.Slots.Resampler; rs != nil { // untrained W_o is zero: make the tokens count
		for i := range rs.O.Weight.Value.Data() {
			rs.O.Weight.Value.Data()[i] = float32(r.NormFloat64())
		}
	}
	path := filepath.Join(dir, "bundle.safetensors")
	if err := parts.SaveBundle(path, b, map[string]string{"note": "untrained"}); err != nil {
		panic(err)
	}
	return llink.Config{Decoder: dec, DecoderTokenizer: decTok, DecoderID: "tiny-decoder",
		Encoder: enc, EncoderTokenizer: encTok, EncoderID: "tiny-encoder", MaxNewTokens: 8}, path
}

// tinyModel is an untrained LLINK on random tiny models: its answers are
// noise, but every code path of a real one runs.
func tinyModel() *llink.Model {
	dir, err := os.MkdirTemp("", "llink-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	c, path := tinyParts(dir, 2)
	b, err := parts.LoadBundle(path, c.Decoder, c.Encoder.Width(), c.DecoderID, c.EncoderID)
	if err != nil {
		panic(err)
	}
	m, err := llink.New(c, b)
	if err != nil {
		panic(err)
	}
	return m
}

// TestTokenSlotsAnswer: a bundle with token-level slots (resampler or
// segments) loads and answers through the public API (the root package
// reads the Khmer text's token states for it).
func TestTokenSlotsAnswer(t *testing.T) {
	for _, input := range []string{parts.SlotsTokens, parts.SlotsSegments, parts.SlotsWords, parts.SlotsVocab} {
		c, path := tinySlotParts(t.TempDir(), 2, input)
		b, err := parts.LoadBundle(path, c.Decoder, c.Encoder.Width(), c.DecoderID, c.EncoderID)
		if err != nil {
			t.Fatal(err)
		}
		m, err := llink.New(c, b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Answer("Who is mentioned?", "សុខា ទិញ ត្រី ២ គីឡូក្រាម។"); err != nil {
			t.Fatalf("%s: %v", input, err)
		}
	}
}

// TestDynamicKAnswer: a bundle with dynamic K (one segment of word slots
// per 2 encoder tokens, at most 8) gives a short text fewer slots than a
// long one, in its prompt and in its answer's input, through the public
// API.
func TestDynamicKAnswer(t *testing.T) {
	c, path := tinyPartsWith(t.TempDir(), 8, func(c *parts.Config) {
		c.SlotInput, c.TokensPerSegment = parts.SlotsWords, 2
	})
	b, err := parts.LoadBundle(path, c.Decoder, c.Encoder.Width(), c.DecoderID, c.EncoderID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := llink.New(c, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		khmer string
		want  int
	}{{"ab", 2}, {"abcd", 3}, {"សុខា ទិញ ត្រី ២ គីឡូក្រាម។", 8}} { // bytes + <s> and </s>: 4, 6, many tokens
		k, err := m.SlotsFor(tc.khmer)
		if err != nil || k != tc.want {
			t.Fatalf("%q: %d slots (%v), want %d", tc.khmer, k, err, tc.want)
		}
		p := m.Prompt("Who is mentioned?", tc.khmer)
		if !strings.Contains(p, parts.SlotToken(k-1)) || k < m.K() && strings.Contains(p, parts.SlotToken(k)) {
			t.Fatalf("%q: prompt %q does not carry exactly %d slots", tc.khmer, p, k)
		}
		if _, err := m.Answer("Who is mentioned?", tc.khmer); err != nil {
			t.Fatalf("%q: %v", tc.khmer, err)
		}
	}
	if m.K() != 8 {
		t.Fatalf("K %d, want the cap 8", m.K())
	}
}
