package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/train"
	"github.com/llink-go/llink/train/pretrain"
)

func init() {
	register(command{name: "pretrain", synopsis: "decoder|encoder -out DIR [flags]",
		short: "pretrain the tiny default decoder (English) or encoder (Khmer+English MLM, TLM on a real corpus)", run: runPretrain})
}

func runPretrain(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	which := ""
	if len(args) > 0 && (args[0] == "decoder" || args[0] == "encoder") {
		which, args = args[0], args[1:]
	}
	fs := newFlagSet("pretrain", stderr)
	cf := addCommonFlags(fs)
	out := fs.String("out", "", "output Hugging Face `folder` (also holds the training checkpoint)")
	steps := fs.Int("steps", 0, "training steps (0: the default for the model)")
	seed := fs.Uint64("seed", 1, "seed")
	lr := fs.Float64("lr", 0, "peak learning rate (0: the default)")
	resume := fs.Bool("resume", false, "continue the interrupted run whose checkpoint is in -out")
	force := fs.Bool("force", false, "train anew in an -out folder that holds a trained model, replacing it")
	every := fs.Int("checkpoint-every", 100, "write the training checkpoint every `N` steps (negative: only when interrupted)")
	f32 := fs.Bool("f32", false, "save float32 weights (default bfloat16)")
	boost := fs.String("boost", "", "decoder: repeat the training tasks of these kinds, e.g. `yes_no=3,what=2`")
	pseudo := fs.Float64("pseudo-names", 0, "decoder: share (0..1) of the instruction tasks naming a person whose given names become generated pseudo-names, so the decoder learns to copy names it never saw from the passage")
	var alphabet string
	choiceFlag(fs, &alphabet, "pseudo-alphabet", "decoder: the pseudo-names of -pseudo-names: simple = two syllables of a small alphabet, full = names like real ones (training names' halves joined, and the whole written inventory)", string(train.SimplePseudo), string(train.SimplePseudo), string(train.FullPseudo))
	distractors := fs.Bool("rename-distractors", false, "decoder: with -pseudo-names, also rename the person a renamed yes/no question asks about when the passage does not name them, so an unknown name is not a cue for \"yes\"")
	initFrom := fs.String("init", "", "continue from the weights and tokenizer of this `folder` (an earlier run's -out), with a fresh schedule")
	var size decoderSize
	size.register(fs)
	var to textOptions
	to.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if which == "" {
		return usageErrorf("pretrain: want `llink pretrain decoder|encoder -out DIR`")
	}
	if err := to.check(fs, which); err != nil {
		return err
	}
	if which == "encoder" && (*pseudo != 0 || *boost != "" || flagSet(fs, "pseudo-alphabet") || *distractors) {
		return usageErrorf("pretrain encoder: -pseudo-names, -pseudo-alphabet, -rename-distractors and -boost are the decoder's")
	}
	if which == "encoder" && size.any(fs) {
		return usageErrorf("pretrain encoder: -layers, -hidden, -heads, -kv-heads and -ffn are the decoder's")
	}
	if *initFrom != "" && size.any(fs) {
		return usageErrorf("pretrain %s: -layers, -hidden, -heads, -kv-heads and -ffn size a new model; -init continues %s's", which, *initFrom)
	}
	if *distractors && *pseudo == 0 {
		return usageErrorf("pretrain decoder: -rename-distractors needs -pseudo-names")
	}
	if *out == "" {
		return usageErrorf("pretrain %s: -out is required", which)
	}
	if fs.NArg() > 0 {
		return usageErrorf("pretrain %s: unexpected arguments %q", which, fs.Args())
	}
	if trained := filepath.Join(*out, "model.safetensors"); folderExists(trained) && !*resume && !*force {
		return usageErrorf("pretrain %s: %s already holds a trained model: -resume continues its run, -force trains anew and replaces it", which, *out)
	}
	if err := firstError(
		checkInt("pretrain "+which, "steps", *steps, 0, maxCount),
		checkFloat("pretrain "+which, "lr", *lr, 0, 1),
		checkFloat("pretrain "+which, "pseudo-names", *pseudo, 0, 1),
	); err != nil {
		return err
	}
	stop, err := cf.start()
	if err != nil {
		return err
	}
	defer stop()
	prov := map[string]string{"command": strings.TrimSpace("llink pretrain " + which + " " + strings.Join(args, " ")), "seed": fmt.Sprint(*seed)}
	if rev := sourceCommit(); rev != "" {
		prov["commit"] = rev
	}
	log := io.Writer(stdout)
	if cf.Quiet {
		log = io.Discard
	}
	halt, unlisten := haltOnSignal(stderr)
	defer unlisten()
	opts := pretrain.Options{Resume: *resume, CheckpointEvery: *every, Log: log, Provenance: prov, BF16: !*f32, Stop: halt}
	if which == "decoder" {
		c := pretrain.DefaultDecoder()
		c.Seed, c.InitFrom, c.PseudoNames, c.RenameDistractors = *seed, *initFrom, *pseudo, *distractors
		if err := size.apply(&c); err != nil {
			return err
		}
		if alphabet != string(train.SimplePseudo) {
			c.PseudoAlphabet = alphabet
		}
		if *boost != "" {
			if c.Boost, err = kindCounts(*boost); err != nil {
				return usageErrorf("pretrain decoder: -boost: %v", err)
			}
		}
		if *steps > 0 {
			c.Steps = *steps
		}
		if *lr > 0 {
			c.LR = float32(*lr)
		}
		c.MaxTokens, c.Group = to.maxTokens, to.group
		if to.lmShare > 0 {
			c.LMShare = to.lmShare
		}
		var d pretrain.DecoderData
		if d, err = to.decoderData(c.Seed, prov, log); err != nil {
			return err
		}
		_, err = pretrain.Decoder(*out, d, c, opts)
	} else {
		c := pretrain.DefaultEncoder()
		c.Seed, c.InitFrom, c.TLM, c.MaxTokens, c.Group, c.MaxPiece = *seed, *initFrom, to.tlm, to.maxTokens, to.group, to.maxPiece
		if c.InitFrom != "" && c.MaxPiece > 0 {
			return usageErrorf("pretrain encoder: -max-piece trains a new tokenizer; -init keeps %s's", c.InitFrom)
		}
		if *steps > 0 {
			c.Steps = *steps
		}
		if *lr > 0 {
			c.LR = float32(*lr)
		}
		var d pretrain.EncoderData
		if d, err = to.encoderData(c.Seed, prov, log); err != nil {
			return err
		}
		_, err = pretrain.Encoder(*out, d, c, opts)
	}
	if errors.Is(err, train.ErrInterrupted) {
		return fmt.Errorf("%w\nresume with: llink pretrain %s -resume -out %s (and the same flags)", err, which, *out)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "wrote", *out)
	return nil
}

