package asm

import (
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// BenchmarkChunkHandoff is a decoding step's matvec split over two threads
// on a matrix just past the split threshold that stays in L2 (Q4_0
// 2048×1024, 1.2 MB), so that the hand-off to the second thread weighs
// most: with the pool worker polling for the next call after each
// (poll) and parking at once (park). Interleave with -count.
func BenchmarkChunkHandoff(b *testing.B) {
	const n, k = 2048, 1024
	r := testutil.RNG(3)
	x := testutil.Uniform(r, k)
	c := make([]float32, n)
	w := randomQMatrix(b, r, Q4_0, n, k)
	for _, mode := range []string{"poll", "park"} {
		b.Run(mode, func(b *testing.B) {
			defer SetThreads(2)()
			saved := chunkPoll.Load()
			defer chunkPoll.Store(saved)
			if mode == "park" {
				chunkPoll.Store(0)
			}
			for i := 0; i < b.N; i++ {
				SgemmQ(1, x, k, w, c, n)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/call")
		})
	}
}
