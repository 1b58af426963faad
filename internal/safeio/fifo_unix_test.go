//go:build linux

package safeio

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestReadFilePipes: a named pipe nothing writes to (a tokenizer.json made
// a FIFO) reads as empty at once instead of blocking the open forever,
// while a pipe with a writer that takes its time (a shell's <(…), here
// /dev/fd/N of an os.Pipe) is still read whole.
func TestReadFilePipes(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan error, 1)
	go func() {
		b, err := ReadFile(fifo, 1<<20, "a tokenizer.json")
		if err == nil && len(b) != 0 {
			err = fmt.Errorf("read %q", b)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadFile of a FIFO without a writer blocked")
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		time.Sleep(50 * time.Millisecond)
		w.WriteString(`{"model": {}}`)
		time.Sleep(50 * time.Millisecond)
		w.WriteString("\n")
		w.Close()
	}()
	b, err := ReadFile(fmt.Sprintf("/dev/fd/%d", r.Fd()), 1<<20, "a tokenizer.json")
	if err != nil || string(b) != "{\"model\": {}}\n" {
		t.Fatalf("pipe: %q, %v", b, err)
	}
}
