package safeio

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "config.json")
	os.WriteFile(small, []byte(`{"a": 1}`), 0o644)
	big := filepath.Join(dir, "big.json")
	os.WriteFile(big, bytes.Repeat([]byte("x"), 2049), 0o644)
	tests := []struct {
		name, path string
		limit      int64
		want       string // error substring; "" means success
	}{
		{"under the limit", small, 2048, ""},
		{"exactly the limit", small, 8, ""},
		{"over the limit", big, 2048, "big.json: file too large: more than 2 KiB, the limit for a config.json"},
		{"one byte over", small, 7, "more than 7 bytes"},
		{"endless device", "/dev/zero", 1 << 20, "/dev/zero: file too large: more than 1 MiB"},
		{"missing", filepath.Join(dir, "nope"), 10, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path == "/dev/zero" && runtime.GOOS == "windows" {
				t.Skip("no /dev/zero")
			}
			b, err := ReadFile(tc.path, tc.limit, "a config.json")
			if tc.want == "" {
				if err != nil || len(b) == 0 {
					t.Fatalf("ReadFile = %d bytes, %v", len(b), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ReadFile = %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(tc.want, "too large") && !errors.Is(err, ErrTooLarge) {
				t.Errorf("%v does not wrap ErrTooLarge", err)
			}
		})
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 1023: "1023 bytes", 1024: "1 KiB", 1536: "1.5 KiB", 16 << 20: "16 MiB", 3 << 30: "3 GiB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	for _, content := range []string{"first version", "second"} {
		if err := WriteFile(path, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if string(got) != content {
			t.Fatalf("content %q, want %q", got, content)
		}
	}
	if st, _ := os.Stat(path); runtime.GOOS != "windows" && st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}
	// An aborted write leaves the target as it was and no temporary file.
	f, err := Create(path, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("half of a third version")
	f.Abort()
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	if got, _ := os.ReadFile(path); string(got) != "second" {
		t.Errorf("after Abort: %q", got)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("files left: %v", names)
	}
	// A folder name containing the temporary marks is harmless.
	odd := filepath.Join(dir, ".x.new-1.tmp-2")
	os.Mkdir(odd, 0o755)
	if err := WriteFile(filepath.Join(odd, "f"), []byte("ok"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRemoveStale(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock: stale files are those a day old")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	// A writer that died: its temporary file stays, unlocked.
	dead, err := Create(path, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	dead.WriteString("partial")
	dead.File.Close() // what the kernel does when the process is killed
	// A live writer of another file in the same folder.
	live, err := Create(filepath.Join(dir, "other.json"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Abort()
	// A file that only looks temporary keeps its place.
	os.WriteFile(filepath.Join(dir, "notes.tmp-1"), []byte("mine"), 0o644)
	if n := len(entries(t, dir)); n != 3 {
		t.Fatalf("%d files before cleaning: %v", n, entries(t, dir))
	}
	removed, err := RemoveStale(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != dead.tmp {
		t.Errorf("removed %v, want only %s", removed, dead.tmp)
	}
	got := strings.Join(entries(t, dir), " ")
	if !strings.Contains(got, ".other.json.tmp-") || !strings.Contains(got, "notes.tmp-1") || strings.Contains(got, ".ckpt") {
		t.Errorf("after cleaning: %s", got)
	}
	if err := live.Commit(); err != nil {
		t.Fatalf("the live writer's commit failed: %v", err)
	}
}

// TestKilledWriterCleanedOnNextWrite kills (SIGKILL) a process in the middle
// of writing a file; the next write of the same file removes its leftover.
func TestKilledWriterCleanedOnNextWrite(t *testing.T) {
	if os.Getenv("SAFEIO_CHILD") != "" {
		f, err := Create(os.Getenv("SAFEIO_CHILD"), 0o644)
		if err != nil {
			os.Exit(3)
		}
		f.WriteString("partial checkpoint")
		os.Stdout.WriteString("writing\n")
		select {} // killed here
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "stage-b.safetensors")
	if err := WriteFile(path, []byte("step 10"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestKilledWriterCleanedOnNextWrite$")
	cmd.Env = append(os.Environ(), "SAFEIO_CHILD="+path)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "writing\n" {
		cmd.Process.Kill()
		t.Fatalf("child said %q", line)
	}
	cmd.Process.Kill() // SIGKILL: no deferred clean-up runs
	cmd.Wait()
	if n := len(entries(t, dir)); n != 2 {
		t.Fatalf("want the target and a leftover temporary file, have %v", entries(t, dir))
	}
	if got, _ := os.ReadFile(path); string(got) != "step 10" {
		t.Fatalf("the kill changed the target: %q", got)
	}
	if err := WriteFile(path, []byte("step 20"), 0o644); err != nil {
		t.Fatal(err)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("after the next write: %v", names)
	}
}
