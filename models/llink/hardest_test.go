package llink

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"testing"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

// hardestBySort is the former Queue.Hardest: every entry's score by a
// column scan, then a full sort by (score descending, index ascending).
func hardestBySort(q *Queue, p *tensor.Tensor, m int, exclude []int) *tensor.Tensor {
	if q.n == 0 || m <= 0 {
		return nil
	}
	pn := UnitRows(p)
	sims := make([]float32, pn.Rows()*q.n)
	asm.Sgemm(false, true, pn.Rows(), q.n, q.dim, 1, pn.Data(), q.dim, q.vecs, q.dim, 0, sims, q.n)
	skip := map[int]bool{}
	for _, id := range exclude {
		skip[id] = true
	}
	type cand struct {
		j     int
		score float32
	}
	var cands []cand
	for j := 0; j < q.n; j++ {
		if skip[q.ids[j]] {
			continue
		}
		best := float32(math.Inf(-1))
		for i := 0; i < pn.Rows(); i++ {
			best = max(best, sims[i*q.n+j])
		}
		cands = append(cands, cand{j, best})
	}
	sort.Slice(cands, func(a, b int) bool {
		if cands[a].score != cands[b].score {
			return cands[a].score > cands[b].score
		}
		return cands[a].j < cands[b].j
	})
	cands = cands[:min(m, len(cands))]
	if len(cands) == 0 {
		return nil
	}
	out := tensor.New(len(cands), q.dim)
	for i, c := range cands {
		copy(out.Row(i), q.vecs[c.j*q.dim:(c.j+1)*q.dim])
	}
	return out
}

// TestHardestMatchesSort: Hardest returns exactly what the former full
// sort returned, on random queues (partly filled and wrapped, with
// duplicated vectors so scores tie, and excluded ids) for m from 1 to
// past the queue's length.
func TestHardestMatchesSort(t *testing.T) {
	r := testutil.RNG(21)
	for _, c := range []struct{ capacity, pushed, dim, rows int }{
		{1, 1, 3, 1}, {7, 5, 4, 3}, {33, 50, 8, 7}, {129, 300, 16, 17}, {1000, 1000, 31, 33},
	} {
		q := NewQueue(c.capacity, c.dim)
		for n := 0; n < c.pushed; {
			k := min(1+r.IntN(9), c.pushed-n)
			h := tensor.FromSlice(testutil.Normal(r, k*c.dim, 1), k, c.dim)
			if k > 1 { // a duplicate vector: equal scores, ordered by index
				copy(h.Row(k-1), h.Row(0))
			}
			ids := make([]int, k)
			for i := range ids {
				ids[i] = r.IntN(c.pushed/2 + 1)
			}
			q.Push(h, ids)
			n += k
		}
		p := tensor.FromSlice(testutil.Normal(r, c.rows*c.dim, 1), c.rows, c.dim)
		for _, m := range []int{1, 2, 3, 16, c.capacity - 1, c.capacity, c.capacity + 5} {
			for _, exclude := range [][]int{nil, {0, 1, 2}, q.ids[:min(5, len(q.ids))]} {
				t.Run(fmt.Sprintf("cap%d/m%d/excl%d", c.capacity, m, len(exclude)), func(t *testing.T) {
					got, want := q.Hardest(p, m, exclude), hardestBySort(q, p, m, exclude)
					if (got == nil) != (want == nil) {
						t.Fatalf("got %v, want %v", got, want)
					}
					if got != nil && (!slices.Equal(got.Shape(), want.Shape()) || !slices.Equal(got.Data(), want.Data())) {
						t.Fatalf("got %v rows, want %v: the selections differ", got.Shape(), want.Shape())
					}
				})
			}
		}
	}
}

// BenchmarkHardest is Stage A's hard-negative pick at the default run's
// shape (a queue of 4,000 vectors of the decoder's 256, batch 128, m
// 256), against the former full sort ("sort"), one thread.
func BenchmarkHardest(b *testing.B) {
	r := testutil.RNG(5)
	const capacity, dim, rows, m = 4000, 256, 128, 256
	q := NewQueue(capacity, dim)
	ids := make([]int, capacity)
	for i := range ids {
		ids[i] = i
	}
	q.Push(tensor.FromSlice(testutil.Normal(r, capacity*dim, 1), capacity, dim), ids)
	p := tensor.FromSlice(testutil.Normal(r, rows*dim, 1), rows, dim)
	exclude := ids[:rows]
	for _, v := range []struct {
		name string
		f    func(*Queue, *tensor.Tensor, int, []int) *tensor.Tensor
	}{{"select", (*Queue).Hardest}, {"sort", hardestBySort}} {
		b.Run(v.name, func(b *testing.B) {
			defer asm.SetThreads(1)()
			runtime.LockOSThread() // the thread's CPU time: other processes on the cores do not count
			defer runtime.UnlockOSThread()
			c0, ok := testutil.ThreadCPU()
			for range b.N {
				v.f(q, p, m, exclude)
			}
			if c1, _ := testutil.ThreadCPU(); ok {
				b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
