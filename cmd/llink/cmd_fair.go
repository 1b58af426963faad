package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/internal/progress"
	"github.com/llink-go/llink/internal/rundir"
	"github.com/llink-go/llink/internal/safeio"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/train"
	"github.com/llink-go/llink/train/eval"
)

func init() {
	register(command{name: "fair", short: "the fair comparison: LLINK and its controls with matched budgets over several seeds, with 95% intervals and paired differences; writes a record (docs/EVALUATION.md)", run: runFair})
}

// fairOptions are the fair command's flags.
type fairOptions struct {
	runOptions
	seeds        int
	fromSeed     int
	perKind      int
	novelPerKind int
	rows         []string
	lrFactors    map[string]float64
	tune         []float64
	oracle       bool
	pseudoNames  float64
	slotPairs    bool
	devNames     string
	pseudoAlpha  string
	taskWeights  map[string]int
}

func (o *fairOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.decoder, "decoder", "", "decoder: Hugging Face Llama `folder` with tokenizer.json (default: the embedded tiny decoder)")
	fs.StringVar(&o.encoder, "encoder", "", "encoder: Hugging Face XLM-R/BERT `folder` with tokenizer.json (default: the embedded tiny encoder)")
	fs.StringVar(&o.cache, "cache", filepath.Join(".cache", "vectors"), "vector cache `folder` (reused across runs)")
	fs.StringVar(&o.out, "out", "", "output `folder` (default runs/fair-<date-time>); with -resume, the folder to continue")
	fs.BoolVar(&o.resume, "resume", false, "continue the comparison in -out: seeds already recorded there are kept")
	fs.IntVar(&o.seeds, "seeds", 3, "seeds 1..N; each changes the corpus, every initialisation, the data order and the test draw")
	fs.IntVar(&o.fromSeed, "from-seed", 1, "run only seeds from-seed..seeds and write no record (to run seeds in parallel processes: copy their seed-N.json files into one folder and assemble with -resume)")
	fs.IntVar(&o.perKind, "per-kind", 100, "test questions drawn per kind and seed from the held-out split")
	fs.IntVar(&o.novelPerKind, "novel-per-kind", 25, "questions drawn per kind and seed from the novel-entity slice (0: no novel slice)")
	fs.IntVar(&o.trainPairs, "train-pairs", 4000, "Stage A training pairs")
	fs.IntVar(&o.trainTasks, "train-tasks", 1200, "training examples of every trained row")
	fs.IntVar(&o.stageASteps, "stage-a-steps", 3000, "Stage A steps")
	fs.IntVar(&o.stageBSteps, "stage-b-steps", 150, "steps of every trained row (Stage B and each fine-tuning)")
	fs.BoolVar(&o.evalDev, "eval-dev", false, "evaluate on the development split: for choosing settings, never for results")
	fs.Float64Var(&o.pseudoNames, "pseudo-names", 0, "share (0..1) of the training tasks naming a person whose given names are replaced by generated pseudo-names, so that answering them needs the copy channel")
	fs.BoolVar(&o.slotPairs, "slot-pairs", false, "LLINK's Stage B first translates Stage A's training pairs through the slots for one epoch, as direct FT + copy + pairs does before its tasks")
	choiceFlag(fs, &o.pseudoAlpha, "pseudo-alphabet", "the pseudo-names of -pseudo-names: simple = two syllables of a small alphabet, full = names like real ones (training names' halves joined, and the whole written inventory)", string(train.SimplePseudo), string(train.SimplePseudo), string(train.FullPseudo))
	choiceFlag(fs, &o.devNames, "dev-names", "with -eval-dev, the given names of the dev questions: real = real Khmer names reserved for dev, which no row trained on, as the test's (data.DevGivenNames); simple, full = pseudo-names of that alphabet; training = as generated (names the rows trained on)", "real", "real", string(train.SimplePseudo), string(train.FullPseudo), "training")
	fs.Func("task-weights", "`KIND=N,…`: kind KIND gets N draws, the others one, in each round of the training tasks' round robin over the kinds (its share N/(N+others); every trained row reads the same tasks)", func(s string) (err error) {
		o.taskWeights, err = kindCounts(s)
		return err
	})
	fs.BoolVar(&o.oracle, "english-oracle", false, "every task's Khmer replaced by its English passage, in training and evaluation: what the decoder answers when it reads the English (a ceiling for these questions, not a result)")
	fs.IntVar(&o.k, "k", 8, fmt.Sprintf("soft slots K of LLINK's rows (1..%d)", llink.MaxK))
	o.registerSlots(fs)
	o.registerStageALevers(fs)
	o.rows = slices.Clone(train.FairRows)
	fs.Func("rows", "comma-separated rows to run (default all: "+strings.Join(train.FairRows, ", ")+")", func(s string) error {
		o.rows = nil
		for _, r := range strings.Split(s, ",") {
			r = strings.TrimSpace(r)
			if !slices.Contains(train.FairRows, r) {
				return fmt.Errorf("unknown row %q (rows: %s)", r, strings.Join(train.FairRows, ", "))
			}
			o.rows = append(o.rows, r)
		}
		return nil
	})
	o.lrFactors = map[string]float64{}
	fs.Func("lr-factors", "`row=factor,…`: a trained row's learning rates as a factor of Stage B's, overriding the one chosen on dev (train.DefaultPipeline)", func(s string) error {
		for _, kv := range strings.Split(s, ",") {
			row, v, ok := strings.Cut(kv, "=")
			row = strings.TrimSpace(row)
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if !ok || err != nil || !(f > 0) || f > 1000 {
				return fmt.Errorf("%q: want row=factor with a factor in (0, 1000]", kv)
			}
			if !slices.Contains(train.TrainedRows, row) {
				return fmt.Errorf("row %q does not train (trained rows: %s)", row, strings.Join(train.TrainedRows, ", "))
			}
			o.lrFactors[row] = f
		}
		return nil
	})
	fs.Func("tune", "choose each trained row's learning-rate factor on the dev split from this comma-separated `grid` (e.g. 0.333,1,3), seed 1; prints the -lr-factors to use", func(s string) error {
		for _, v := range strings.Split(s, ",") {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || !(f > 0) || f > 1000 {
				return fmt.Errorf("%q: want factors in (0, 1000]", v)
			}
			o.tune = append(o.tune, f)
		}
		return nil
	})
}

