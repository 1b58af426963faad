//go:build linux

package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/llink-go/llink/train"
)

// TestReportIntoFIFO: `report -into` a named pipe neither hangs nor
// replaces the pipe by a file: with no writer the document reads empty,
// which has no results markers, so the command fails and the pipe stays.
func TestReportIntoFIFO(t *testing.T) {
	dir := t.TempDir()
	rec, fifo := filepath.Join(dir, "r.json"), filepath.Join(dir, "README.md")
	writeTestRecord(t, rec)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err, _ := runCLI(t, "report", "-record", rec, "-into", fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("report -into an empty FIFO succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("report -into a FIFO hung")
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v, %v", st.Mode(), err)
	}
}

// signalOn is a stdout that sends the process SIGTERM the first time a
// line holding mark is written, then waits (up to 10 s) until the signal
// handler has said so on stderr, so what follows runs interrupted.
type signalOn struct {
	mark   string
	stderr *syncWriter
	buf    bytes.Buffer
	sent   bool
}

func (s *signalOn) Write(p []byte) (int, error) {
	s.buf.Write(p)
	if !s.sent && strings.Contains(s.buf.String(), s.mark) {
		s.sent = true
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			s.stderr.mu.Lock()
			said := strings.Contains(s.stderr.w.String(), "interrupt")
			s.stderr.mu.Unlock()
			if said {
				break
			}
		}
	}
	return len(p), nil
}

// TestFairInterrupt: SIGTERM (or Ctrl-C) during `llink fair` stops the
// seed being run at its next step with a resume hint and exit status 1,
// where it used to kill the process; the finished seed's file stays
// byte-identical, nothing of the stopped seed is written and the folder is
// kept for -resume.
func TestFairInterrupt(t *testing.T) {
	out := filepath.Join(t.TempDir(), "fair")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	seed1 := filepath.Join(out, "seed-1.json")
	for name, body := range map[string]string{"metrics.jsonl": "", "seed-1.json": "[]\n"} {
		if err := os.WriteFile(filepath.Join(out, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := &syncWriter{w: &bytes.Buffer{}}
	o := &signalOn{mark: "seed 2 of 2", stderr: e}
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"fair", "-resume", "-out", out, "-cache", t.TempDir(), "-seeds", "2", "-train-pairs", "128", "-train-tasks", "8",
			"-stage-a-steps", "2", "-stage-b-steps", "1", "-per-kind", "2", "-novel-per-kind", "0", "-rows", "base,LLINK"}, nil, o, e)
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("fair did not stop")
	}
	e.mu.Lock()
	stderr := e.w.String()
	e.mu.Unlock()
	if !o.sent {
		t.Fatalf("seed 2 never started: %v\n%s", err, stderr)
	}
	if !errors.Is(err, train.ErrInterrupted) || !strings.Contains(err.Error(), "resume with: llink fair -resume -out "+out) || exitCode(err, io.Discard) != 1 {
		t.Fatalf("got %v, want an interruption with a resume hint\n%s", err, stderr)
	}
	if strings.Contains(stderr, "panic:") || strings.Contains(stderr, "goroutine ") {
		t.Fatalf("panic:\n%s", stderr)
	}
	if b, err := os.ReadFile(seed1); err != nil || string(b) != "[]\n" {
		t.Fatalf("seed-1.json: %q, %v", b, err)
	}
	for _, name := range []string{"seed-2.json", "record.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err == nil {
			t.Errorf("%s written by an interrupted run", name)
		}
	}
}
