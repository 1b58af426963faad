package nn

import (
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

// BenchmarkTrainStep times forward + backward + AdamW on a LLaMA-style
// block stack (4 layers, d=256, 8 heads / 4 kv heads, SwiGLU 688, vocab
// 512) over a batch of 4×128 tokens, and reports tokens/s.
func BenchmarkTrainStep(b *testing.B) {
	const batch, seq = 4, 128
	c := lmConfig{vocab: 512, dim: 256, layers: 4, heads: 8, kvHeads: 4, hidden: 688}
	r := testutil.RNG(1)
	m := newTinyLM(c, r)
	ps := m.Params()
	opt := NewAdamW([]ParamGroup{{Params: ps, LR: 1e-4, WeightDecay: 0.01}}, 0.9, 0.95, 1e-8)
	ids := make([]int, batch*seq)
	for i := range ids {
		ids[i] = r.IntN(c.vocab)
	}
	tp := autograd.NewTape()
	step := func() {
		l := m.loss(tp, ids, batch)
		tp.Backward(l)
		ClipGradNorm(ps, 1)
		opt.Step()
		autograd.ZeroGrad(ps)
		tp.Reset()
	}
	step()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
	b.ReportMetric(float64(b.N*batch*seq)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkDecodeStep times one incremental decoding step (a token per
// batch row against a 128-position KV cache) of the same stack.
func BenchmarkDecodeStep(b *testing.B) {
	const batch, prefix = 4, 128
	c := lmConfig{vocab: 512, dim: 256, layers: 4, heads: 8, kvHeads: 4, hidden: 688}
	r := testutil.RNG(2)
	m := newTinyLM(c, r)
	caches := make([]*KVCache, c.layers)
	for i := range caches {
		caches[i] = NewKVCache(batch, prefix+1, c.kvHeads, c.dim/c.heads)
	}
	ids := make([]int, batch*prefix)
	for i := range ids {
		ids[i] = r.IntN(c.vocab)
	}
	m.forward(nil, ids, batch, 0, caches)
	next := make([]int, batch)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, kc := range caches {
			kc.Len = prefix
		}
		m.forward(nil, next, batch, prefix, caches)
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkAdamW times AdamW.Step over 6 M parameters in tensors of the
// big llamabench config's sizes (an embedding table and projection
// matrices), reporting parameters updated per second.
func BenchmarkAdamW(b *testing.B) {
	r := testutil.RNG(3)
	var ps []*autograd.Var
	total := 0
	for _, n := range []int{32000 * 128, 512 * 1376, 1376 * 512, 512 * 512, 512 * 512, 512, 512} {
		p := autograd.NewParam("p", tensor.FromSlice(testutil.Normal(r, n, 1), n))
		p.Grad = tensor.FromSlice(testutil.Normal(r, n, 0.01), n)
		ps = append(ps, p)
		total += n
	}
	opt := NewAdamW([]ParamGroup{{Params: ps, LR: 1e-4, WeightDecay: 0.01}}, 0.9, 0.999, 1e-8)
	opt.Step()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		opt.Step()
	}
	b.ReportMetric(float64(b.N*total)/b.Elapsed().Seconds()/1e6, "Mparams/s")
}
