package pretrain

import (
	"strconv"
	"strings"
	"testing"

	"github.com/llink-go/llink/train"
)

// TestDecoderPseudoNames: a phase with PseudoNames measures, before and
// after, exact match on the dev questions whose given names were all
// replaced (by pseudo-names, and by real names reserved for dev), and
// records both; the renamed questions' answers hold names the training
// tasks never do. A share outside 0..1 or an alphabet other than simple
// or full is refused before anything is written.
func TestDecoderPseudoNames(t *testing.T) {
	dd, _ := smallData(t)
	var seen strings.Builder
	for _, tk := range dd.Train {
		seen.WriteString(tk.EnglishPassage + "\n" + tk.Answer + "\n")
	}
	for _, names := range []train.Names{train.SimplePseudo, train.FullPseudo, train.DevReal} {
		renamed := RenamedQuestions(dd.Dev, 5, names)
		if len(renamed) == 0 {
			t.Fatalf("%s: no dev question was renamed", names)
		}
		fresh := 0
		for _, q := range renamed {
			if !strings.Contains(seen.String(), q.Answer) {
				fresh++
			}
		}
		if fresh == 0 {
			t.Fatalf("%s: every one of %d renamed answers occurs in training", names, len(renamed))
		}
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
	for _, key := range []string{"dev_pseudo", "dev_real_names"} {
		n, _ := strconv.Atoi(res.Metadata[key+"_questions"])
		em, err := strconv.ParseFloat(res.Metadata[key+"_exact_match"], 64)
		if err != nil || n == 0 || n > c.DevTasks || em < 0 || em > 1 {
			t.Fatalf("%s: metadata %v", key, res.Metadata)
		}
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
	c.PseudoNames = 0.5
	for _, a := range []string{"dev", "fancy"} {
		c.PseudoAlphabet = a
		if _, err := Decoder(t.TempDir(), dd, c, Options{}); err == nil || !strings.Contains(err.Error(), "PseudoAlphabet") {
			t.Errorf("alphabet %q: %v", a, err)
		}
	}
}
