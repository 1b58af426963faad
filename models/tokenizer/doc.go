// Package tokenizer implements the tokenizers llink needs, in pure Go:
//
//   - byte-level BPE ([BPE]: GPT-2, Llama-3) with the Llama-3
//     pre-tokenizer regex implemented by hand (Go's regexp has no
//     look-ahead), merges applied by rank with a heap over a linked list,
//     and a per-word cache;
//   - SentencePiece Unigram ([Unigram]: xlm-roberta-base, T5) with Viterbi
//     segmentation, the precompiled_charsmap normaliser ([Charsmap], a
//     darts-clone double-array trie) or an NFKC-like fallback, ▁ handling as
//     SentencePiece does, and fused unknowns;
//   - WordPiece ([WordPiece]: BERT, LaBSE) with BERT's BasicTokenizer;
//   - deterministic trainers for byte-level BPE ([TrainBPE]) and Unigram
//     ([TrainUnigram]) that save a tokenizer.json the loaders read back.
//
// [Load] reads a Hugging Face tokenizer.json (or a folder with one) or a
// GGUF file's tokenizer.ggml.* metadata (model "gpt2" or "t5"). Added
// tokens (specials such as <|eot_id|> or LLINK's <f0>, see
// [Tokenizer.AddSpecialTokens] and [LLINKTokens]) are matched whole in the
// input and never split. [Llama3Chat] renders the Llama-3 chat template.
//
// # Zero-width space (U+200B)
//
// Khmer text often separates words with U+200B. The reference tokenizers
// treat it differently, and so does this package, matching each:
//
//   - Byte-level BPE (Llama-3): U+200B is not whitespace, letter or number,
//     so the pre-tokenizer treats it like punctuation: it may prefix a
//     following letter run ("\u200bក" is one pre-token, ZWSP + letters) or
//     join a run of symbols; its bytes E2 80 8B then go through the merges
//     (usually a single token, id 16067 "âĢĭ" in Llama-3). Nothing is
//     removed: decode gives it back.
//   - SentencePiece Unigram (XLM-R): the precompiled_charsmap of
//     xlm-roberta-base maps U+200B to a space, so it becomes a word
//     boundary (▁) and consecutive spaces collapse; it does not survive a
//     round trip. Without a charsmap, the NFKC-like fallback drops it.
//   - WordPiece (BERT): clean_text removes it (it is a format character).
//
// # Conformance
//
// The tests compare with the real vocabularies fetched by
// scripts/fixtures.sh into .cache/ (skipped when absent): on 2,400
// generated Khmer/English/code/emoji/whitespace strings the Llama-3
// tokenizer (from tokenizer.json and from llama.cpp's GGUF) gives the ids
// of the Hugging Face tokenizer.json run by transformers.js and
// llama3-tokenizer-js, except that \s is Unicode White_Space (as in
// llama.cpp) rather than JavaScript's \s for U+0085 and U+FEFF; the
// xlm-roberta-base Unigram (GGUF with scores and charsmap) gives the ids of
// llama.cpp. See testdata/gen_fixtures.mjs.
//
// Decoding byte-level BPE returns the raw bytes, so a sequence cut inside a
// UTF-8 character yields invalid UTF-8 (Hugging Face would substitute
// U+FFFD); use strings.ToValidUTF8 when needed.
package tokenizer