// devNamesFrom is where -dev-names draws the dev questions' given names
// ("" keeps the training names).
func (o *fairOptions) devNamesFrom() train.Names {
	switch o.devNames {
	case "real":
		return train.DevReal
	case "training":
		return ""
	}
	return train.Names(o.devNames)
}

// check refuses flag values out of range (usage errors).
func (o *fairOptions) check(fs *flag.FlagSet) error {
	switch {
	case fs.NArg() > 0:
		return usageErrorf("fair: unexpected argument %q", fs.Arg(0))
	case o.seeds < 1 || o.seeds > 100:
		return usageErrorf("fair: -seeds %d: want 1..100", o.seeds)
	case o.fromSeed < 1 || o.fromSeed > o.seeds:
		return usageErrorf("fair: -from-seed %d: want 1..%d (-seeds)", o.fromSeed, o.seeds)
	case o.perKind < 1 || o.perKind > 10000 || o.novelPerKind < 0 || o.novelPerKind > 10000:
		return usageErrorf("fair: -per-kind %d / -novel-per-kind %d: want 1..10000 / 0..10000", o.perKind, o.novelPerKind)
	case o.trainPairs < 128 || o.trainTasks < 1 || o.stageASteps < 1 || o.stageBSteps < 1:
		return usageErrorf("fair: -train-pairs (≥ 128), -train-tasks, -stage-a-steps and -stage-b-steps must be positive")
	case llink.CheckK(o.k) != nil:
		return usageErrorf("fair: -k: %v", llink.CheckK(o.k))
	case o.checkSlots("fair", fs) != nil:
		return o.checkSlots("fair", fs)
	case o.resume && o.out == "":
		return usageErrorf("fair: -resume needs -out FOLDER")
	case len(o.tune) > 0 && o.resume:
		return usageErrorf("fair: -tune starts afresh; it cannot -resume")
	case !(o.pseudoNames >= 0 && o.pseudoNames <= 1):
		return usageErrorf("fair: -pseudo-names %g: want a share in 0..1", o.pseudoNames)
	case flagSet(fs, "dev-names") && !o.evalDev:
		return usageErrorf("fair: -dev-names needs -eval-dev")
	case flagSet(fs, "pseudo-alphabet") && o.pseudoNames == 0:
		return usageErrorf("fair: -pseudo-alphabet needs -pseudo-names")
	}
	return nil
}

