package llama

import (
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

// TestForkAdapters checks that a fork runs with its own adapters while
// sharing the weights: attaching a trained-looking set to the fork changes
// neither the original's output nor its adapters, the fork's output equals
// the original's with the same set attached, and Rekey moves sets both ways.
func TestForkAdapters(t *testing.T) {
	m := New(tinyConfig(), testutil.RNG(1))
	set, params := m.NewLoRA(LoRAOptions{Rank: 2, Alpha: 4, Targets: []string{"q_proj", "v_proj", "down_proj"}}, testutil.RNG(2))
	for _, p := range params {
		copy(p.Data(), testutil.Normal(testutil.RNG(uint64(len(p.Name))), p.Value.Len(), 0.3)) // B nonzero too
	}
	b := Batch{B: 2, T: 5, IDs: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}
	base := m.Forward(b, nil).Clone()

	f := m.Fork()
	if f.Layers[0].Q == m.Layers[0].Q || f.Layers[0].Q.W != m.Layers[0].Q.W {
		t.Fatal("a fork must have its own projections sharing the weight data")
	}
	fs := f.Rekey(set, m)
	if len(fs) != len(set) {
		t.Fatalf("rekeyed %d of %d adapters", len(fs), len(set))
	}
	restore := f.UseLoRA(fs)
	forked := f.Forward(b, nil).Clone()
	if d := tensor.MaxAbsDiff(m.Forward(b, nil), base); d != 0 {
		t.Fatalf("the fork's adapters changed the original's output by %g", d)
	}
	if len(m.Adapters()) != 0 {
		t.Fatal("the fork's adapters were attached to the original")
	}
	defer m.UseLoRA(m.Rekey(fs, f))()
	if d := tensor.MaxAbsDiff(m.Forward(b, nil), forked); d != 0 {
		t.Fatalf("the original with the rekeyed set differs from the fork by %g", d)
	}
	if d := tensor.MaxAbsDiff(forked, base); d == 0 {
		t.Fatal("the adapters changed nothing: the test cannot tell forks apart")
	}
	restore()
	if len(f.Adapters()) != 0 {
		t.Fatal("restore left adapters on the fork")
	}
}
