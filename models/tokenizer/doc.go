// Package tokenizer implements the tokenizers llink needs, in pure Go:
//
//   - [Pipeline]: any Hugging Face tokenizer.json, read component by
//     component with the semantics of the Hugging Face tokenizers library:
//     normalizers (Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip,
//     StripAccents, Replace, Prepend, Precompiled, BertNormalizer,
//     ByteLevel), pre-tokenizers (Sequence, Split with every behaviour and
//     invert, ByteLevel, Metaspace, Whitespace, WhitespaceSplit,
//     BertPreTokenizer, Punctuation, Digits, UnicodeScripts,
//     CharDelimiterSplit), models (BPE, Unigram, WordPiece, WordLevel),
//     post-processors (TemplateProcessing, RobertaProcessing,
//     BertProcessing, ByteLevel, Sequence), decoders (ByteLevel, Metaspace,
//     WordPiece, ByteFallback, Fuse, Strip, Replace, Sequence, BPEDecoder)
//     and added tokens (single_word, lstrip, rstrip, normalized, special).
//     A component, option or value not on these lists is an error naming
//     it; nothing is ignored. BPE dropout is accepted and not applied
//     (encoding is deterministic); truncation and padding are refused.
//   - byte-level BPE ([BPE]: GPT-2, Llama-3) built from plain data, with the
//     Llama-3 pre-tokenizer regex implemented by hand, merges applied by
//     rank with a heap over a linked list, and a per-word cache;
//   - SentencePiece Unigram ([Unigram]: GGUF "t5" vocabularies such as
//     XLM-R's) with Viterbi segmentation, the precompiled_charsmap
//     normaliser ([Charsmap]) as SentencePiece applies it, and fused unknowns;
//   - WordPiece ([WordPiece]: BERT, LaBSE) with BERT's BasicTokenizer;
//   - deterministic trainers for byte-level BPE ([TrainBPE]) and Unigram
//     ([TrainUnigram]) that save a tokenizer.json describing exactly what
//     they do.
//
// [Load] reads a tokenizer.json (or a folder with one; at most 256 MiB)
// or a GGUF file's tokenizer.ggml.* metadata (model
// "gpt2" or "t5"). Added tokens (specials such as <|eot_id|> or LLINK's
// <f0>, see [Tokenizer.AddSpecialTokens]) are matched
// whole in the input and never split. [Llama3Chat] renders the Llama-3
// chat template.
//
// # Regular expressions
//
// Hugging Face compiles Split and Replace patterns with Oniguruma, which
// has look-around; Go's regexp has not. The Llama-3, Qwen, GPT-2, GPT-4o /
// gpt-oss (o200k) and DeepSeek-V3 pre-tokenizer patterns have hand-written
// matchers (tens of times faster than a backtracking engine; FuzzKnownSplitters
// checks them against regexp2). Any other pattern has \s, \w and \d
// rewritten to Oniguruma's Unicode classes and runs on Go's regexp when it
// has no look-around (same leftmost-first matches), else on
// github.com/dlclark/regexp2. A byte-level BPE behind a known split pattern
// caches each word's ids by its raw bytes (the fast path of the common
// Llama-3/Qwen layout). bench/RESULTS.md compares the speed with the
// Hugging Face library.
//
// # Zero-width space (U+200B)
//
// Khmer text often separates words with U+200B. It reaches the model
// unless the tokenizer's own normalizer removes it:
//
//   - Byte-level BPE (Llama-3, Qwen, GPT-4o): U+200B is neither white
//     space, letter nor number, so the split treats it like punctuation; its
//     bytes E2 80 8B go through the merges (one token, "âĢĭ", in Llama-3)
//     and decode gives it back.
//   - XLM-R (Unigram): its precompiled_charsmap maps U+200B to a space, so
//     it becomes a word boundary (▁).
//   - BERT: BertNormalizer's clean_text removes it (a format character).
//   - A Unigram trained by [TrainUnigram] drops it (its normalizer, written
//     out in tokenizer.json, removes format characters as SentencePiece's
//     nmt_nfkc does).
//
// # Conformance
//
// testdata/hf holds the ids and decoded text the Hugging Face tokenizers
// library (Rust) gives on 2,433 strings (Khmer with and without U+200B,
// mixed scripts, emoji, controls, combining marks, runs of spaces, digits,
// code) for Llama-3, Llama-2, Qwen3, Gemma 3, DeepSeek-V3, GPT-4o, gpt-oss,
// XLM-R and BERT, and 76 small synthetic tokenizer.json files exercising
// one component or option each; testdata/gen_hf.mjs makes them. The real
// vocabularies are fetched by scripts/fixtures.sh into .cache/ (tests skip
// without them); the synthetic files always run. The [BPE] and [Unigram]
// built from GGUF files are compared with llama.cpp (testdata/gen_fixtures.mjs).
package tokenizer
