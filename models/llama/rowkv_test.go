package llama

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/asm"
)

// TestRowKVAttention: a forward without a cache (attention on the
// projections' rows, in causal blocks) gives the hidden states of the same
// forward into a fresh cache (keys and values stored transposed first, all
// keys scored) bit for bit, on every kernel level, 1 and 2 threads, prompts
// from 1 token to past the GEMM's tiles and the causal blocks' edges (a
// short last block, the longest split prompt and one past it), head sizes
// from 8 (the skinny kernels) to 64, grouped-query heads, and padded rows.
func TestRowKVAttention(t *testing.T) {
	for _, l := range asm.Available() {
		for _, hd := range []int{8, 16, 32, 64} {
			c := Tiny(97)
			c.Hidden, c.Intermediate, c.Layers, c.Heads, c.KVHeads, c.HeadDim = 64, 96, 2, 64/hd*2, 64/hd, hd
			m := New(c, rand.New(rand.NewPCG(1, uint64(hd))))
			r := rand.New(rand.NewPCG(2, uint64(hd)))
			for _, shape := range [][2]int{{1, 1}, {1, 3}, {2, 5}, {1, 7}, {3, 13}, {1, 17}, {2, 33}, {1, 36}, {1, 37}, {1, 70}, {2, 100}, {1, 256}, {1, 257}} {
				for _, th := range []int{1, 2} {
					name := fmt.Sprintf("%s/hd%d/%dx%d/t%d", l, hd, shape[0], shape[1], th)
					b := Batch{B: shape[0], T: shape[1], IDs: make([]int, shape[0]*shape[1])}
					for i := range b.IDs {
						b.IDs[i] = r.IntN(c.VocabSize)
					}
					if b.B > 1 { // the first row left-padded
						b.Mask = make([]bool, len(b.IDs))
						for i := range b.Mask {
							b.Mask[i] = i >= b.T || i >= b.T/2
						}
					}
					restore := asm.SetLevel(l)
					restoreT := asm.SetThreads(th)
					got := m.Forward(b, nil).Clone()
					want := m.Forward(b, m.NewCache(b.B, b.T))
					restoreT()
					restore()
					for i, v := range want.Data() {
						if g := got.Data()[i]; math.Float32bits(g) != math.Float32bits(v) && !(b.Mask != nil && !b.Mask[i/c.Hidden]) {
							t.Fatalf("%s: element %d: %g without a cache, %g with one", name, i, g, v)
						}
					}
				}
			}
		}
	}
}

// TestRopeCache: the cached table gives ropeTable's values for any
// positions, in any order, across growth, from concurrent callers.
func TestRopeCache(t *testing.T) {
	inv := invFreq(Tiny(11))
	var rc ropeCache
	done := make(chan []int, 4)
	for g := range 4 {
		go func() {
			r := rand.New(rand.NewPCG(5, uint64(g)))
			var bad []int
			for range 50 {
				pos := make([]int, 1+r.IntN(9))
				for i := range pos {
					pos[i] = (g*37 + r.IntN(300)) % 1000
				}
				c, s := rc.table(inv, pos)
				wc, ws := ropeTable(inv, pos)
				for i := range c {
					if c[i] != wc[i] || s[i] != ws[i] {
						bad = append(bad, pos[i/len(inv)])
					}
				}
			}
			done <- bad
		}()
	}
	for range 4 {
		if bad := <-done; len(bad) > 0 {
			t.Fatalf("positions %v: cached table differs from ropeTable", bad)
		}
	}
}
