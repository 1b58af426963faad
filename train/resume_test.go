package train

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/tensor"
)

// resumeSetup is the Stage A run used by the crash-safety tests.
func resumeSetup() (*llink.Projector, Pairs, Pairs, StageAConfig) {
	r := testutil.RNG(1)
	const enc, dec = 8, 12
	w := tensor.RandN(r, 0.6, dec, enc)
	trainSet, dev := synthPairs(r, w, 256, 0), synthPairs(r, w, 64, 5000)
	cfg := llink.DefaultConfig(enc, dec)
	cfg.ProjHidden = 24
	c := DefaultStageA()
	c.Steps, c.Warmup, c.Batch, c.QueueSize, c.HardM, c.EvalEvery = 120, 10, 16, 64, 8, 25
	return llink.NewProjector(cfg, testutil.RNG(2)), trainSet, dev, c
}

func sameParams(t *testing.T, a, b *llink.Projector) {
	t.Helper()
	for i, p := range a.Params() {
		if d := tensor.MaxAbsDiff(p.Value, b.Params()[i].Value); d != 0 {
			t.Fatalf("parameter %s differs from the uninterrupted run by %g", p.Name, d)
		}
	}
}

// TestStageAResumeAfterSIGKILL kills a training process with SIGKILL at a
// random point after its first checkpoint, resumes, and checks the final
// weights are bit-identical to an uninterrupted run with the same seed.
func TestStageAResumeAfterSIGKILL(t *testing.T) {
	if path := os.Getenv("LLINK_TEST_CHILD_CKPT"); path != "" {
		proj, tr, dev, c := resumeSetup()
		c.Checkpoint = Checkpointing{Path: path, Every: 7}
		// Slow steps so the parent can kill us mid-run.
		_, _ = TrainStageA(proj, tr, dev, c, func(StepLog) { time.Sleep(3 * time.Millisecond) })
		os.Exit(0)
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	ref, tr, dev, c := resumeSetup()
	refRes, err := TrainStageA(ref, tr, dev, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "stage-a.ckpt.safetensors")
	cmd := exec.Command(os.Args[0], "-test.run=^TestStageAResumeAfterSIGKILL$")
	cmd.Env = append(os.Environ(), "LLINK_TEST_CHILD_CKPT="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("child wrote no checkpoint")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(time.Duration(testutil.RNG(uint64(time.Now().UnixNano())).IntN(120)) * time.Millisecond)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	if f, err := safetensors.Open(path); err == nil {
		t.Logf("killed the child; resuming from %.60s", f.Metadata()["state"])
		f.Close()
	}
	// What a kill during a checkpoint write leaves: an unlocked temporary
	// file beside the checkpoint (its name as internal/safeio makes it).
	leftover := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-4242")
	if err := os.WriteFile(leftover, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	proj, tr2, dev2, c2 := resumeSetup()
	c2.Checkpoint = Checkpointing{Path: path, Every: 7, Resume: true}
	res, err := TrainStageA(proj, tr2, dev2, c2, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, ref, proj)
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("the resumed run left %v beside its checkpoint", names)
	}
	if res.BestStep != refRes.BestStep || res.Best.MRR != refRes.Best.MRR {
		t.Fatalf("best step/MRR %d/%v, uninterrupted %d/%v", res.BestStep, res.Best.MRR, refRes.BestStep, refRes.Best.MRR)
	}
}

// TestStageAStopAndResume stops a run through the Stop channel (what the
// CLI's SIGINT handler does), then resumes it.
func TestStageAStopAndResume(t *testing.T) {
	ref, tr, dev, c := resumeSetup()
	if _, err := TrainStageA(ref, tr, dev, c, nil); err != nil {
		t.Fatal(err)
	}
	proj, tr2, dev2, c2 := resumeSetup()
	stop := make(chan struct{})
	c2.Checkpoint = Checkpointing{Path: filepath.Join(t.TempDir(), "a.safetensors"), Every: 1000, Stop: stop}
	_, err := TrainStageA(proj, tr2, dev2, c2, func(l StepLog) {
		if l.Step == 33 {
			close(stop)
		}
	})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("want ErrInterrupted, got %v", err)
	}
	proj2, tr3, dev3, c3 := resumeSetup()
	c3.Checkpoint = Checkpointing{Path: c2.Checkpoint.Path, Resume: true}
	done, err := TrainStageA(proj2, tr3, dev3, c3, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, ref, proj2)
	// Resuming the finished run trains nothing and reports what it did,
	// the last step's loss included.
	proj3, tr4, dev4, c4 := resumeSetup()
	c4.Checkpoint = c3.Checkpoint
	again, err := TrainStageA(proj3, tr4, dev4, c4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Final != done.Final || again.Final == 0 || again.BestStep != done.BestStep || again.Best.MRR != done.Best.MRR {
		t.Fatalf("resumed finished run reports final %v, best %d/%v; the run reported %v, %d/%v", again.Final, again.BestStep, again.Best.MRR, done.Final, done.BestStep, done.Best.MRR)
	}
	// A checkpoint of another model is refused by name.
	cfg := llink.DefaultConfig(8, 12)
	cfg.ProjHidden = 20
	c3.Checkpoint.Resume = true
	_, err = TrainStageA(llink.NewProjector(cfg, testutil.RNG(2)), tr3, dev3, c3, nil)
	if err == nil {
		t.Fatal("resumed into a different model")
	}
}

// TestStageBStopAndResume interrupts Stage B and resumes it bit-identically.
func TestStageBStopAndResume(t *testing.T) {
	setup := func() (*llama.Model, *llink.Slots, []*autograd.Var, []Example, StageBConfig) {
		m := tinyDecoder(1)
		r := testutil.RNG(2)
		exs := synthTask(r, tensor.RandN(r, 1, 4, m.Config.Hidden), 48)
		cfg := llink.DefaultConfig(m.Config.Hidden, m.Config.Hidden)
		cfg.K, cfg.ExpHidden = tK, 32
		slots := llink.NewSlots(cfg, 1, testutil.RNG(3))
		lora := m.AddLoRA(llama.LoRAOptions{Rank: 2, Alpha: 2, Dropout: 0.1, Targets: []string{"q_proj", "v_proj"}}, testutil.RNG(4))
		c := DefaultStageB()
		c.Steps, c.Batch = 24, 8
		return m, slots, lora, exs, c
	}
	m1, slots, lora, exs, c := setup()
	if _, err := TrainStageB(m1, slots, lora, exs, 0, c, nil); err != nil {
		t.Fatal(err)
	}
	m2, slots2, lora2, exs2, c2 := setup()
	stop := make(chan struct{})
	c2.Checkpoint = Checkpointing{Path: filepath.Join(t.TempDir(), "b.safetensors"), Stop: stop}
	_, err := TrainStageB(m2, slots2, lora2, exs2, 0, c2, func(l StepLog) {
		if l.Step == 10 {
			close(stop)
		}
	})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("want ErrInterrupted, got %v", err)
	}
	m3, slots3, lora3, exs3, c3 := setup()
	c3.Checkpoint = Checkpointing{Path: c2.Checkpoint.Path, Resume: true}
	if _, err := TrainStageB(m3, slots3, lora3, exs3, 0, c3, nil); err != nil {
		t.Fatal(err)
	}
	want := append(lora, slots.Params()...)
	got := append(lora3, slots3.Params()...)
	for i := range want {
		if d := tensor.MaxAbsDiff(want[i].Value, got[i].Value); d != 0 {
			t.Fatalf("%s differs after resume by %g", want[i].Name, d)
		}
	}
	// Resuming with other data or settings is refused, saying what differs
	// (it used to index out of range, or mix two runs silently).
	for _, tc := range []struct {
		name string
		edit func(exs []Example, c *StageBConfig) []Example
		want string
	}{
		{"fewer examples", func(exs []Example, _ *StageBConfig) []Example { return exs[:20] }, "the checkpoint was made from other training data"},
		{"more examples", func(exs []Example, _ *StageBConfig) []Example { return append(exs, exs[:8]...) }, "other training data"},
		{"more steps", func(exs []Example, c *StageBConfig) []Example { c.Steps = 30; return exs }, "other settings (steps 24, now 30)"},
		{"other seed", func(exs []Example, c *StageBConfig) []Example { c.Seed = 9; return exs }, "other settings (seed 1, now 9)"},
	} {
		m4, slots4, lora4, exs4, c4 := setup()
		exs4 = tc.edit(exs4, &c4)
		c4.Checkpoint = Checkpointing{Path: c2.Checkpoint.Path, Resume: true}
		_, err := TrainStageB(m4, slots4, lora4, exs4, 0, c4, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: resume gave %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestDirectFTStopAndResume interrupts direct fine-tuning run in
// micro-batches and resumes it to the uninterrupted run's LoRA weights.
func TestDirectFTStopAndResume(t *testing.T) {
	setup := func() ([]*autograd.Var, func(StageBConfig, func(StepLog)) error, StageBConfig) {
		m := tinyDecoder(1)
		exs := synthTask(testutil.RNG(2), tensor.RandN(testutil.RNG(2), 1, 4, m.Config.Hidden), 40)
		lora := m.AddLoRA(llama.LoRAOptions{Rank: 2, Alpha: 2, Dropout: 0.1, Targets: []string{"q_proj", "v_proj"}}, testutil.RNG(4))
		c := DefaultStageB()
		c.Steps, c.Batch, c.MicroBatch, c.LRLoRA = 12, 8, 3, 1e-2
		return lora, func(c StageBConfig, log func(StepLog)) error {
			_, err := TrainDirectFT(m, lora, exs, 0, c, log)
			return err
		}, c
	}
	want, run, c := setup()
	if err := run(c, nil); err != nil {
		t.Fatal(err)
	}
	_, run, c = setup()
	stop := make(chan struct{})
	c.Checkpoint = Checkpointing{Path: filepath.Join(t.TempDir(), "ft.safetensors"), Stop: stop}
	err := run(c, func(l StepLog) {
		if l.Step == 7 {
			close(stop)
		}
	})
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "train: direct FT stopped after step 7") {
		t.Fatalf("want ErrInterrupted after step 7, got %v", err)
	}
	got, run, c2 := setup()
	c2.Checkpoint = Checkpointing{Path: c.Checkpoint.Path, Resume: true}
	if err := run(c2, nil); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if d := tensor.MaxAbsDiff(want[i].Value, got[i].Value); d != 0 {
			t.Fatalf("%s differs after resume by %g", want[i].Name, d)
		}
	}
}

// TestLoopStateCheck: a checkpoint's loop state that does not fit the data
// (a negative position, an order entry past the examples, a step past the
// run) is refused with a message instead of an index out of range.
func TestLoopStateCheck(t *testing.T) {
	good := LoopState{Step: 3, Pos: 8, Order: []int{3, 1, 0, 2, 5, 4, 7, 6, 9, 8}}
	for _, tc := range []struct {
		name string
		edit func(*LoopState)
		want string
	}{
		{"valid", func(*LoopState) {}, ""},
		{"negative position", func(s *LoopState) { s.Pos = -5 }, "data position -5 outside 0..10"},
		{"position past the order", func(s *LoopState) { s.Pos = 11 }, "data position 11 outside 0..10"},
		{"order entry past the data", func(s *LoopState) { s.Order = append([]int{10}, s.Order[1:]...) }, "data order entry 0 is 10, outside 0..9"},
		{"negative order entry", func(s *LoopState) { s.Order = append([]int{-1}, s.Order[1:]...) }, "is -1"},
		{"order for other data", func(s *LoopState) { s.Order = append(s.Order, 0, 1) }, "its data order has 12 entries for 10 examples"},
		{"order without the last partial batch", func(s *LoopState) { s.Order = s.Order[:8] }, ""},
		{"step past the run", func(s *LoopState) { s.Step = 21 }, "step 21 outside 0..20"},
		{"negative step", func(s *LoopState) { s.Step = -1 }, "step -1 outside 0..20"},
	} {
		st := good
		st.Order = append([]int(nil), good.Order...)
		tc.edit(&st)
		err := st.Check(10, 4, 20)
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Check = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzLoopStateCheck: whatever loop state a checkpoint holds, a state that
// passes Check drives the training loop's indexing (order[pos:pos+batch],
// refilled when short; examples[order[i]]) without going out of range.
func FuzzLoopStateCheck(f *testing.F) {
	f.Add([]byte(`{"step":3,"pos":8,"order":[3,1,0,2,5,4,7,6,9,8]}`), uint8(10), uint8(4), uint8(20))
	f.Add([]byte(`{"step":1,"pos":-5,"order":[0,1]}`), uint8(2), uint8(1), uint8(5))
	f.Add([]byte(`{"step":0,"pos":0,"order":[]}`), uint8(0), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, js []byte, n, batch, steps uint8) {
		var st LoopState
		if json.Unmarshal(js, &st) != nil {
			return
		}
		if st.Check(int(n), int(batch), int(steps)) != nil {
			return
		}
		exs := make([]int, n)
		order, pos, bs := st.Order, st.Pos, int(batch)
		for step := st.Step; step < int(steps); step++ {
			if pos+bs > len(order) {
				order, pos = make([]int, n), 0 // a fresh epoch (identity order here)
				for i := range order {
					order[i] = i
				}
				if bs > len(order) {
					return // the loop refuses a batch larger than the data before resuming
				}
			}
			for _, j := range order[pos : pos+bs] {
				_ = exs[j]
			}
			pos += bs
		}
	})
}
