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
	"time"

	"github.com/llink-go/llink/internal/progress"
	"github.com/llink-go/llink/internal/rundir"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/train"
)

// The flag groups the pipeline commands share (run, the per-stage
// commands, ablate, embed-cache), so that the same flags mean the same
// thing everywhere and are checked in one place.

// runOptions are the pipeline commands' flags.
type runOptions struct {
	decoder, encoder string
	corpus, tasks    string
	out, cache       string
	seed             uint64
	k                int
	trainPairs       int
	trainTasks       int
	testTasks        int
	stageASteps      int
	stageBSteps      int
	microBatch       int
	memory           int64
	paperLR          bool
	resume           bool
	force            bool
	evalDev          bool
	copyChannel      bool
	encoderPool      string
	teacherPool      string
	teacherLayer     int
	slotInput        string
	wordsPerSegment  int
	lexicalHidden    int
	tokensPerSegment int
	minK             int
	projHidden       int
	split            string
	stageALevers
	// note, when set, receives what loadData says about the data it
	// built (the package split's sizes and packages).
	note io.Writer
}

// registerData registers the flags that choose the models and the data —
// shared by every pipeline command, so all see the same vector caches.
func (o *runOptions) registerData(fs *flag.FlagSet) {
	fs.StringVar(&o.decoder, "decoder", "", "decoder: Hugging Face Llama `folder` with tokenizer.json (default: the embedded tiny decoder)")
	fs.StringVar(&o.encoder, "encoder", "", "encoder: Hugging Face XLM-R/BERT `folder` with tokenizer.json (default: the embedded tiny encoder)")
	fs.StringVar(&o.corpus, "corpus", "", "parallel corpus `file` (TSV english<TAB>khmer or JSONL); default: the generated corpus")
	fs.StringVar(&o.tasks, "tasks", "", "instruction tasks JSONL `file` {input, output, foreign_raw, english_ref, kind}; default: generated")
	fs.StringVar(&o.cache, "cache", filepath.Join(".cache", "vectors"), "vector cache `folder` (reused across runs)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed for everything")
	fs.IntVar(&o.k, "k", 8, fmt.Sprintf("soft slots K (1..%d)", llink.MaxK))
	choiceFlag(fs, &o.encoderPool, "encoder-pool", "encoder sentence vector: layers = mean of every layer's average (default: more lexical detail from an MLM-only encoder), last = mean of the last hidden state (the paper)", llink.PoolLayers, llink.PoolLast, llink.PoolLayers)
	choiceFlag(fs, &o.teacherPool, "teacher-pool", "Stage A's teacher vector: last = the decoder's final state at <foreign_emb> after the English sentence (the paper), mean = the mean of the English tokens' states", llink.TeacherLast, llink.TeacherLast, llink.TeacherMean)
	fs.IntVar(&o.teacherLayer, "teacher-layer", 0, "the decoder states Stage A's teacher vector is read from: 0 = the final-normed output (the paper), L = the residual stream after block L")
	choiceFlag(fs, &o.split, "split", "how a -corpus is split: random = a seeded shuffle; package = whole source packages held out for dev and test (a cross-domain split; needs pairs with provenance, as harvest-debian writes)", splitRandom, splitRandom, splitPackage)
	fs.IntVar(&o.trainPairs, "train-pairs", 4000, "Stage A training pairs taken from the corpus")
	fs.IntVar(&o.trainTasks, "train-tasks", 1200, "Stage B / direct fine-tuning examples")
	fs.IntVar(&o.testTasks, "test-tasks", 160, "held-out test tasks evaluated per method")
	fs.BoolVar(&o.evalDev, "eval-dev", false, "evaluate on the development split (dev tasks; dev pairs not used by Stage A as the retrieval pool) instead of the held-out test: for tuning (the generated corpus, or a -corpus with -split package)")
}

// registerMethod registers the flags that choose LLINK's own variant (not
// the data or the caches).
func (o *runOptions) registerMethod(fs *flag.FlagSet) {
	fs.IntVar(&o.projHidden, "proj-hidden", 0, "the Stage A projector's hidden width (0: the paper's ratio, 4× the encoder width)")
	fs.BoolVar(&o.copyChannel, "copy-channel", true, "copy channel: the Khmer text's numbers (as ASCII digits), unit symbols, Latin-script words and people's names (in Latin letters) follow the slots in the prompt verbatim; false gives the paper's prompt")
	o.registerSlots(fs)
	o.registerStageALevers(fs)
}

