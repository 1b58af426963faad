// Package tiny holds llink's default models, compiled into the binary: a
// tiny English instruction-following Llama decoder (byte-level BPE trained
// on English only, so Khmer falls apart into byte fragments as it does for
// Llama-3) and a tiny XLM-R encoder pretrained with masked language
// modelling on monolingual Khmer and English. Both were made by
// `llink pretrain decoder|encoder` (package train/pretrain); the command,
// seed, commit, final losses and dev metrics are in each model.safetensors'
// metadata. They play the roles of Llama-3.2-1B-Instruct and
// xlm-roberta-base when no Hugging Face folders are given.
//
// The folder decoder-copy (not compiled in) is the decoder continued by
// five more phases whose tasks hold generated names (`llink pretrain
// decoder -pseudo-names`, the last three with `-pseudo-alphabet full`:
// names like real ones; the last two with `-rename-distractors`, so an
// unknown name in a yes/no question is no cue, and the last with yes/no
// tasks repeated ten times), so that it copies a name it never saw from its
// prompt as a real decoder does; pass it as
// `-decoder models/tiny/decoder-copy`.
//
//	dec, decTok, err := tiny.Decoder()
//	enc, encTok, err := tiny.Encoder()
package tiny

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
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

// FS returns the embedded Hugging Face folders ("decoder/…", "encoder/…").
func FS() fs.FS { return files }

func read(name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("tiny: %w", err)
	}
	return b, nil
}

// ID names an embedded model ("decoder" or "encoder") by a hash of its
// weights: the id its vector caches and bundles are keyed by.
func ID(model string) string {
	b, err := read(model + "/model.safetensors")
	if err != nil {
		return "embedded-" + model
	}
	s := sha256.Sum256(b)
	return "embedded-" + model + "-" + hex.EncodeToString(s[:6])
}

// weights parses model ("decoder" or "encoder")'s model.safetensors.
func weights(model string) (*safetensors.File, error) {
	b, err := read(model + "/model.safetensors")
	if err != nil {
		return nil, err
	}
	return safetensors.ParseBytes(b, "tiny "+model+"/model.safetensors")
}

// Metadata returns the safetensors metadata (provenance, recorded metrics)
// of "decoder" or "encoder".
func Metadata(model string) (map[string]string, error) {
	f, err := weights(model)
	if err != nil {
		return nil, err
	}
	return f.Metadata(), nil
}

// Tokenizer returns the tokenizer of "decoder" or "encoder".
func Tokenizer(model string) (tokenizer.Tokenizer, error) {
	b, err := read(model + "/tokenizer.json")
	if err != nil {
		return nil, err
	}
	return tokenizer.ParseJSON(b, "tiny "+model+"/tokenizer.json")
}

// Decoder loads the embedded decoder (float32 weights; call ToBF16 for
// half the memory) and its tokenizer.
func Decoder() (*llama.Model, tokenizer.Tokenizer, error) {
	cb, err := read("decoder/config.json")
	if err != nil {
		return nil, nil, err
	}
	cfg, err := llama.ParseConfig(cb)
	if err != nil {
		return nil, nil, err
	}
	f, err := weights("decoder")
	if err != nil {
		return nil, nil, err
	}
	m, err := llama.FromCheckpoint(cfg, f, llama.LoadOptions{})
	if err != nil {
		return nil, nil, err
	}
	tok, err := Tokenizer("decoder")
	return m, tok, err
}

// Encoder loads the embedded encoder and its tokenizer.
func Encoder() (*xlmr.Model, tokenizer.Tokenizer, error) {
	m, tok, err := EncoderMLM()
	if err != nil {
		return nil, nil, err
	}
	return m.Model, tok, nil
}

// EncoderMLM loads the embedded encoder with its masked-LM head (to
// measure MLM loss or continue pretraining) and its tokenizer.
func EncoderMLM() (*xlmr.MLM, tokenizer.Tokenizer, error) {
	cb, err := read("encoder/config.json")
	if err != nil {
		return nil, nil, err
	}
	cfg, err := xlmr.ParseConfig(cb)
	if err != nil {
		return nil, nil, err
	}
	f, err := weights("encoder")
	if err != nil {
		return nil, nil, err
	}
	m, err := xlmr.MLMFromCheckpoint(cfg, f)
	if err != nil {
		return nil, nil, err
	}
	tok, err := Tokenizer("encoder")
	return m, tok, err
}
