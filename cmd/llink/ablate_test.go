package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAblate runs the ablation command on tiny HF folders: one row per
// variant beside Stage A only, in one results table, with Stage A trained
// once and shared.
func TestAblate(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end ablation")
	}
	dec, enc := tinyFolders(t)
	out := filepath.Join(t.TempDir(), "abl")
	args := []string{"ablate", "-quiet", "-decoder", dec, "-encoder", enc, "-out", out, "-cache", filepath.Join(t.TempDir(), "cache"),
		"-k-values", "2,4", "-train-pairs", "300", "-train-tasks", "32", "-test-tasks", "8", "-stage-a-steps", "6", "-stage-b-steps", "2"}
	var stdout, stderr bytes.Buffer
	if err := run(args, nil, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"| Stage A only |", "| LLINK K=2 |", "| LLINK K=4 |", "| LLINK K=2, usage loss off |", "| LLINK K=2, bag-of-words head 0.1 |", "| LLINK K=2, copy channel off |"} {
		if !strings.Contains(string(md), row) {
			t.Errorf("results.md lacks %q:\n%s", row, md)
		}
	}
	if strings.Contains(string(md), "| base |") || strings.Contains(string(md), "| direct FT |") {
		t.Error("ablation table has baseline rows")
	}
	metrics, err := os.ReadFile(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(metrics), `stage A"`); n != 6 {
		t.Errorf("%d Stage A steps logged over all variants, want 6 (trained once)", n)
	}
	for _, bad := range [][]string{{"ablate", "-k-values", "2,x"}, {"ablate", "-bow-weight", "0"}, {"ablate", "-resume"}} {
		if err := run(bad, nil, &stdout, &stderr); err == nil || !isUsageError(err) {
			t.Errorf("%v: %v, want a usage error", bad, err)
		}
	}
}
