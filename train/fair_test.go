package train

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/train/eval"
)

// toyStages sets up tiny random models and the toy data for k slots.
func toyStages(t *testing.T, k int) (*Models, Data, PipelineConfig) {
	t.Helper()
	d := toyData()
	var texts []string
	for _, p := range append(append(d.TrainPairs, d.DevPairs...), d.Pool...) {
		texts = append(texts, p.English, p.Foreign)
	}
	texts = append(texts, llink.Llama3Chat("Instruction: Who has cows?\nForeign: \nAnswer in English only.Translate to English."))
	decSpecials := []string{"<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<foreign>", "</foreign>", "<foreign_emb>", "<unk>"}
	for i := range k {
		decSpecials = append(decSpecials, llink.SlotToken(i))
	}
	dt := newCharTok(texts, decSpecials)
	et := newCharTok(texts, []string{"<s>", "<pad>", "</s>", "<unk>"})
	et.bos, et.eos = 0, 2
	dc := llama.Tiny(len(dt.toks))
	dc.Hidden, dc.Intermediate, dc.Layers, dc.Heads, dc.KVHeads, dc.HeadDim = 32, 64, 2, 4, 2, 8
	dec := llama.New(dc, testutil.RNG(1))
	ec := xlmrTinyConfig(len(et.toks))
	enc := xlmrNew(t, ec)
	d0, err := llink.NewDecoder(dec, dt, nil, "", "", k)
	if err != nil {
		t.Fatal(err)
	}
	m := &Models{Dec: d0, Enc: &llink.Reader{Encoder: enc, Tok: et, Pad: 1, ID: "toy-enc"}, DecoderID: "toy-dec", EncoderID: "toy-enc"}
	c := PipelineConfig{Slots: llink.DefaultConfig(ec.Hidden, dc.Hidden), StageA: DefaultStageA(), StageB: DefaultStageB(),
		LoRA:   llama.LoRAOptions{Rank: 2, Alpha: 2, Targets: []string{"q_proj", "v_proj"}},
		MaxNew: 6, GenBatch: 8, CacheDir: t.TempDir(), Seed: 1}
	c.Slots.K, c.Slots.ProjHidden, c.Slots.ExpHidden = k, 32, 32
	c.StageA.Steps, c.StageA.Warmup, c.StageA.Batch, c.StageA.EvalEvery, c.StageA.QueueSize = 20, 2, 8, 10, 64
	c.StageB.Steps, c.StageB.Batch = 4, 8
	return m, d, c
}

// recordBudgets makes c's step hook record every training stage's steps,
// by stage name, in the map it returns.
func recordBudgets(c *PipelineConfig) map[string][]int {
	budgets := map[string][]int{}
	c.StepHook = func(stage string, steps int) func(StepLog) {
		budgets[stage] = append(budgets[stage], steps)
		return func(StepLog) {}
	}
	return budgets
}

