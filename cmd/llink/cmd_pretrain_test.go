package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/train/pretrain"
)

// encoderMetadata is the metadata of the encoder llink pretrain wrote to dir.
func encoderMetadata(t *testing.T, dir string) map[string]string {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.Metadata()
}

// TestPretrainEncoderCorpus: `llink pretrain encoder -corpus` pretrains on
// the training packages' pairs of a package split — the pairs `llink run
// -split package` trains on with the same seed — with TLM rows, records the
// settings and the split in the folder's metadata, and a second phase
// (-init) continues that folder.
func TestPretrainEncoderCorpus(t *testing.T) {
	corpus := writeSourcedCorpus(t)
	dir := filepath.Join(t.TempDir(), "enc")
	args := []string{"pretrain", "encoder", "-quiet", "-out", dir, "-corpus", corpus, "-split", "package", "-seed", "2",
		"-no-generated", "-tlm", "0.5", "-max-tokens", "64", "-group", "4", "-steps", "2"}
	if _, stderr, err, _ := runCLI(t, args...); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	train, _, _, _, err := loadCorpus(runOptions{corpus: corpus, split: splitPackage, seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	md := encoderMetadata(t, dir)
	if md["tlm_pairs"] != strconv.Itoa(len(train)) || !strings.HasPrefix(md["real_text"], strconv.Itoa(len(train))+" pairs") ||
		md["generated_text"] != "false" || !strings.Contains(md["corpus_split"], "package split (seed 2)") {
		t.Fatalf("metadata: %v (want the %d training pairs)", md, len(train))
	}
	var c pretrain.EncoderConfig
	if err := json.Unmarshal([]byte(md["pretrain_config"]), &c); err != nil {
		t.Fatal(err)
	}
	if c.TLM != 0.5 || c.MaxTokens != 64 || c.Group != 4 || c.Steps != 2 || c.Seed != 2 {
		t.Fatalf("recorded config %+v", c)
	}
	next := filepath.Join(t.TempDir(), "enc2")
	if _, stderr, err, _ := runCLI(t, "pretrain", "encoder", "-quiet", "-out", next, "-init", dir, "-corpus", corpus, "-split", "package",
		"-seed", "2", "-no-generated", "-tlm", "0.25", "-steps", "1"); err != nil {
		t.Fatalf("second phase: %v: %s", err, stderr)
	}
	md2 := encoderMetadata(t, next)
	if md2["init.command"] != md["command"] || !strings.Contains(md2["command"], "-init "+dir) {
		t.Fatalf("second phase's metadata: command %q, init.command %q", md2["command"], md2["init.command"])
	}
}

// TestPretrainEncoderFlags: the encoder's real-text flags are refused for
// the decoder, need a -corpus, and are range-checked, before anything is
// written.
func TestPretrainEncoderFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "never")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"decoder", "-tlm", "0.5", "-group", "8"}, "pretrain decoder: -group, -tlm: for the encoder only"},
		{[]string{"encoder", "-tlm", "0.5"}, "pretrain encoder: -tlm and -no-generated need a -corpus"},
		{[]string{"encoder", "-no-generated"}, "pretrain encoder: -tlm and -no-generated need a -corpus"},
		{[]string{"encoder", "-corpus", "x.tsv", "-tlm", "1"}, "pretrain encoder: -tlm 1: want a finite number in [0, 0.99]"},
		{[]string{"encoder", "-max-tokens", "300"}, "pretrain encoder: -max-tokens 300: want 0..256"},
		{[]string{"encoder", "-max-tokens", "3"}, "pretrain encoder: -max-tokens 3: want 0 or 8..256"},
		{[]string{"encoder", "-split", "shuffle"}, `pretrain encoder: -split "shuffle": want random or package`},
	} {
		args := append(append([]string{"pretrain"}, tc.args...), "-out", out)
		_, stderr, err, code := runCLI(t, args...)
		if err == nil || code != 2 || !strings.Contains(err.Error()+stderr, tc.want) {
			t.Errorf("%v: exit %d, %v, %q; want %q", tc.args, code, err, stderr, tc.want)
		}
	}
	if folderExists(out) {
		t.Fatal("a refused run created -out")
	}
}
