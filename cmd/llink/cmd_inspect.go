package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/llink-go/llink/models/gguf"
	"github.com/llink-go/llink/models/hfconfig"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/xlmr"
)

func init() {
	register(command{name: "inspect", synopsis: "PATH", short: "print a checkpoint folder's or GGUF file's config, parameter count, dtypes and memory estimate", run: runInspect,
		long: `PATH is a Hugging Face model folder (config.json with safetensors weights, one file
or shards with model.safetensors.index.json) or a llama.cpp .gguf file. For a
Llama decoder it prints the architecture (vocabulary, width, layers, heads,
RoPE settings, tied head, end tokens), the parameter count and the weights'
memory in float32 and bfloat16; for a BERT-family encoder its shape; then each
tensor dtype's element count and the checkpoint's size. Nothing is loaded
into memory but the headers. Exit status 1 when PATH cannot be read or is
not a model.

Example: llink inspect ~/models/Llama-3.2-1B-Instruct`})
}

func runInspect(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("inspect", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("inspect: want one PATH (a Hugging Face folder or a .gguf file)")
	}
	dir := fs.Arg(0)
	if st, err := os.Stat(dir); err == nil && st.Mode().IsRegular() {
		return inspectGGUF(dir, stdout)
	}
	raw, err := hfconfig.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	var head struct {
		ModelType string `json:"model_type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return fmt.Errorf("inspect: config.json: %w", err)
	}
	switch head.ModelType {
	case "llama":
		c, err := llama.ParseConfig(raw)
		if err != nil {
			return err
		}
		printLlama(stdout, c)
	case "xlm-roberta", "roberta", "bert", "camembert":
		c, err := xlmr.ParseConfig(raw)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s encoder: vocab %d, d %d, %d layers, %d heads, FFN %d, max positions %d, types %d, pad %d\n",
			c.ModelType, c.VocabSize, c.Hidden, c.Layers, c.Heads, c.Intermediate, c.MaxPositions, c.TypeVocabSize, c.PadTokenID)
	default:
		fmt.Fprintf(stdout, "model_type %q (not a family llink implements)\n", head.ModelType)
	}
	ck, err := safetensors.OpenCheckpoint(dir)
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	defer ck.Close()
	counts := map[string]int64{}
	var bytes int64
	for _, n := range ck.Names() {
		info, _ := ck.Info(n)
		counts[string(info.DType)] += int64(info.NumElements())
		bytes += info.Size
	}
	var dts []string
	for d := range counts {
		dts = append(dts, d)
	}
	sort.Strings(dts)
	fmt.Fprintf(stdout, "checkpoint: %d tensors in %d file(s), %.1f MiB;", len(ck.Names()), len(ck.Files()), float64(bytes)/(1<<20))
	for _, d := range dts {
		fmt.Fprintf(stdout, " %s %d", d, counts[d])
	}
	fmt.Fprintln(stdout)
	return nil
}

// printLlama prints a Llama config, its parameter count and memory.
func printLlama(stdout io.Writer, c llama.Config) {
	fmt.Fprintf(stdout, "llama decoder: vocab %d, d %d, %d layers, %d heads (%d kv, head dim %d), SwiGLU %d, θ %g",
		c.VocabSize, c.Hidden, c.Layers, c.Heads, c.KVHeads, c.HeadDim, c.Intermediate, c.RopeTheta)
	if c.RopeScaling != nil {
		fmt.Fprintf(stdout, ", rope_scaling %s×%g (orig %d)", c.RopeScaling.RopeType, c.RopeScaling.Factor, c.RopeScaling.OriginalMaxPositionEmbeddings)
	}
	fmt.Fprintf(stdout, ", tied %v, eos %v\n", c.TieWordEmbeddings, c.EOS)
	p := c.Params()
	fmt.Fprintf(stdout, "parameters: %d (%.3g B); memory: %.1f MiB f32, %.1f MiB bf16\n", p, float64(p)/1e9, float64(4*p)/(1<<20), float64(2*p)/(1<<20))
}

// inspectGGUF prints a GGUF Llama file's config and tensor types.
func inspectGGUF(path string, stdout io.Writer) error {
	f, err := gguf.Open(path)
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	defer f.Close()
	c, err := llama.ConfigFromGGUF(f)
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	printLlama(stdout, c)
	counts := map[string]int64{}
	var bytes int64
	for _, t := range f.Tensors {
		counts[t.Type.String()] += int64(t.NumElements())
		bytes += t.Size
	}
	var dts []string
	for d := range counts {
		dts = append(dts, d)
	}
	sort.Strings(dts)
	fmt.Fprintf(stdout, "gguf: %d tensors, %.1f MiB;", len(f.Tensors), float64(bytes)/(1<<20))
	for _, d := range dts {
		fmt.Fprintf(stdout, " %s %d", d, counts[d])
	}
	fmt.Fprintln(stdout)
	return nil
}
