package safetensors

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPyTorchFixtures opens the checkpoints written by PyTorch/transformers
// (models/testdata, produced by gen_fixtures.py): real-world files, sharded
// and not, f32 and bf16.
func TestPyTorchFixtures(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/*")
	n := 0
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		c, err := OpenCheckpoint(dir)
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		for _, name := range c.Names() {
			info, _ := c.Info(name)
			if !info.DType.IsFloat() {
				continue
			}
			v, err := c.Float32(name)
			if err != nil || len(v) != info.NumElements() {
				t.Errorf("%s: %s: %d values, %v", dir, name, len(v), err)
			}
			if _, err := c.BF16(name); err != nil {
				t.Errorf("%s: %s: %v", dir, name, err)
			}
			n++
		}
		c.Close()
	}
	if n == 0 {
		t.Skip("no fixtures under models/testdata")
	}
}
