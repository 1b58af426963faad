package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
)

func init() {
	register(command{name: "embed", short: "pooled sentence vectors from a BERT-family encoder: one JSON array per stdin line (text, or ids with -ids)", run: runEmbed})
}

func runEmbed(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("embed", stderr)
	dir := fs.String("encoder", "", "Hugging Face XLM-R/BERT folder (config.json + safetensors)")
	ids := fs.Bool("ids", false, "stdin lines are token ids instead of text")
	pool := fs.String("pool", "mean", "pooling: mean, cls or pooler")
	batch := fs.Int("batch", 16, "lines per forward pass")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *dir == "":
		return usageErrorf("embed: -encoder is required")
	case *pool != "mean" && *pool != "cls" && *pool != "pooler":
		return usageErrorf("embed: -pool %q: want mean, cls or pooler", *pool)
	case fs.NArg() > 0:
		return usageErrorf("embed: unexpected argument %q (the lines come on stdin)", fs.Arg(0))
	}
	if err := checkInt("embed", "batch", *batch, 1, maxCount); err != nil {
		return err
	}
	m, err := xlmr.Load(*dir)
	if err != nil {
		return err
	}
	var tok tokenizer.Tokenizer
	if !*ids {
		if tok, err = tokenizer.Load(*dir); err != nil {
			return fmt.Errorf("embed: text lines need the folder's tokenizer (or pass --ids): %w", err)
		}
	}
	maxLen := m.Config.MaxPositions
	if m.Config.RobertaPositions() {
		maxLen -= m.Config.PadTokenID + 1
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
		var l []int
		if tok != nil {
			// Refused as the library refuses them (llink.Model.Embed).
			switch text := sc.Text(); {
			case !utf8.ValidString(text):
				return fmt.Errorf("embed: line %d: not valid UTF-8 (the input must be UTF-8 text)", n)
			case strings.TrimSpace(text) == "":
				return fmt.Errorf("embed: line %d: empty text", n)
			}
			// As Stage A encodes: with the special tokens, truncated to
			// the position table keeping the closing token.
			if l = tok.Encode(sc.Text(), true); len(l) == 0 {
				return fmt.Errorf("embed: line %d: the tokenizer produced no tokens", n)
			}
			if len(l) > maxLen {
				l = append(l[:maxLen-1:maxLen-1], l[len(l)-1])
			}
		} else if l, err = parseIDs(sc.Text()); err != nil || len(l) == 0 {
			return fmt.Errorf("embed: line %d: want token ids (%v)", n, err)
		} else if len(l) > maxLen {
			return fmt.Errorf("embed: line %d: %d ids, the encoder takes at most %d", n, len(l), maxLen)
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