// textOptions are `llink pretrain`'s flags for real text: a parallel
// corpus whose training part joins the model's text (both sides for the
// encoder, with translation language modelling; the English for the
// decoder's language modelling), and how rows are clipped and padded.
type textOptions struct {
	corpus, split    string
	tlm, lmShare     float64
	maxTokens, group int
	maxPiece         int
	noGenerated      bool
}

func (e *textOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&e.corpus, "corpus", "", "parallel corpus `file` (TSV or JSONL) whose training part — what `llink run` trains on with the same -split and -seed, never its dev, test or pool pairs — adds its English and Khmer to the encoder's text, its English to the decoder's")
	fs.StringVar(&e.split, "split", splitRandom, "how the -corpus is split, as in `llink run`: random or package (whole source packages held out)")
	fs.Float64Var(&e.tlm, "tlm", 0, "encoder: share of each batch's rows that are translation language modelling rows (XLM's TLM: a -corpus training pair packed into one row and masked over both languages); 0: masked LM only")
	fs.Float64Var(&e.lmShare, "lm-share", 0, "decoder: share of each batch's rows that are plain English sentences (language modelling; the rest are instruction tasks); 0: the default, 0.15")
	fs.IntVar(&e.maxTokens, "max-tokens", 0, "clip every training row to `N` tokens (the encoder's TLM halves to N/2; the decoder's plain sentences only); 0: the encoder's 256 positions, no clip for the decoder")
	fs.IntVar(&e.maxPiece, "max-piece", 0, "encoder: longest tokenizer piece in `characters` (0: 16, as SentencePiece; smaller keeps a piece near one word)")
	fs.IntVar(&e.group, "group", 0, "pad a batch's rows in groups of `N` of similar length (less padding work); 0: the whole batch as one")
	fs.BoolVar(&e.noGenerated, "no-generated", false, "leave out the generated sentences (the -corpus text only; the decoder keeps its generated instruction tasks)")
}

