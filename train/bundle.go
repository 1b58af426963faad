package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
)

// Bundle is everything LLINK trains, saved as one safetensors file: the
// projector, the Stage B slots (scale, adapter, expander) and the decoder's
// LoRA adapters, with the configs and the identity of the frozen models in
// the metadata. New decoder token rows are not stored: they are the mean
// embedding row, recomputed from the decoder on load (AddedTokens of them
// after BaseVocab).
type Bundle struct {
	Config      llink.Config
	LoRA        llama.LoRAOptions
	Projector   *llink.Projector
	Slots       *llink.Slots
	LoRAParams  []*autograd.Var
	BaseVocab   int // decoder vocabulary before LLINK's tokens were added
	AddedTokens int // how many were added (0 when the tokenizer had them)
	DecoderID   string
	EncoderID   string
}

func (b *Bundle) params() []*autograd.Var {
	ps := append(b.Projector.Params(), b.Slots.Params()...)
	for _, p := range b.LoRAParams {
		q := *p
		q.Name = "lora." + p.Name
		ps = append(ps, &q)
	}
	return ps
}

// SaveBundle writes b to path atomically; meta adds provenance entries.
func SaveBundle(path string, b *Bundle, meta map[string]string) error {
	cfg, _ := json.Marshal(b.Config)
	lora, _ := json.Marshal(b.LoRA)
	md := map[string]string{
		"format": "llink-bundle-v1", "llink_config": string(cfg), "lora_config": string(lora),
		"base_vocab": strconv.Itoa(b.BaseVocab), "added_tokens": strconv.Itoa(b.AddedTokens),
		"decoder": b.DecoderID, "encoder": b.EncoderID,
	}
	for k, v := range meta {
		if _, reserved := md[k]; !reserved {
			md[k] = v
		}
	}
	return SaveParams(path, b.params(), md)
}

// LoadBundle reads a bundle written by [SaveBundle] for the decoder dec and
// an encoder of width encDim: it checks they are the models the bundle was
// trained for (widths, vocabulary, and — when the bundle and the caller
// both know them — the model ids), adds the LLINK token rows if needed and
// attaches the LoRA adapters to dec. encoderID and decoderID may be empty
// to skip the identity check.
func LoadBundle(path string, dec *llama.Model, encDim int, decoderID, encoderID string) (*Bundle, error) {
	md, err := readMetadata(path)
	if err != nil {
		return nil, err
	}
	if md["format"] != "llink-bundle-v1" {
		return nil, fmt.Errorf("train: %s is not an LLINK bundle (format %q)", path, md["format"])
	}
	b := &Bundle{DecoderID: md["decoder"], EncoderID: md["encoder"]}
	if err := decodeStrict(md["llink_config"], &b.Config); err != nil {
		return nil, fmt.Errorf("train: %s: bad llink_config (a bundle from another llink version?): %w", path, err)
	}
	if err := decodeStrict(md["lora_config"], &b.LoRA); err != nil {
		return nil, fmt.Errorf("train: %s: bad lora_config (a bundle from another llink version?): %w", path, err)
	}
	if err := b.Config.Validate(); err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	b.BaseVocab, _ = strconv.Atoi(md["base_vocab"])
	b.AddedTokens, _ = strconv.Atoi(md["added_tokens"])
	switch {
	case b.Config.DecDim != dec.Config.Hidden:
		return nil, fmt.Errorf("train: %s was trained for a decoder of width %d; this decoder has %d (%s)", path, b.Config.DecDim, dec.Config.Hidden, b.DecoderID)
	case b.Config.EncDim != encDim:
		return nil, fmt.Errorf("train: %s was trained for an encoder of width %d; this encoder has %d (%s)", path, b.Config.EncDim, encDim, b.EncoderID)
	case decoderID != "" && b.DecoderID != "" && decoderID != b.DecoderID:
		return nil, fmt.Errorf("train: %s was trained with decoder %q, not %q", path, b.DecoderID, decoderID)
	case encoderID != "" && b.EncoderID != "" && encoderID != b.EncoderID:
		return nil, fmt.Errorf("train: %s was trained with encoder %q, not %q", path, b.EncoderID, encoderID)
	}
	switch v := dec.Config.VocabSize; {
	case v == b.BaseVocab+b.AddedTokens:
	case v == b.BaseVocab && b.AddedTokens > 0:
		dec.AddTokens(b.AddedTokens)
	default:
		return nil, fmt.Errorf("train: %s needs a decoder vocabulary of %d (+%d LLINK tokens); this decoder has %d", path, b.BaseVocab, b.AddedTokens, v)
	}
	rng := rand.New(rand.NewPCG(0, 0)) // values are overwritten by the file
	b.Projector = llink.NewProjector(b.Config, rng)
	b.Slots = llink.NewSlots(b.Config, 1, rng)
	detachLoRA(dec)
	if b.LoRA.Rank > 0 {
		b.LoRAParams = dec.AddLoRA(b.LoRA, rng)
	}
	if _, err := LoadParams(path, b.params()); err != nil {
		detachLoRA(dec)
		return nil, err
	}
	return b, nil
}

// decodeStrict unmarshals one JSON value, refusing unknown fields: a setting
// this version does not know would otherwise be dropped silently and the
// bundle run differently from how it was trained.
func decodeStrict(s string, v any) error {
	d := json.NewDecoder(strings.NewReader(s))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
