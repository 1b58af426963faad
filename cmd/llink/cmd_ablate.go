package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/llink-go/llink/internal/progress"
	"github.com/llink-go/llink/internal/rundir"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/train"
)

func init() {
	register(command{name: "ablate", synopsis: "[-k-values 2,4,8,16] [-bow-weight W] [model, data and step flags of run]",
		short: "LLINK ablations: K slots, usage loss off, bag-of-words head on, copy channel off — one results table (longer than the default run)",
		run:   runAblate})
}

// ablation is one LLINK variant.
type ablation struct {
	name   string
	k      int
	noUse  bool
	noCopy bool
	bowW   float32
	result *train.MethodResult
}

// ablations lists the variants: each K with the paper's losses, then K=8
// (or the first K) without the usage loss, with the bag-of-words head and
// without the copy channel.
func ablations(ks []int, bow float32) []ablation {
	var out []ablation
	ref := ks[0]
	for _, k := range ks {
		out = append(out, ablation{name: fmt.Sprintf("LLINK K=%d", k), k: k})
		if k == 8 {
			ref = 8
		}
	}
	return append(out,
		ablation{name: fmt.Sprintf("LLINK K=%d, usage loss off", ref), k: ref, noUse: true},
		ablation{name: fmt.Sprintf("LLINK K=%d, bag-of-words head %.2g", ref, bow), k: ref, bowW: bow},
		ablation{name: fmt.Sprintf("LLINK K=%d, copy channel off", ref), k: ref, noCopy: true})
}

func parseKs(s string) ([]int, error) {
	var ks []int
	for _, f := range strings.Split(s, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || llink.CheckK(k) != nil {
			return nil, usageErrorf("ablate: -k-values %q: want a comma-separated list of K in 1..%d", s, llink.MaxK)
		}
		ks = append(ks, k)
	}
	return ks, nil
}

func runAblate(args []string, _ io.Reader, stdout, stderr io.Writer) (err error) {
	fs := newFlagSet("ablate", stderr)
	cf := addCommonFlags(fs)
	var o runOptions
	o.registerData(fs)
	o.registerMethod(fs)
	o.registerTraining(fs, 300)
	fs.StringVar(&o.out, "out", "", "ablation `folder` (default runs/ablate-<date-time>); with -resume, the one to continue")
	kv := fs.String("k-values", "2,4,8,16", "the K values to compare")
	bow := fs.Float64("bow-weight", 0.1, "weight of the bag-of-words head in its variant (paper: 0.1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := firstError(o.check("ablate", fs), checkFloat("ablate", "bow-weight", *bow, 0, 1e6)); err != nil {
		return err
	}
	ks, err := parseKs(*kv)
	if err != nil {
		return err
	}
	if *bow <= 0 {
		return usageErrorf("ablate: -bow-weight %g: want > 0", *bow)
	}
	stop, err := cf.start()
	if err != nil {
		return err
	}
	defer stop()
	start := time.Now()
	dir, err := o.openRun("ablate-")
	if err != nil {
		return err
	}
	defer func() { closeRun(dir, err) }()
	log := logWriter(cf, stdout)
	variants := ablations(ks, float32(*bow))
	all := &train.Results{Timing: map[string]float64{}}
	popt := cf.progressOptions()
	halt, unlisten := haltOnSignal(stderr)
	defer unlisten()
	for i, v := range variants {
		o.k = v.k
		m, err := loadModels(o.decoder, o.encoder, v.k)
		if err != nil {
			return err
		}
		d, err := loadData(o)
		if err != nil {
			return err
		}
		c := pipelineConfig(o, m, dir)
		c.SkipBaselines, c.SkipLayers, c.BundlePath = true, true, ""
		// Stage A does not depend on the variant: the first one trains it,
		// the others resume its finished checkpoint.
		c.StageA.Checkpoint.Resume = true
		c.StageA.Checkpoint.Stop, c.StageB.Checkpoint.Stop = halt, halt
		c.StageB.Checkpoint.Path = dir.Checkpoint(fmt.Sprintf("stage-b-%d.safetensors", i))
		if v.noUse {
			c.StageB.Weights.Usage = 0
		}
		if v.noCopy {
			c.Slots.CopyChannel = false
		}
		c.StageB.Weights.BagOfWords = v.bowW
		c.StepHook = func(stage string, steps int) func(train.StepLog) {
			return rundir.Tee(dir.Steps(v.name+": "+stage, stderr), progress.New(stderr, v.name+": "+stage, steps, popt).Steps())
		}
		fmt.Fprintf(log, "ablation %d/%d: %s\n", i+1, len(variants), v.name)
		res, err := train.RunPipeline(m, d, c, io.Discard)
		if errors.Is(err, train.ErrInterrupted) {
			return fmt.Errorf("%w\nresume with: llink ablate -resume -out %s (and the same flags)", err, dir.Path)
		}
		if err != nil {
			return fmt.Errorf("ablation %s: %w", v.name, err)
		}
		for _, r := range res.Methods {
			switch {
			case r.Method == "Stage A only" && i == 0:
				all.Methods = append(all.Methods, r)
				all.StageA, all.Config = res.StageA, res.Config
			case r.Method == "LLINK":
				r.Method = v.name
				all.Methods = append(all.Methods, r)
			}
		}
		for k, t := range res.Timing {
			all.Timing[v.name+": "+k] = t
		}
		if err := dir.WriteResults(all); err != nil { // after every variant: nothing is lost
			return err
		}
	}
	writePlots(dir, all, stderr)
	if cf.JSON {
		return writeJSON(stdout, all)
	}
	fmt.Fprintln(stdout)
	all.WriteMarkdown(stdout)
	fmt.Fprintf(stdout, "\nablation results: %s (%.0fs)\n", dir.File("results.md"), time.Since(start).Seconds())
	return nil
}