func runFair(args []string, _ io.Reader, stdout, stderr io.Writer) (err error) {
	fs := newFlagSet("fair", stderr)
	cf := addCommonFlags(fs)
	var o fairOptions
	o.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := o.check(fs); err != nil {
		return err
	}
	o.copyChannel, o.encoderPool = true, llink.PoolLayers
	stop, err := cf.start()
	if err != nil {
		return err
	}
	defer stop()
	m, err := loadModels(o.decoder, o.encoder, o.k)
	if err != nil {
		return err
	}
	var dir *rundir.Dir
	if o.resume {
		dir, err = rundir.Reopen(o.out)
	} else {
		root, name := filepath.Split(o.out)
		if o.out == "" {
			root, name = "runs", "fair-"+time.Now().Format("20060102-150405")
		}
		dir, err = rundir.Create(root, name)
	}
	if err != nil {
		return err
	}
	defer func() { closeRun(dir, err) }()
	log := io.Writer(stdout)
	if cf.Quiet || cf.JSON {
		log = io.Discard
	}
	// Ctrl-C or SIGTERM stops the seed being run (its training, caches or
	// evaluation) at the next step; finished seeds' files stay for -resume.
	halt, unlisten := haltOnSignal(stderr)
	defer unlisten()
	config := func(seed uint64) train.PipelineConfig {
		ro := o.runOptions
		ro.seed = seed
		c := pipelineConfig(ro, m, dir)
		factors := map[string]float64{}
		for r, f := range c.LRFactor {
			factors[r] = f
		}
		for r, f := range o.lrFactors {
			factors[r] = f
		}
		c.LRFactor = factors
		c.SlotPairs = o.slotPairs
		// Rows share nothing on disk: no checkpoints, no bundle.
		c.StageA.Checkpoint, c.StageB.Checkpoint, c.BundlePath = train.Checkpointing{Stop: halt}, train.Checkpointing{Stop: halt}, ""
		popt := cf.progressOptions()
		c.StepHook = func(stage string, steps int) func(train.StepLog) {
			return progress.New(stderr, stage, steps, popt).Steps()
		}
		c.EvalProgress = func(method string) func(done, total int) {
			return progress.Counter(stderr, "eval "+method, popt)
		}
		return c
	}
	if len(o.tune) > 0 {
		err := fairTune(o, m, config(1), dir, log, stdout)
		if errors.Is(err, train.ErrInterrupted) {
			return fmt.Errorf("fair: -tune stopped before its end (%w); it keeps nothing: rerun it", train.ErrInterrupted)
		}
		return err
	}
	rec := &eval.Record{Command: "llink fair " + strings.Join(args, " "), Commit: commitID(), Date: time.Now().UTC().Format("2006-01-02"),
		Machine: machine(), Settings: train.FairSettings(config(1))}
	rec.Settings["test_per_kind"], rec.Settings["novel_per_kind"] = strconv.Itoa(o.perKind), strconv.Itoa(o.novelPerKind)
	rec.Settings["train_pairs"], rec.Settings["train_tasks"] = strconv.Itoa(o.trainPairs), strconv.Itoa(o.trainTasks)
	if o.oracle {
		rec.Settings["english_oracle"] = "true"
	}
	if len(o.taskWeights) > 0 {
		var ws []string
		for _, k := range slices.Sorted(maps.Keys(o.taskWeights)) {
			ws = append(ws, fmt.Sprintf("%s=%d", k, o.taskWeights[k]))
		}
		rec.Settings["task_weights"] = strings.Join(ws, ",")
	}
	if o.evalDev {
		rec.Settings["dev_names"] = o.devNames
	}
	if o.pseudoNames > 0 {
		rec.Settings["pseudo_names"] = strconv.FormatFloat(o.pseudoNames, 'g', -1, 64)
		if o.pseudoAlpha != string(train.SimplePseudo) {
			rec.Settings["pseudo_alphabet"] = o.pseudoAlpha
		}
	}
	// The frozen models by content, so a record made with other models
	// (-decoder, -encoder) says so even when the folders are gone.
	rec.Settings["decoder"], rec.Settings["encoder"] = m.DecoderID, m.EncoderID
	for seed := uint64(1); seed <= uint64(o.seeds); seed++ {
		path := dir.File(fmt.Sprintf("seed-%d.json", seed))
		runs, err := readSeedRuns(path)
		if err != nil {
			return err
		}
		if seed < uint64(o.fromSeed) {
			continue
		}
		if runs == nil {
			runs, err = runFairSeed(o, m, config(seed), seed, path, log)
			if errors.Is(err, train.ErrInterrupted) {
				return fmt.Errorf("fair: seed %d stopped before its end (%w; its partial work is not kept)\nresume with: llink fair -resume -out %s (and the same flags); finished seeds are kept", seed, train.ErrInterrupted, dir.Path)
			}
			if err != nil {
				return err
			}
		}
		if o.fromSeed > 1 {
			continue
		}
		rec.Seeds = append(rec.Seeds, seed)
		for i, r := range runs {
			if seed == 1 {
				rec.Slices = append(rec.Slices, eval.SliceRun{Name: r.Name, About: r.About})
			}
			if i >= len(rec.Slices) || rec.Slices[i].Name != r.Name || len(r.Seeds) != 1 || r.Seeds[0].Seed != seed {
				return fmt.Errorf("fair: %s does not hold seed %d's run of the slices seed 1 had: rerun without -resume", path, seed)
			}
			rec.Slices[i].Seeds = append(rec.Slices[i].Seeds, r.Seeds[0])
		}
	}
	if o.fromSeed > 1 {
		fmt.Fprintf(stdout, "seeds %d..%d in %s; assemble the record in one folder with -resume\n", o.fromSeed, o.seeds, dir.Path)
		return nil
	}
	return writeFairRecord(rec, o.rows, dir, cf.JSON, stdout)
}

