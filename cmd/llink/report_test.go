package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llink-go/llink/train/eval"
)

// writeTestRecord writes a small valid record of two methods, two seeds.
func writeTestRecord(t *testing.T, path string) {
	t.Helper()
	kinds := []string{"who", "translate", "yes_no"}
	refs := []string{"Sok Dara", "He has 3 cows.", "yes"}
	rec := &eval.Record{Command: "llink fair -seeds 2", Commit: "abc1234", Date: "2026-12-06", Machine: "test", Seeds: []uint64{1, 2}}
	sl := eval.SliceRun{Name: "held-out names and numbers", About: "Test."}
	for _, seed := range rec.Seeds {
		run := eval.SeedRun{Seed: seed, Kinds: kinds}
		for name, outs := range map[string][]string{"LLINK": {"Sok Dara", "He has 3 cows.", "yes"}, "copy only": {"Dara", "3 cows", "yes"}} {
			m, err := eval.ScoreAnswers(name, kinds, outs, refs)
			if err != nil {
				t.Fatal(err)
			}
			run.Methods = append(run.Methods, m)
		}
		if run.Methods[0].Method != "copy only" { // map order: keep one order for every seed
			run.Methods[0], run.Methods[1] = run.Methods[1], run.Methods[0]
		}
		sl.Seeds = append(sl.Seeds, run)
	}
	rec.Slices = []eval.SliceRun{sl}
	if err := rec.WriteFile(path); err != nil {
		t.Fatal(err)
	}
}

func TestReportInto(t *testing.T) {
	dir := t.TempDir()
	rec, doc := filepath.Join(dir, "r.json"), filepath.Join(dir, "README.md")
	writeTestRecord(t, rec)
	if err := os.WriteFile(doc, []byte("# Title\n\n"+eval.MarkerBegin+"\nstale\n"+eval.MarkerEnd+"\n\nmore\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err, code := runCLI(t, "report", "-record", rec, "-into", doc, "-check"); err == nil || code != 1 {
		t.Fatalf("-check passed a stale section (exit %d): %s", code, stderr)
	}
	if _, _, err, _ := runCLI(t, "report", "-record", rec, "-into", doc); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(doc)
	for _, want := range []string{"# Title", "| LLINK |", "| copy only (fair control) |", "strongest fair control (copy only)", "\nmore\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("document lacks %q:\n%s", want, b)
		}
	}
	if _, _, err, _ := runCLI(t, "report", "-record", rec, "-into", doc, "-check"); err != nil {
		t.Fatalf("-check after rendering: %v", err)
	}
	out, _, err, _ := runCLI(t, "report", "-record", rec)
	if err != nil || !strings.Contains(out, "| LLINK |") {
		t.Fatalf("report to stdout: %v\n%s", err, out)
	}
	if _, _, _, code := runCLI(t, "report", "-check"); code != 2 {
		t.Fatalf("-check without -into: exit %d, want 2", code)
	}
	if _, _, err, _ := runCLI(t, "report", "-record", filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("a missing record was accepted")
	}
}

// The results sections of the README (the paper's pooled slots) and of
// docs/EVALUATION.md (word slots) are the committed records rendered: no
// number in them is typed by hand.
func TestREADMEMatchesRecord(t *testing.T) {
	for _, c := range []struct{ doc, record string }{
		{"README.md", defaultRecord},
		{"docs/EVALUATION.md", "bench/results/fair-yesno2.json"},
	} {
		doc, record := filepath.Join("..", "..", c.doc), filepath.Join("..", "..", c.record)
		if _, stderr, err, _ := runCLI(t, "report", "-record", record, "-into", doc, "-check"); err != nil {
			t.Fatalf("%s: %v\n%s", c.doc, err, stderr)
		}
	}
}

// A run on a user's task file warns that its test split is not
// entity-disjoint, naming the file.
func TestTasksSplitNote(t *testing.T) {
	note := tasksSplitNote("/data/km-tasks.jsonl")
	for _, want := range []string{"/data/km-tasks.jsonl", "not entity-disjoint", "docs/EVALUATION.md"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q lacks %q", note, want)
		}
	}
}
