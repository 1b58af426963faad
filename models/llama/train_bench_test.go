package llama

import (
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// BenchmarkLoRAStep times a LoRA fine-tuning step's forward and backward
// through the frozen tiny decoder (d 256, 4 layers; LoRA r 16, α 16,
// dropout 0.05 on q,k,v,o,up,down, as LLINK's Stage B and direct
// fine-tuning use it) on 4 sequences of 128 input embeddings, reporting
// tokens per second.
func BenchmarkLoRAStep(b *testing.B) {
	m := New(Tiny(2048), rand.New(rand.NewPCG(1, 2)))
	m.AddLoRA(LoRAOptions{Rank: 16, Alpha: 16, Dropout: 0.05, Targets: []string{"q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"}}, rand.New(rand.NewPCG(3, 4)))
	const B, T = 4, 128
	x := autograd.NewParam("x", tensor.RandN(rand.New(rand.NewPCG(5, 6)), 1, B, T, m.Config.Hidden))
	rng := rand.New(rand.NewPCG(7, 8))
	tp := autograd.NewTape()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tp.Reset()
		h := m.ForwardTape(tp, x, nil, rng)
		tp.Backward(tp.Mean(tp.Mul(h, h)))
	}
	b.ReportMetric(float64(B*T*b.N)/b.Elapsed().Seconds(), "tokens/s")
}
