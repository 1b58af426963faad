package llink

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/llama"
)

// Identity names the frozen models LLINK's parts were trained with: their
// widths and ids (e.g. "meta-llama/Llama-3.2-1B-Instruct"; empty: unknown).
type Identity struct {
	DecoderID, EncoderID string
	DecDim, EncDim       int
}

// Check reports how the models of have differ from those trained with
// (want, read from file): widths always, ids when both sides know them.
func (want Identity) Check(file string, have Identity) error {
	switch {
	case want.DecDim != have.DecDim:
		return fmt.Errorf("llink: %s was trained for a decoder of width %d; this decoder has %d (%s)", file, want.DecDim, have.DecDim, want.DecoderID)
	case want.EncDim != have.EncDim:
		return fmt.Errorf("llink: %s was trained for an encoder of width %d; this encoder has %d (%s)", file, want.EncDim, have.EncDim, want.EncoderID)
	case have.DecoderID != "" && want.DecoderID != "" && have.DecoderID != want.DecoderID:
		return fmt.Errorf("llink: %s was trained with decoder %q, not %q", file, want.DecoderID, have.DecoderID)
	case have.EncoderID != "" && want.EncoderID != "" && have.EncoderID != want.EncoderID:
		return fmt.Errorf("llink: %s was trained with encoder %q, not %q", file, want.EncoderID, have.EncoderID)
	}
	return nil
}

// identity reads the models' identity from a file's metadata and config.
func identity(md map[string]string, c Config) Identity {
	return Identity{DecoderID: md["decoder"], EncoderID: md["encoder"], DecDim: c.DecDim, EncDim: c.EncDim}
}

// Bundle is everything LLINK trains, saved as one safetensors file: the
// projector, the Stage B slots (scale, adapter, expander) and the decoder's
// LoRA adapters, with the configs and the identity of the frozen models in
// the metadata. New decoder token rows are not stored: they are the mean
// embedding row, recomputed from the decoder on load (AddedTokens of them
// after BaseVocab).
type Bundle struct {
	Config      Config
	LoRA        llama.LoRAOptions
	Projector   *Projector
	Slots       *Slots
	LoRAParams  []*autograd.Var
	BaseVocab   int // decoder vocabulary before LLINK's tokens were added
	AddedTokens int // how many were added (0 when the tokenizer had them)
	DecoderID   string
	EncoderID   string
}