// writeFairRecord writes the record and its report into dir and prints the
// report (or, with asJSON, the record) on stdout.
func writeFairRecord(rec *eval.Record, rows []string, dir *rundir.Dir, asJSON bool, stdout io.Writer) error {
	if err := rec.WriteFile(dir.File("record.json")); err != nil {
		return err
	}
	var md bytes.Buffer
	if err := rec.WriteMarkdown(&md, fairReport(rows)); err != nil {
		return err
	}
	if err := writeBytes(dir.File("record.md"), md.Bytes()); err != nil {
		return err
	}
	if asJSON {
		js, err := jsonIndent(rec)
		if err != nil {
			return err
		}
		_, err = stdout.Write(append(js, '\n'))
		return err
	}
	fmt.Fprintf(stdout, "\n%s\nrecord: %s (render into the README with: llink report -record %s)\n", md.String(), dir.File("record.json"), dir.File("record.json"))
	return nil
}

// runFairSeed runs one seed's rows on its data and saves its slices to path.
func runFairSeed(o fairOptions, m *train.Models, c train.PipelineConfig, seed uint64, path string, log io.Writer) ([]eval.SliceRun, error) {
	t0 := time.Now()
	fmt.Fprintf(log, "seed %d of %d\n", seed, o.seeds)
	d, sl, short, err := train.FairData(train.FairDataOptions{Seed: seed, TrainPairs: o.trainPairs, TrainTasks: o.trainTasks,
		PerKind: o.perKind, NovelPerKind: o.novelPerKind, OnDev: o.evalDev, EnglishOracle: o.oracle,
		PseudoNames: o.pseudoNames, PseudoAlphabet: train.Names(o.pseudoAlpha), DevNames: o.devNamesFrom(), KindWeights: o.taskWeights})
	if err != nil {
		return nil, err
	}
	for name, sh := range short {
		fmt.Fprintf(log, "  %s: fewer than %d questions of kinds %v\n", name, o.perKind, sh)
	}
	s, err := train.NewStages(m, d, c, log)
	if err != nil {
		return nil, err
	}
	rows, err := s.Fair(train.FairOptions{Rows: o.rows})
	if err != nil {
		return nil, fmt.Errorf("seed %d: %w", seed, err)
	}
	runs, err := train.FairSeedRuns(seed, sl, rows)
	if err != nil {
		return nil, err
	}
	if err := writeAnswers(strings.TrimSuffix(path, ".json")+"-answers.jsonl", sl, rows); err != nil {
		return nil, err
	}
	if err := writeJSONAtomic(path, runs); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "seed %d done in %s: %s\n", seed, time.Since(t0).Round(time.Second), path)
	return runs, nil
}

// fairReport is the report's comparison: LLINK against every other row run,
// claims only against the fair controls.
func fairReport(rows []string) eval.ReportOptions {
	o := eval.ReportOptions{Method: train.RowLLINK, Fair: train.FairControls}
	for _, r := range rows {
		if r != train.RowLLINK {
			o.Controls = append(o.Controls, r)
		}
	}
	return o
}

// writeJSONAtomic writes v as JSON to path ([writeBytes]).
func writeJSONAtomic(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeBytes(path, b)
}

