package gguf_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/llink-go/llink/models/gguf"
)

func Example() {
	dir, _ := os.MkdirTemp("", "gguf")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tiny.gguf")

	w := gguf.NewWriter()
	w.Set("general.architecture", gguf.NewString("llama"))
	w.Set("llama.embedding_length", gguf.NewUint32(4))
	w.Set("tokenizer.ggml.model", gguf.NewString("llama"))
	w.Set("tokenizer.ggml.tokens", gguf.NewStrings([]string{"<unk>", "<s>", "</s>", "▁hi"}))
	w.Set("tokenizer.ggml.scores", gguf.NewFloat32s([]float32{0, 0, 0, -1.5}))
	if err := w.AddFloat32("token_embd.weight", []int{4, 4}, []float32{
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, gguf.BF16); err != nil {
		log.Fatal(err)
	}
	if err := w.WriteFile(path); err != nil {
		log.Fatal(err)
	}

	f, err := gguf.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	arch, _ := f.String("general.architecture")
	d, _ := f.Uint("llama.embedding_length")
	tokens, _ := f.Strings("tokenizer.ggml.tokens")
	emb, _ := f.ReadFloat32("token_embd.weight")
	ti, _ := f.Tensor("token_embd.weight")
	fmt.Println(f.Version, arch, d, tokens, ti.Type, ti.Shape(), emb[4:8])
	// Output: 3 llama 4 [<unk> <s> </s> ▁hi] BF16 [4 4] [5 6 7 8]
}
