//go:build linux

package safetensors

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenRefusesFIFO: a named pipe given as model.safetensors (directly,
// or in a model folder, or as the index) is refused at once with an error
// naming it, where opening it would block until something wrote to it.
func TestOpenRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "model.safetensors")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	idxDir := t.TempDir()
	idx := filepath.Join(idxDir, IndexFile)
	if err := syscall.Mkfifo(idx, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, want string
		open       func() error
	}{
		{"Open", fifo, func() error { _, err := Open(fifo); return err }},
		{"OpenCheckpoint file", fifo, func() error { _, err := OpenCheckpoint(fifo); return err }},
		{"OpenCheckpoint folder", fifo, func() error { _, err := OpenCheckpoint(dir); return err }},
		{"OpenCheckpoint index", idx, func() error { _, err := OpenCheckpoint(idxDir); return err }},
		{"Open folder", dir, func() error { _, err := Open(dir); return err }},
	} {
		done := make(chan error, 1)
		go func() { done <- tc.open() }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%s: %v, want an error naming %s as not a regular file", tc.name, err, tc.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s of a FIFO blocked", tc.name)
		}
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO changed: %v", err)
	}
}
