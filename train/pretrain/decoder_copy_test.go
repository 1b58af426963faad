package pretrain

import (
	"strconv"
	"strings"
	"testing"
)

// TestDecoderPseudoNames: a phase with PseudoNames measures, before and
// after, exact match on the dev questions whose given names were all
// replaced, and records it; the renamed questions' answers hold names
// the training tasks never do. A share outside 0..1 is refused before
// anything is written.
func TestDecoderPseudoNames(t *testing.T) {
	dd, _ := smallData(t)
	renamed := RenamedQuestions(dd.Dev, 5)
	if len(renamed) == 0 {
		t.Fatal("no dev question was renamed")
	}
	var train strings.Builder
	for _, tk := range dd.Train {
		train.WriteString(tk.EnglishPassage + "\n" + tk.Answer + "\n")
	}
	fresh := 0
	for _, q := range renamed {
		if !strings.Contains(train.String(), q.Answer) {
			fresh++
		}
	}
	if fresh == 0 {
		t.Fatalf("every one of %d renamed answers occurs in training", len(renamed))
	}
	c := tinyDecoder()
	first := t.TempDir()
	if _, err := Decoder(first, dd, c, Options{}); err != nil {
		t.Fatal(err)
	}
	c.InitFrom, c.PseudoNames = first, 0.5
	var log strings.Builder
	res, err := Decoder(t.TempDir(), dd, c, Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(res.Metadata["dev_pseudo_questions"])
	em, err := strconv.ParseFloat(res.Metadata["dev_pseudo_exact_match"], 64)
	if err != nil || n == 0 || n > c.DevTasks || em < 0 || em > 1 {
		t.Fatalf("metadata %v", res.Metadata)
	}
	if !strings.Contains(log.String(), "decoder before training: dev exact match on") {
		t.Fatalf("no measure before training in the log:\n%s", log.String())
	}
	for _, share := range []float64{-0.1, 1.5} {
		c.PseudoNames = share
		if _, err := Decoder(t.TempDir(), dd, c, Options{}); err == nil || !strings.Contains(err.Error(), "PseudoNames") {
			t.Errorf("share %g: %v", share, err)
		}
	}
}
