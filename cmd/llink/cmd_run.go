package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/internal/plot"
	"github.com/llink-go/llink/internal/rundir"
	"github.com/llink-go/llink/train"
)

func init() {
	register(command{name: "run", short: "the whole LLINK pipeline (Stage A, Stage B, baselines, evaluation)", run: runPipeline})
}

// defaultJob is what `go run ./cmd/llink` does: the LLINK pipeline on the
// embedded default models and the generated corpus.
func defaultJob(stdin io.Reader, stdout, stderr io.Writer) error {
	return runPipeline(nil, stdin, stdout, stderr)
}

// bundleName is the LLINK bundle's file name in a run folder.
const bundleName = "llink-bundle.safetensors"

func runPipeline(args []string, _ io.Reader, stdout, stderr io.Writer) (err error) {
	fs := newFlagSet("run", stderr)
	cf := addCommonFlags(fs)
	var o runOptions
	o.registerData(fs)
	o.registerMethod(fs)
	o.registerTraining(fs, 150)
	fs.StringVar(&o.out, "out", "", "run `folder` (default runs/<date-time>); with -resume, the run to continue")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := o.check("run", fs); err != nil {
		return err
	}
	stop, err := cf.start()
	if err != nil {
		return err
	}
	defer stop()
	start := time.Now()
	m, err := loadModels(o.decoder, o.encoder, o.k)
	if err != nil {
		return err
	}
	o.note = stderr
	d, err := loadData(o)
	if err != nil {
		return err
	}
	dir, err := o.openRun("")
	if err != nil {
		return err
	}
	defer func() { closeRun(dir, err) }()
	c := pipelineConfig(o, m, dir)
	addHooks(&c, dir, cf, stderr, c.Lanes())
	defer stopOnSignal(&c, stderr)()
	if err := dir.WriteConfig(c); err != nil {
		return err
	}
	log := logWriter(cf, stdout)
	fmt.Fprintf(log, "LLINK: decoder %s, encoder %s, K=%d; %d/%d/%d pairs, %d train / %d test tasks; run folder %s\n",
		m.DecoderID, m.EncoderID, o.k, len(d.TrainPairs), len(d.DevPairs), len(d.Pool), len(d.TrainTasks), len(d.TestTasks), dir.Path)
	if o.tasks != "" {
		fmt.Fprintln(stderr, tasksSplitNote(o.tasks))
	}
	res, err := train.RunPipeline(m, d, c, log)
	if errors.Is(err, train.ErrInterrupted) {
		return fmt.Errorf("%w\nresume with: llink run -resume -out %s (and the same flags)", err, dir.Path)
	}
	if err != nil {
		return err
	}
	if err := dir.WriteResults(res); err != nil {
		return err
	}
	writePlots(dir, res, stderr)
	if cf.JSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintln(stdout)
	res.WriteMarkdown(stdout)
	fmt.Fprintf(stdout, "\nresults: %s, plots in %s (%.0fs)\n", dir.File("results.md"), dir.Plot(""), time.Since(start).Seconds())
	fmt.Fprintf(stdout, "one seed, %d test questions: a demonstration; all eight rows with 95%% intervals over 3 seeds: llink fair -seeds 3 (docs/EVALUATION.md)\n", len(d.TestTasks))
	fmt.Fprintf(stdout, "ask the trained model: llink ask -bundle %s%s \"Translate the passage into English.\" < khmer.txt\n",
		dir.File(bundleName), modelFlags(o.decoder, o.encoder))
	return nil
}

// stopOnSignal makes SIGINT/SIGTERM finish the current training step,
// write a checkpoint and return train.ErrInterrupted; the returned
// function stops listening.
func stopOnSignal(c *train.PipelineConfig, stderr io.Writer) (stop func()) {
	halt, stop := haltOnSignal(stderr)
	c.StageA.Checkpoint.Stop, c.StageB.Checkpoint.Stop = halt, halt
	return stop
}

