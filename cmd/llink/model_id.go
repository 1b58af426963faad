package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"

	"github.com/llink-go/llink/internal/safeio"
)

// dirID identifies a model (a Hugging Face folder or a GGUF file) by its
// content: SHA-256 over config.json, tokenizer.json and every weight file's
// bytes (safetensors header and tensors, or the GGUF file), not over names
// or times. A copy (`cp -r`), a `touch` or an identical re-download gets
// the same id; a changed weight a new one. Bundles record it, and vector
// caches are keyed by it.
func dirID(dir string) string {
	h := sha256.New()
	files := []string{dir}
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		files = nil
		for _, f := range []string{"config.json", "tokenizer.json"} {
			if p := filepath.Join(dir, f); folderExists(p) {
				files = append(files, p)
			}
		}
		ws, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
		sort.Strings(ws)
		files = append(files, ws...)
	}
	for _, f := range files {
		io.WriteString(h, filepath.Base(f)+"\x00"+fileHash(f)+"\x00")
	}
	return "sha256-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// idCacheFile caches weight-file hashes by path, size and modification
// time, so a multi-gigabyte checkpoint is read once, not on every command.
var idCacheFile = filepath.Join(".cache", "model-hashes.json")

var idCacheMu sync.Mutex

// fileHash returns the hex SHA-256 of the file at path, from the cache when
// the file's size and modification time are the ones recorded.
func fileHash(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "missing"
	}
	abs, _ := filepath.Abs(path)
	key := abs + "\x00" + strconv.FormatInt(st.Size(), 10) + "\x00" + strconv.FormatInt(st.ModTime().UnixNano(), 10)
	idCacheMu.Lock()
	defer idCacheMu.Unlock()
	cache := map[string]string{}
	if b, err := safeio.ReadFile(idCacheFile, 64<<20, "the model hash cache"); err == nil {
		json.Unmarshal(b, &cache)
	}
	if sum, ok := cache[key]; ok && len(sum) == 64 {
		return sum
	}
	f, err := os.Open(path)
	if err != nil {
		return "unreadable"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unreadable"
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if st.Size() >= 1<<20 { // small files are hashed again faster than cached
		cache[key] = sum
		if b, err := json.Marshal(cache); err == nil && os.MkdirAll(filepath.Dir(idCacheFile), 0o755) == nil {
			safeio.WriteFile(idCacheFile, b, 0o644) // best effort: a miss only costs a re-hash
		}
	}
	return sum
}