// stageALevers are the flags of Stage A's options beyond the paper's
// (the real-text track's levers, docs/EXPERIMENTS.md): the student vector
// and the temperature.
type stageALevers struct {
	attnHeads int  // -attn-heads: llink.Config.AttnHeads
	learnTau  bool // -learn-tau: train.StageAConfig.LearnTau
}

// registerStageALevers registers -attn-heads and -learn-tau.
func (o *runOptions) registerStageALevers(fs *flag.FlagSet) {
	fs.IntVar(&o.attnHeads, "attn-heads", 0, "Stage A's student vector: attention pooling of the encoder's token states with `H` heads (H zero-initialised queries, trained with the projector and saved in the bundle; H must divide the encoder width) in place of their mean; 0: the mean (the paper's)")
	fs.BoolVar(&o.learnTau, "learn-tau", false, "Stage A learns its temperature (CLIP's logit scale from 1/0.17, kept in [0.01, 1]) in place of the annealed 0.17 → 0.08 (the paper's)")
}

// checkStageALevers refuses -attn-heads values no encoder can take and the
// slots it cannot feed (the encoder's width is checked once it is loaded).
func (o *runOptions) checkStageALevers(cmd string) error {
	switch {
	case o.attnHeads < 0 || o.attnHeads > maxCount:
		return usageErrorf("%s: -attn-heads %d: want 0 (the mean of the token states) or a number of heads that divides the encoder width", cmd, o.attnHeads)
	case o.attnHeads > 0 && o.slotInput == llink.SlotsSegments:
		return usageErrorf("%s: -attn-heads with -slots %s: segment slots project each segment's mean, not the attention pooling (use -slots %s, %s, %s or %s)", cmd, llink.SlotsSegments, llink.SlotsPooled, llink.SlotsTokens, llink.SlotsWords, llink.SlotsVocab)
	}
	return nil
}

// registerSlots registers -slots, the slots' input (llink.Config.SlotInput).
func (o *runOptions) registerSlots(fs *flag.FlagSet) {
	choiceFlag(fs, &o.slotInput, "slots", "what the K slots are made of: pooled = the Stage A vector of the pooled sentence vector (the paper), tokens = that plus a cross-attention resampler over the encoder's token states, segments = the Stage A projections of K in-order segment means of the token states, words = a linear map of those segment means into the decoder's word embeddings, aligned with the English words of the training pairs before Stage B, vocab = word slots made of the decoder's own embedding rows, mixed by their similarity to the word slot", llink.SlotsPooled,
		llink.SlotsPooled, llink.SlotsTokens, llink.SlotsSegments, llink.SlotsWords, llink.SlotsVocab)
	fs.IntVar(&o.wordsPerSegment, "words-per-segment", 1, "word slots (-slots words or vocab): how many slots each in-order segment of the encoder's tokens gives, so a token spanning several English words can spell each (K must be a multiple)")
	fs.IntVar(&o.lexicalHidden, "lexical-hidden", 0, "word slots (-slots words or vocab): the lexical map's hidden `width` (a two-layer GELU MLP from each segment mean to its directions; 1024 is the fair record's, chosen on dev); 0: one linear map")
	fs.IntVar(&o.tokensPerSegment, "tokens-per-segment", 0, "dynamic K (-slots segments, words or vocab): one segment of -words-per-segment slots per `r` encoder tokens of the text, so a text of n tokens gets clamp(ceil(n/r)·words-per-segment, -min-k, -k) slots and its prompt that many slot tokens; 0: every text gets -k")
	fs.IntVar(&o.minK, "min-k", 0, "with -tokens-per-segment, the fewest slots a text gets (0: one segment, -words-per-segment slots; a multiple of it, at most -k)")
}