// haltOnSignal returns a channel closed at the first SIGINT or SIGTERM
// (after saying so on stderr), for a training loop's Stop, and the function
// that stops listening. Every long-running command uses it, so Ctrl-C or a
// cluster's SIGTERM ends with a checkpoint and a resume hint, never mid-write.
func haltOnSignal(stderr io.Writer) (<-chan struct{}, func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	halt := make(chan struct{})
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			signal.Stop(sig) // a second Ctrl-C quits at once
			fmt.Fprintln(stderr, "\nllink: interrupt: stopping after the current step (which writes its checkpoint), vector batch or chunk of answers… (again to quit at once)")
			close(halt)
		case <-done:
		}
	}()
	return halt, func() {
		signal.Stop(sig)
		close(done)
	}
}

// writePlots draws the loss curves and the retrieval rank histogram; a
// failure to plot is reported but does not fail the run.
func writePlots(dir *rundir.Dir, res *train.Results, stderr io.Writer) {
	if _, err := plot.RunLossCurves(dir); err != nil {
		fmt.Fprintln(stderr, "llink: plotting loss curves:", err)
	}
	var rs []plot.Ranks
	for _, m := range res.Methods {
		if m.KmToEn != nil {
			rs = append(rs, plot.Ranks{Method: m.Method, Ranks: m.KmToEn.Ranks})
		}
	}
	if err := plot.RankHistogram(rs, dir.Plot("ranks.svg")); err != nil {
		fmt.Fprintln(stderr, "llink: plotting ranks:", err)
	}
	if len(res.Layers) > 0 {
		if err := plot.LayerAnalysis(res.Layers, dir.Plot("layers.svg")); err != nil {
			fmt.Fprintln(stderr, "llink: plotting the layer analysis:", err)
		}
	}
	for _, m := range res.Methods {
		b := int(math.Sqrt(float64(len(m.Similarity))))
		if b == 0 || b*b != len(m.Similarity) {
			continue
		}
		name := "similarity-" + train.Slug(m.Method) + ".svg"
		title := fmt.Sprintf("%s: cosine, Khmer pool queries × English teachers (first %d)", m.Method, b)
		if err := plot.SimilarityHeatmap(m.Similarity, b, 0, title, dir.Plot(name)); err != nil {
			fmt.Fprintln(stderr, "llink: plotting similarities:", err)
		}
	}
}

// pipelineConfig is the run's tuned settings (train.DefaultPipeline) for
// the flags, with the run folder's checkpoint and bundle paths.
func pipelineConfig(o runOptions, m *train.Models, dir *rundir.Dir) train.PipelineConfig {
	c := train.DefaultPipeline(llinkConfig(m, o), train.RunSettings{StageASteps: o.stageASteps, StageBSteps: o.stageBSteps,
		TrainPairs: o.trainPairs, Seed: o.seed, PaperLR: o.paperLR})
	c.CacheDir, c.EvalOnDev = o.cache, o.evalDev
	c.StageA.LearnTau = o.learnTau
	c.StageB.MicroBatch, c.StageB.Memory = o.microBatch, o.memory
	c.StageA.Checkpoint = train.Checkpointing{Path: dir.Checkpoint("stage-a.safetensors"), Every: 100, Resume: o.resume}
	c.StageB.Checkpoint = train.Checkpointing{Path: dir.Checkpoint("stage-b.safetensors"), Every: 20, Resume: o.resume}
	c.BundlePath = dir.File(bundleName)
	return c
}

// tasksSplitNote says what a user's task file's test split can and cannot
// measure: its tasks carry no entity annotations, so no split of them is
// entity-disjoint (docs/EVALUATION.md).
func tasksSplitNote(path string) string {
	return fmt.Sprintf("llink: note: %s carries no entity annotations, so its test split (the first tenth of its tasks) is not entity-disjoint from training: "+
		"its scores measure new sentences, not new names, numbers or places (the generated corpus holds those out; docs/EVALUATION.md)", path)
}

// The -split values.
const (
	splitRandom  = "random"
	splitPackage = "package"
)

