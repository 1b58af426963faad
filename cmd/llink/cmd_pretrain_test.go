package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/train/pretrain"
)

// modelMetadata is the metadata of the model llink pretrain wrote to dir.
func modelMetadata(t *testing.T, dir string) map[string]string {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.Metadata()
}

// pretrainOnCorpus runs `llink pretrain WHICH` into dir on the package
// split (seed 2) of corpus with the flags given, and returns that split's
// training pairs and the folder's metadata.
func pretrainOnCorpus(t *testing.T, corpus, dir, which string, flags ...string) ([]data.Pair, map[string]string) {
	t.Helper()
	args := append([]string{"pretrain", which, "-quiet", "-out", dir, "-corpus", corpus, "-split", "package", "-seed", "2"}, flags...)
	if _, stderr, err, _ := runCLI(t, args...); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	train, _, _, _, err := loadCorpus(runOptions{corpus: corpus, split: splitPackage, seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	return train, modelMetadata(t, dir)
}

// TestPretrainEncoderCorpus: `llink pretrain encoder -corpus` pretrains on
// the training packages' pairs of a package split — the pairs `llink run
// -split package` trains on with the same seed — with TLM rows, records the
// settings and the split in the folder's metadata, and a second phase
// (-init) continues that folder.
func TestPretrainEncoderCorpus(t *testing.T) {
	corpus := writeSourcedCorpus(t)
	dir := filepath.Join(t.TempDir(), "enc")
	train, md := pretrainOnCorpus(t, corpus, dir, "encoder", "-no-generated", "-tlm", "0.5", "-max-tokens", "64", "-group", "4", "-steps", "2")
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
	md2 := modelMetadata(t, next)
	if md2["init.command"] != md["command"] || !strings.Contains(md2["command"], "-init "+dir) {
		t.Fatalf("second phase's metadata: command %q, init.command %q", md2["command"], md2["init.command"])
	}
}

// TestPretrainEncoderFlags: each model's own real-text flags are refused
// for the other, need a -corpus, and are range-checked, before anything is
// written.
func TestPretrainEncoderFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "never")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"decoder", "-tlm", "0.5", "-group", "8"}, "pretrain decoder: -tlm: not for the decoder"},
		{[]string{"encoder", "-lm-share", "0.5"}, "pretrain encoder: -lm-share: not for the encoder"},
		{[]string{"decoder", "-max-piece", "8"}, "pretrain decoder: -max-piece: not for the decoder"},
		{[]string{"decoder", "-lm-share", "1.5"}, "pretrain decoder: -lm-share 1.5: want a finite number in [0, 1]"},
		{[]string{"decoder", "-no-generated"}, "pretrain decoder: -tlm and -no-generated need a -corpus"},
		{[]string{"encoder", "-tlm", "0.5"}, "pretrain encoder: -tlm and -no-generated need a -corpus"},
		{[]string{"encoder", "-no-generated"}, "pretrain encoder: -tlm and -no-generated need a -corpus"},
		{[]string{"encoder", "-corpus", "x.tsv", "-tlm", "1"}, "pretrain encoder: -tlm 1: want a finite number in [0, 0.99]"},
		{[]string{"encoder", "-max-tokens", "300"}, "pretrain encoder: -max-tokens 300: want 0..256"},
		{[]string{"encoder", "-max-tokens", "3"}, "pretrain encoder: -max-tokens 3: want 0 or 8..256"},
		{[]string{"encoder", "-split", "shuffle"}, `pretrain encoder: -split "shuffle": want random or package`},
		{[]string{"encoder", "-pseudo-names", "0.5"}, "pretrain encoder: -pseudo-names, -pseudo-alphabet, -rename-distractors and -boost are the decoder's"},
		{[]string{"encoder", "-pseudo-alphabet", "full"}, "pretrain encoder: -pseudo-names, -pseudo-alphabet, -rename-distractors and -boost are the decoder's"},
		{[]string{"encoder", "-rename-distractors"}, "pretrain encoder: -pseudo-names, -pseudo-alphabet, -rename-distractors and -boost are the decoder's"},
		{[]string{"decoder", "-rename-distractors"}, "pretrain decoder: -rename-distractors needs -pseudo-names"},
		{[]string{"decoder", "-pseudo-alphabet", "dev"}, "want simple or full"},
		{[]string{"decoder", "-pseudo-names", "2"}, "pretrain decoder: -pseudo-names 2: want a finite number in [0, 1]"},
		{[]string{"encoder", "-layers", "8"}, "pretrain encoder: -layers, -hidden, -heads, -kv-heads and -ffn are the decoder's"},
		{[]string{"decoder", "-init", "somewhere", "-hidden", "128"}, "pretrain decoder: -layers, -hidden, -heads, -kv-heads and -ffn size a new model; -init continues somewhere's"},
		{[]string{"decoder", "-layers", "-1"}, "pretrain decoder: -layers -1: want 0..65536"},
		{[]string{"decoder", "-hidden", "250"}, "pretrain decoder: -hidden 250, -heads 8, -kv-heads 4: the hidden width must split into heads of an even size"},
		{[]string{"decoder", "-heads", "6"}, "pretrain decoder: -hidden 256, -heads 6, -kv-heads 4"},
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

