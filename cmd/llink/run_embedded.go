package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"

	"github.com/llink-go/llink/models/tiny"
	"github.com/llink-go/llink/train"
)

// loadEmbedded returns the embedded tiny decoder and encoder (both paths
// must be empty: mixing an embedded model with a real one makes no sense).
func loadEmbedded(decoder, encoder string, k int) (*train.Models, error) {
	if decoder != "" || encoder != "" {
		return nil, usageErrorf("run: give both -decoder and -encoder, or neither (the embedded tiny models)")
	}
	dec, dt, err := tiny.Decoder()
	if err != nil {
		return nil, err
	}
	enc, et, err := tiny.Encoder()
	if err != nil {
		return nil, err
	}
	return assemble(dec, dt, embeddedID("decoder"), enc, et, embeddedID("encoder"), k)
}

// embeddedID names an embedded model by a hash of its weights.
func embeddedID(model string) string {
	b, err := fs.ReadFile(tiny.FS(), model+"/model.safetensors")
	if err != nil {
		return "embedded-" + model
	}
	s := sha256.Sum256(b)
	return "embedded-" + model + "-" + hex.EncodeToString(s[:6])
}
