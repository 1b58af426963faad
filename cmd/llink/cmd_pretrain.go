package main

import (
	"errors"
	"fmt"
	"github.com/llink-go/llink/train"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/llink-go/llink/data"

	"github.com/llink-go/llink/train/pretrain"
)

func init() {
	register(command{name: "pretrain", synopsis: "decoder|encoder -out DIR [flags]",
		short: "pretrain the tiny default decoder (English) or encoder (Khmer+English MLM)", run: runPretrain})
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
	initFrom := fs.String("init", "", "decoder: continue from the weights and tokenizer of this `folder` (an earlier run's -out), with a fresh schedule")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if which == "encoder" && *initFrom != "" {
		return usageErrorf("pretrain encoder: -init is for the decoder")
	}
	if which == "" {
		return usageErrorf("pretrain: want `llink pretrain decoder|encoder -out DIR`")
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
		c.Seed = *seed
		if *steps > 0 {
			c.Steps = *steps
		}
		if *lr > 0 {
			c.LR = float32(*lr)
		}
		_, err = pretrain.Encoder(*out, pretrain.DefaultEncoderData(c.Seed), c, opts)
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
