package main

import (
	"fmt"

	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/train"
)

// loadModels loads the frozen decoder and encoder with their tokenizers
// (the embedded tiny models when the paths are empty), and makes sure the
// decoder knows LLINK's tokens (<foreign>, </foreign>, <foreign_emb>,
// <f0>…<fK-1>), adding them — as mean embedding rows — when it does not.
func loadModels(decoder, encoder string, k int) (*train.Models, error) {
	if decoder == "" || encoder == "" {
		return loadEmbedded(decoder, encoder, k)
	}
	dec, err := llama.Load(decoder, llama.LoadOptions{})
	if err != nil {
		return nil, err
	}
	dt, err := tokenizer.Load(decoder)
	if err != nil {
		return nil, err
	}
	enc, err := xlmr.Load(encoder)
	if err != nil {
		return nil, err
	}
	et, err := tokenizer.Load(encoder)
	if err != nil {
		return nil, err
	}
	return assemble(dec, dt, dirID(decoder), enc, et, dirID(encoder), k)
}

// assemble sets the models up for LLINK with k slots (train.NewModels);
// the encoder pads with its tokenizer's "<pad>" when it has one.
func assemble(dec *llama.Model, dt tokenizer.Tokenizer, decID string, enc *xlmr.Model, et tokenizer.Tokenizer, encID string, k int) (*train.Models, error) {
	for _, tok := range []string{tokenizer.BeginOfText, tokenizer.EOT} {
		if _, ok := dt.TokenID(tok); !ok {
			return nil, fmt.Errorf("decoder tokenizer lacks %q (a Llama-3 chat tokenizer is required)", tok)
		}
	}
	pad := enc.Config.PadTokenID
	if id, ok := et.TokenID("<pad>"); ok {
		pad = id
	}
	return train.NewModels(dec, dt, decID, enc, et, pad, encID, k)
}

// llinkConfig derives the LLINK part sizes from the models (paper ratios).
func llinkConfig(m *train.Models, o runOptions) llink.Config {
	c := llink.DefaultConfig(m.Enc.Dim(), m.Dec.Model.Config.Hidden)
	c.K, c.CopyChannel, c.EncoderPool = o.k, o.copyChannel, o.encoderPool
	if o.slotInput != llink.SlotsPooled {
		c.SlotInput = o.slotInput // pooled stays "" so the paper's configs and bundles are unchanged
	}
	if o.teacherPool != llink.TeacherLast {
		c.TeacherPool = o.teacherPool // the paper's stays "", as pooled slots do
	}
	c.TeacherLayer = o.teacherLayer
	if o.projHidden > 0 {
		c.ProjHidden = o.projHidden
	}
	if o.wordsPerSegment > 1 {
		c.WordsPerSegment = o.wordsPerSegment
	}
	c.LexicalHidden = o.lexicalHidden
	c.TokensPerSegment, c.MinK = o.tokensPerSegment, o.minK
	c.AttnHeads = o.attnHeads
	return c
}
