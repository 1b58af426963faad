// Package embedded holds llink's default models, compiled into the binary:
// a tiny English instruction-following Llama decoder (byte-level BPE
// trained on English only, so Khmer falls apart into byte fragments as it
// does for Llama-3) and a tiny XLM-R encoder pretrained with masked language
// modelling on monolingual Khmer and English. Both were made by
// `llink pretrain decoder|encoder` (the command, seed, commit and final
// metrics are in each model.safetensors' metadata) and play the roles of
// Llama-3.2-1B-Instruct and xlm-roberta-base in `go run ./cmd/llink`.
package embedded

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
)

//go:embed decoder/config.json decoder/model.safetensors decoder/tokenizer.json
//go:embed encoder/config.json encoder/model.safetensors encoder/tokenizer.json
var files embed.FS

// FS returns the embedded model folders ("decoder/…", "encoder/…").
func FS() fs.FS { return files }

func read(name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	return b, nil
}

// Metadata returns the safetensors metadata (provenance, recorded metrics)
// of "decoder" or "encoder".
func Metadata(model string) (map[string]string, error) {
	b, err := read(model + "/model.safetensors")
	if err != nil {
		return nil, err
	}
	f, err := safetensors.ParseBytes(b, "embedded "+model)
	if err != nil {
		return nil, err
	}
	return f.Metadata(), nil
}

// Decoder loads the embedded decoder (float32 weights) and its tokenizer.
func Decoder() (*llama.Model, tokenizer.Tokenizer, error) {
	cb, err := read("decoder/config.json")
	if err != nil {
		return nil, nil, err
	}
	cfg, err := llama.ParseConfig(cb)
	if err != nil {
		return nil, nil, err
	}
	wb, err := read("decoder/model.safetensors")
	if err != nil {
		return nil, nil, err
	}
	f, err := safetensors.ParseBytes(wb, "embedded decoder")
	if err != nil {
		return nil, nil, err
	}
	m, err := llama.FromCheckpoint(cfg, f, llama.LoadOptions{})
	if err != nil {
		return nil, nil, err
	}
	tok, err := loadTok("decoder")
	return m, tok, err
}

// Encoder loads the embedded encoder and its tokenizer.
func Encoder() (*xlmr.Model, tokenizer.Tokenizer, error) {
	cb, err := read("encoder/config.json")
	if err != nil {
		return nil, nil, err
	}
	cfg, err := xlmr.ParseConfig(cb)
	if err != nil {
		return nil, nil, err
	}
	wb, err := read("encoder/model.safetensors")
	if err != nil {
		return nil, nil, err
	}
	f, err := safetensors.ParseBytes(wb, "embedded encoder")
	if err != nil {
		return nil, nil, err
	}
	m, err := xlmr.FromCheckpoint(cfg, f)
	if err != nil {
		return nil, nil, err
	}
	tok, err := loadTok("encoder")
	return m, tok, err
}

func loadTok(model string) (tokenizer.Tokenizer, error) {
	b, err := read(model + "/tokenizer.json")
	if err != nil {
		return nil, err
	}
	return tokenizer.ParseJSON(b, "embedded "+model+"/tokenizer.json")
}
