// Command wordalign measures what word slots spell after the word
// alignment (train.AlignWords) on the embedded tiny models and the fair
// comparison's generated data of one seed: for the dev pairs' objects,
// places, units and the words of their dates, the share whose decoder tokens
// are all among the nearest (and the 5 nearest) decoder embeddings of one of
// the pair's word slots (train.SpelledWords), beside the dev word recall@5.
// It runs no decoder, so a setting of the slots (K, words per segment,
// alignment steps) can be read in minutes before any Stage B.
//
//	go run ./bench/wordalign [-seed 1] [-k 16] [-words-per-segment 1] [-lexical-hidden 0] [-steps 1500] [-encoder DIR]
//
// -encoder reads an XLM-R folder (such as one `llink pretrain encoder`
// wrote) instead of the embedded encoder.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/tiny"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/train"
)

func main() {
	seed := flag.Uint64("seed", 1, "seed of the data and the lexical map's initialisation")
	k := flag.Int("k", 16, "word slots K")
	r := flag.Int("words-per-segment", 1, "word slots per in-order segment (K must be a multiple)")
	hidden := flag.Int("lexical-hidden", 0, "the lexical map's hidden `width` (0: linear)")
	steps := flag.Int("steps", train.DefaultWordAlign().Steps, "word alignment steps")
	pairs := flag.Int("train-pairs", 4000, "Stage A training pairs the alignment reads")
	encDir := flag.String("encoder", "", "XLM-R `folder` to read the Khmer with (default: the embedded encoder)")
	flag.Parse()
	if err := run(*seed, *k, *r, *hidden, *steps, *pairs, *encDir); err != nil {
		fmt.Fprintln(os.Stderr, "wordalign:", err)
		os.Exit(1)
	}
}

func run(seed uint64, k, r, hidden, steps, trainPairs int, encDir string) error {
	dec, dt, err := tiny.Decoder()
	if err != nil {
		return err
	}
	enc, et, err := tiny.Encoder()
	encID := tiny.ID("encoder")
	if encDir != "" {
		if enc, err = xlmr.Load(encDir); err == nil {
			et, err = tokenizer.Load(encDir)
		}
		encID = "folder:" + encDir
	}
	if err != nil {
		return err
	}
	pad := enc.Config.PadTokenID
	if id, ok := et.TokenID("<pad>"); ok {
		pad = id
	}
	m, err := train.NewModels(dec, dt, tiny.ID("decoder"), enc, et, pad, encID, k)
	if err != nil {
		return err
	}
	d, _, _, err := train.FairData(train.FairDataOptions{Seed: seed, TrainPairs: trainPairs, TrainTasks: 1200, PerKind: 50, NovelPerKind: 25, OnDev: true})
	if err != nil {
		return err
	}
	c := llink.DefaultConfig(m.Enc.Dim(), m.Dec.Model.Config.Hidden)
	c.K, c.SlotInput, c.WordsPerSegment, c.LexicalHidden = k, llink.SlotsWords, r, hidden
	if err := c.Validate(); err != nil {
		return err
	}
	reader := *m.Enc
	reader.Pool = c.EncoderPool
	states := func(ps []data.Pair) (*llink.Tokens, [][]int, error) {
		texts, words := make([]string, len(ps)), make([][]int, len(ps))
		for i, p := range ps {
			texts[i], words[i] = p.Foreign, m.Dec.Tok.Encode(p.English, false)
		}
		tok, err := reader.Tokens(texts)
		return tok, words, err
	}
	t0 := time.Now()
	trTok, trWords, err := states(d.TrainPairs)
	if err != nil {
		return err
	}
	devTok, devWords, err := states(d.DevPairs)
	if err != nil {
		return err
	}
	emb := m.Dec.Model.Emb.Float32()
	unit := llink.UnitRows(emb)
	slots := llink.NewSlots(c, llink.MedianRowNorm(emb), rand.New(rand.NewPCG(seed, 0x12)))
	wc := train.DefaultWordAlign()
	wc.Steps, wc.Seed = steps, seed
	res, err := train.AlignWords(slots, trTok, trWords, unit, devTok, devWords, wc, nil)
	if err != nil {
		return err
	}
	fmt.Printf("seed %d, K %d, %d words per segment, lexical hidden %d, %d alignment steps on %d pairs (%s): dev word recall@5 %.3f, loss %.3f\n",
		seed, k, max(r, 1), hidden, steps, len(d.TrainPairs), time.Since(t0).Round(time.Second), res.Recall, res.Final)
	word := func(w string) []int { return m.Dec.Tok.Encode(" "+w, false) }
	cats := []struct {
		name string
		of   func(s *data.Slots) []string
	}{
		{"object", func(s *data.Slots) []string { return nonEmpty(s.Object) }},
		{"place", func(s *data.Slots) []string { return nonEmpty(s.Place) }},
		{"unit", func(s *data.Slots) []string { return nonEmpty(s.Unit) }},
		{"date word", func(s *data.Slots) []string { // months, weekdays, "yesterday"…: the words of When that are not numbers
			var out []string
			for _, f := range strings.Fields(s.When) {
				if f[0] < '0' || f[0] > '9' {
					out = append(out, f)
				}
			}
			return out
		}},
	}
	fmt.Println("| words | n | spelled at rank 1 | at rank 5 |\n|---|---:|---:|---:|")
	for _, cat := range cats {
		targets, n := make([][][]int, len(d.DevPairs)), 0
		for i, p := range d.DevPairs {
			if p.Slots == nil {
				continue
			}
			for _, w := range cat.of(p.Slots) {
				targets[i] = append(targets[i], word(w))
				n++
			}
		}
		top1, top5 := train.SpelledWords(slots, devTok, targets, unit, 5)
		fmt.Printf("| %s | %d | %.3f | %.3f |\n", cat.name, n, top1, top5)
	}
	return nil
}

// nonEmpty returns s as a one-word list, or none when it is empty.
func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