// check refuses one model's flags for the other and values out of range.
func (e *textOptions) check(fs *flag.FlagSet, which string) error {
	other := map[string][]string{"decoder": {"tlm", "max-piece"}, "encoder": {"lm-share"}}[which]
	var bad []string
	fs.Visit(func(f *flag.Flag) {
		if slices.Contains(other, f.Name) {
			bad = append(bad, "-"+f.Name)
		}
	})
	if len(bad) > 0 {
		return usageErrorf("pretrain %s: %s: not for the %s", which, strings.Join(bad, ", "), which)
	}
	cmd := "pretrain " + which
	if err := firstError(
		checkFloat(cmd, "tlm", e.tlm, 0, 0.99),
		checkFloat(cmd, "lm-share", e.lmShare, 0, 1),
		checkInt(cmd, "max-tokens", e.maxTokens, 0, 256),
		checkInt(cmd, "group", e.group, 0, maxCount),
		checkInt(cmd, "max-piece", e.maxPiece, 0, 64),
	); err != nil {
		return err
	}
	if e.split != splitRandom && e.split != splitPackage {
		return usageErrorf("%s: -split %q: want %s or %s", cmd, e.split, splitRandom, splitPackage)
	}
	if e.maxTokens > 0 && e.maxTokens < 8 {
		return usageErrorf("%s: -max-tokens %d: want 0 or 8..256", cmd, e.maxTokens)
	}
	if e.corpus == "" && (e.tlm > 0 || e.noGenerated) {
		return usageErrorf("%s: -tlm and -no-generated need a -corpus", cmd)
	}
	return nil
}

// trainingPairs reads the -corpus training part and records it in prov.
func (e *textOptions) trainingPairs(seed uint64, prov map[string]string) ([]data.Pair, error) {
	var note strings.Builder
	pairs, _, _, _, err := loadCorpus(runOptions{corpus: e.corpus, split: e.split, seed: seed, note: &note})
	if err != nil {
		return nil, err
	}
	prov["real_text"] = fmt.Sprintf("%d pairs: the training part of %s (-split %s, seed %d)", len(pairs), e.corpus, e.split, seed)
	prov["generated_text"] = fmt.Sprint(!e.noGenerated)
	if note.Len() > 0 {
		prov["corpus_split"] = strings.TrimSpace(note.String())
	}
	return pairs, nil
}

// encoderData is the encoder's text: the generated sentences (unless
// -no-generated) and the -corpus training pairs, recorded in prov.
func (e *textOptions) encoderData(seed uint64, prov map[string]string, log io.Writer) (pretrain.EncoderData, error) {
	if e.corpus == "" {
		return pretrain.DefaultEncoderData(seed), nil
	}
	d := pretrain.EncoderData{Dev: pretrain.DefaultEncoderDev(seed)}
	if !e.noGenerated {
		d = pretrain.DefaultEncoderData(seed)
	}
	pairs, err := e.trainingPairs(seed, prov)
	if err != nil {
		return d, fmt.Errorf("pretrain encoder: %w", err)
	}
	d.AddPairs(pairs, seed)
	fmt.Fprintf(log, "encoder text: %d English and %d Khmer sentences (%d pairs from %s; generated: %v)\n",
		len(d.English), len(d.Khmer), len(pairs), e.corpus, !e.noGenerated)
	return d, nil
}

// decoderData is the decoder's text: the generated instruction tasks, the
// generated English sentences (unless -no-generated) and the English of
// the -corpus training pairs, recorded in prov.
func (e *textOptions) decoderData(seed uint64, prov map[string]string, log io.Writer) (pretrain.DecoderData, error) {
	d := pretrain.DefaultDecoderData(seed)
	if e.corpus == "" {
		return d, nil
	}
	if e.noGenerated {
		d.English = nil
	}
	pairs, err := e.trainingPairs(seed, prov)
	if err != nil {
		return d, fmt.Errorf("pretrain decoder: %w", err)
	}
	if e.noGenerated {
		prov["generated_text"] = "false: no generated plain sentences (the generated instruction tasks are kept)"
	}
	d.AddEnglish(pairs)
	fmt.Fprintf(log, "decoder text: %d instruction tasks, %d English sentences (%d from %s; generated: %v)\n",
		len(d.Train), len(d.English), len(pairs), e.corpus, !e.noGenerated)
	return d, nil
}