// checkSlots refuses dynamic-K flags that do not fit the other slot flags,
// and Stage A's levers that do not fit the slots.
func (o *runOptions) checkSlots(cmd string, fs *flag.FlagSet) error {
	wps := max(o.wordsPerSegment, 1)
	switch {
	case o.tokensPerSegment < 0 || o.tokensPerSegment > llink.MaxTokensPerSegment:
		return usageErrorf("%s: -tokens-per-segment %d: want 0 (every text gets -k slots) to %d", cmd, o.tokensPerSegment, llink.MaxTokensPerSegment)
	case o.tokensPerSegment > 0 && o.slotInput != llink.SlotsSegments && o.slotInput != llink.SlotsWords && o.slotInput != llink.SlotsVocab:
		return usageErrorf("%s: -tokens-per-segment needs -slots %s, %s or %s (slots made of in-order segments); -slots %s has one K for every text", cmd, llink.SlotsSegments, llink.SlotsWords, llink.SlotsVocab, o.slotInput)
	case o.lexicalHidden < 0:
		return usageErrorf("%s: -lexical-hidden %d: want 0 (a linear lexical map) or a positive width", cmd, o.lexicalHidden)
	case o.lexicalHidden > 0 && o.slotInput != llink.SlotsWords && o.slotInput != llink.SlotsVocab:
		return usageErrorf("%s: -lexical-hidden needs -slots %s or %s (only word slots have a lexical map); -slots %s has none", cmd, llink.SlotsWords, llink.SlotsVocab, o.slotInput)
	case flagSet(fs, "min-k") && o.tokensPerSegment == 0:
		return usageErrorf("%s: -min-k needs -tokens-per-segment", cmd)
	case o.minK < 0 || o.minK > o.k || o.minK%wps != 0:
		return usageErrorf("%s: -min-k %d: want 0 (one segment) or a multiple of -words-per-segment %d up to -k %d", cmd, o.minK, wps, o.k)
	}
	if fs.Lookup("attn-heads") != nil { // registered after the slots' flags, checked with them
		return o.checkStageALevers(cmd)
	}
	return nil
}

// registerTraining registers the training flags with their defaults (the
// Stage B steps vary by command).
func (o *runOptions) registerTraining(fs *flag.FlagSet, stageBSteps int) {
	fs.IntVar(&o.stageASteps, "stage-a-steps", 3000, "Stage A steps")
	fs.IntVar(&o.stageBSteps, "stage-b-steps", stageBSteps, "Stage B (and direct fine-tuning) steps")
	fs.BoolVar(&o.paperLR, "paper-lr", false, "Stage B learning rates exactly as the paper (LoRA 1e-4, adapter/expander 3e-5, scale 5e-4; meant for its ~940 steps of batch 128, and its slot-mean InfoNCE weight 0.001); default for short runs: LoRA 3e-3, adapter/expander 3e-3, scale 5e-3, slot-mean InfoNCE 0.2, chosen on the dev split")
	fs.IntVar(&o.microBatch, "micro-batch", 0, "Stage B (and direct fine-tuning) examples per forward and backward pass: a batch runs as micro-batches whose gradients add up to the same step (0: the whole batch, or what -memory fits)")
	fs.Func("memory", "memory `budget` for Stage B and direct fine-tuning (e.g. 8GiB, 512MiB): the largest micro-batch whose activations, measured on the longest example, fit beside what the process holds; an error if one example does not", func(s string) error {
		n, err := parseBytes(s)
		o.memory = n
		return err
	})
	fs.BoolVar(&o.resume, "resume", false, "continue from the checkpoints in -out")
	fs.BoolVar(&o.force, "force", false, "train anew in an -out folder that holds a run, replacing its trained files")
}

// check reports what is wrong with the parsed flags of command cmd: extra
// arguments, K outside llink's range, a negative teacher layer, a count or step number outside
// 1..maxCount, -resume without -out.
func (o *runOptions) check(cmd string, fs *flag.FlagSet) error {
	switch {
	case fs.NArg() > 0:
		return usageErrorf("%s: unexpected argument %q", cmd, fs.Arg(0))
	case llink.CheckK(o.k) != nil:
		return usageErrorf("%s: -k %d: want 1..%d slots", cmd, o.k, llink.MaxK)
	case o.projHidden < 0 || o.projHidden > maxCount:
		return usageErrorf("%s: -proj-hidden %d: want 0 (4× the encoder width) to %d", cmd, o.projHidden, maxCount)
	case o.teacherLayer < 0:
		return usageErrorf("%s: -teacher-layer %d: want 0 (the final-normed output) or a decoder block 1..layers", cmd, o.teacherLayer)
	case o.resume && o.out == "":
		return usageErrorf("%s: -resume needs -out FOLDER (the run to continue)", cmd)
	case o.resume && o.force:
		return usageErrorf("%s: -resume continues a run, -force replaces it: give one", cmd)
	case o.microBatch < 0 || o.microBatch > maxCount:
		return usageErrorf("%s: -micro-batch %d: want 0..%d", cmd, o.microBatch, maxCount)
	case o.microBatch > 0 && o.memory > 0:
		return usageErrorf("%s: -micro-batch sets the micro-batch, -memory chooses it: give one", cmd)
	}
	if fs.Lookup("tokens-per-segment") != nil {
		if err := o.checkSlots(cmd, fs); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"train-pairs", o.trainPairs}, {"train-tasks", o.trainTasks}, {"test-tasks", o.testTasks},
		{"stage-a-steps", o.stageASteps}, {"stage-b-steps", o.stageBSteps}} {
		if fs.Lookup(f.name) == nil {
			continue // not a flag of this command
		}
		if err := checkInt(cmd, f.name, f.v, 1, maxCount); err != nil {
			return err
		}
	}
	if checkedHook != nil {
		return checkedHook(cmd, o)
	}
	return nil
}

