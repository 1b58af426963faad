package main

import (
	"errors"

	"github.com/llink-go/llink/train"
)

// loadEmbedded returns the embedded tiny models (not wired in yet).
func loadEmbedded(decoder, encoder string, k int) (*train.Models, error) {
	return nil, errors.New("run: give both --decoder and --encoder (the embedded tiny models are not wired in yet)")
}
