package train

import (
	"cmp"
	"math"
	"slices"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
)

// TestAlignWords: when each foreign token is a noisy fixed code of one
// English word, the word alignment learns a lexical map whose slots find
// the words among their nearest embeddings (word recall from near chance
// to ≥ 0.9 on held-out texts).
func TestAlignWords(t *testing.T) {
	const enc, dec, vocab, perText = 48, 16, 40, 4
	r := testutil.RNG(31)
	unit := llink.UnitRows(tensor.RandN(r, 1, vocab, dec))
	codes := tensor.RandN(r, 1, vocab, enc) // the "foreign word" of each English word
	texts := func(n int) (*llink.Tokens, [][]int) {
		rows, words := make([][]float32, n), make([][]int, n)
		for i := range n {
			for range perText {
				w := r.IntN(vocab)
				words[i] = append(words[i], w)
				for _, v := range codes.Row(w) {
					rows[i] = append(rows[i], v+float32(r.NormFloat64()*0.05))
				}
			}
		}
		tok, err := llink.StackTokens(rows, enc)
		if err != nil {
			t.Fatal(err)
		}
		return tok, words
	}
	tok, words := texts(512)
	devTok, devWords := texts(64)
	cfg := llink.DefaultConfig(enc, dec)
	cfg.K, cfg.SlotInput = perText, llink.SlotsWords
	slots := llink.NewSlots(cfg, 1, testutil.RNG(32))
	before := WordRecall(slots, devTok, devWords, unit, 1)
	res, err := AlignWords(slots, tok, words, unit, devTok, devWords, WordAlignConfig{Steps: 300, Batch: 32, LR: 1e-2, Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	after := WordRecall(slots, devTok, devWords, unit, 1)
	t.Logf("word recall@1 %.3f → %.3f (reported @5 %.3f), loss %.3f", before, after, res.Recall, res.Final)
	if before > 0.5 || after < 0.9 || res.Recall < after {
		t.Fatalf("word recall@1 %.3f before, %.3f after (recall@5 %.3f)", before, after, res.Recall)
	}
	// Pooled slots have no lexical map to align.
	if _, err := AlignWords(llink.NewSlots(llink.DefaultConfig(enc, dec), 1, r), tok, words, unit, nil, nil, DefaultWordAlign(), nil); err == nil {
		t.Fatal("word alignment of pooled slots accepted")
	}
}

// twoTexts returns one word slot per text with an identity lexical map, the
// token states of two texts and four unit embedding rows: text 0's slot is
// nearest to row 0, then row 3; text 1's is row 2.
func twoTexts(t *testing.T) (*llink.Slots, *llink.Tokens, *tensor.Tensor) {
	t.Helper()
	cfg := llink.DefaultConfig(3, 3)
	cfg.K, cfg.SlotInput = 1, llink.SlotsWords
	slots := llink.NewSlots(cfg, 1, testutil.RNG(1))
	copy(slots.Lexical.Weight.Value.Data(), []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}) // identity
	clear(slots.Lexical.Bias.Value.Data())
	unit := llink.UnitRows(tensor.FromSlice([]float32{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0}, 4, 3))
	tok, err := llink.StackTokens([][]float32{{1, 0.1, 0}, {0, 0, 1}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return slots, tok, unit
}

// TestWordRecall counts a text's distinct words found among any slot's
// nearest embeddings.
func TestWordRecall(t *testing.T) {
	slots, tok, unit := twoTexts(t)
	for _, c := range []struct {
		words [][]int
		m     int
		want  float64
	}{
		{[][]int{{0, 0}, {2}}, 1, 1},
		{[][]int{{0, 3}, {2}}, 1, 0.75},
		{[][]int{{0, 3}, {2}}, 2, 1},
		{[][]int{{1}, {0}}, 1, 0},
	} {
		if got := WordRecall(slots, tok, c.words, unit, c.m); got != c.want {
			t.Errorf("recall@%d of %v: %v, want %v", c.m, c.words, got, c.want)
		}
	}
}

// TestSpelledWords counts a word as spelled when every one of its tokens
// is among some slot's nearest embeddings, at rank 1 and at rank m.
func TestSpelledWords(t *testing.T) {
	slots, tok, unit := twoTexts(t)
	for _, c := range []struct {
		targets    [][][]int
		m          int
		top1, topM float64
	}{
		{[][][]int{{{0}}, {{2}}}, 2, 1, 1},
		{[][][]int{{{0, 3}}, {{2}}}, 2, 0.5, 1},              // word 0's second token is only second nearest
		{[][][]int{{{0}, {3}, {1}}, nil}, 2, 1. / 3, 2. / 3}, // text 1 has no targets
		{[][][]int{{{1}}, {{3}}}, 2, 0, 0},                   // text 1 ties rows 0, 1 and 3 at cos 0: the lower index wins
		{[][][]int{nil, nil}, 2, 0, 0},
	} {
		top1, topM := SpelledWords(slots, tok, c.targets, unit, c.m)
		if math.Abs(top1-c.top1) > 1e-12 || math.Abs(topM-c.topM) > 1e-12 {
			t.Errorf("%v at rank %d: %.3f, %.3f; want %.3f, %.3f", c.targets, c.m, top1, topM, c.top1, c.topM)
		}
	}
}

// BenchmarkWordRecall measures the dev word recall at the embedded tiny
// models' shapes: 200 texts of 10 tokens, K 16, a 1,743-entry vocabulary
// of width 256.
func BenchmarkWordRecall(b *testing.B) {
	const enc, dec, vocab, texts, k = 256, 256, 1743, 200, 16
	r := testutil.RNG(41)
	unit := llink.UnitRows(tensor.RandN(r, 1, vocab, dec))
	rows, words := make([][]float32, texts), make([][]int, texts)
	for i := range texts {
		rows[i] = tensor.RandN(r, 1, 10*enc).Data()
		for range 18 {
			words[i] = append(words[i], r.IntN(vocab))
		}
	}
	tok, err := llink.StackTokens(rows, enc)
	if err != nil {
		b.Fatal(err)
	}
	cfg := llink.DefaultConfig(enc, dec)
	cfg.K, cfg.SlotInput = k, llink.SlotsWords
	slots := llink.NewSlots(cfg, 1, r)
	for b.Loop() {
		WordRecall(slots, tok, words, unit, 5)
	}
}

// topIndices agrees with a full sort (ties: lower index first) on rows
// with repeated values, for every m up to the row's length.
func TestTopIndices(t *testing.T) {
	r := testutil.RNG(42)
	for _, n := range []int{1, 3, 7, 17, 33} {
		row := make([]float32, n)
		for i := range row {
			row[i] = float32(r.IntN(5)) // many ties
		}
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		slices.SortStableFunc(want, func(a, b int) int { return cmp.Compare(row[b], row[a]) })
		for m := 1; m <= n; m++ {
			if got := topIndices(row, make([]int, 0, m)); !slices.Equal(got, want[:m]) {
				t.Fatalf("row %v, top %d: %v, want %v", row, m, got, want[:m])
			}
		}
	}
}
