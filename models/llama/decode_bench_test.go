package llama

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/internal/race"
)

// BenchmarkDecodeStep times one KV-cache decoding step (embedding, every
// block, final norm, logits) of bench/llamabench's small and big configs at a
// fixed context length S: the cache is truncated back after each step.
func BenchmarkDecodeStep(b *testing.B) {
	for _, s := range []struct {
		name                         string
		d, layers, heads, ffn, vocab int
	}{
		{"small", 256, 4, 8, 688, 8192},
		{"big", 512, 8, 8, 1376, 32000},
	} {
		c := Tiny(s.vocab)
		c.Hidden, c.Layers, c.Heads, c.KVHeads, c.HeadDim, c.Intermediate = s.d, s.layers, s.heads, s.heads, s.d/s.heads, s.ffn
		c.MaxPositions = 4096
		for _, bf16 := range []bool{false, true} {
			newModel := New
			if bf16 {
				newModel = NewBF16
			}
			m := newModel(c, rand.New(rand.NewPCG(1, 2)))
			for _, S := range []int{64, 512} {
				b.Run(fmt.Sprintf("%s/bf16=%v/S=%d", s.name, bf16, S), func(b *testing.B) {
					r := rand.New(rand.NewPCG(3, 4))
					ids := make([]int, S)
					for i := range ids {
						ids[i] = r.IntN(s.vocab)
					}
					cache := m.NewCache(1, S)
					m.Forward(Batch{B: 1, T: S - 1, IDs: ids[:S-1]}, cache)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						h := m.Forward(Batch{B: 1, T: 1, IDs: ids[S-1:]}, cache)
						m.Logits(h)
						cache.Truncate(S - 1)
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
				})
			}
		}
	}
}

// TestDecodeStepAllocations bounds the heap allocations of one decoding
// step with bf16 weights (measured: 50; before the activation buffers were
// reused and the kernels' length checks stopped escaping, 2,198). It guards
// against per-head or per-kernel-call allocations creeping back in.
func TestDecodeStepAllocations(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector adds allocations of its own")
	}
	m := NewBF16(Tiny(512), rand.New(rand.NewPCG(1, 2)))
	cache := m.NewCache(1, 32)
	m.Forward(Batch{B: 1, T: 8, IDs: []int{1, 2, 3, 4, 5, 6, 7, 8}}, cache)
	n := testing.AllocsPerRun(20, func() {
		m.Logits(m.Forward(Batch{B: 1, T: 1, IDs: []int{9}}, cache))
		cache.Truncate(8)
	})
	if n > 100 {
		t.Errorf("a decoding step allocates %g times, want ≤ 100", n)
	}
}
