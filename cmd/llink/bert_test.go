package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
)

// bertFolder writes a random tiny BERT encoder (model_type "bert": absolute
// positions from 0, two token types, [PAD] id 0) with a character-level
// WordPiece tokenizer ([CLS] … [SEP]) over texts, as a Hugging Face folder.
func bertFolder(t *testing.T, dir string, texts []string) {
	t.Helper()
	vocab := map[string]int{}
	for _, s := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"} {
		vocab[s] = len(vocab)
	}
	var runes []string
	for _, s := range texts {
		for _, r := range s {
			runes = append(runes, string(r))
		}
	}
	slices.Sort(runes)
	for _, r := range slices.Compact(runes) {
		for _, piece := range []string{r, "##" + r} {
			if _, ok := vocab[piece]; !ok && strings.TrimSpace(r) != "" {
				vocab[piece] = len(vocab)
			}
		}
	}
	c := xlmr.Tiny(len(vocab))
	c.ModelType, c.PadTokenID, c.TypeVocabSize, c.MaxPositions = "bert", 0, 2, 512
	c.Hidden, c.Intermediate, c.Layers, c.Heads = 24, 48, 1, 2
	names, shapes := xlmr.TensorNames(c)
	writeFolder(t, dir, c, names, shapes, nil, 0.2)
	// A Hugging Face BERT tokenizer.json (models/tokenizer reads WordPiece
	// but does not write it).
	js, err := json.Marshal(map[string]any{
		"model":          map[string]any{"type": "WordPiece", "vocab": vocab, "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100},
		"normalizer":     map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "lowercase": false, "strip_accents": false},
		"pre_tokenizer":  map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{"type": "BertProcessing", "cls": []any{"[CLS]", vocab["[CLS]"]}, "sep": []any{"[SEP]", vocab["[SEP]"]}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ids := tok.Encode("សុខា ទិញ", true); len(ids) < 4 || ids[0] != vocab["[CLS]"] || ids[len(ids)-1] != vocab["[SEP]"] || slices.Contains(ids, vocab["[UNK]"]) {
		t.Fatalf("WordPiece test tokenizer: %v", ids)
	}
}

// TestBERTEncoderEndToEnd shows a second encoder family behind
// llink.Encoder: a BERT checkpoint with a WordPiece tokenizer, loaded by
// models/xlmr from a folder this test writes, goes through Stage A, Stage B
// and ask like the XLM-R encoder.
func TestBERTEncoderEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline")
	}
	dec, xlmrEnc := tinyFolders(t)
	en, km := data.Monolingual(1500, 1)
	enc := filepath.Join(t.TempDir(), "bert")
	bertFolder(t, enc, append(en[:300], km...))
	if c, err := xlmr.ReadConfig(enc); err != nil || c.RobertaPositions() {
		t.Fatalf("the test folder is not a BERT encoder: %+v, %v", c, err)
	}
	out := filepath.Join(t.TempDir(), "run")
	flags := []string{"-quiet", "-decoder", dec, "-encoder", enc, "-out", out, "-cache", filepath.Join(t.TempDir(), "cache"),
		"-k", "2", "-train-pairs", "300", "-train-tasks", "16", "-test-tasks", "8", "-stage-a-steps", "4", "-stage-b-steps", "2"}
	for _, st := range []string{"stage-a", "stage-b"} {
		var stdout, stderr bytes.Buffer
		if err := run(append([]string{st}, flags...), nil, &stdout, &stderr); err != nil {
			t.Fatalf("%s: %v\n%s", st, err, stderr.String())
		}
	}
	ask := func(encoder string) error {
		var stdout, stderr bytes.Buffer
		return run([]string{"ask", "-quiet", "-bundle", filepath.Join(out, bundleName), "-decoder", dec, "-encoder", encoder, "-max-new", "4",
			"-text", "សុខា ទិញ ត្រី ២ គីឡូក្រាម។", "Who is mentioned?"}, nil, &stdout, &stderr)
	}
	if err := ask(enc); err != nil {
		t.Fatalf("ask with the BERT encoder: %v", err)
	}
	// The bundle belongs to the BERT encoder: the XLM-R one is refused.
	if err := ask(xlmrEnc); err == nil || !strings.Contains(err.Error(), "was trained") {
		t.Fatalf("ask with another encoder: %v, want a refusal", err)
	}
}
