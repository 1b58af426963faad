//go:build linux

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
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
