package tiny_test

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/internal/race"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/tiny"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/train"
	"github.com/llink-go/llink/train/pretrain"
)

func recorded(t *testing.T, md map[string]string, key string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(md[key], 64)
	if err != nil {
		t.Fatalf("metadata lacks %s: %v", key, md)
	}
	return v
}

func provenance(t *testing.T, md map[string]string) {
	t.Helper()
	for _, k := range []string{"command", "seed", "commit", "pretrain_config"} {
		if md[k] == "" {
			t.Errorf("provenance lacks %q", k)
		}
	}
}

// TestDecoderDevExactMatch re-measures the embedded decoder's greedy exact
// match on the English-passage dev questions it was measured on at
// pretraining time and checks it against the recorded value.
func TestDecoderDevExactMatch(t *testing.T) {
	if race.Enabled {
		t.Skip("a single-threaded quality re-measurement (make test runs it); minutes under the race detector")
	}
	md, err := tiny.Metadata("decoder")
	if err != nil {
		t.Fatal(err)
	}
	provenance(t, md)
	want := recorded(t, md, "dev_exact_match")
	n, err := strconv.Atoi(md["dev_questions"])
	if err != nil {
		t.Fatalf("metadata lacks dev_questions: %v", md)
	}
	if want < 0.85 {
		t.Errorf("recorded dev exact match %.3f < 0.85", want)
	}
	m, tok, err := tiny.Decoder()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append([]string{"<|begin_of_text|>", "<|eot_id|>"}, llink.TokenNames(8)...) {
		if _, ok := tok.TokenID(s); !ok {
			t.Fatalf("decoder tokenizer lacks %s", s)
		}
	}
	_, _, dev, _ := data.Default()
	em, err := pretrain.DevExactMatch(m, tok, dev, n)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dev exact match on %d questions: %.4f (recorded %.4f)", n, em, want)
	// The same weights and prompts: only float summation order (SIMD level)
	// may flip a near-tie token.
	if em < want-0.02 {
		t.Fatalf("embedded decoder answers %.4f of dev questions, recorded %.4f", em, want)
	}
}

// TestEncoderDevMLM re-measures the embedded encoder's MLM loss on its dev
// sentences and checks the inference encoder runs on Khmer.
func TestEncoderDevMLM(t *testing.T) {
	if race.Enabled {
		t.Skip("a single-threaded quality re-measurement (make test runs it); minutes under the race detector")
	}
	md, err := tiny.Metadata("encoder")
	if err != nil {
		t.Fatal(err)
	}
	provenance(t, md)
	want := recorded(t, md, "dev_mlm_loss")
	seed, err := strconv.ParseUint(md["seed"], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	m, tok, err := tiny.EncoderMLM()
	if err != nil {
		t.Fatal(err)
	}
	loss, acc := pretrain.MLMEval(m, tok, pretrain.DefaultEncoderDev(seed), pretrain.DevSeed)
	t.Logf("dev MLM loss %.4f (recorded %.4f), masked-token accuracy %.3f", loss, want, acc)
	if math.Abs(loss-want) > 1e-3 {
		t.Fatalf("dev MLM loss %.4f, recorded %.4f", loss, want)
	}
	enc, etok, err := tiny.Encoder()
	if err != nil {
		t.Fatal(err)
	}
	b := xlmr.PadRight([][]int{etok.Encode("សុខ ដារ៉ា បានទិញប្រេងសាំង៩៥លីត្រ។", true)}, enc.Config.PadTokenID)
	if v := xlmr.MeanPool(enc.Encode(b), b.Mask); v.Len() != enc.Config.Hidden {
		t.Fatalf("pooled vector of %d values", v.Len())
	}
}

// TestCopyDecoderDevExactMatch re-measures the decoder-copy folder (the
// embedded decoder continued with pseudo-named tasks, not embedded; its
// metadata records the phases) on its three recorded dev measures: the
// English-passage questions, and the questions whose given names were
// replaced by names it never saw — pseudo-names of its last phase's
// alphabet, and real names reserved for dev — which it can only answer by
// copying.
func TestCopyDecoderDevExactMatch(t *testing.T) {
	if race.Enabled {
		t.Skip("a single-threaded quality re-measurement (make test runs it); minutes under the race detector")
	}
	m, err := llama.Load("decoder-copy", llama.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load("decoder-copy")
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join("decoder-copy", "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	md := f.Metadata()
	f.Close()
	for _, k := range []string{"command", "seed", "commit", "pretrain_config", "init.command", "init.pretrain_config"} {
		if md[k] == "" {
			t.Errorf("provenance lacks %q", k)
		}
	}
	seed, err := strconv.ParseUint(md["seed"], 10, 64)
	if err != nil || !strings.Contains(md["command"], "-pseudo-names") || !strings.Contains(md["init.command"], "-pseudo-names") {
		t.Fatalf("metadata does not record the pseudo-name phases: %v", md)
	}
	var cfg pretrain.DecoderConfig
	if err := json.Unmarshal([]byte(md["pretrain_config"]), &cfg); err != nil {
		t.Fatalf("pretrain_config: %v", err)
	}
	if cfg.Seed != seed {
		t.Fatalf("pretrain_config's seed %d, metadata's %d", cfg.Seed, seed)
	}
	alphabet, err := train.ParseNames(cfg.PseudoAlphabet)
	if err != nil {
		t.Fatal(err)
	}
	_, _, dev, _ := data.Default()
	for _, c := range []struct {
		key, n string
		qs     []data.Task
		least  float64
	}{
		{"dev_exact_match", "dev_questions", dev, 0.8},
		{"dev_pseudo_exact_match", "dev_pseudo_questions", pretrain.CopyQuestions(dev, cfg, alphabet), 0.8},
		{"dev_real_names_exact_match", "dev_real_names_questions", pretrain.CopyQuestions(dev, cfg, train.DevReal), 0.8},
	} {
		want := recorded(t, md, c.key)
		n, err := strconv.Atoi(md[c.n])
		if err != nil || want < c.least {
			t.Fatalf("%s: recorded %.3f over %q questions", c.key, want, md[c.n])
		}
		em, err := pretrain.DevExactMatch(m, tok, c.qs, n)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s on %d questions: %.4f (recorded %.4f)", c.key, n, em, want)
		if em < want-0.02 {
			t.Errorf("%s: %.4f, recorded %.4f", c.key, em, want)
		}
	}
}
