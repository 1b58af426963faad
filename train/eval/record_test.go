package eval

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRecord builds a two-seed record where "A" answers the exact-match
// questions right with probability pa and "B" with pb.
func fakeRecord(t *testing.T) *Record {
	t.Helper()
	kinds := []string{"who", "translate", "where", "who", "yes_no", "translate"}
	refs := []string{"Sok Dara", "He bought 3 kg of fish.", "Kampot", "Chan Vanna", "yes", "It rained on 12 March 2024."}
	rec := &Record{Command: "llink eval -seeds 2", Commit: "abc1234", Date: "2026-12-06", Machine: "test", Seeds: []uint64{1, 2},
		Settings: map[string]string{"stage_b_steps": "150"}}
	sl := SliceRun{Name: "held-out names and numbers", About: "Test pairs use given names and numbers never seen in training."}
	outs := map[string][][]string{
		"A": {{"Sok Dara", "He bought 3 kg of fish.", "Kampot", "Chan Vanna", "no", "It rained on 12 March."},
			{"Sok Dara", "He bought fish.", "Kampot", "Chan", "yes", "It rained on 12 March 2024."}},
		"B": {{"Dara", "He bought fish.", "Kep", "Chan Vanna", "no", "It rained."},
			{"Sok", "fish", "Kampot", "Chan", "no", "Rain on 12 March 2024."}},
	}
	for si, seed := range rec.Seeds {
		run := SeedRun{Seed: seed, Kinds: kinds}
		for _, name := range []string{"A", "B"} {
			m, err := ScoreAnswers(name, kinds, outs[name][si], refs)
			if err != nil {
				t.Fatal(err)
			}
			m.PromptTokens = 60
			run.Methods = append(run.Methods, m)
		}
		sl.Seeds = append(sl.Seeds, run)
	}
	rec.Slices = []SliceRun{sl}
	return rec
}

func TestRecordScoresAndRoundTrip(t *testing.T) {
	rec := fakeRecord(t)
	a := rec.Slices[0].Seeds[0].Method("A")
	if a.Correct != "1-110-" {
		t.Fatalf("A seed 1 correct = %q, want 1-110-", a.Correct)
	}
	if got := a.EM(); got != 0.75 {
		t.Fatalf("A seed 1 EM = %v, want 0.75", got)
	}
	if len(a.ChrFs) != 2 || a.ChrFs[0] != 100 {
		t.Fatalf("A seed 1 chrFs = %v, want [100, …]", a.ChrFs)
	}
	if a.NumericMatch != 2 || a.NumericTotal != 3 {
		t.Fatalf("A seed 1 numbers %d/%d, want 2/3", a.NumericMatch, a.NumericTotal)
	}
	// Scores are exact until the record is written, which rounds chrF to
	// 3 decimals in the file and in rec alike.
	exact := ChrF("It rained on 12 March.", "It rained on 12 March 2024.")
	round3 := math.Round(exact*1000) / 1000
	if a.ChrFs[1] != exact || exact == round3 {
		t.Fatalf("A seed 1 translation chrF %v, want the exact %v (not a 3-decimal number)", a.ChrFs[1], exact)
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := rec.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	back, err := ReadRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*MethodScores{a, back.Slices[0].Seeds[0].Method("A")} {
		if m.ChrFs[1] != round3 || m.CorpusChrF != math.Round(m.CorpusChrF*1000)/1000 {
			t.Fatalf("written chrF %v (corpus %v), want %v and 3 decimals", m.ChrFs[1], m.CorpusChrF, round3)
		}
	}
	var w1, w2 bytes.Buffer
	o := ReportOptions{Method: "A", Fair: []string{"B"}, Controls: []string{"B"}}
	if err := rec.WriteMarkdown(&w1, o); err != nil {
		t.Fatal(err)
	}
	if err := back.WriteMarkdown(&w2, o); err != nil {
		t.Fatal(err)
	}
	if w1.String() != w2.String() {
		t.Fatal("the record read back renders differently")
	}
	md := w1.String()
	// A: EM 3/4 and 3/4 → 0.750 with a zero-width interval; B: 1/4 and 1/4.
	for _, want := range []string{"| A | 0.750 [0.750, 0.750] |", "| B | 0.250 [0.250, 0.250] |", "| B (fair control) | +0.500",
		"strongest fair control (B)", "6 questions per seed (who 2, translate 2, where 1, yes_no 1)"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("WriteFile left %d files behind, want only the record", len(entries))
	}
}

func TestRecordValidate(t *testing.T) {
	for name, spoil := range map[string]func(r *Record){
		"short scores":     func(r *Record) { r.Slices[0].Seeds[0].Methods[0].Correct = "1-1" },
		"chrF count":       func(r *Record) { r.Slices[0].Seeds[1].Methods[1].ChrFs = nil },
		"method missing":   func(r *Record) { r.Slices[0].Seeds[1].Methods = r.Slices[0].Seeds[1].Methods[:1] },
		"seed mismatch":    func(r *Record) { r.Slices[0].Seeds[1].Seed = 9 },
		"translate scored": func(r *Record) { r.Slices[0].Seeds[0].Methods[0].Correct = "11110-" },
		"no seeds":         func(r *Record) { r.Seeds = nil },
	} {
		r := fakeRecord(t)
		spoil(r)
		if err := r.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ScoreAnswers("x", []string{"who"}, nil, []string{"a"}); err == nil {
		t.Error("ScoreAnswers accepted mismatched lengths")
	}
}

func TestSummariseOneSeedUsesWilson(t *testing.T) {
	rec := fakeRecord(t)
	sl := rec.Slices[0]
	sl.Seeds = sl.Seeds[:1]
	s := sl.Summarise()
	w := Wilson(3, 4)
	if s[0].EM != w {
		t.Fatalf("one-seed EM interval %+v, want Wilson %+v", s[0].EM, w)
	}
	if !math.IsNaN(s[0].ChrF.Lo) {
		t.Fatalf("one-seed chrF has an interval: %+v", s[0].ChrF)
	}
}

func TestSplice(t *testing.T) {
	doc := "intro\n" + MarkerBegin + "\nold table\n" + MarkerEnd + "\noutro\n"
	got, err := Splice(doc, "new table\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "intro\n" + MarkerBegin + "\nnew table\n" + MarkerEnd + "\noutro\n"; got != want {
		t.Fatalf("Splice = %q, want %q", got, want)
	}
	again, _ := Splice(got, "new table")
	if again != got {
		t.Fatal("Splice is not idempotent")
	}
	for _, bad := range []string{"no markers", MarkerEnd + MarkerBegin, MarkerBegin + MarkerBegin + MarkerEnd} {
		if _, err := Splice(bad, "x"); err == nil {
			t.Errorf("Splice(%q) accepted", bad)
		}
	}
}
