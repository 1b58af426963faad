package pretrain

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/train"
)

func smallData(t *testing.T) (DecoderData, EncoderData) {
	t.Helper()
	c, err := data.Build(data.Config{Seed: 3, Train: 60, Dev: 20})
	if err != nil {
		t.Fatal(err)
	}
	tr, dev, _ := c.Tasks(3)
	en, km := data.Monolingual(80, 3)
	return DecoderData{Train: tr, Dev: dev, English: en}, EncoderData{English: en[:60], Khmer: km[:60], Dev: append(en[60:], km[60:]...)}
}

func tinyDecoder() DecoderConfig {
	return DecoderConfig{Vocab: 320, Hidden: 16, Layers: 1, Heads: 2, KVHeads: 1, FFN: 32, Steps: 6, Batch: 4,
		LR: 1e-3, LMShare: 0.3, ContextWeight: 0.5, SplitDigits: true, DevTasks: 8, Seed: 5}
}

func tinyEncoder() EncoderConfig {
	return EncoderConfig{Vocab: 400, Hidden: 16, Layers: 1, Heads: 2, FFN: 32, Steps: 6, Batch: 4, LR: 1e-3, Seed: 5}
}

func weights(t *testing.T, dir string) (map[string][]float32, map[string]string) {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]float32{}
	for _, n := range f.Names() {
		if out[n], err = f.Float32(n); err != nil {
			t.Fatal(err)
		}
	}
	return out, f.Metadata()
}

func sameWeights(t *testing.T, a, b map[string][]float32) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d tensors vs %d", len(a), len(b))
	}
	for n, v := range a {
		if !slices.Equal(v, b[n]) {
			t.Fatalf("tensor %s differs", n)
		}
	}
}

