// Package hfconfig reads model hyper-parameters from Hugging Face
// config.json files (Llama decoders and BERT / XLM-RoBERTa encoders) and
// from GGUF metadata, into plain validated structs, and provides presets
// for the models the LLINK method uses (Llama-3.2-1B/3B, xlm-roberta-base).
//
// Unknown keys are ignored; a missing required key, a value of the wrong
// type or inconsistent sizes (heads not dividing the hidden size, …) is an
// error naming the key and the file.
package hfconfig
