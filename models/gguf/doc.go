// Package gguf reads and writes GGUF files (versions 2 and 3), the format
// of llama.cpp / ggml: a header, typed metadata key–value pairs (including
// nested arrays), tensor descriptions, and aligned tensor data.
//
// The reader bounds every count and length it reads against the bytes left
// in the file before allocating, so a corrupted or hostile file is an
// error naming the file and the key or tensor concerned, never a panic or
// a huge allocation. Metadata is decoded eagerly (tokenizer vocabularies
// live there: see the tokenizer.ggml.* accessors such as [File.Strings],
// [File.Float32s], [File.Int32s] and [File.Bytes]); tensor data is read on
// demand. F32, F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K tensors can be read as
// float32 or bf16, and the quantised ones as their blocks
// ([File.ReadQuantised]) for llink's block kernels; other quantised types
// are reported with a clear error. The writer quantises to Q8_0 and Q4_0 as
// llama.cpp does, and to Q4_K and Q6_K with a plain min/max fit.
//
// Dimensions in a GGUF tensor description are in ggml order (the first is
// the fastest varying); [TensorInfo.Shape] gives the usual row-major
// shape.
//
// The format is described in ggml's docs/gguf.md.
package gguf