// TestDecoderResume: a run interrupted after its step-4 checkpoint and
// resumed ends with exactly the weights of an uninterrupted run, and the
// folder loads through llama.Load with the recorded metadata.
func TestDecoderResume(t *testing.T) {
	dd, _ := smallData(t)
	c := tinyDecoder()
	full := t.TempDir()
	res, err := Decoder(full, dd, c, Options{Provenance: map[string]string{"command": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(full, CheckpointName)); !os.IsNotExist(err) {
		t.Fatal("the training checkpoint was left behind")
	}
	part := t.TempDir()
	c4 := c
	c4.Steps = 4 // stop early: a run killed after step 4, with the config of the full run
	if _, err := Decoder(part, dd, c, Options{CheckpointEvery: 4, stopAfter: 4}); err != errStopped {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, err := Decoder(part, dd, c4, Options{Resume: true}); err == nil {
		t.Fatal("resumed with a different config")
	}
	if _, err := Decoder(part, dd, c, Options{Resume: true, Provenance: map[string]string{"command": "test"}}); err != nil {
		t.Fatal(err)
	}
	wa, mda := weights(t, full)
	wb, mdb := weights(t, part)
	sameWeights(t, wa, wb)
	if mda["final_loss"] != mdb["final_loss"] || mda["dev_exact_match"] != mdb["dev_exact_match"] || mda["command"] != "test" {
		t.Fatalf("metadata %v vs %v", mda, mdb)
	}
	if em, _ := strconv.ParseFloat(mda["dev_exact_match"], 64); em != res.DevEM {
		t.Fatalf("recorded EM %v, returned %v", mda["dev_exact_match"], res.DevEM)
	}
	m, err := llama.Load(full, llama.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(full)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append([]string{"<|eot_id|>"}, llink.TokenNames(decoderSlots)...) {
		if _, ok := tok.TokenID(s); !ok {
			t.Fatalf("tokenizer lacks %s", s)
		}
	}
	if m.Config.VocabSize != tok.VocabSize() || !m.Config.TieWordEmbeddings {
		t.Fatalf("config %+v, tokenizer of %d", m.Config, tok.VocabSize())
	}
	// Numbers are spelled digit by digit.
	if ids := tok.Encode("1234", false); len(ids) != 4 {
		t.Fatalf("\"1234\" is %d tokens", len(ids))
	}
	if _, err := Decoder(t.TempDir(), dd, c, Options{Resume: true}); err == nil {
		t.Fatal("resumed without a checkpoint")
	}
	typo := filepath.Join(t.TempDir(), "typo")
	if _, err := Decoder(typo, dd, c, Options{Resume: true}); err == nil || !strings.Contains(err.Error(), "no checkpoint in") {
		t.Fatalf("resumed a missing folder: %v", err)
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Fatal("resuming a missing folder created it")
	}
	// A second phase continues from the folder, keeping its provenance.
	c2 := c
	c2.InitFrom, c2.Steps = full, 2
	next := t.TempDir()
	if _, err := Decoder(next, dd, c2, Options{Provenance: map[string]string{"command": "phase 2"}}); err != nil {
		t.Fatal(err)
	}
	wc, mdc := weights(t, next)
	if mdc["init.command"] != "test" || mdc["command"] != "phase 2" || slices.Equal(wc["model.norm.weight"], wa["model.norm.weight"]) {
		t.Fatalf("second phase: metadata %v", mdc)
	}
}

// TestEncoderResume is TestDecoderResume for the MLM encoder, whose folder
// loads through xlmr.Load.
func TestEncoderResume(t *testing.T) {
	_, ed := smallData(t)
	c := tinyEncoder()
	full := t.TempDir()
	if _, err := Encoder(full, ed, c, Options{BF16: true}); err != nil {
		t.Fatal(err)
	}
	part := t.TempDir()
	if _, err := Encoder(part, ed, c, Options{CheckpointEvery: 3, stopAfter: 3, BF16: true}); err != errStopped {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, err := Encoder(part, ed, c, Options{Resume: true, BF16: true}); err != nil {
		t.Fatal(err)
	}
	wa, mda := weights(t, full)
	wb, mdb := weights(t, part)
	sameWeights(t, wa, wb)
	if mda["final_mlm_loss"] == "" || mda["final_mlm_loss"] != mdb["final_mlm_loss"] || mda["dev_mlm_loss"] == "" || mda["dev_mlm_loss"] != mdb["dev_mlm_loss"] {
		t.Fatalf("metadata %v vs %v", mda, mdb)
	}
	if _, ok := wa["lm_head.dense.weight"]; !ok {
		t.Fatal("no MLM head saved")
	}
	m, err := xlmr.Load(full)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(full)
	if err != nil {
		t.Fatal(err)
	}
	b := xlmr.PadRight([][]int{tok.Encode(ed.Khmer[0], true)}, m.Config.PadTokenID)
	if h := m.Encode(b); h.Len() != b.T*c.Hidden {
		t.Fatalf("hidden state of %d values", h.Len())
	}
	// The recorded dev loss is reproduced from the saved folder (head included).
	f, err := safetensors.Open(filepath.Join(full, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mlm, err := xlmr.MLMFromCheckpoint(m.Config, f)
	if err != nil {
		t.Fatal(err)
	}
	loss, _ := MLMEval(mlm, tok, ed.Dev, DevSeed)
	if got := strconv.FormatFloat(loss, 'f', 4, 64); got != mda["dev_mlm_loss"] {
		t.Fatalf("dev MLM loss %s from the folder, recorded %s", got, mda["dev_mlm_loss"])
	}
}

// TestStopWritesCheckpoint: closing Options.Stop (what the CLI does on
// SIGINT/SIGTERM) ends the run after its step with a checkpoint and an
// error wrapping train.ErrInterrupted; resuming gives the uninterrupted
// run's weights.
func TestStopWritesCheckpoint(t *testing.T) {
	dd, ed := smallData(t)
	for _, which := range []string{"decoder", "encoder"} {
		run := func(dir string, o Options) error {
			var err error
			if which == "decoder" {
				_, err = Decoder(dir, dd, tinyDecoder(), o)
			} else {
				_, err = Encoder(dir, ed, tinyEncoder(), o)
			}
			return err
		}
		full, part := t.TempDir(), t.TempDir()
		if err := run(full, Options{}); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		close(stop) // already requested: the first step is the last
		err := run(part, Options{Stop: stop, CheckpointEvery: -1})
		if !errors.Is(err, train.ErrInterrupted) || !strings.Contains(err.Error(), "stopped after step 1") {
			t.Fatalf("%s: stopped run: %v", which, err)
		}
		if _, err := os.Stat(filepath.Join(part, CheckpointName)); err != nil {
			t.Fatalf("%s: no checkpoint after the stop: %v", which, err)
		}
		if err := run(part, Options{Resume: true}); err != nil {
			t.Fatal(err)
		}
		wa, _ := weights(t, full)
		wb, _ := weights(t, part)
		sameWeights(t, wa, wb)
	}
}

// TestResumeRefusesOtherRun: resuming a checkpoint with other training
// data or another config fails before training, naming the setting that
// differs (or the data), and leaves the checkpoint usable by the right run.
func TestResumeRefusesOtherRun(t *testing.T) {
	dd, ed := smallData(t)
	dec := func(d DecoderData, c DecoderConfig) func(string, Options) error {
		return func(dir string, o Options) error { _, err := Decoder(dir, d, c, o); return err }
	}
	enc := func(d EncoderData, c EncoderConfig) func(string, Options) error {
		return func(dir string, o Options) error { _, err := Encoder(dir, d, c, o); return err }
	}
	wider, seed, steps := tinyDecoder(), tinyDecoder(), tinyEncoder()
	wider.Hidden, seed.Seed, steps.Steps = 32, 9, 8
	fewer, otherKm := dd, ed
	fewer.English = dd.English[1:]
	otherKm.Khmer = append([]string{"ផ្សេង"}, ed.Khmer[1:]...)
	tlmRun, tlmData := tinyEncoder(), ed
	tlmRun.TLM = 0.5
	tlmData.Pairs = []data.Pair{{English: "one", Foreign: "មួយ"}, {English: "two", Foreign: "ពីរ"}}
	otherPairs := tlmData
	otherPairs.Pairs = tlmData.Pairs[:1]
	otherDev := dd
	otherDev.Dev = dd.Dev[1:]
	for _, tc := range []struct {
		name        string
		first, next func(string, Options) error
		want        string // "" when the resume must succeed
	}{
		{"decoder, other English sentences", dec(dd, tinyDecoder()), dec(fewer, tinyDecoder()), "other training data"},
		{"decoder, wider", dec(dd, tinyDecoder()), dec(dd, wider), "other settings (hidden 16, now 32)"},
		{"decoder, other seed", dec(dd, tinyDecoder()), dec(dd, seed), "other settings (seed 5, now 9)"},
		{"decoder, other dev tasks", dec(dd, tinyDecoder()), dec(otherDev, tinyDecoder()), ""},
		{"encoder, other Khmer sentences", enc(ed, tinyEncoder()), enc(otherKm, tinyEncoder()), "other training data"},
		{"encoder, more steps", enc(ed, tinyEncoder()), enc(ed, steps), "other settings (steps 6, now 8)"},
		{"encoder, other translation pairs", enc(tlmData, tlmRun), enc(otherPairs, tlmRun), "other training data"},
	} {
		dir := t.TempDir()
		if err := tc.first(dir, Options{CheckpointEvery: 3, stopAfter: 3}); err != errStopped {
			t.Fatalf("%s: interrupted run: %v", tc.name, err)
		}
		err := tc.next(dir, Options{Resume: true})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		case tc.want != "":
			if err := tc.first(dir, Options{Resume: true}); err != nil {
				t.Errorf("%s: the right run no longer resumes: %v", tc.name, err)
			}
		}
	}
}

// TestNewRunReplacesOldModel: a new run in a folder holding a trained
// model removes it before its first step (with its config and any old
// checkpoint), so a run interrupted before it writes its own model leaves
// no old weights beside its new tokenizer; a second phase that continues
// from the folder itself still reads the old model first.
func TestNewRunReplacesOldModel(t *testing.T) {
	dd, _ := smallData(t)
	dir := t.TempDir()
	if _, err := Decoder(dir, dd, tinyDecoder(), Options{}); err != nil {
		t.Fatal(err)
	}
	phase2 := tinyDecoder()
	phase2.InitFrom, phase2.Steps = dir, 2 // continuing in place still reads the old model
	if _, err := Decoder(dir, dd, phase2, Options{}); err != nil {
		t.Fatalf("second phase in place: %v", err)
	}
	other := tinyDecoder()
	other.Seed, other.Vocab = 9, 300
	if _, err := Decoder(dir, dd, other, Options{CheckpointEvery: -1, stopAfter: 2}); err != errStopped {
		t.Fatalf("interrupted run: %v", err)
	}
	for _, f := range []string{"model.safetensors", "config.json", CheckpointName} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s outlived the new run's start (%v)", f, err)
		}
	}
	tok, err := tokenizer.Load(dir)
	if err != nil || tok.VocabSize() == 0 {
		t.Fatalf("the new run's tokenizer: %v", err)
	}
}

// TestEncoderInit: a second phase starts from the first phase's weights
// and tokenizer (with a learning rate too small to move them, it ends
// where the first ended), keeps its provenance under "init.", survives an
// interruption, and refuses a folder of another size, naming both.
func TestEncoderInit(t *testing.T) {
	_, ed := smallData(t)
	c := tinyEncoder()
	first := t.TempDir()
	if _, err := Encoder(first, ed, c, Options{Provenance: map[string]string{"command": "phase 1"}}); err != nil {
		t.Fatal(err)
	}
	w1, _ := weights(t, first)
	c2 := c
	c2.InitFrom, c2.Steps, c2.LR, c2.Seed = first, 4, 1e-9, 9 // another seed: the init must not come from it
	next := t.TempDir()
	if _, err := Encoder(next, ed, c2, Options{Provenance: map[string]string{"command": "phase 2"}}); err != nil {
		t.Fatal(err)
	}
	w2, md2 := weights(t, next)
	if md2["init.command"] != "phase 1" || md2["command"] != "phase 2" || md2["init.final_mlm_loss"] == "" {
		t.Fatalf("second phase's metadata: %v", md2)
	}
	for n, a := range w1 {
		if e := maxAbsDiff(a, w2[n]); e > 1e-6 {
			t.Fatalf("%s moved by %g at a learning rate of 1e-9: not started from the first phase", n, e)
		}
	}
	a, err1 := os.ReadFile(filepath.Join(first, "tokenizer.json"))
	b, err2 := os.ReadFile(filepath.Join(next, "tokenizer.json"))
	if err1 != nil || err2 != nil || string(a) != string(b) {
		t.Fatalf("the tokenizer differs between the phases (%v, %v)", err1, err2)
	}
	// Interrupted and resumed, the second phase ends as an uninterrupted one.
	c2.LR = 1e-3
	whole, part := t.TempDir(), t.TempDir()
	if _, err := Encoder(whole, ed, c2, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Encoder(part, ed, c2, Options{CheckpointEvery: 2, stopAfter: 2}); err != errStopped {
		t.Fatalf("interrupted second phase: %v", err)
	}
	if _, err := Encoder(part, ed, c2, Options{Resume: true}); err != nil {
		t.Fatal(err)
	}
	wa, _ := weights(t, whole)
	wb, mdb := weights(t, part)
	sameWeights(t, wa, wb)
	if mdb["init.command"] != "phase 1" {
		t.Fatalf("resumed second phase lost the init provenance: %v", mdb)
	}
	wide := c2
	wide.Hidden, wide.FFN = 32, 64
	if _, err := Encoder(t.TempDir(), ed, wide, Options{}); err == nil || !strings.Contains(err.Error(), first) || !strings.Contains(err.Error(), "hidden 16") {
		t.Fatalf("init from an encoder of another size: %v", err)
	}
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	e := 0.0
	for i := range a {
		e = max(e, math.Abs(float64(a[i]-b[i])))
	}
	return e
}

// EncoderConfig.MaxPiece bounds the pieces of the encoder's vocabulary:
// with the default some pieces of the generated Khmer are longer than 5
// characters, with MaxPiece 5 none is.
func TestEncoderTokenizerMaxPiece(t *testing.T) {
	_, ed := smallData(t)
	longest := func(c EncoderConfig) int {
		tok, err := EncoderTokenizer(ed, c)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for id := range tok.VocabSize() {
			p, _ := tok.Token(id)
			if !strings.HasPrefix(p, "<") {
				n = max(n, utf8.RuneCountInString(strings.TrimPrefix(p, "▁")))
			}
		}
		return n
	}
	c := tinyEncoder()
	if n := longest(c); n <= 5 {
		t.Fatalf("default: longest piece %d characters; the test needs longer ones", n)
	}
	c.MaxPiece = 5
	if n := longest(c); n > 5 {
		t.Fatalf("MaxPiece 5: a piece of %d characters", n)
	}
}