// loadData builds the pipeline's data from the generated corpus or the
// user's files.
func loadData(o runOptions) (train.Data, error) {
	var d train.Data
	var pairs, dev []data.Pair
	var trainTasks, testTasks []data.Task
	if o.corpus == "" {
		if o.split == splitPackage {
			return d, usageErrorf("run: -split package splits a -corpus (the generated corpus has its own splits)")
		}
		cfg := data.DefaultConfig()
		cfg.Seed = o.seed
		c, err := data.Build(cfg)
		if err != nil {
			return d, err
		}
		pairs, dev = c.Train, c.Dev
		d.Pool = c.Pool
		tr, dv, te := c.Tasks(o.seed)
		trainTasks, testTasks = tr, te
		if o.evalDev {
			// Stage A selects its checkpoint on dev[:200]; the rest of
			// the dev pairs are the retrieval pool.
			d.Pool = c.Dev[min(200, len(c.Dev)):]
			testTasks = dv
		}
	} else {
		var err error
		pairs, dev, d.Pool, testTasks, err = loadCorpus(o)
		if err != nil {
			return d, err
		}
		trainTasks = data.RealTasks(pairs, o.seed)
	}
	if o.tasks != "" {
		f, err := os.Open(o.tasks)
		if err != nil {
			return d, err
		}
		ts, _, err := data.ReadTasksJSONL(f, o.tasks, data.ReadOptions{})
		f.Close()
		if err != nil {
			return d, err
		}
		n := len(ts) / 10
		testTasks, trainTasks = ts[:n], ts[n:]
	}
	if len(trainTasks) == 0 || len(testTasks) == 0 {
		return d, errors.New("run: no instruction tasks: give --tasks with a user corpus")
	}
	d.TrainPairs = pairs[:min(o.trainPairs, len(pairs))]
	d.DevPairs = dev[:min(200, len(dev))]
	d.TrainTasks = train.SampleTasks(trainTasks, o.trainTasks, o.seed)
	d.TestTasks = train.SampleTasks(testTasks, o.testTasks, o.seed+1)
	return d, nil
}

// loadCorpus splits the user's corpus -corpus as -split says into Stage A's
// training and dev pairs, the 1,024-pair retrieval pool and the held-out
// tasks made from real sentences (data.RealTasks). With a package split the
// pool and the tasks come from the test packages (with -eval-dev, from the
// dev packages after the 200 pairs Stage A selects on), the tasks from
// pairs outside the pool; with a random split the tasks are the pool's.
func loadCorpus(o runOptions) (pairs, dev, pool []data.Pair, tasks []data.Task, err error) {
	all, _, err := data.ReadFile(o.corpus, data.ReadOptions{})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if o.split != splitPackage {
		if o.evalDev {
			return nil, nil, nil, nil, errors.New("run: -eval-dev needs the generated corpus or -split package")
		}
		if len(all) < 2200 {
			return nil, nil, nil, nil, fmt.Errorf("run: %s has %d pairs; need at least 2,200 (1,024 pool + dev + train)", o.corpus, len(all))
		}
		r := rand.New(rand.NewPCG(o.seed, 7))
		r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		pool, dev, pairs = all[:1024], all[1024:1124], all[1124:]
		return pairs, dev, pool, data.RealTasks(pool, o.seed+1), nil
	}
	s, err := data.SplitByPackage(all, data.DefaultPackageSplit(o.seed))
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("run: %s: %w", o.corpus, err)
	}
	dev, pool, rest, err := s.HeldOut(o.evalDev, 200, 1024, o.seed)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("run: %s: %w", o.corpus, err)
	}
	s.ShuffleTrain(o.seed)
	name := "test"
	if o.evalDev {
		name = "dev"
	}
	if o.note != nil {
		fmt.Fprintf(o.note, "package split (seed %d): train %d pairs from %d packages; dev %d pairs from %s; test %d pairs from %s; "+
			"%d held-out pairs left out (their Khmer text occurs in training); pool: 1,024 %s pairs, held-out tasks from the other %d\n",
			o.seed, len(s.Train), len(s.TrainPackages), len(s.Dev), strings.Join(s.DevPackages, ", "), len(s.Test),
			strings.Join(s.TestPackages, ", "), s.DroppedSeen, name, len(rest))
	}
	return s.Train, dev, pool, data.RealTasks(rest, o.seed+1), nil
}
