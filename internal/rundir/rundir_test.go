package rundir

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llink-go/llink/train"
)

func TestLayoutAndFiles(t *testing.T) {
	root := t.TempDir()
	d, err := Create(root, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{CheckpointsDir, PlotsDir} {
		if st, err := os.Stat(filepath.Join(d.Path, sub)); err != nil || !st.IsDir() {
			t.Fatalf("%s: %v", sub, err)
		}
	}
	cfg := map[string]any{"seed": 1, "k": 8}
	if err := d.WriteConfig(cfg); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := d.ReadConfig(&back); err != nil || back["k"] != 8.0 {
		t.Fatalf("%v %v", back, err)
	}
	dev := 0.5
	hook := Tee(d.Steps("stage A", nil), nil)
	for s := 1; s <= 3; s++ {
		hook(train.StepLog{Step: s, Loss: 3 - float64(s), LR: 1e-3})
	}
	hook(train.StepLog{Step: 3, Loss: 0.25, Dev: &dev}) // the resumed copy of step 3
	if err := d.WriteResults(&train.Results{Methods: []train.MethodResult{{Method: "LLINK"}}}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Log("stage A", train.StepLog{}); err == nil {
		t.Fatal("logging after Close succeeded")
	}
	recs, err := ReadMetricsFile(d.File(MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[2].Loss != 0.25 || recs[2].Dev == nil || recs[0].Stage != "stage A" || recs[0].Time.IsZero() {
		t.Fatalf("%+v", recs)
	}
	js, err := os.ReadFile(d.File(ResultsJSON))
	if err != nil || !json.Valid(js) {
		t.Fatalf("results.json: %v", err)
	}
	md, err := os.ReadFile(d.File(ResultsMD))
	if err != nil || !strings.Contains(string(md), "LLINK") {
		t.Fatalf("results.md: %v\n%s", err, md)
	}

	// The folder now holds a run: Create refuses it, Open resumes it.
	if _, err := Create(root, filepath.Base(d.Path)); err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Fatalf("Create over a run: %v", err)
	}
	d2, err := Open(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := d2.Log("stage B", train.StepLog{Step: 1}); err != nil {
		t.Fatal(err)
	}
	d2.Close()
	recs, _ = ReadMetricsFile(d.File(MetricsFile))
	if len(recs) != 4 || recs[3].Stage != "stage B" {
		t.Fatalf("after resume: %+v", recs)
	}
	if d.Checkpoint("a.safetensors") != filepath.Join(d.Path, "checkpoints", "a.safetensors") || d.Plot("x.svg") != filepath.Join(d.Path, "plots", "x.svg") {
		t.Fatal("paths")
	}
}

func TestReadMetricsBadLine(t *testing.T) {
	_, err := ReadMetrics(bytes.NewBufferString("{\"stage\":\"a\",\"step\":1}\nnot json\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("%v", err)
	}
}

func TestOpenMissing(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("opened a missing folder")
	}
}

// TestOpenRemovesStaleTemps: reopening a run (to resume it) removes the
// temporary files a killed checkpoint write left, and nothing else.
func TestOpenRemovesStaleTemps(t *testing.T) {
	d, err := Create(t.TempDir(), "run")
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	stale := d.Checkpoint(".stage-b.safetensors.tmp-123")
	keep := d.Checkpoint("stage-b.safetensors")
	os.WriteFile(stale, make([]byte, 1024), 0o600)
	os.WriteFile(keep, []byte("checkpoint"), 0o644)
	d2, err := Open(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("checkpoint removed: %v", err)
	}
}

// TestDiscard: a run folder Create made is removed when it holds no work
// (config, an empty metrics log, empty subfolders, a killed write's
// temporary); a checkpoint, a logged step or any other file keeps it, and
// so does a folder that existed before Create.
func TestDiscard(t *testing.T) {
	for _, tc := range []struct {
		name    string
		existed bool
		work    func(d *Dir) error
		removed bool
	}{
		{"nothing written", false, func(*Dir) error { return nil }, true},
		{"config only", false, func(d *Dir) error { return d.WriteConfig(map[string]int{"k": 8}) }, true},
		{"a killed write's temporary", false, func(d *Dir) error {
			return os.WriteFile(d.Checkpoint(".stage-a.safetensors.tmp-123"), []byte("x"), 0o644)
		}, true},
		{"a checkpoint", false, func(d *Dir) error { return os.WriteFile(d.Checkpoint("stage-a.safetensors"), []byte("x"), 0o644) }, false},
		{"a logged step", false, func(d *Dir) error { return d.Log("stage A", train.StepLog{Step: 1}) }, false},
		{"a result", false, func(d *Dir) error { return os.WriteFile(d.File("projector.safetensors"), []byte("x"), 0o644) }, false},
		{"a plot", false, func(d *Dir) error { return os.WriteFile(d.Plot("loss.svg"), []byte("x"), 0o644) }, false},
		{"the user's folder", true, func(*Dir) error { return nil }, false},
	} {
		root := t.TempDir()
		if tc.existed {
			if err := os.Mkdir(filepath.Join(root, "run"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		d, err := Create(root, "run")
		if err != nil {
			t.Fatal(err)
		}
		if err := tc.work(d); err != nil {
			t.Fatal(err)
		}
		removed, err := d.Discard()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, serr := os.Stat(d.Path)
		if removed != tc.removed || os.IsNotExist(serr) != tc.removed {
			t.Errorf("%s: removed = %v (stat: %v), want %v", tc.name, removed, serr, tc.removed)
		}
	}
}

// TestReopenRefusesOtherFolders: Reopen (resume, read) refuses a folder
// without a run's metrics log and leaves it as it was; a run folder
// reopens.
func TestReopenRefusesOtherFolders(t *testing.T) {
	root := t.TempDir()
	mine := filepath.Join(root, "mine")
	if err := os.MkdirAll(mine, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(mine, "notes.txt"), []byte("x"), 0o644)
	if _, err := Reopen(mine); err == nil || !strings.Contains(err.Error(), "holds no run") {
		t.Fatalf("Reopen of a plain folder: %v", err)
	}
	if ents, _ := os.ReadDir(mine); len(ents) != 1 {
		t.Fatalf("the refused folder holds %d entries, want its one file", len(ents))
	}
	if _, err := Reopen(filepath.Join(root, "nope")); err == nil {
		t.Fatal("Reopen of a missing folder succeeded")
	}
	d, err := Create(root, "run")
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	d, err = Reopen(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
}
