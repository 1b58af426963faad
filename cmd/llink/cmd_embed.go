package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/llink-go/llink/models/xlmr"
)

func init() {
	register(command{name: "embed", short: "pooled sentence vectors from a BERT-family encoder, one JSON array per stdin line", run: runEmbed})
}

func runEmbed(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("encoder", "", "Hugging Face XLM-R/BERT folder (config.json + safetensors)")
	ids := fs.Bool("ids", false, "stdin lines are token ids (text needs the tokenizer, not wired in yet)")
	pool := fs.String("pool", "mean", "pooling: mean, cls or pooler")
	batch := fs.Int("batch", 16, "lines per forward pass")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("embed: --encoder is required")
	}
	if !*ids {
		return errors.New("embed: text input needs the tokenizer, which is not wired in yet; pass --ids with token ids per line")
	}
	m, err := xlmr.Load(*dir)
	if err != nil {
		return err
	}
	if *pool == "pooler" && m.Pooler == nil {
		return errors.New("embed: the checkpoint has no pooler")
	}
	enc := json.NewEncoder(stdout)
	var lines [][]int
	flush := func() error {
		if len(lines) == 0 {
			return nil
		}
		b := xlmr.PadRight(lines, m.Config.PadTokenID)
		h := m.Encode(b)
		var v interface{ Row(int) []float32 }
		switch *pool {
		case "mean":
			v = xlmr.MeanPool(h, b.Mask)
		case "cls":
			v = xlmr.CLS(h)
		case "pooler":
			v = m.Pool(h)
		default:
			return fmt.Errorf("embed: unknown pooling %q", *pool)
		}
		for r := range lines {
			if err := enc.Encode(v.Row(r)); err != nil {
				return err
			}
		}
		lines = lines[:0]
		return nil
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		l, err := parseIDs(sc.Text())
		if err != nil || len(l) == 0 {
			return fmt.Errorf("embed: line %d: want token ids (%v)", n, err)
		}
		for _, id := range l {
			if id < 0 || id >= m.Config.VocabSize {
				return fmt.Errorf("embed: line %d: token id %d outside the vocabulary", n, id)
			}
		}
		lines = append(lines, l)
		if len(lines) == *batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return flush()
}
