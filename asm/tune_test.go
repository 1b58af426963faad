package asm

import (
	"fmt"
	"os"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// BenchmarkSgemmBlocks sweeps cache block sizes for the active level on one
// thread (a tuning aid: set LLINK_TUNE=1 to run it).
func BenchmarkSgemmBlocks(b *testing.B) {
	if os.Getenv("LLINK_TUNE") == "" {
		b.Skip("set LLINK_TUNE=1 to sweep block sizes")
	}
	defer SetThreads(1)()
	const m, n, k = 1536, 1536, 1536
	r := testutil.RNG(1)
	a, bb := testutil.Uniform(r, m*k), testutil.Uniform(r, k*n)
	c := make([]float32, m*n)
	mr, nr := TileSize()
	// mc: rows of the packed A block (L3); nc: columns of the packed B
	// block (L2).
	for _, kc := range []int{128, 192, 256, 320, 384, 512} {
		for _, mc := range []int{42 * mr, 128 * mr, 4096 / mr * mr} {
			for _, nc := range []int{256, 384, 512, 768, 1024} {
				bl := blocking{mc: mc, kc: kc, nc: nc / nr * nr}
				b.Run(fmt.Sprintf("kc%d/mc%d/nc%d", kc, mc, nc), func(b *testing.B) {
					blockOverride = &bl
					defer func() { blockOverride = nil }()
					clk := startCPU()
					for i := 0; i < b.N; i++ {
						Sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
					}
					flops := 2 * float64(m*n*k) * float64(b.N)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					clk.report(b, flops)
				})
			}
		}
	}
}
