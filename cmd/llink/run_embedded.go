package main

import (
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
	return assemble(dec, dt, tiny.ID("decoder"), enc, et, tiny.ID("encoder"), k)
}