// writeAnswers writes every row's answers of one seed as JSON lines — the
// slice, the method, the task's kind and question, the output and the
// reference — for error analysis; the record holds only their scores.
func writeAnswers(path string, sl []train.FairSlice, rows []train.MethodResult) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, r := range rows {
		i := 0
		for _, s := range sl {
			for _, a := range r.Answers[i:min(i+s.N, len(r.Answers))] {
				line := struct {
					Slice  string `json:"slice"`
					Method string `json:"method"`
					train.Answer
				}{s.Name, r.Method, a}
				if err := enc.Encode(line); err != nil {
					return err
				}
			}
			i += s.N
		}
	}
	return writeBytes(path, b.Bytes())
}

// writeBytes writes b to path through [safeio.Output]: a regular file
// atomically with mode 0644, a device or a pipe written into.
func writeBytes(path string, b []byte) error {
	return safeio.Output(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// readSeedRuns reads a seed's saved slices; nil when the seed has not run.
func readSeedRuns(path string) ([]eval.SliceRun, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var runs []eval.SliceRun
	if err := json.Unmarshal(b, &runs); err != nil {
		return nil, fmt.Errorf("fair: %s: %w", path, err)
	}
	return runs, nil
}

// fairTune chooses each trained row's learning-rate factor on the dev split
// of seed 1: every factor of the grid, one training each with the shared
// Stage A; the best dev exact match wins (ties: the factor nearest 1).
func fairTune(o fairOptions, m *train.Models, c train.PipelineConfig, dir *rundir.Dir, log, stdout io.Writer) error {
	d, _, _, err := train.FairData(train.FairDataOptions{Seed: 1, TrainPairs: o.trainPairs, TrainTasks: o.trainTasks, PerKind: o.perKind,
		NovelPerKind: o.novelPerKind, OnDev: true, PseudoNames: o.pseudoNames, PseudoAlphabet: train.Names(o.pseudoAlpha), DevNames: o.devNamesFrom(), KindWeights: o.taskWeights})
	if err != nil {
		return err
	}
	c.EvalOnDev = true
	s, err := train.NewStages(m, d, c, log)
	if err != nil {
		return err
	}
	p, err := s.StageA()
	if err != nil {
		return err
	}
	type point struct {
		Row    string  `json:"row"`
		Factor float64 `json:"factor"`
		EM     float64 `json:"dev_exact_match"`
		ChrF   float64 `json:"dev_chrf"`
	}
	var pts []point
	var chosen []string
	for _, row := range o.rows {
		if !slices.Contains(train.TrainedRows, row) {
			continue
		}
		best := point{EM: -1}
		for _, f := range o.tune {
			res, err := s.WithLRFactor(row, f).Fair(train.FairOptions{Rows: []string{row}, Projector: p})
			if err != nil {
				return fmt.Errorf("tuning %s at %g: %w", row, f, err)
			}
			pt := point{row, f, res[0].ExactMatch, res[0].ChrF}
			pts = append(pts, pt)
			fmt.Fprintf(log, "tune %-20s factor %-6g dev EM %.3f chrF %.1f\n", row, f, pt.EM, pt.ChrF)
			if pt.EM > best.EM || (pt.EM == best.EM && distance1(f) < distance1(best.Factor)) {
				best = pt
			}
		}
		chosen = append(chosen, fmt.Sprintf("%s=%g", row, best.Factor))
	}
	b, err := json.MarshalIndent(map[string]any{"grid": o.tune, "dev_questions": len(d.TestTasks), "points": pts, "lr_factors": strings.Join(chosen, ",")}, "", " ")
	if err != nil {
		return err
	}
	if err := writeBytes(dir.File("tune.json"), append(b, '\n')); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "chosen on dev (%d questions): -lr-factors '%s'\n(%s)\n", len(d.TestTasks), strings.Join(chosen, ","), dir.File("tune.json"))
	return nil
}

// distance1 is how far a factor is from 1 on a log scale.
func distance1(f float64) float64 {
	if f < 1 {
		return 1 / f
	}
	return f
}

// commitID returns the source's commit, abbreviated to 7 hex digits, or
// "unknown" ([sourceCommit]).
func commitID() string {
	if c := sourceCommit(); len(c) >= 7 {
		return c[:7]
	}
	return "unknown"
}

// sourceCommit returns the source's full commit: the build's VCS stamp,
// else the git checkout in the working folder ([vcsRevision], no git
// binary needed), else git's HEAD; "" when none is known. Records and
// model provenance both take it from here.
func sourceCommit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 7 {
				return s.Value
			}
		}
	}
	if rev := vcsRevision("."); rev != "" {
		return rev
	}
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return ""
}

// machine describes the CPU, cores, Go version and kernel level.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s, kernels %s", cpu, runtime.NumCPU(), runtime.Version(), asm.Active())
}
