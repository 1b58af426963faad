package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/llink-go/llink/train"
)

// TestWriteAnswers checks that every row's answers are written once, in
// order, each labelled with its slice and method.
func TestWriteAnswers(t *testing.T) {
	sl := []train.FairSlice{{Name: "held-out", N: 2}, {Name: "novel", N: 1}}
	rows := []train.MethodResult{
		{Method: "LLINK", Answers: []train.Answer{{Kind: "who", Question: "Who?", Output: "Sok Dara", Reference: "Sok Dara"}, {Kind: "when", Output: "in May", Reference: "in June"}, {Kind: "where", Output: "Kep", Reference: "Kampot"}}},
		{Method: "copy only", Answers: []train.Answer{{Kind: "who", Output: "a"}, {Kind: "when", Output: "b"}, {Kind: "where", Output: "c"}}},
	}
	path := filepath.Join(t.TempDir(), "seed-1-answers.jsonl")
	if err := writeAnswers(path, sl, rows); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type line struct{ Slice, Method, Kind, Question, Output, Reference string }
	var got []line
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		got = append(got, l)
	}
	want := []line{
		{"held-out", "LLINK", "who", "Who?", "Sok Dara", "Sok Dara"}, {"held-out", "LLINK", "when", "", "in May", "in June"}, {"novel", "LLINK", "where", "", "Kep", "Kampot"},
		{"held-out", "copy only", "who", "", "a", ""}, {"held-out", "copy only", "when", "", "b", ""}, {"novel", "copy only", "where", "", "c", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
