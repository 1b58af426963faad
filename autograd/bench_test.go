package autograd

import (
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// BenchmarkAttention times the fused attention forward + backward for one
// sequence of 256 tokens, 8 query heads over 4 kv heads of width 64.
func BenchmarkAttention(b *testing.B) {
	const bs, t, hq, hkv, d = 1, 256, 8, 4, 64
	r := testutil.RNG(1)
	q := NewParam("q", randT(r, bs, t, hq, d))
	k := NewParam("k", randT(r, bs, t, hkv, d))
	v := NewParam("v", randT(r, bs, t, hkv, d))
	tp := NewTape()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tp.Backward(tp.Sum(tp.Attention(q, k, v, AttnOpts{Causal: true})))
		tp.Reset()
	}
	b.ReportMetric(float64(b.N*bs*t)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkCrossEntropy times the fused log-softmax + cross-entropy forward
// and backward over 256 rows of a 32000-token vocabulary.
func BenchmarkCrossEntropy(b *testing.B) {
	const rows, vocab = 256, 32000
	r := testutil.RNG(2)
	x := NewParam("x", randT(r, rows, vocab))
	tg := make([]int, rows)
	for i := range tg {
		tg[i] = r.IntN(vocab)
	}
	tp := NewTape()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tp.Backward(tp.CrossEntropy(x, tg, -100))
		tp.Reset()
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkRMSNorm times RMSNorm forward + backward over 512 rows of 2048.
func BenchmarkRMSNorm(b *testing.B) {
	const rows, n = 512, 2048
	r := testutil.RNG(3)
	x, w := NewParam("x", randT(r, rows, n)), NewParam("w", randT(r, n))
	tp := NewTape()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tp.Backward(tp.Sum(tp.RMSNorm(x, w, 1e-5)))
		tp.Reset()
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkSwiGLU times the fused gate forward + backward on [512, 5632].
func BenchmarkSwiGLU(b *testing.B) {
	r := testutil.RNG(4)
	g, u := NewParam("g", randT(r, 512, 5632)), NewParam("u", randT(r, 512, 5632))
	tp := NewTape()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tp.Backward(tp.Sum(tp.SwiGLU(g, u)))
		tp.Reset()
	}
	b.ReportMetric(float64(b.N*512)/b.Elapsed().Seconds(), "tokens/s")
}
