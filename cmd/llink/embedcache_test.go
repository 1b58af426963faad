package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/models/safetensors"
)

// TestEmbedCacheShards builds the run's caches in two shards and merges
// them, checks the vectors equal a one-process build, and that a run with
// those flags reads them instead of recomputing; then the refusals.
func TestEmbedCacheShards(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes a few thousand sentences")
	}
	dec, enc := tinyFolders(t)
	flags := []string{"-decoder", dec, "-encoder", enc, "-k", "4", "-train-pairs", "300", "-train-tasks", "48", "-test-tasks", "16"}
	sharded, whole := filepath.Join(t.TempDir(), "sharded"), filepath.Join(t.TempDir(), "whole")
	cli := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(args, nil, &stdout, &stderr)
		return stdout.String(), err
	}
	paths := func(args ...string) map[string]string {
		t.Helper()
		out, err := cli(append(append([]string{"embed-cache", "-quiet", "-json"}, flags...), args...)...)
		if err != nil {
			t.Fatalf("embed-cache %v: %v", args, err)
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(out), &m); err != nil || len(m) != 5 {
			t.Fatalf("embed-cache %v: output %q (%v)", args, out, err)
		}
		return m
	}
	for _, s := range []string{"1/2", "0/2"} {
		paths("-cache", sharded, "-shard", s)
	}
	merged := paths("-cache", sharded, "-merge", "2")
	single := paths("-cache", whole)
	for name, p := range merged {
		if filepath.Base(p) != filepath.Base(single[name]) {
			t.Errorf("%s: merged cache %s and single build %s have different keys", name, p, single[name])
		}
		for _, tensor := range []string{"z", "h"} {
			a, b := readTensor(t, p, tensor), readTensor(t, single[name], tensor)
			if !slices.Equal(a, b) {
				t.Errorf("%s: merged %s differs from the one-process build", name, tensor)
			}
		}
	}
	// run reads the merged caches: no new cache file appears.
	before, _ := os.ReadDir(sharded)
	out := filepath.Join(t.TempDir(), "run")
	if _, err := cli(append([]string{"run", "-quiet", "-out", out, "-cache", sharded, "-stage-a-steps", "2", "-stage-b-steps", "1"}, flags...)...); err != nil {
		t.Fatalf("run on the merged caches: %v", err)
	}
	if after, _ := os.ReadDir(sharded); len(after) != len(before) {
		t.Errorf("run wrote %d new cache files instead of reading the merged ones", len(after)-len(before))
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-shard", "2/2"}, "want I/N with 0 ≤ I < N"},
		{[]string{"-shard", "x"}, "want I/N"},
		{[]string{"-shard", "0/2", "-merge", "2"}, "give one"},
		{[]string{"-cache", t.TempDir(), "-merge", "3"}, "shard 0/3 missing"},
	} {
		_, err := cli(append(append([]string{"embed-cache", "-quiet"}, flags...), tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("embed-cache %v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

func readTensor(t *testing.T, path, name string) []float32 {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
