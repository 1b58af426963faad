package pretrain

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/tokenizer"
)

// softwareEnglish is English of another register than the generated
// corpus's: software strings the tiny decoder never read.
func softwareEnglish(n int) []data.Pair {
	verbs := []string{"Open", "Save", "Close", "Print", "Export", "Rename", "Delete", "Copy"}
	things := []string{"the file", "this folder", "all tabs", "the document", "selected items", "the archive"}
	tails := []string{"now", "as PDF", "to the clipboard", "in a new window", "without asking", "and quit"}
	out := make([]data.Pair, n)
	for i := range out {
		out[i] = data.Pair{English: fmt.Sprintf("%s %s %s", verbs[i%len(verbs)], things[(i/len(verbs))%len(things)], tails[(i/3)%len(tails)])}
	}
	return out
}

// lmLoss is the mean next-token cross-entropy of the decoder in dir on
// sents (begin-of-text … eot each), every row predicted.
func lmLoss(t *testing.T, dir string, sents []string) float64 {
	t.Helper()
	m, err := llama.Load(dir, llama.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	bos, _ := tok.TokenID("<|begin_of_text|>")
	eot, _ := tok.TokenID("<|eot_id|>")
	var rows []decoderRow
	for _, s := range sents {
		ids := append(append([]int{bos}, tok.Encode(s, false)...), eot)
		rows = append(rows, decoderRow{ids, len(ids)})
	}
	l, err := decoderLoss(autograd.NewTape(), m, rows, eot, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	return float64(l.Item())
}

// TestDecoderRealEnglish: a decoder continued (InitFrom) with language
// modelling on added English (AddEnglish), its sentence rows clipped and
// padded in groups, lowers its loss on that English and records the
// settings; the tokenizer is the first phase's.
func TestDecoderRealEnglish(t *testing.T) {
	dd, _ := smallData(t)
	c := tinyDecoder()
	c.Steps = 30
	first := t.TempDir()
	if _, err := Decoder(first, dd, c, Options{Provenance: map[string]string{"command": "phase 1"}}); err != nil {
		t.Fatal(err)
	}
	pairs := softwareEnglish(48)
	var held []string
	for _, p := range pairs[40:] {
		held = append(held, p.English)
	}
	dd2 := dd
	dd2.English = nil
	dd2.AddEnglish(pairs[:40])
	if len(dd2.English) != 40 || dd2.English[3] != pairs[3].English {
		t.Fatalf("AddEnglish: %d sentences, [3] %q", len(dd2.English), dd2.English[3])
	}
	c2 := c
	c2.InitFrom, c2.Steps, c2.LMShare, c2.MaxTokens, c2.Group, c2.LR = first, 120, 0.9, 12, 3, 3e-3
	next := t.TempDir()
	if _, err := Decoder(next, dd2, c2, Options{Provenance: map[string]string{"command": "phase 2"}}); err != nil {
		t.Fatal(err)
	}
	before, after := lmLoss(t, first, held), lmLoss(t, next, held)
	if after > before-0.5 {
		t.Fatalf("loss on unseen sentences of the added register %.3f → %.3f: want at least 0.5 lower", before, after)
	}
	_, md := weights(t, next)
	var rec DecoderConfig
	if err := json.Unmarshal([]byte(md["pretrain_config"]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.MaxTokens != 12 || rec.Group != 3 || rec.LMShare != 0.9 || md["init.command"] != "phase 1" {
		t.Fatalf("metadata: config %+v, init.command %q", rec, md["init.command"])
	}
	ta, _ := tokenizer.Load(first)
	tb, _ := tokenizer.Load(next)
	if ta.VocabSize() != tb.VocabSize() || !slices.Equal(ta.Encode(held[0], false), tb.Encode(held[0], false)) {
		t.Fatal("the second phase changed the tokenizer")
	}
}

// TestDecoderExamplesClip: MaxTokens clips plain sentences (keeping their
// start, no closing eot) and never instruction rows.
func TestDecoderExamplesClip(t *testing.T) {
	dd, _ := smallData(t)
	c := tinyDecoder()
	tok, err := DecoderTokenizer(dd, c)
	if err != nil {
		t.Fatal(err)
	}
	bos, _ := tok.TokenID("<|begin_of_text|>")
	eot, _ := tok.TokenID("<|eot_id|>")
	whole, insts := decoderExamples(tok, dd, c, bos, eot)
	c.MaxTokens = 6
	clipped, insts2 := decoderExamples(tok, dd, c, bos, eot)
	longer := 0
	for i, s := range whole {
		want := s
		if len(s) > 6 {
			want, longer = s[:6], longer+1
		}
		if !slices.Equal(clipped[i], want) {
			t.Fatalf("sentence %d: %v clipped to %v, want %v", i, s, clipped[i], want)
		}
	}
	if longer == 0 || len(insts) != len(insts2) || !slices.Equal(insts[0].Prompt, insts2[0].Prompt) || len(insts[0].Prompt) <= 6 {
		t.Fatalf("%d sentences longer than 6; instruction rows %d/%d", longer, len(insts), len(insts2))
	}
	if _, err := Decoder(t.TempDir(), dd, DecoderConfig{MaxTokens: 1}, Options{}); err == nil || !strings.Contains(err.Error(), "MaxTokens 1") {
		t.Fatalf("MaxTokens 1: %v", err)
	}
}

// TestDecoderLossGroups: rows run in length groups give the loss and the
// gradients of the whole batch padded as one.
func TestDecoderLossGroups(t *testing.T) {
	cfg := llama.Tiny(50)
	cfg.Hidden, cfg.Layers, cfg.Heads, cfg.KVHeads, cfg.HeadDim, cfg.Intermediate = 16, 2, 2, 1, 8, 24
	rng := rand.New(rand.NewPCG(3, 4))
	var rows []decoderRow
	for _, n := range []int{3, 11, 5, 2, 9, 7, 4} {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = 1 + rng.IntN(48)
		}
		rows = append(rows, decoderRow{ids, max(1, n-rng.IntN(4))}) // some rows all context, some with answers
	}
	run := func(group int) (float32, [][]float32) {
		m := llama.New(cfg, rand.New(rand.NewPCG(9, 9)))
		params := m.Trainable()
		tp := autograd.NewTape()
		l, err := decoderLoss(tp, m, rows, 0, 0.5, group)
		if err != nil {
			t.Fatal(err)
		}
		tp.Backward(l)
		var gs [][]float32
		for _, p := range params {
			gs = append(gs, append([]float32(nil), p.Grad.Data()...))
		}
		return l.Item(), gs
	}
	l0, g0 := run(0)
	for _, group := range []int{1, 2, 3} {
		l, g := run(group)
		if math.Abs(float64(l-l0)) > 1e-5*math.Abs(float64(l0)) {
			t.Fatalf("group %d: loss %v, whole batch %v", group, l, l0)
		}
		for i := range g0 {
			for j := range g0[i] {
				if d := math.Abs(float64(g[i][j] - g0[i][j])); d > 1e-4+1e-3*math.Abs(float64(g0[i][j])) {
					t.Fatalf("group %d: parameter %d gradient [%d] %v, whole batch %v", group, i, j, g[i][j], g0[i][j])
				}
			}
		}
	}
	if l0 <= 0 || math.IsNaN(float64(l0)) {
		t.Fatalf("loss %v", l0)
	}
}