// checkedHook, when set (by the flag-parsing fuzz test), is called with the
// options that passed check; its error is the command's, so a test can
// stop a command before it does any work.
var checkedHook func(cmd string, o *runOptions) error

// openRun opens the run folder -out with -resume, else creates it (under
// runs/, named by the date and time, when -out is empty; prefix names it).
func (o *runOptions) openRun(prefix string) (*rundir.Dir, error) {
	if o.resume {
		return rundir.Reopen(o.out)
	}
	if _, err := os.Stat(filepath.Join(o.out, rundir.ConfigFile)); err == nil && o.force && o.out != "" {
		return rundir.Open(o.out) // train anew over the old run
	}
	root, name := filepath.Split(o.out)
	if o.out == "" {
		root = "runs"
		if prefix != "" {
			name = prefix + time.Now().Format("20060102-150405")
		}
	}
	return rundir.Create(root, name)
}

// closeRun closes the run folder a command opened. When the command
// failed, other than by an interrupt (which leaves a checkpoint to resume),
// the folder is removed if the command made it and wrote nothing of note
// into it ([rundir.Dir.Discard]), so a typo does not leave a folder that
// blocks the same -out. Commands defer it with their named error result.
func closeRun(dir *rundir.Dir, err error) {
	if err != nil && !errors.Is(err, train.ErrInterrupted) {
		dir.Discard()
		return
	}
	dir.Close()
}

// folderExists reports whether path names an existing file or folder.
func folderExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// logWriter is where a command's progress lines go: stdout, or nowhere
// with -quiet or -json.
func logWriter(cf *commonFlags, stdout io.Writer) io.Writer {
	if cf.Quiet || cf.JSON {
		return io.Discard
	}
	return stdout
}

// addHooks sends a pipeline's training steps to the run folder's metrics
// and progress bars, and its cache building and evaluation to counters;
// concurrent (steps running at once, [train.PipelineConfig.Lanes]) prints
// progress as lines instead of bars.
func addHooks(c *train.PipelineConfig, dir *rundir.Dir, cf *commonFlags, stderr io.Writer, concurrent bool) {
	popt := cf.progressOptions()
	if concurrent {
		popt.Mode = progress.Lines // two bars redrawing one terminal line would hide each other
	}
	c.StepHook = func(stage string, steps int) func(train.StepLog) {
		return rundir.Tee(dir.Steps(stage, stderr), progress.New(stderr, stage, steps, popt).Steps())
	}
	c.CacheProgress = func(name string) func(done, total int) {
		return progress.Counter(stderr, "vectors "+name, popt)
	}
	c.EvalProgress = func(method string) func(done, total int) {
		return progress.Counter(stderr, "eval "+method, popt)
	}
}

// modelFlags repeats -decoder/-encoder for a follow-up command line.
func modelFlags(decoder, encoder string) string {
	if decoder == "" {
		return ""
	}
	return fmt.Sprintf(" -decoder %s -encoder %s", decoder, encoder)
}

// parseBytes reads a byte count: digits (a decimal fraction allowed) with
// an optional unit B, KB/KiB, MB/MiB, GB/GiB or TB/TiB (case-insensitive;
// K, M, G, T alone are binary).
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		scale  float64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
		{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40}, {"b", 1}}
	num, scale := strings.ToLower(strings.TrimSpace(s)), 1.0
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, scale = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.scale
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || !(v > 0) || v*scale >= 1<<62 {
		return 0, fmt.Errorf("want a positive size such as 8GiB or 512MiB, got %q", s)
	}
	return int64(v * scale), nil
}

// flagSet reports whether the command line set the flag name (as opposed to
// it keeping its default).
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// choiceFlag registers a string flag that takes one of values, set to def
// until given; any other value is refused with the list ("want a, b or c").
func choiceFlag(fs *flag.FlagSet, dst *string, name, usage, def string, values ...string) {
	*dst = def
	fs.Func(name, usage, func(s string) error {
		if !slices.Contains(values, s) {
			return fmt.Errorf("want %s or %s", strings.Join(values[:len(values)-1], ", "), values[len(values)-1])
		}
		*dst = s
		return nil
	})
}
