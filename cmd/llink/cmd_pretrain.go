package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/llink-go/llink/train"
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
	out := fs.String("out", "", "output Hugging Face `folder`")
	dc, ec := train.DefaultDecoderPretrain(), train.DefaultEncoderPretrain()
	steps := fs.Int("steps", 0, "training steps (0: the default for the model)")
	seed := fs.Uint64("seed", 1, "seed")
	initFrom := fs.String("init", "", "decoder only: continue training from this `folder` (written by an earlier run)")
	answerW := fs.Float64("answer-weight", 1, "decoder only: extra weight of the answer tokens' loss")
	lr := fs.Float64("lr", 0, "learning rate (0: the default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if which == "" {
		return usageErrorf("pretrain: want `llink pretrain decoder|encoder -out DIR`")
	}
	if *out == "" {
		return usageErrorf("pretrain %s: -out is required", which)
	}
	stop, err := cf.start()
	if err != nil {
		return err
	}
	defer stop()
	prov := map[string]string{"command": "llink pretrain " + which + " " + strings.Join(args, " "), "seed": fmt.Sprint(*seed)}
	if rev := vcsRevision(); rev != "" {
		prov["commit"] = rev
	}
	log := io.Writer(stdout)
	if cf.Quiet {
		log = io.Discard
	}
	if which == "decoder" {
		dc.Seed, dc.InitFrom, dc.AnswerWeight = *seed, *initFrom, float32(*answerW)
		if *steps > 0 {
			dc.Steps = *steps
		}
		if *lr > 0 {
			dc.LR = float32(*lr)
		}
		_, err = train.PretrainDecoder(*out, dc, prov, log)
	} else {
		ec.Seed = *seed
		if *steps > 0 {
			ec.Steps = *steps
		}
		_, err = train.PretrainEncoder(*out, ec, prov, log)
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
