package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

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

// TestEmbedCacheInterrupt: Ctrl-C during `llink embed-cache` (SIGINT to a
// child process, sent while it computes the 1,024-pair pool cache) stops
// it after its batch with a message saying how to continue, leaving no
// temporary file and no cache for the unfinished set, only that set's
// partial file; the same command then finishes, computing only the rest.
func TestEmbedCacheInterrupt(t *testing.T) {
	if testing.Short() || runtime.GOOS == "windows" {
		t.Skip("a subprocess computing a few thousand vectors; SIGINT")
	}
	args := []string{"embed-cache", "-train-pairs", "64", "-train-tasks", "8", "-test-tasks", "8"}
	if cache := os.Getenv("LLINK_TEST_EMBED_CACHE"); cache != "" { // the child
		var stdout bytes.Buffer
		os.Exit(exitCode(run(append(args, "-cache", cache), nil, &stdout, os.Stderr), os.Stderr))
	}
	cache := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEmbedCacheInterrupt$")
	cmd.Env = append(os.Environ(), "LLINK_TEST_EMBED_CACHE="+cache)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	sent := false
	sc := bufio.NewScanner(stderr)
	sc.Split(scanLinesOrCR)
	for sc.Scan() {
		line := sc.Text()
		log.WriteString(line + "\n")
		if !sent && strings.Contains(line, "vectors pool") && !strings.Contains(line, "100%") {
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			sent = true
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var exit *exec.ExitError
	select {
	case err := <-done:
		if !sent || !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("child: %v (signal sent: %v)\n%s", err, sent, log.String())
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("the child did not stop\n%s", log.String())
	}
	out := log.String()
	for _, want := range []string{"interrupt", "stopped after", "the same command continues"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "panic:") || strings.Contains(out, "goroutine ") {
		t.Fatalf("the child panicked:\n%s", out)
	}
	files := func() (caches, partial, temps int) {
		ents, err := os.ReadDir(cache)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			switch n := e.Name(); {
			case strings.HasPrefix(n, "."):
				temps++
			case strings.HasSuffix(n, ".partial.safetensors"):
				partial++
			default:
				caches++
			}
		}
		return
	}
	if caches, partial, temps := files(); caches != 2 || partial != 1 || temps != 0 {
		t.Fatalf("after the interrupt: %d caches (want train and dev), %d partial files (want 1), %d temporaries (want 0)", caches, partial, temps)
	}
	o, e, err, code := runCLI(t, append(args, "-cache", cache, "-quiet", "-json")...)
	if err != nil || code != 0 {
		t.Fatalf("the next run: %v (exit %d)\n%s", err, code, e)
	}
	var written map[string]string
	if err := json.Unmarshal([]byte(o), &written); err != nil || len(written) != 5 {
		t.Fatalf("the next run wrote %q (%v)", o, err)
	}
	if caches, partial, temps := files(); caches != 5 || partial != 0 || temps != 0 {
		t.Fatalf("after the next run: %d caches (want 5), %d partial files, %d temporaries", caches, partial, temps)
	}
}

// scanLinesOrCR splits at "\n" or "\r" (a progress bar redraws its line).
func scanLinesOrCR(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
