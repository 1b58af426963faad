// Command encoder pretrains a stand-in encoder like the embedded tiny one
// (models/tiny, `llink pretrain encoder`: same size, same masked language
// modelling, its own Unigram tokenizer) on more and real text: the generated
// monolingual sentences the default saw, plus the English and the Khmer of
// the harvested corpus's training packages — the training part of the
// package split `llink run -split package` and bench/stagea use with the
// same seed, never a dev or test package (and the harvest never holds the
// reserved ones). It writes a Hugging Face XLM-R folder, for
// `go run ./bench/stagea -encoder DIR`; it does not replace models/tiny.
//
// With -tlm, that share of every batch's rows is translation language
// modelling (XLM's TLM) on the training packages' pairs: English and Khmer
// packed into one row and masked jointly, which ties the two languages
// together the way parallel text does for XLM.
//
// With -init, it continues an earlier run's encoder (its weights and
// tokenizer) with a fresh warm-up and decay of -steps steps: a warm
// restart, so that a longer schedule can be taken in measured segments.
//
//	go run ./bench/stagea/encoder -corpus en-km-debian.jsonl -out DIR [-steps 3000] [-tlm 0.5] [-max-tokens 128] [-group 8] [-init DIR] [-lr 1e-3]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/train/pretrain"
)

func main() {
	corpus := flag.String("corpus", "", "harvested corpus (JSONL with sources)")
	out := flag.String("out", "", "output Hugging Face `folder`")
	steps := flag.Int("steps", 0, "MLM steps (0: the default encoder's)")
	seed := flag.Uint64("seed", 1, "seed of the package split and of the pretraining")
	noGenerated := flag.Bool("no-generated", false, "leave out the generated sentences")
	resume := flag.Bool("resume", false, "continue the interrupted run in -out")
	tlm := flag.Float64("tlm", 0, "share of each batch's rows that are TLM rows (training-package pairs masked jointly); 0: MLM only")
	maxTokens := flag.Int("max-tokens", 0, "clip every training row to this many tokens (each half of a TLM row to half); 0: 256")
	group := flag.Int("group", 0, "pad rows in groups of this many of similar length (0: the whole batch as one)")
	initFrom := flag.String("init", "", "continue from the weights and tokenizer of this `folder` (an earlier run's -out), with a fresh schedule")
	lr := flag.Float64("lr", 0, "peak learning rate (0: the default encoder's)")
	flag.Parse()
	c := pretrain.DefaultEncoder()
	c.Seed, c.TLM, c.MaxTokens, c.Group, c.InitFrom = *seed, *tlm, *maxTokens, *group, *initFrom
	if *steps > 0 {
		c.Steps = *steps
	}
	if *lr > 0 {
		c.LR = float32(*lr)
	}
	if err := run(*corpus, *out, c, *noGenerated, *resume); err != nil {
		fmt.Fprintln(os.Stderr, "encoder:", err)
		os.Exit(1)
	}
}

func run(corpus, out string, c pretrain.EncoderConfig, noGenerated, resume bool) error {
	seed := c.Seed
	if corpus == "" || out == "" {
		return fmt.Errorf("give -corpus FILE and -out DIR")
	}
	pairs, _, err := data.ReadFile(corpus, data.ReadOptions{})
	if err != nil {
		return err
	}
	s, err := data.SplitByPackage(pairs, data.DefaultPackageSplit(seed))
	if err != nil {
		return err
	}
	d := pretrain.DefaultEncoderData(c.Seed)
	if noGenerated {
		d.English, d.Khmer = nil, nil
	}
	d.AddPairs(s.Train, seed)
	fmt.Printf("encoder text: %d English and %d Khmer sentences (%d from %d training packages: %s; generated: %v)\n",
		len(d.English), len(d.Khmer), len(s.Train), len(s.TrainPackages), strings.Join(s.TrainPackages, ", "), !noGenerated)
	prov := map[string]string{
		"command":           "go run ./bench/stagea/encoder " + strings.Join(os.Args[1:], " "),
		"seed":              fmt.Sprint(seed),
		"real_text":         fmt.Sprintf("%d pairs of the training packages of the package split (seed %d) of %s", len(s.Train), seed, corpus),
		"train_packages":    strings.Join(s.TrainPackages, ","),
		"generated_text":    fmt.Sprint(!noGenerated),
		"commit":            buildCommit(),
		"tlm":               fmt.Sprintf("%g of each batch's rows: the training packages' pairs, packed and masked jointly", c.TLM),
		"held_out_packages": strings.Join(append(append([]string(nil), s.DevPackages...), s.TestPackages...), ","),
	}
	res, err := pretrain.Encoder(out, d, c, pretrain.Options{Log: os.Stdout, Provenance: prov, BF16: true, Resume: resume})
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d steps, final MLM loss %.3f (%s)\n", out, res.Steps, res.Loss, res.Elapsed.Round(1e9))
	return nil
}

// buildCommit is the commit the command was built from (go build's VCS
// stamp, "+modified" when the tree had changes), else git's HEAD in the
// working folder (`go run` from the repository, or a build with
// -buildvcs=false), else "unknown".
func buildCommit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, mod := "", ""
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision":
				rev = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				mod = "+modified"
			}
		}
		if rev != "" {
			return rev + mod
		}
	}
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return "unknown"
}
