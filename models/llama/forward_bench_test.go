package llama

import (
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/tensor"
)

// BenchmarkForward times a batched forward with logits for every position
// on bench/llamabench's small (d 256, 4 layers, vocab 8192, 8×128 tokens)
// and big (d 512, 8 layers, vocab 32000, 4×256 tokens) configs, reporting
// tokens/s and the achieved GFLOP/s (2 flops per weight and token plus
// attention).
func BenchmarkForward(b *testing.B) {
	for _, s := range []struct {
		name                                     string
		d, layers, heads, ffn, vocab, batch, seq int
	}{
		{"small", 256, 4, 8, 688, 8192, 8, 128},
		{"big", 512, 8, 8, 1376, 32000, 4, 256},
	} {
		c := Tiny(s.vocab)
		c.Hidden, c.Layers, c.Heads, c.KVHeads, c.HeadDim, c.Intermediate = s.d, s.layers, s.heads, s.heads, s.d/s.heads, s.ffn
		m := New(c, rand.New(rand.NewPCG(1, 2)))
		r := rand.New(rand.NewPCG(3, 4))
		ids := make([]int, s.batch*s.seq)
		for i := range ids {
			ids[i] = r.IntN(s.vocab)
		}
		weights := s.layers*(4*s.d*s.d+3*s.d*s.ffn) + s.d*s.vocab
		attn := s.layers * 2 * s.seq * s.d // per token, causal: q·k and p·v over half the sequence on average
		flops := float64(2*weights+2*attn) * float64(len(ids))
		b.Run(s.name, func(b *testing.B) {
			var logits *tensor.Tensor
			for i := 0; i < b.N; i++ {
				logits = m.LogitsInto(logits, m.Forward(Batch{B: s.batch, T: s.seq, IDs: ids}, nil))
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(len(ids))/sec, "tokens/s")
			b.ReportMetric(flops/sec/1e9, "GFLOP/s")
		})
	}
}
