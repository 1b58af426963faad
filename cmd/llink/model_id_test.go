package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// copyDir copies the regular files of src into a new folder dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(src)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644)
	}
}

// TestModelIDByContent: a model's id follows its bytes, not its folder
// name or file times (a bundle used to be refused after `cp -r` or `touch`).
func TestModelIDByContent(t *testing.T) {
	idCacheFile = filepath.Join(t.TempDir(), "hashes.json")
	dir := tinyDecoderDir(t)
	id := dirID(dir)
	copied := filepath.Join(t.TempDir(), "another-name")
	copyDir(t, dir, copied)
	if got := dirID(copied); got != id {
		t.Errorf("a copy has id %s, the original %s", got, id)
	}
	later := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(copied, "model.safetensors"), later, later)
	if got := dirID(copied); got != id {
		t.Errorf("after touch: id %s, want %s", got, id)
	}
	w := filepath.Join(copied, "model.safetensors")
	b, _ := os.ReadFile(w)
	b[len(b)-1] ^= 1 // one bit of one weight
	os.WriteFile(w, b, 0o644)
	if got := dirID(copied); got == id {
		t.Error("changed weights kept the id")
	}
}

// TestFileHashCached: a large weight file is hashed once; while its size
// and modification time stay, the recorded hash is reused.
func TestFileHashCached(t *testing.T) {
	idCacheFile = filepath.Join(t.TempDir(), "hashes.json")
	path := filepath.Join(t.TempDir(), "model.safetensors")
	data := make([]byte, 2<<20)
	data[7] = 1
	os.WriteFile(path, data, 0o644)
	st, _ := os.Stat(path)
	first := fileHash(path)
	data[7] = 2 // same size; restore the time: the cache answers
	os.WriteFile(path, data, 0o644)
	os.Chtimes(path, st.ModTime(), st.ModTime())
	if got := fileHash(path); got != first {
		t.Errorf("the cached hash was not used: %s vs %s", got, first)
	}
	later := st.ModTime().Add(time.Minute)
	os.Chtimes(path, later, later)
	if got := fileHash(path); got == first {
		t.Error("a file with a new time was not hashed again")
	}
}
