// Package safetensors reads and writes the Hugging Face safetensors format.
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON describing each tensor (dtype, shape, byte range within the data
// section) plus an optional "__metadata__" string map, and then the raw
// little-endian tensor data. See https://github.com/huggingface/safetensors.
//
// Reading is lazy: [Open] memory-maps the file on Unix systems (falling back
// to positioned reads elsewhere), validates the whole header up front, and
// only touches a tensor's bytes when it is asked for. A 2.5 GB bf16
// checkpoint therefore costs its page-cache footprint, not two copies in
// RAM: [File.BF16] returns a zero-copy view of bf16 data where alignment
// allows. [OpenCheckpoint] reads sharded checkpoints through
// model.safetensors.index.json.
//
// Every structural problem (header length, JSON, duplicate names, negative
// or overflowing shapes, shape×dtype versus byte length, overlapping,
// out-of-range or non-covering offsets) is reported as an error naming the
// file and, where it applies, the tensor. Values read as floats
// ([File.Float32], [File.BF16]) are checked for NaN and ±Inf, which is an
// error naming the tensor; [File.Bytes] reads unchecked.
//
// [Write] writes a file atomically (temporary file in the same directory,
// fsync, rename) with an optional "__metadata__" map for provenance.
package safetensors
