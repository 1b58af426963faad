package autograd

import (
	"runtime"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// BenchmarkAttention times the fused attention forward + backward: one
// sequence of 256 tokens, 8 query heads over 4 kv heads of width 64; and a
// default-run fine-tuning batch, 16 right-padded sequences of 240–280
// tokens with 8 query heads over 4 kv heads of width 32. cpu-ns/op is the
// benchmark thread's CPU time (meaningful with -test.cpu 1, when the
// kernels run on that thread alone).
func BenchmarkAttention(b *testing.B) {
	for _, c := range []struct {
		name              string
		bs, t, hq, hkv, d int
		minLen            int // shortest sequence (the rest padding)
	}{{"1x256x8x64", 1, 256, 8, 4, 64, 256}, {"16x280x8x32-padded", 16, 280, 8, 4, 32, 240}} {
		b.Run(c.name, func(b *testing.B) {
			r := testutil.RNG(1)
			q := NewParam("q", randT(r, c.bs, c.t, c.hq, c.d))
			k := NewParam("k", randT(r, c.bs, c.t, c.hkv, c.d))
			v := NewParam("v", randT(r, c.bs, c.t, c.hkv, c.d))
			opts := AttnOpts{Causal: true}
			if c.minLen < c.t {
				opts.KeyMask = make([]bool, c.bs*c.t)
				for i := range c.bs {
					n := c.minLen + i*(c.t-c.minLen)/max(c.bs-1, 1)
					for j := range n {
						opts.KeyMask[i*c.t+j] = true
					}
				}
			}
			tp := NewTape()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c0, ok := testutil.ThreadCPU()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tp.Backward(tp.Sum(tp.Attention(q, k, v, opts)))
				tp.Reset()
			}
			b.ReportMetric(float64(b.N*c.bs*c.t)/b.Elapsed().Seconds(), "tokens/s")
			if c1, _ := testutil.ThreadCPU(); ok {
				b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
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
