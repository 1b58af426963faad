package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/llink-go/llink/models/tiny"
	"github.com/llink-go/llink/train/eval"
)

// TestFairRecordNamesModels: a record names the frozen models it was made
// with by content id, so records made with -decoder/-encoder folders and
// with the embedded models cannot be mistaken for each other.
func TestFairRecordNamesModels(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a small fair comparison: run without -short")
	}
	out := filepath.Join(t.TempDir(), "fair")
	err := run([]string{"fair", "-quiet", "-out", out, "-cache", t.TempDir(), "-seeds", "1", "-train-pairs", "128", "-train-tasks", "8",
		"-stage-a-steps", "2", "-stage-b-steps", "1", "-per-kind", "1", "-novel-per-kind", "0", "-rows", "base"}, nil, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec eval.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Settings["decoder"] != tiny.ID("decoder") || rec.Settings["encoder"] != tiny.ID("encoder") || tiny.ID("decoder") == tiny.ID("encoder") {
		t.Fatalf("settings name decoder %q, encoder %q; want %q, %q", rec.Settings["decoder"], rec.Settings["encoder"], tiny.ID("decoder"), tiny.ID("encoder"))
	}
}