// Identity returns the models the bundle was trained with.
func (b *Bundle) Identity() Identity {
	return Identity{DecoderID: b.DecoderID, EncoderID: b.EncoderID, DecDim: b.Config.DecDim, EncDim: b.Config.EncDim}
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
// trained for ([Identity.Check]; decoderID and encoderID may be empty to
// skip the id check) and that the decoder's vocabulary fits, adding the
// LLINK token rows if needed. The bundle's LoRA adapters are not attached:
// [Bundle.Adapters] makes them for dec.UseLoRA.
func LoadBundle(path string, dec *llama.Model, encDim int, decoderID, encoderID string) (*Bundle, error) {
	md, err := readMetadata(path)
	if err != nil {
		return nil, err
	}
	if md["format"] != "llink-bundle-v1" {
		return nil, fmt.Errorf("llink: %s is not an LLINK bundle (format %q)", path, md["format"])
	}
	b := &Bundle{DecoderID: md["decoder"], EncoderID: md["encoder"]}
	if err := decodeStrict(md["llink_config"], &b.Config); err != nil {
		return nil, fmt.Errorf("llink: %s: bad llink_config (a bundle from another llink version?): %w", path, err)
	}
	if err := decodeStrict(md["lora_config"], &b.LoRA); err != nil {
		return nil, fmt.Errorf("llink: %s: bad lora_config (a bundle from another llink version?): %w", path, err)
	}
	if err := b.Config.Validate(); err != nil {
		return nil, fmt.Errorf("llink: %s: %w", path, err)
	}
	b.BaseVocab, _ = strconv.Atoi(md["base_vocab"])
	b.AddedTokens, _ = strconv.Atoi(md["added_tokens"])
	have := Identity{DecoderID: decoderID, EncoderID: encoderID, DecDim: dec.Config.Hidden, EncDim: encDim}
	if err := b.Identity().Check(path, have); err != nil {
		return nil, err
	}
	switch v := dec.Config.VocabSize; {
	case v == b.BaseVocab+b.AddedTokens:
	case v == b.BaseVocab && b.AddedTokens > 0:
		dec.AddTokens(b.AddedTokens)
	default:
		return nil, fmt.Errorf("llink: %s needs a decoder vocabulary of %d (+%d LLINK tokens); this decoder has %d", path, b.BaseVocab, b.AddedTokens, v)
	}
	rng := rand.New(rand.NewPCG(0, 0)) // values are overwritten by the file
	b.Projector = NewProjector(b.Config, rng)
	b.Slots = NewSlots(b.Config, 1, rng)
	if b.Config.SlotInput == SlotsSegments {
		b.Slots.Projector = b.Projector
	}
	b.Slots.SetVocabulary(dec.Emb.Float32)
	if b.LoRA.Rank > 0 {
		_, b.LoRAParams = dec.NewLoRA(b.LoRA, rng)
	}
	if _, err := LoadParams(path, b.params()); err != nil {
		return nil, err
	}
	return b, nil
}

// Adapters returns the bundle's LoRA adapters for dec (nil without LoRA),
// to attach with dec.UseLoRA.
func (b *Bundle) Adapters(dec *llama.Model) (llama.Adapters, error) {
	if b.LoRA.Rank == 0 {
		return nil, nil
	}
	return dec.LoRAFrom(b.LoRA, b.LoRAParams)
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

// SaveProjector writes Stage A's projector with its config and the models'
// ids, atomically.
func SaveProjector(path string, proj *Projector, c Config, decoderID, encoderID string) error {
	cfg, _ := json.Marshal(c)
	return SaveParams(path, proj.Params(), map[string]string{"format": "llink-projector-v1", "llink_config": string(cfg),
		"decoder": decoderID, "encoder": encoderID})
}

// LoadProjector reads a projector written by [SaveProjector] and checks it
// was trained for the models have ([Identity.Check]).
func LoadProjector(path string, have Identity) (*Projector, Config, error) {
	var c Config
	md, err := readMetadata(path)
	if err != nil {
		return nil, c, err
	}
	if md["format"] != "llink-projector-v1" {
		return nil, c, fmt.Errorf("llink: %s is not a Stage A projector (format %q)", path, md["format"])
	}
	if err := json.Unmarshal([]byte(md["llink_config"]), &c); err != nil {
		return nil, c, fmt.Errorf("llink: %s: bad llink_config: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return nil, c, fmt.Errorf("llink: %s: %w", path, err)
	}
	if err := identity(md, c).Check(path, have); err != nil {
		return nil, c, err
	}
	proj := NewProjector(c, rand.New(rand.NewPCG(0, 0)))
	if _, err := LoadParams(path, proj.Params()); err != nil {
		return nil, c, err
	}
	return proj, c, nil
}

// SaveLoRA writes LoRA tensors (a direct fine-tuning baseline's) with their
// options and the decoder's id, atomically.
func SaveLoRA(path string, lora []*autograd.Var, opts llama.LoRAOptions, decoderID string) error {
	o, _ := json.Marshal(opts)
	return SaveParams(path, lora, map[string]string{"format": "llink-lora-v1", "lora_config": string(o), "decoder": decoderID})
}

// LoadLoRA reads LoRA adapters written by [SaveLoRA] for dec (not
// attached) and checks the decoder id when both sides know it.
func LoadLoRA(path string, dec *llama.Model, decoderID string) (llama.Adapters, error) {
	md, err := readMetadata(path)
	if err != nil {
		return nil, err
	}
	if md["format"] != "llink-lora-v1" {
		return nil, fmt.Errorf("llink: %s is not a LoRA file (format %q)", path, md["format"])
	}
	if decoderID != "" && md["decoder"] != "" && decoderID != md["decoder"] {
		return nil, fmt.Errorf("llink: %s was trained with decoder %q, not %q", path, md["decoder"], decoderID)
	}
	var opts llama.LoRAOptions
	if err := json.Unmarshal([]byte(md["lora_config"]), &opts); err != nil {
		return nil, fmt.Errorf("llink: %s: bad lora_config: %w", path, err)
	}
	set, params := dec.NewLoRA(opts, rand.New(rand.NewPCG(0, 0)))
	if _, err := LoadParams(path, params); err != nil {
		return nil, err
	}
	return set, nil
}
