package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/models/safetensors"
)

// TestStageALeversCLI: -attn-heads and -learn-tau reach the per-stage
// commands' Stage A (the projector file holds the trained pooling, the run
// config the learnt temperature), stage-b and eval refuse flags that
// disagree with the pooling the folder's files were trained with, and
// `llink ask` reads the bundle's pooling.
func TestStageALeversCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline")
	}
	dec, enc := tinyFolders(t)
	out, cache := filepath.Join(t.TempDir(), "run"), filepath.Join(t.TempDir(), "cache")
	flags := []string{"-quiet", "-decoder", dec, "-encoder", enc, "-out", out, "-cache", cache,
		"-k", "2", "-train-pairs", "300", "-train-tasks", "16", "-test-tasks", "8", "-stage-a-steps", "6", "-stage-b-steps", "2"}
	levers := []string{"-attn-heads", "2", "-learn-tau"}
	step := func(cmd string, extra ...string) error {
		var stdout, stderr bytes.Buffer
		err := run(append(append([]string{cmd}, flags...), extra...), nil, &stdout, &stderr)
		if err != nil {
			t.Logf("%s: %s", cmd, stderr.String())
		}
		return err
	}
	if err := step("stage-a", levers...); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join(out, projectorName))
	if err != nil {
		t.Fatal(err)
	}
	q, err := f.Float32("attnpool.query")
	f.Close()
	if err != nil {
		t.Fatalf("the projector file has no attention pooling: %v", err)
	}
	if slices.Max(q) == 0 && slices.Min(q) == 0 {
		t.Fatal("the attention pooling's queries did not train")
	}
	// The learnt temperature stays near its start in six steps; the
	// annealed one ends at 0.08.
	var last struct {
		Stage string  `json:"stage"`
		Tau   float64 `json:"tau"`
	}
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, filepath.Join(out, "metrics.jsonl"))), "\n") {
		var l struct {
			Stage string  `json:"stage"`
			Tau   float64 `json:"tau"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Stage == "stage A" {
			last = l
		}
	}
	if last.Tau < 0.15 {
		t.Fatalf("stage A's last logged temperature %g: the annealed schedule's, not a learnt one", last.Tau)
	}
	if err := step("stage-b"); err == nil || !strings.Contains(err.Error(), "was trained with attention pooling of the token states with 2 heads; these flags give the mean of the token states (-attn-heads 0)") {
		t.Fatalf("stage-b without -attn-heads: %v", err)
	}
	if err := step("stage-b", levers...); err != nil {
		t.Fatal(err)
	}
	if err := step("eval", "-attn-heads", "4"); err == nil || !strings.Contains(err.Error(), "was trained with attention pooling of the token states with 2 heads; -attn-heads 4 gives attention pooling of the token states with 4 heads") {
		t.Fatalf("eval with -attn-heads 4: %v", err)
	}
	if err := step("eval", levers...); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run([]string{"ask", "-quiet", "-bundle", filepath.Join(out, bundleName), "-decoder", dec, "-encoder", enc, "-max-new", "4",
		"-text", "សុខា ទិញ ត្រី ២ គីឡូក្រាម។", "Who is mentioned?"}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("ask with an attention-pooling bundle: %v\n%s", err, stderr.String())
	}
}