// Every row of the fair comparison runs with its own prompt form, the
// trained rows with the same step budget, and the rows split into slices
// that make a valid record.
func TestFairRows(t *testing.T) {
	const k = 2
	m, d, c := toyStages(t, k)
	budgets := recordBudgets(&c)
	c.LRFactor = map[string]float64{RowFTCopy: 3, RowLLINK: 0.5}
	s, err := NewStages(m, d, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.Fair(FairOptions{Rows: FairRows})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(FairRows) {
		t.Fatalf("%d rows, want %d", len(rows), len(FairRows))
	}
	// Each toy passage holds one number, which the copy channel passes on
	// as " NN" (3 character tokens); raw Khmer costs far more.
	span := map[string]func(f float64) bool{
		RowBase:        func(f float64) bool { return f > 10 },
		RowBaseCopy:    func(f float64) bool { return f > 13 },
		RowFT:          func(f float64) bool { return f > 10 },
		RowFTCopy:      func(f float64) bool { return f > 13 },
		RowFTCopyPairs: func(f float64) bool { return f > 13 },
		RowCopyOnly:    func(f float64) bool { return f == 3 },
		RowStageAOnly:  func(f float64) bool { return f == 1+3 },
		RowLLINKNoCopy: func(f float64) bool { return f == k },
		RowLLINK:       func(f float64) bool { return f == k+3 },
	}
	for i, r := range rows {
		if r.Method != FairRows[i] {
			t.Fatalf("row %d is %q, want %q", i, r.Method, FairRows[i])
		}
		if !span[r.Method](r.ForeignTokens) {
			t.Errorf("%s: foreign span of %.1f tokens", r.Method, r.ForeignTokens)
		}
		if len(r.Answers) != len(d.TestTasks) {
			t.Errorf("%s: %d answers for %d tasks", r.Method, len(r.Answers), len(d.TestTasks))
		}
	}
	if rows[0].ForeignTokens+3 != rows[1].ForeignTokens {
		t.Errorf("base + copy's span (%v) is not base's (%v) plus the copied number", rows[1].ForeignTokens, rows[0].ForeignTokens)
	}
	// Matched budgets: 4 fine-tunings and 2 Stage B runs, all of
	// c.StageB.Steps; the pairs control first translates every training
	// pair once.
	for _, stage := range []string{RowFT, RowFTCopy, RowFTCopyPairs, RowCopyOnly} {
		if fmt.Sprint(budgets[stage]) != "[4]" {
			t.Errorf("%s trained %v steps, want [4]", stage, budgets[stage])
		}
	}
	if got, want := fmt.Sprint(budgets[RowFTCopyPairs+" pairs"]), fmt.Sprint([]int{len(d.TrainPairs) / c.StageB.Batch}); got != want {
		t.Errorf("the pairs control translated for %s steps, want %s (one epoch of %d pairs)", got, want, len(d.TrainPairs))
	}
	if fmt.Sprint(budgets["stage B"]) != "[4 4]" {
		t.Errorf("Stage B runs %v, want two of 4 steps", budgets["stage B"])
	}
	half := len(d.TestTasks) / 2
	slices := []FairSlice{{Name: "a", About: "first half", N: half}, {Name: "b", About: "second half", N: len(d.TestTasks) - half}}
	runs, err := FairSeedRuns(1, slices, rows)
	if err != nil {
		t.Fatal(err)
	}
	rec := &eval.Record{Command: "test", Seeds: []uint64{1}, Slices: runs}
	if err := rec.Validate(); err != nil {
		t.Fatal(err)
	}
	if runs[0].Seeds[0].Method(RowLLINK).Retrieval == nil || runs[1].Seeds[0].Method(RowLLINK).Retrieval != nil {
		t.Error("retrieval belongs to the first slice only")
	}
	var md strings.Builder
	if err := rec.WriteMarkdown(&md, eval.ReportOptions{Method: RowLLINK, Fair: FairControls, Controls: FairRows[:len(FairRows)-1]}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| direct FT + copy (fair control) |") {
		t.Errorf("report lacks the fair-control row:\n%s", md.String())
	}
	if _, err := FairSeedRuns(1, []FairSlice{{Name: "x", N: len(d.TestTasks) + 1}}, rows); err == nil {
		t.Error("a slice longer than the answers was accepted")
	}
}

// With SlotPairs, LLINK's Stage B first translates every training pair
// once through the slots — the same epoch, in steps, as the pairs
// control's — and the record's settings say so.
func TestSlotPairs(t *testing.T) {
	const k = 2
	m, d, c := toyStages(t, k)
	budgets := recordBudgets(&c)
	c.SlotPairs = true
	s, err := NewStages(m, d, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Fair(FairOptions{Rows: []string{RowFTCopyPairs, RowLLINK}}); err != nil {
		t.Fatal(err)
	}
	epoch := fmt.Sprint([]int{len(d.TrainPairs) / c.StageB.Batch})
	if got := fmt.Sprint(budgets["stage B pairs"]); got != epoch {
		t.Errorf("LLINK translated pairs for %s steps, want %s", got, epoch)
	}
	if got := fmt.Sprint(budgets[RowFTCopyPairs+" pairs"]); got != epoch {
		t.Errorf("the pairs control translated for %s steps, want %s", got, epoch)
	}
	if fmt.Sprint(budgets["stage B"]) != "[4]" {
		t.Errorf("Stage B on the tasks ran %v steps, want [4]", budgets["stage B"])
	}
	if FairSettings(c)["slot_pairs"] != "true" {
		t.Error("the settings do not record the pairs epoch")
	}
}

func TestFairOptionsRefused(t *testing.T) {
	m, d, c := toyStages(t, 2)
	for name, f := range map[string]func(*PipelineConfig, *FairOptions){
		"unknown row":        func(_ *PipelineConfig, o *FairOptions) { o.Rows = []string{"LLINK 2"} },
		"untrained row rate": func(c *PipelineConfig, _ *FairOptions) { c.LRFactor = map[string]float64{RowBase: 2} },
		"zero factor":        func(c *PipelineConfig, _ *FairOptions) { c.LRFactor = map[string]float64{RowLLINK: 0} },
	} {
		cc, o := c, FairOptions{Rows: FairRows}
		f(&cc, &o)
		s, err := NewStages(m, d, cc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Fair(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	s, _ := NewStages(m, d, c, nil)
	if _, err := s.TrainControl(RowLLINK); err == nil {
		t.Error("TrainControl accepted a row that is not a control")
	}
}

func TestFairData(t *testing.T) {
	d, sl, short, err := FairData(FairDataOptions{Seed: 2, TrainPairs: 500, TrainTasks: 80, PerKind: 10, NovelPerKind: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(sl) != 2 || sl[0].N != 80 || sl[1].N != 40 || len(d.TestTasks) != 120 || len(short) != 0 {
		t.Fatalf("slices %+v (short %v), %d test tasks", sl, short, len(d.TestTasks))
	}
	if len(d.TrainPairs) != 500 || len(d.TrainTasks) != 80 || len(d.Pool) != 1024 || len(d.DevPairs) != 200 {
		t.Fatalf("sizes: %d train pairs, %d train tasks, %d pool, %d dev", len(d.TrainPairs), len(d.TrainTasks), len(d.Pool), len(d.DevPairs))
	}
	train := map[string]bool{}
	for _, tk := range d.TrainTasks {
		train[tk.Foreign] = true
	}
	for _, tk := range d.TestTasks {
		if train[tk.Foreign] {
			t.Fatalf("a test passage is a training passage: %q", tk.Foreign)
		}
	}
	dev, dsl, _, err := FairData(FairDataOptions{Seed: 2, TrainPairs: 500, TrainTasks: 80, PerKind: 10, NovelPerKind: 5, OnDev: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dsl) != 1 || dsl[0].N != 80 || len(dev.Pool) != 800 {
		t.Fatalf("dev: slices %+v, pool %d", dsl, len(dev.Pool))
	}
	// A dev run trains on exactly what the test run with the same options
	// trains on, so that what is chosen on dev is what the test measures.
	if !reflect.DeepEqual(dev.TrainPairs, d.TrainPairs) || !reflect.DeepEqual(dev.TrainTasks, d.TrainTasks) {
		t.Fatal("a dev run's training pairs or tasks differ from the test run's")
	}
	for _, tk := range dev.TestTasks {
		if train[tk.Foreign] {
			t.Fatalf("a dev passage is a training passage: %q", tk.Foreign)
		}
	}
	// The English oracle reads each task's English passage, nothing else changed.
	for j, o := range englishOracle(dev.TestTasks) {
		if d := dev.TestTasks[j]; o.Foreign != d.EnglishPassage || o.Instruction != d.Instruction || o.Answer != d.Answer || d.Foreign == d.EnglishPassage {
			t.Fatalf("oracle task %d: foreign %q, want the English passage %q of %+v", j, o.Foreign, d.EnglishPassage, d)
		}
	}
	if _, _, _, err := FairData(FairDataOptions{Seed: 1, TrainPairs: 10, TrainTasks: 10}); err == nil {
		t.Fatal("PerKind 0 accepted")
	}
	// Dev renamed with the names reserved for it: the same training data,
	// the dev questions naming people hold those names; training tasks
	// cannot be renamed with them.
	real, _, _, err := FairData(FairDataOptions{Seed: 2, TrainPairs: 500, TrainTasks: 80, PerKind: 10, NovelPerKind: 5, OnDev: true, DevNames: DevReal})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(real.TrainTasks, d.TrainTasks) {
		t.Fatal("renaming dev changed the training tasks")
	}
	devEn, _ := data.DevGivenNames()
	renamed := 0
	for _, tk := range real.TestTasks {
		for _, n := range devEn {
			if strings.Contains(tk.EnglishPassage, " "+n) {
				renamed++
				break
			}
		}
	}
	if renamed < 10 {
		t.Fatalf("%d dev questions hold a name reserved for dev", renamed)
	}
	if _, _, _, err := FairData(FairDataOptions{Seed: 2, TrainPairs: 500, TrainTasks: 80, PerKind: 10, PseudoNames: 0.5, PseudoAlphabet: DevReal}); err == nil {
		t.Fatal("training tasks renamed with the dev names")
	}
}

// TestSampleTasksBy: a kind of weight w gets w draws per round (its share
// of the tasks w over the weights' sum); nil and all-1 weights give
// SampleTasks' draw exactly, and FairData's training tasks follow
// KindWeights.
func TestSampleTasksBy(t *testing.T) {
	c, err := data.Build(data.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	tr, _, _ := c.Tasks(1)
	even := SampleTasks(tr, 800, 1)
	ones := map[string]int{}
	for _, k := range data.TaskKinds {
		ones[k] = 1
	}
	if !reflect.DeepEqual(SampleTasksBy(tr, 800, 1, ones), even) || !reflect.DeepEqual(SampleTasksBy(tr, 800, 1, nil), even) {
		t.Fatal("weights of 1 changed the draw")
	}
	count := func(ts []data.Task) map[string]int {
		m := map[string]int{}
		for _, tk := range ts {
			m[tk.Kind]++
		}
		return m
	}
	for _, tc := range []struct {
		weights map[string]int
		n       int
	}{
		{map[string]int{data.KindYesNo: 3}, 800},
		{map[string]int{data.KindYesNo: 2, data.KindWho: 4}, 1100},
		{map[string]int{data.KindTranslate: 1}, 240},
	} {
		got := count(SampleTasksBy(tr, tc.n, 1, tc.weights))
		sum := 0
		for _, k := range data.TaskKinds {
			sum += max(1, tc.weights[k])
		}
		for _, k := range data.TaskKinds {
			// Whole rounds of sum draws, the last one cut: each kind gets its
			// weight per round, give or take the cut round.
			want := float64(tc.n) * float64(max(1, tc.weights[k])) / float64(sum)
			if d := float64(got[k]) - want; d < -float64(max(1, tc.weights[k])) || d > float64(max(1, tc.weights[k])) {
				t.Errorf("weights %v: kind %s drawn %d times of %d, want %.1f", tc.weights, k, got[k], tc.n, want)
			}
		}
	}
	d, _, _, err := FairData(FairDataOptions{Seed: 1, TrainPairs: 500, TrainTasks: 200, PerKind: 5, KindWeights: map[string]int{data.KindYesNo: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(d.TrainTasks)[data.KindYesNo]; n != 60 {
		t.Fatalf("FairData with yes_no weight 3: %d yes/no training tasks of 200, want 60", n)
	}
}

// xlmrTinyConfig is the toy encoder's shape.
func xlmrTinyConfig(vocab int) xlmr.Config {
	ec := xlmr.Tiny(vocab)
	ec.Hidden, ec.Intermediate, ec.Layers, ec.Heads = 24, 48, 1, 2
	return ec
}

// Closing the run's stop channel during evaluation stops the answering at
// the next chunk with ErrInterrupted, saying how far it got, instead of
// running the evaluation to its end.
func TestEvaluationStops(t *testing.T) {
	m, d, c := toyStages(t, 2)
	c.GenBatch = 1 // chunks of 4 answers
	stop := make(chan struct{})
	c.StageA.Checkpoint.Stop, c.StageB.Checkpoint.Stop = stop, stop
	var reports []int
	c.EvalProgress = func(string) func(done, total int) {
		return func(done, total int) {
			if len(reports) == 0 {
				close(stop) // Ctrl-C while the first chunk is answered
			}
			reports = append(reports, done)
		}
	}
	s, err := NewStages(m, d, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Fair(FairOptions{Rows: []string{RowBase}})
	want := fmt.Sprintf("stopped after 4 of %d answers", len(d.TestTasks))
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want ErrInterrupted and %q", err, want)
	}
	if len(reports) != 1 || reports[0] != 4 {
		t.Fatalf("answered chunks ending at %v, want only [4]", reports)
	}
}
