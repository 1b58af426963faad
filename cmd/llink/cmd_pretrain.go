package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/llink-go/llink/data"
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
	initFrom := fs.String("init", "", "continue from the weights and tokenizer of this `folder` (an earlier run's -out), with a fresh schedule")
	var eo encoderOptions
	eo.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if which == "" {
		return usageErrorf("pretrain: want `llink pretrain decoder|encoder -out DIR`")
	}
	if err := eo.check(fs, which); err != nil {
		return err
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
	); err != nil {
		return err
	}
	stop, err := cf.start()
	if err != nil {
		return err
	}
	defer stop()
	prov := map[string]string{"command": strings.TrimSpace("llink pretrain " + which + " " + strings.Join(args, " ")), "seed": fmt.Sprint(*seed)}
	if rev := vcsRevision(); rev != "" {
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
		c.Seed, c.InitFrom = *seed, *initFrom
		if *boost != "" {
			c.Boost = map[string]int{}
			for _, kv := range strings.Split(*boost, ",") {
				k, v, ok := strings.Cut(kv, "=")
				n, err := strconv.Atoi(v)
				if !ok || err != nil || n < 1 || !slices.Contains(data.TaskKinds, k) {
					return usageErrorf("pretrain decoder: -boost %q: want KIND=N,... with kinds %v", *boost, data.TaskKinds)
				}
				c.Boost[k] = n
			}
		}
		if *steps > 0 {
			c.Steps = *steps
		}
		if *lr > 0 {
			c.LR = float32(*lr)
		}
		_, err = pretrain.Decoder(*out, pretrain.DefaultDecoderData(c.Seed), c, opts)
	} else {
		c := pretrain.DefaultEncoder()
		c.Seed, c.InitFrom, c.TLM, c.MaxTokens, c.Group, c.MaxPiece = *seed, *initFrom, eo.tlm, eo.maxTokens, eo.group, eo.maxPiece
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
		if d, err = eo.data(c.Seed, prov, log); err != nil {
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

// encoderOptions are `llink pretrain encoder`'s flags for real text:
// a parallel corpus whose training part joins the encoder's text and feeds
// its translation language modelling.
type encoderOptions struct {
	corpus, split    string
	tlm              float64
	maxTokens, group int
	maxPiece         int
	noGenerated      bool
}

func (e *encoderOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&e.corpus, "corpus", "", "encoder: parallel corpus `file` (TSV or JSONL) whose training part — what `llink run` trains on with the same -split and -seed, never its dev, test or pool pairs — adds its English and Khmer to the encoder's text")
	fs.StringVar(&e.split, "split", splitRandom, "encoder: how the -corpus is split, as in `llink run`: random or package (whole source packages held out)")
	fs.Float64Var(&e.tlm, "tlm", 0, "encoder: share of each batch's rows that are translation language modelling rows (XLM's TLM: a -corpus training pair packed into one row and masked over both languages); 0: masked LM only")
	fs.IntVar(&e.maxTokens, "max-tokens", 0, "encoder: clip every training row to `N` tokens (each half of a TLM row to N/2); 0: the model's 256 positions")
	fs.IntVar(&e.maxPiece, "max-piece", 0, "encoder: longest tokenizer piece in `characters` (0: 16, as SentencePiece; smaller keeps a piece near one word)")
	fs.IntVar(&e.group, "group", 0, "encoder: pad a batch's rows in groups of `N` of similar length (less padding work); 0: the whole batch as one")
	fs.BoolVar(&e.noGenerated, "no-generated", false, "encoder: leave out the generated sentences (the -corpus text only)")
}

// check refuses the encoder's flags for the decoder and values out of
// range.
func (e *encoderOptions) check(fs *flag.FlagSet, which string) error {
	if which != "encoder" {
		var bad []string
		fs.Visit(func(f *flag.Flag) {
			if slices.Contains([]string{"corpus", "split", "tlm", "max-tokens", "group", "no-generated", "max-piece"}, f.Name) {
				bad = append(bad, "-"+f.Name)
			}
		})
		if len(bad) > 0 {
			return usageErrorf("pretrain %s: %s: for the encoder only", which, strings.Join(bad, ", "))
		}
		return nil
	}
	if err := firstError(
		checkFloat("pretrain encoder", "tlm", e.tlm, 0, 0.99),
		checkInt("pretrain encoder", "max-tokens", e.maxTokens, 0, 256),
		checkInt("pretrain encoder", "group", e.group, 0, maxCount),
		checkInt("pretrain encoder", "max-piece", e.maxPiece, 0, 64),
	); err != nil {
		return err
	}
	if e.split != splitRandom && e.split != splitPackage {
		return usageErrorf("pretrain encoder: -split %q: want %s or %s", e.split, splitRandom, splitPackage)
	}
	if e.maxTokens > 0 && e.maxTokens < 8 {
		return usageErrorf("pretrain encoder: -max-tokens %d: want 0 or 8..256", e.maxTokens)
	}
	if e.corpus == "" && (e.tlm > 0 || e.noGenerated) {
		return usageErrorf("pretrain encoder: -tlm and -no-generated need a -corpus")
	}
	return nil
}

// data is the encoder's text: the generated sentences (unless
// -no-generated) and the -corpus training pairs, recorded in prov.
func (e *encoderOptions) data(seed uint64, prov map[string]string, log io.Writer) (pretrain.EncoderData, error) {
	if e.corpus == "" {
		return pretrain.DefaultEncoderData(seed), nil
	}
	d := pretrain.EncoderData{Dev: pretrain.DefaultEncoderDev(seed)}
	if !e.noGenerated {
		d = pretrain.DefaultEncoderData(seed)
	}
	var note strings.Builder
	pairs, _, _, _, err := loadCorpus(runOptions{corpus: e.corpus, split: e.split, seed: seed, note: &note})
	if err != nil {
		return d, fmt.Errorf("pretrain encoder: %w", err)
	}
	d.AddPairs(pairs, seed)
	prov["real_text"] = fmt.Sprintf("%d pairs: the training part of %s (-split %s, seed %d)", len(pairs), e.corpus, e.split, seed)
	prov["generated_text"] = fmt.Sprint(!e.noGenerated)
	if note.Len() > 0 {
		prov["corpus_split"] = strings.TrimSpace(note.String())
	}
	fmt.Fprintf(log, "encoder text: %d English and %d Khmer sentences (%d pairs from %s; generated: %v)\n",
		len(d.English), len(d.Khmer), len(pairs), e.corpus, !e.noGenerated)
	return d, nil
}

// vcsRevision returns the git commit of the source tree, if known.
func vcsRevision() string {
	b, err := os.ReadFile(".git/HEAD")
	if err != nil {
		return ""
	}
	ref := strings.TrimSpace(string(b))
	if r, ok := strings.CutPrefix(ref, "ref: "); ok {
		if h, err := os.ReadFile(".git/" + r); err == nil {
			return strings.TrimSpace(string(h))
		}
	}
	return ref
}
