package train

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

// TestCheckpointSurvivesFullDisk fills the "disk" (RLIMIT_FSIZE: writes
// past the limit fail as on a full file system) while a second checkpoint
// is written: the save fails with an error, the first checkpoint is intact
// and no temporary file is left behind. The file-size limit is process-wide,
// so the check runs in a child process: lowered here it would also fail
// this process's other writes (go test's own log among them).
func TestCheckpointSurvivesFullDisk(t *testing.T) {
	if os.Getenv("LLINK_FULL_DISK_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointSurvivesFullDisk$", "-test.v")
		cmd.Env = append(os.Environ(), "LLINK_FULL_DISK_CHILD=1")
		out, err := cmd.CombinedOutput()
		switch {
		case err != nil:
			t.Fatalf("full-disk check in a child process: %v\n%s", err, out)
		case bytes.Contains(out, []byte("--- SKIP")):
			t.Skipf("child process skipped:\n%s", out)
		case !bytes.Contains(out, []byte("--- PASS: TestCheckpointSurvivesFullDisk")):
			t.Fatalf("the child process did not run the check:\n%s", out)
		}
		t.Logf("child process:\n%s", out)
		return
	}
	p := autograd.NewParam("w", tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2))
	big := autograd.NewParam("big", tensor.RandN(testutil.RNG(1), 1, 256, 256)) // 256 KB
	params := []*autograd.Var{p, big}
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params, LR: 0.1}}, 0.9, 0.999, 1e-8)
	dir := t.TempDir()
	path := filepath.Join(dir, "state.safetensors")
	if err := SaveState(path, params, opt, LoopState{Step: 1}, nil); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p.Value.Data()[0] = 99

	signal.Ignore(syscall.SIGXFSZ) // a write past the limit then fails with EFBIG
	defer signal.Reset(syscall.SIGXFSZ)
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	limit := old
	limit.Cur = 64 << 10 // room for a fraction of the checkpoint
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Skipf("setrlimit: %v", err)
	}
	err = SaveState(path, params, opt, LoopState{Step: 2}, nil)
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil {
		t.Fatal("a checkpoint larger than the space left was saved without error")
	}
	t.Logf("save on a full disk: %v", err)
	now, rerr := os.ReadFile(path)
	if rerr != nil || !bytes.Equal(now, good) {
		t.Fatalf("the previous checkpoint did not survive (%v)", rerr)
	}
	st, _, err := LoadState(path, params, opt)
	if err != nil || st.Step != 1 || p.Value.Data()[0] != 1 {
		t.Fatalf("restored step %d, w[0] = %g (%v); want the first checkpoint", st.Step, p.Value.Data()[0], err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("files left in the checkpoint folder: %v", names)
	}
}

// TestStageBStopsOnNaN feeds Stage B an example whose Stage A vector is
// NaN: training stops with an error naming the step, and the checkpoint of
// the last good step is still there, finite, for a resume.
func TestStageBStopsOnNaN(t *testing.T) {
	m := tinyDecoder(1)
	r := testutil.RNG(2)
	protos := tensor.RandN(r, 1, 4, m.Config.Hidden)
	exs := synthTask(r, protos, 64)
	for i := range exs {
		exs[i].V = append([]float32(nil), exs[i].V...)
	}
	exs[40].V[3] = float32(math.NaN())
	cfg := llink.DefaultConfig(m.Config.Hidden, m.Config.Hidden)
	cfg.K, cfg.ExpHidden = tK, 64
	slots := llink.NewSlots(cfg, 1, testutil.RNG(3))
	lora := m.AddLoRA(llama.LoRAOptions{Rank: 4, Alpha: 4, Targets: []string{"q_proj", "v_proj"}}, testutil.RNG(4))
	c := DefaultStageB()
	c.Steps, c.Batch = 40, 8
	c.Checkpoint = Checkpointing{Path: filepath.Join(t.TempDir(), "b.safetensors"), Every: 1}
	_, err := TrainStageB(m, slots, lora, exs, 0, c, nil)
	if err == nil || !strings.Contains(err.Error(), "stage B step") || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("NaN example: error %v, want one naming the step and NaN", err)
	}
	t.Logf("%v", err)
	params := append(append([]*autograd.Var(nil), lora...), slots.Params()...)
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params, LR: 1}}, 0.9, 0.999, 1e-8)
	st, _, lerr := LoadState(c.Checkpoint.Path, params, opt)
	if lerr != nil {
		t.Fatalf("no usable checkpoint after the NaN: %v", lerr)
	}
	if err := nn.CheckFinite(nil, params); err != nil || st.Step == 0 {
		t.Fatalf("checkpoint at step %d is not the last good state: %v", st.Step, err)
	}
}

// TestSaveStateSameBytes: the same state, extra tensors included, saves to
// the same bytes every time (the extras come from a map, whose order
// varies), so two runs' checkpoints can be compared byte for byte.
func TestSaveStateSameBytes(t *testing.T) {
	p := autograd.NewParam("w", tensor.RandN(testutil.RNG(2), 1, 3, 5))
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: []*autograd.Var{p}, LR: 0.1}}, 0.9, 0.999, 1e-8)
	extra := map[string]*tensor.Tensor{}
	for i, name := range []string{"queue", "best/a", "best/b", "best/c", "z", "m"} {
		extra[name] = tensor.RandN(testutil.RNG(uint64(10+i)), 1, 4, i+1)
	}
	var first []byte
	for i := range 8 {
		path := filepath.Join(t.TempDir(), "state.safetensors")
		if err := SaveState(path, []*autograd.Var{p}, opt, LoopState{Step: 3}, extra); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Fatalf("save %d wrote other bytes than the first", i+1)
		}
	}
}
