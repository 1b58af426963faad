package safetensors_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/llink-go/llink/models/safetensors"
)

func Example() {
	dir, _ := os.MkdirTemp("", "st")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "projector.safetensors")

	// Write two tensors with provenance metadata (atomically).
	err := safetensors.Write(path, []safetensors.Tensor{
		safetensors.FromFloat32("proj.weight", []int{2, 3}, []float32{0.5, -1, 2, 0.25, 3, -4}, safetensors.BF16),
		safetensors.FromFloat32("proj.bias", []int{2}, []float32{0.1, 0.2}, safetensors.F32),
	}, map[string]string{"command": "llink stage-a", "seed": "1"})
	if err != nil {
		log.Fatal(err)
	}

	f, err := safetensors.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	w, _ := f.Float32("proj.weight") // converted copy
	bf, _ := f.BF16("proj.weight")   // zero-copy view where possible
	info, _ := f.Info("proj.weight")
	fmt.Println(f.Names(), info.DType, info.Shape, w, len(bf), f.Metadata()["seed"])
	// Output: [proj.bias proj.weight] BF16 [2 3] [0.5 -1 2 0.25 3 -4] 6 1
}

func ExampleOpenCheckpoint() {
	dir, _ := os.MkdirTemp("", "ckpt")
	defer os.RemoveAll(dir)
	safetensors.Write(filepath.Join(dir, "model-00001-of-00002.safetensors"),
		[]safetensors.Tensor{safetensors.FromFloat32("a", []int{2}, []float32{1, 2}, safetensors.F32)}, nil)
	safetensors.Write(filepath.Join(dir, "model-00002-of-00002.safetensors"),
		[]safetensors.Tensor{safetensors.FromFloat32("b", []int{1}, []float32{3}, safetensors.F16)}, nil)
	os.WriteFile(filepath.Join(dir, safetensors.IndexFile), []byte(`{"metadata":{"total_size":10},"weight_map":{
		"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}`), 0o644)

	c, err := safetensors.OpenCheckpoint(dir) // a folder, an index file or one .safetensors file
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	b, _ := c.Float32("b")
	fmt.Println(c.Names(), b)
	// Output: [a b] [3]
}
