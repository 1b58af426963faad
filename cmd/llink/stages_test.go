package main

import (
	"bytes"
	"encoding/json"
	"github.com/llink-go/llink/train"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStagesMatchRun runs stage-a, stage-b, baseline and eval as separate
// commands on one folder and checks the results equal one `llink run` with
// the same flags, number for number; then the refusals.
func TestStagesMatchRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline")
	}
	dec, enc := tinyFolders(t)
	cache := filepath.Join(t.TempDir(), "cache")
	flags := []string{"-quiet", "-decoder", dec, "-encoder", enc, "-cache", cache, "-k", "4", "-train-pairs", "300",
		"-train-tasks", "32", "-test-tasks", "8", "-stage-a-steps", "10", "-stage-b-steps", "3"}
	cli := func(args ...string) error {
		var stdout, stderr bytes.Buffer
		err := run(append(args, flags...), nil, &stdout, &stderr)
		if err != nil {
			t.Logf("%v: %v\n%s", args, err, stderr.String())
		}
		return err
	}
	staged := filepath.Join(t.TempDir(), "staged")
	for _, st := range []string{"stage-a", "stage-b", "baseline", "eval"} {
		if err := cli(st, "-out", staged); err != nil {
			t.Fatalf("%s failed", st)
		}
	}
	whole := filepath.Join(t.TempDir(), "whole")
	if err := cli("run", "-out", whole); err != nil {
		t.Fatal("run failed")
	}
	type row struct {
		Method     string
		ExactMatch float64 `json:"exact_match"`
		ChrF       float64 `json:"chrf"`
		KmToEn     struct {
			MRR float64 `json:"mrr"`
		} `json:"retrieval_km_en"`
	}
	read := func(dir string) []row {
		var r struct{ Methods []row }
		b, err := os.ReadFile(filepath.Join(dir, "results.json"))
		if err != nil || json.Unmarshal(b, &r) != nil {
			t.Fatalf("%s/results.json: %v", dir, err)
		}
		return r.Methods
	}
	a, b := read(staged), read(whole)
	if len(a) != len(train.DefaultRows) {
		t.Fatalf("staged results have %d rows, want %d", len(a), len(train.DefaultRows))
	}
	if diff := cmp.Diff(b, a); diff != "" {
		t.Errorf("stages differ from run (-run +stages):\n%s", diff)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"stage-b", "-out", filepath.Join(t.TempDir(), "none")}, "run stage-a"},
		{[]string{"eval", "-out", whole, "-k", "2"}, "needs a decoder vocabulary of 700 (+7 LLINK tokens); this decoder has 705"},
		{[]string{"stage-a"}, "-out FOLDER is required"},
	} {
		var stdout, stderr bytes.Buffer
		args := append(append([]string{tc.args[0]}, flags...), tc.args[1:]...)
		if err := run(args, nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}