// TestDecoderSize: a new decoder's shape is the flags' over the
// default's; a continued one's is the -init folder's, whatever the default.
func TestDecoderSize(t *testing.T) {
	c := pretrain.DefaultDecoder()
	if err := (&decoderSize{layers: 8, hidden: 384, heads: 12, kvHeads: 4}).apply(&c); err != nil {
		t.Fatal(err)
	}
	if c.Layers != 8 || c.Hidden != 384 || c.Heads != 12 || c.KVHeads != 4 || c.FFN != pretrain.DefaultDecoder().FFN {
		t.Fatalf("flags' shape: %+v", c)
	}
	from := filepath.Join("..", "..", "models", "tiny", "decoder")
	c = pretrain.DefaultDecoder()
	c.Layers, c.FFN, c.InitFrom = 2, 100, from
	if err := (&decoderSize{}).apply(&c); err != nil {
		t.Fatal(err)
	}
	if c.Layers != 4 || c.Hidden != 256 || c.Heads != 8 || c.KVHeads != 4 || c.FFN != 688 {
		t.Fatalf("-init's shape: %+v", c)
	}
	c.InitFrom = t.TempDir()
	if err := (&decoderSize{}).apply(&c); err == nil || !strings.Contains(err.Error(), "pretrain decoder: -init:") {
		t.Fatalf("an -init folder without a config: %v", err)
	}
}

// TestPretrainDecoderCorpus: `llink pretrain decoder -init DIR -corpus`
// continues a decoder with language modelling on the English of the
// training packages of a package split (plain-sentence rows clipped and
// grouped as asked), keeps its tokenizer, and records the corpus, the split
// and the settings beside the first phase's provenance.
func TestPretrainDecoderCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("tokenizes the embedded decoder's 155k instruction tasks and trains it a step: run without -short")
	}
	corpus := writeSourcedCorpus(t)
	dir := filepath.Join(t.TempDir(), "dec")
	from := filepath.Join("..", "..", "models", "tiny", "decoder")
	train, md := pretrainOnCorpus(t, corpus, dir, "decoder", "-init", from, "-lm-share", "0.5", "-max-tokens", "64", "-group", "4", "-steps", "1")
	if !strings.HasPrefix(md["real_text"], strconv.Itoa(len(train))+" pairs") || md["generated_text"] != "true" ||
		!strings.Contains(md["corpus_split"], "package split (seed 2)") || md["init.commit"] == "" || md["dev_exact_match"] == "" {
		t.Fatalf("metadata: %v (want the %d training pairs and the embedded decoder's provenance)", md, len(train))
	}
	var c pretrain.DecoderConfig
	if err := json.Unmarshal([]byte(md["pretrain_config"]), &c); err != nil {
		t.Fatal(err)
	}
	if c.LMShare != 0.5 || c.MaxTokens != 64 || c.Group != 4 || c.Steps != 1 || c.InitFrom != from {
		t.Fatalf("recorded config %+v", c)
	}
	a, err1 := tokenizer.Load(from)
	b, err2 := tokenizer.Load(dir)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	const s = "Open file 12 with App03 now <foreign_emb>"
	if a.VocabSize() != b.VocabSize() || fmt.Sprint(a.Encode(s, false)) != fmt.Sprint(b.Encode(s, false)) {
		t.Fatalf("the continued decoder's tokenizer differs: %d tokens, %v; the first phase's %d, %v", b.VocabSize(), b.Encode(s, false), a.VocabSize(), a.Encode(s, false))
	}
}

// TestVCSRevision: the commit is read from a checkout's .git folder and
// from a linked worktree's .git file, whose branch lives in the common
// folder; a detached HEAD is the commit itself.
func TestVCSRevision(t *testing.T) {
	const hash, other = "0123456789abcdef0123456789abcdef01234567", "89abcdef0123456789abcdef0123456789abcdef"
	root := t.TempDir()
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	main, git := filepath.Join(root, "main"), filepath.Join(root, "main", ".git")
	write(filepath.Join(git, "HEAD"), "ref: refs/heads/main\n")
	write(filepath.Join(git, "refs", "heads", "main"), other+"\n")
	write(filepath.Join(git, "refs", "heads", "wt"), hash+"\n")
	wtGit := filepath.Join(git, "worktrees", "wt")
	write(filepath.Join(wtGit, "HEAD"), "ref: refs/heads/wt\n")
	write(filepath.Join(wtGit, "commondir"), "../..\n")
	wt := filepath.Join(root, "wt")
	write(filepath.Join(wt, ".git"), "gitdir: "+wtGit+"\n")
	detached := filepath.Join(root, "detached")
	write(filepath.Join(detached, ".git", "HEAD"), hash+"\n")
	packed := filepath.Join(root, "packed") // a branch only in packed-refs: unknown here, git knows it
	write(filepath.Join(packed, ".git", "HEAD"), "ref: refs/heads/main\n")
	write(filepath.Join(packed, ".git", "packed-refs"), hash+" refs/heads/main\n")
	for dir, want := range map[string]string{main: other, wt: hash, detached: hash, packed: "", t.TempDir(): ""} {
		if got := vcsRevision(dir); got != want {
			t.Errorf("%s: %q, want %q", dir, got, want)
		}
	}
}
