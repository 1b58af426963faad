package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/llink-go/llink/internal/safeio"
)

// IndexFile is the conventional name of a sharded checkpoint's index.
const IndexFile = "model.safetensors.index.json"

// maxIndexSize bounds the size of an index JSON file.
const maxIndexSize = 64 << 20

// Checkpoint is a set of tensors spread over one or more safetensors files
// (shards), as in a Hugging Face model folder.
type Checkpoint struct {
	files  []*File
	byName map[string]*File
	// Metadata is the "metadata" object of the index (e.g. total_size), or
	// the single file's "__metadata__".
	Metadata map[string]string
}

// OpenCheckpoint opens a checkpoint. path may be a directory (containing
// model.safetensors.index.json, else model.safetensors, else exactly one
// *.safetensors file), an index JSON file, or a single .safetensors file.
func OpenCheckpoint(path string) (*Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if st.IsDir() {
		idx := filepath.Join(path, IndexFile)
		if _, err := os.Stat(idx); err == nil {
			return openIndex(idx)
		}
		single := filepath.Join(path, "model.safetensors")
		if _, err := os.Stat(single); err == nil {
			return openSingle(single)
		}
		matches, _ := filepath.Glob(filepath.Join(path, "*.safetensors"))
		switch len(matches) {
		case 0:
			return nil, fmt.Errorf("safetensors: %s: no %s or *.safetensors file", path, IndexFile)
		case 1:
			return openSingle(matches[0])
		}
		return nil, fmt.Errorf("safetensors: %s: %d .safetensors files and no %s", path, len(matches), IndexFile)
	}
	if strings.HasSuffix(path, ".json") {
		return openIndex(path)
	}
	return openSingle(path)
}

func openSingle(path string) (*Checkpoint, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{files: []*File{f}, byName: map[string]*File{}, Metadata: f.Metadata()}
	for _, t := range f.h.tensors {
		c.byName[t.Name] = f
	}
	return c, nil
}

func openIndex(path string) (_ *Checkpoint, err error) {
	data, err := readBounded(path, maxIndexSize)
	if err != nil {
		return nil, err
	}
	weightMap := map[string]string{}
	meta := map[string]string{}
	haveMap := false
	err = decodeObject(data, func(key string, raw json.RawMessage) error {
		switch key {
		case "weight_map":
			haveMap = true
			return decodeStringMap(raw, weightMap)
		case "metadata":
			// Values may be numbers (total_size) or strings: keep their text.
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				return fmt.Errorf("metadata: %w", err)
			}
			for k, v := range m {
				var s string
				if json.Unmarshal(v, &s) != nil {
					s = string(v)
				}
				meta[k] = s
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if !haveMap {
		return nil, fmt.Errorf("safetensors: %s: missing \"weight_map\"", path)
	}
	dir := filepath.Dir(path)
	c := &Checkpoint{byName: map[string]*File{}, Metadata: meta}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	shards := map[string]*File{}
	names := make([]string, 0, len(weightMap))
	for n := range weightMap {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		shard := weightMap[n]
		if shard == "" || shard != filepath.Base(shard) || shard == "." || shard == ".." || strings.ContainsAny(shard, `/\`) {
			return nil, fmt.Errorf("safetensors: %s: tensor %q: shard %q must be a file name in the same directory", path, n, shard)
		}
		f, ok := shards[shard]
		if !ok {
			f, err = Open(filepath.Join(dir, shard))
			if err != nil {
				return nil, fmt.Errorf("safetensors: %s: tensor %q: %w", path, n, err)
			}
			shards[shard] = f
			c.files = append(c.files, f)
		}
		if _, ok := f.Info(n); !ok {
			return nil, fmt.Errorf("safetensors: %s: tensor %q is mapped to %s, which does not contain it", path, n, shard)
		}
		c.byName[n] = f
	}
	return c, nil
}

func readBounded(path string, limit int64) ([]byte, error) {
	if err := safeio.CheckRegular(path); err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("safetensors: %s: %d bytes exceeds the limit of %d for an index file", path, st.Size(), limit)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return data, nil
}

// Close closes every shard.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, f := range c.files {
		errs = append(errs, f.Close())
	}
	c.files = nil
	return errors.Join(errs...)
}

// Names returns all tensor names in sorted order.
func (c *Checkpoint) Names() []string {
	names := make([]string, 0, len(c.byName))
	for n := range c.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Files returns the open shards.
func (c *Checkpoint) Files() []*File { return c.files }

// Info returns the description of the named tensor.
func (c *Checkpoint) Info(name string) (TensorInfo, bool) {
	f, ok := c.byName[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Info(name)
}

func (c *Checkpoint) file(name string) (*File, error) {
	f, ok := c.byName[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: checkpoint has no tensor %q: %w", name, fs.ErrNotExist)
	}
	return f, nil
}

// Bytes returns the named tensor's raw bytes (see [File.Bytes]).
func (c *Checkpoint) Bytes(name string) ([]byte, error) {
	f, err := c.file(name)
	if err != nil {
		return nil, err
	}
	return f.Bytes(name)
}

// Float32 returns the named tensor converted to float32 (see [File.Float32]).
func (c *Checkpoint) Float32(name string) ([]float32, error) {
	f, err := c.file(name)
	if err != nil {
		return nil, err
	}
	return f.Float32(name)
}

// BF16 returns the named tensor as bfloat16 bits (see [File.BF16]).
func (c *Checkpoint) BF16(name string) ([]uint16, error) {
	f, err := c.file(name)
	if err != nil {
		return nil, err
	}
	return f.BF16(name)
}
