package train

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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
	proj, tr2, dev2, c2 := resumeSetup()
	c2.Checkpoint = Checkpointing{Path: path, Every: 7, Resume: true}
	res, err := TrainStageA(proj, tr2, dev2, c2, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, ref, proj)
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
	if _, err := TrainStageA(proj2, tr3, dev3, c3, nil); err != nil {
		t.Fatal(err)
	}
	sameParams(t, ref, proj2)
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
}
