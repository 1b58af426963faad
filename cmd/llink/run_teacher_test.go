package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/safetensors"
)

// TestRunTeacherOptions runs the pipeline with a teacher vector other than
// the paper's (-teacher-pool mean -teacher-layer 1 on a two-block decoder)
// and a wider projector (-proj-hidden 40), and checks they flow through:
// every vector cache's teacher is that definition, and the bundle records
// both (so `llink ask` and the root package read English the same way and
// build the projector it holds). A layer above the decoder's blocks is
// refused before anything runs.
func TestRunTeacherOptions(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline")
	}
	dec, enc := tinyFolders(t)
	out, cache := filepath.Join(t.TempDir(), "run"), filepath.Join(t.TempDir(), "cache")
	args := []string{"run", "-quiet", "-decoder", dec, "-encoder", enc, "-out", out, "-cache", cache,
		"-k", "4", "-train-pairs", "300", "-train-tasks", "16", "-test-tasks", "8", "-stage-a-steps", "4", "-stage-b-steps", "2",
		"-proj-hidden", "40", "-teacher-pool", "mean", "-teacher-layer", "1"}
	var stdout, stderr bytes.Buffer
	if err := run(args, nil, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	files, err := filepath.Glob(filepath.Join(cache, "*.safetensors"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vector caches in %s (%v)", cache, err)
	}
	for _, f := range files {
		md := metadata(t, f)
		if !strings.HasSuffix(md["teacher"], ":pool=mean:layer=1") {
			t.Errorf("%s: teacher %q, want the mean of block 1", filepath.Base(f), md["teacher"])
		}
	}
	var c llink.Config
	if err := json.Unmarshal([]byte(metadata(t, filepath.Join(out, bundleName))["llink_config"]), &c); err != nil {
		t.Fatalf("bundle config: %v", err)
	}
	if c.TeacherPool != llink.TeacherMean || c.TeacherLayer != 1 || c.ProjHidden != 40 {
		t.Errorf("bundle records teacher pool %q layer %d, projector hidden %d; want mean, 1, 40", c.TeacherPool, c.TeacherLayer, c.ProjHidden)
	}
	bad := append(append([]string(nil), args[:len(args)-1]...), "3")
	bad[slices.Index(bad, "-out")+1] = filepath.Join(t.TempDir(), "bad")
	if err := run(bad, nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "teacher layer 3") {
		t.Errorf("-teacher-layer 3 on a two-block decoder: %v", err)
	}
	if _, stderr, _, code := runCLI(t, "run", "-proj-hidden", "-1"); code != 2 || !strings.Contains(stderr, "-proj-hidden -1") {
		t.Errorf("-proj-hidden -1: exit %d, %q", code, stderr)
	}
}

// metadata returns a safetensors file's metadata.
func metadata(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.Metadata()
}
