package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/llink-go/llink/internal/progress"
	"github.com/llink-go/llink/internal/rundir"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/train"
)

// The per-stage commands run `llink run`'s steps one per process, passing
// files through a shared run folder (-out): stage-a writes projector.
// safetensors, stage-b reads it and writes the LLINK bundle, baseline
// writes the direct fine-tuning LoRA, eval reads them and writes the
// results and plots. Each takes run's model, data and step flags, which
// must be the same for every stage of a folder (the vector caches and the
// saved parts are checked against the models).
const (
	projectorName = "projector.safetensors"
	baselineName  = "direct-ft-lora.safetensors"
)

func init() {
	for _, c := range []command{
		{name: "stage-a", synopsis: "-out FOLDER [model, data and step flags of run]", short: "train the Stage A projector on the vector caches; writes FOLDER/" + projectorName, run: stageCommand("stage-a")},
		{name: "stage-b", synopsis: "-out FOLDER [flags]", short: "train Stage B (slots, adapter, LoRA) from FOLDER/" + projectorName + "; writes FOLDER/" + bundleName, run: stageCommand("stage-b")},
		{name: "baseline", synopsis: "-out FOLDER [flags]", short: "train the direct fine-tuning baseline (LoRA on raw-Khmer prompts); writes FOLDER/" + baselineName, run: stageCommand("baseline")},
		{name: "eval", synopsis: "-out FOLDER [flags]", short: "evaluate FOLDER's bundle (and baseline, if trained) against base and Stage A only; writes results and plots", run: stageCommand("eval")},
	} {
		register(c)
	}
}

func stageCommand(stage string) func(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	return func(args []string, _ io.Reader, stdout, stderr io.Writer) error {
		fs := newFlagSet(stage, stderr)
		cf := addCommonFlags(fs)
		var o runOptions
		o.registerData(fs)
		o.registerMethod(fs)
		fs.StringVar(&o.out, "out", "", "the run `folder` the stages share (created by the first)")
		fs.IntVar(&o.stageASteps, "stage-a-steps", 3000, "Stage A steps")
		fs.IntVar(&o.stageBSteps, "stage-b-steps", 150, "Stage B (and direct fine-tuning) steps")
		fs.BoolVar(&o.paperLR, "paper-lr", false, "Stage B learning rates exactly as the paper (see run -h)")
		fs.BoolVar(&o.resume, "resume", false, "continue this stage from its checkpoint in -out")
		if err := fs.Parse(args); err != nil {
			return err
		}
		switch {
		case fs.NArg() > 0:
			return usageErrorf("%s: unexpected argument %q", stage, fs.Arg(0))
		case o.out == "":
			return usageErrorf("%s: -out FOLDER is required (the folder the stages share)", stage)
		case o.k < 1 || o.k > 64:
			return usageErrorf("%s: -k %d: want 1..64 slots", stage, o.k)
		}
		stop, err := cf.start()
		if err != nil {
			return err
		}
		defer stop()
		start := time.Now()
		var dir *rundir.Dir
		if stage == "stage-a" && !o.resume {
			if _, err := os.Stat(o.out); err == nil {
				dir, err = rundir.Open(o.out)
				if err != nil {
					return err
				}
			} else {
				root, name := filepath.Split(filepath.Clean(o.out))
				if dir, err = rundir.Create(root, name); err != nil {
					return err
				}
			}
		} else if dir, err = rundir.Open(o.out); err != nil {
			return fmt.Errorf("%s: %w (run stage-a -out %s first)", stage, err, o.out)
		}
		defer dir.Close()
		m, err := loadModels(o.decoder, o.encoder, o.k)
		if err != nil {
			return err
		}
		d, err := loadData(o)
		if err != nil {
			return err
		}
		c := pipelineConfig(o, m, dir)
		popt := cf.progressOptions()
		c.StepHook = func(name string, steps int) func(train.StepLog) {
			return rundir.Tee(dir.Steps(name, stderr), progress.New(stderr, name, steps, popt).Steps())
		}
		c.CacheProgress = func(name string) func(done, total int) {
			return progress.Counter(stderr, "vectors "+name, popt)
		}
		c.EvalProgress = func(method string) func(done, total int) {
			return progress.Counter(stderr, "eval "+method, popt)
		}
		log := io.Writer(stdout)
		if cf.Quiet || cf.JSON {
			log = io.Discard
		}
		s, err := train.NewStages(m, d, c, log)
		if err != nil {
			return err
		}
		var wrote string
		switch stage {
		case "stage-a":
			proj, err := s.StageA()
			if err != nil {
				return err
			}
			wrote = dir.File(projectorName)
			if err := llink.SaveProjector(wrote, proj, c.Slots, m.DecoderID, m.EncoderID); err != nil {
				return err
			}
			fmt.Fprintf(log, "stage A: best dev R@1 %.3f, MRR %.3f (step %d)\n", s.Results().StageA.Best.R1, s.Results().StageA.Best.MRR, s.Results().StageA.BestStep)
		case "stage-b":
			proj, pc, err := llink.LoadProjector(dir.File(projectorName), m.Identity())
			if err != nil {
				return err
			}
			if pc.ProjHidden != c.Slots.ProjHidden {
				return fmt.Errorf("stage-b: %s has projector width %d; these flags give %d", dir.File(projectorName), pc.ProjHidden, c.Slots.ProjHidden)
			}
			b, err := s.StageB(proj)
			if err != nil {
				return err
			}
			wrote = dir.File(bundleName)
			if err := llink.SaveBundle(wrote, b, nil); err != nil {
				return err
			}
		case "baseline":
			_, lora, err := s.DirectFT(llink.Form{Content: llink.Raw})
			if err != nil {
				return err
			}
			wrote = dir.File(baselineName)
			if err := llink.SaveLoRA(wrote, lora, c.LoRA, m.DecoderID); err != nil {
				return err
			}
		case "eval":
			if _, err := os.Stat(dir.File(bundleName)); err != nil {
				return fmt.Errorf("eval: %w (run stage-b -out %s first)", err, o.out)
			}
			b, err := llink.LoadBundle(dir.File(bundleName), m.Dec.Model, m.Enc.Dim(), m.DecoderID, m.EncoderID)
			if err != nil {
				return fmt.Errorf("eval: %w", err)
			}
			if b.Config.K != o.k {
				return fmt.Errorf("eval: %s has K=%d slots; -k is %d", dir.File(bundleName), b.Config.K, o.k)
			}
			var ft llama.Adapters
			if _, err := os.Stat(dir.File(baselineName)); err == nil {
				if ft, err = llink.LoadLoRA(dir.File(baselineName), m.Dec.Model, m.DecoderID); err != nil {
					return err
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				return err
			}
			res, err := s.Evaluate(b, ft)
			if err != nil {
				return err
			}
			if err := dir.WriteResults(res); err != nil {
				return err
			}
			writePlots(dir, res, stderr)
			wrote = dir.File("results.md")
			if !cf.JSON {
				fmt.Fprintln(stdout)
				res.WriteMarkdown(stdout)
			}
		}
		if cf.JSON {
			js, err := jsonIndent(map[string]any{"stage": stage, "wrote": wrote, "timing_seconds": s.Results().Timing})
			if err != nil {
				return err
			}
			_, err = stdout.Write(append(js, '\n'))
			return err
		}
		fmt.Fprintf(stdout, "%s: wrote %s (%.0fs)\n", stage, wrote, time.Since(start).Seconds())
		return nil
	}
}
