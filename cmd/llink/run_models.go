package main

import (
	"errors"

	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/train"
)

// loadModels loads the frozen decoder and encoder with their tokenizers
// (the embedded tiny models when the paths are empty).
func loadModels(decoder, encoder string, k int) (*train.Models, error) {
	return nil, errors.New("run: the tokenizers and the embedded tiny models are not wired in yet")
}

// llinkConfig derives the LLINK part sizes from the models (paper ratios).
func llinkConfig(m *train.Models, k int) llink.Config {
	c := llink.DefaultConfig(m.Encoder.Config.Hidden, m.Decoder.Config.Hidden)
	c.K = k
	return c
}