// vcsRevision returns the git commit of the source tree in dir, if known:
// a checkout's (.git a folder) or a linked worktree's (.git a file naming
// its git folder, whose branches live in the common folder); "" when HEAD
// names a branch kept only in packed-refs (git itself then knows it).
func vcsRevision(dir string) string {
	gitDir := filepath.Join(dir, ".git")
	if b, err := os.ReadFile(gitDir); err == nil {
		if d, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: "); ok {
			if !filepath.IsAbs(d) {
				d = filepath.Join(dir, d)
			}
			gitDir = d
		}
	}
	b, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return ""
	}
	ref := strings.TrimSpace(string(b))
	r, ok := strings.CutPrefix(ref, "ref: ")
	if !ok {
		return ref
	}
	dirs := []string{gitDir}
	if c, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		common := strings.TrimSpace(string(c))
		if !filepath.IsAbs(common) {
			common = filepath.Join(gitDir, common)
		}
		dirs = append(dirs, common)
	}
	for _, d := range dirs {
		if h, err := os.ReadFile(filepath.Join(d, r)); err == nil {
			return strings.TrimSpace(string(h))
		}
	}
	return ""
}

// decoderSize is `llink pretrain decoder`'s model size: a new model's
// shape from the flags (0 keeps the default's), or, with -init, the shape
// of the folder it continues.
type decoderSize struct {
	layers, hidden, heads, kvHeads, ffn int
}

func (z *decoderSize) register(fs *flag.FlagSet) {
	fs.IntVar(&z.layers, "layers", 0, "decoder: transformer blocks of a new model (0: the default, 4)")
	fs.IntVar(&z.hidden, "hidden", 0, "decoder: hidden width of a new model (0: the default, 256); a multiple of -heads")
	fs.IntVar(&z.heads, "heads", 0, "decoder: attention heads of a new model (0: the default, 8)")
	fs.IntVar(&z.kvHeads, "kv-heads", 0, "decoder: key/value heads of a new model (0: the default, 4); divides -heads")
	fs.IntVar(&z.ffn, "ffn", 0, "decoder: feed-forward width of a new model (0: the default, 688)")
}

// any reports whether a size flag was given.
func (z *decoderSize) any(fs *flag.FlagSet) bool {
	return slices.ContainsFunc([]string{"layers", "hidden", "heads", "kv-heads", "ffn"}, func(n string) bool { return flagSet(fs, n) })
}

// apply sets c's shape: -init's folder's, else the flags' over the
// default's, checked.
func (z *decoderSize) apply(c *pretrain.DecoderConfig) error {
	if c.InitFrom != "" {
		m, err := llama.ReadConfig(c.InitFrom)
		if err != nil {
			return fmt.Errorf("pretrain decoder: -init: %w", err)
		}
		c.Layers, c.Hidden, c.Heads, c.KVHeads, c.FFN = m.Layers, m.Hidden, m.Heads, m.KVHeads, m.Intermediate
		return nil
	}
	for _, f := range []struct {
		name string
		v    int
		dst  *int
	}{{"layers", z.layers, &c.Layers}, {"hidden", z.hidden, &c.Hidden}, {"heads", z.heads, &c.Heads}, {"kv-heads", z.kvHeads, &c.KVHeads}, {"ffn", z.ffn, &c.FFN}} {
		if err := checkInt("pretrain decoder", f.name, f.v, 0, 1<<16); err != nil {
			return err
		}
		if f.v > 0 {
			*f.dst = f.v
		}
	}
	if c.Hidden%c.Heads != 0 || c.Heads%c.KVHeads != 0 || (c.Hidden/c.Heads)%2 != 0 {
		return usageErrorf("pretrain decoder: -hidden %d, -heads %d, -kv-heads %d: the hidden width must split into heads of an even size and the key/value heads must divide the heads", c.Hidden, c.Heads, c.KVHeads)
	}
	return nil
}
