// Package llama implements the Llama-family decoder (Llama 2/3, 3.1, 3.2) as
// Hugging Face's LlamaForCausalLM computes it: RMSNorm with the configured
// eps, rotate-half RoPE on q and k (θ from the config, optional llama3
// rope_scaling), grouped-query attention, SwiGLU MLP and a tied or untied
// LM head.
//
// It is LLINK's frozen decoder, so besides token ids it takes input
// embeddings directly (LLINK overwrites the rows of reserved positions with
// projected encoder vectors) and returns the final-normed hidden states, from
// which [Model.Logits] computes logits for just the rows a caller needs.
//
// Typical use:
//
//	m, err := llama.Load("path/to/Llama-3.2-1B-Instruct", llama.LoadOptions{BF16: true})
//	x := m.Embed(ids)                            // [B, T, d]
//	tensor.ScatterRows(x2d, slots, rows)         // LLINK: replace reserved rows
//	h := m.ForwardEmbeds(x, mask, nil)           // [B, T, d], final-normed
//	logits := m.Logits(h)                        // [B, T, vocab]
//	out := m.Generate(prompts, llama.GenerateOptions{MaxNew: 64})
//
// Batches are rectangular [B, T] with a mask (1 real token, 0 padding);
// position ids come from the mask (cumulative count − 1, as Hugging Face's
// generate() does), so left- and right-padded rows compute exactly what the
// row computes alone. A [Cache] holds keys and values for incremental
// decoding; a forward pass with a fresh cache is the full forward.
//
// Frozen projections may be stored as bfloat16 (half the memory; the GEMM
// widens them while packing, compute stays float32).
//
// The checkpoint tensor names are documented at [Load].
package llama
