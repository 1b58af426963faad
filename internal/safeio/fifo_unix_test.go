//go:build linux

package safeio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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

// TestOutputFIFO: Output writes into a named pipe (a reader gets the bytes)
// and leaves it a pipe, where a rename would have replaced it by a file;
// a regular file is replaced atomically with the asked mode and no
// temporary left; a folder is refused.
func TestOutputFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "record.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo) // blocks until Output opens the pipe
		got <- string(b)
	}()
	write := func(s string) func(w io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := Output(fifo, 0o644, write("{\"a\": 1}\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "{\"a\": 1}\n" {
			t.Fatalf("the reader got %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the FIFO's reader got nothing")
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v, %v", st.Mode(), err)
	}

	file := filepath.Join(dir, "out.md")
	if err := os.WriteFile(file, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Output(file, 0o644, write("new")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "new" {
		t.Fatalf("regular file: %q, %v", b, err)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, want 0644", st.Mode().Perm())
	}
	failed := errors.New("encoder failed")
	if err := Output(file, 0o644, func(w io.Writer) error { io.WriteString(w, "part"); return failed }); !errors.Is(err, failed) {
		t.Fatalf("a failing write returned %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "new" {
		t.Fatalf("a failed write changed the file: %q", b)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if IsTemp(e.Name()) {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	if err := Output(dir, 0o644, write("x")); err == nil || !strings.Contains(err.Error(), "folder") {
		t.Fatalf("a folder target: %v", err)
	}
}
