// Package pretrain makes llink's tiny default models from scratch: an
// English-only Llama decoder that follows LLINK's instruction format over
// English passages (the stand-in for Llama-3.2-1B-Instruct) and an XLM-R
// encoder trained with masked language modelling on monolingual Khmer and
// English (the stand-in for xlm-roberta-base).
//
// [Decoder] and [Encoder] train their tokenizer, train the model, and write
// a Hugging Face folder (config.json, model.safetensors with provenance and
// metrics in its metadata, tokenizer.json) that llama.Load / xlmr.Load read.
// Runs are seeded and deterministic, print progress lines (step, loss,
// tokens/s, ETA), and write an atomic training checkpoint (weights, AdamW
// moments, step, sampler state) every few steps so an interrupted run
// continues with Options.Resume and ends with the same weights.
//
// `llink pretrain decoder|encoder` is the command-line front end.
package pretrain
