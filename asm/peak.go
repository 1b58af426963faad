package asm

import "time"

// peakKernel is an FMA throughput loop used by the benchmarks to measure the
// machine's peak, so GEMM speed can be quoted as a fraction of it.
type peakKernel struct {
	run   func(n int)
	flops int // per iteration
}

// FMAPeak measures the active level's FMA throughput on the calling
// goroutine for about d and returns it in GFLOP/s (ok false when the level
// has no peak loop: purego and the generic level). Benchmark programs use it
// to quote a GEMM-heavy step as a share of the peak measured in the same
// run.
func FMAPeak(d time.Duration) (gflops float64, ok bool) {
	l := cur.level
	if l == AVX512BF16 { // its f32 GEMMs run the AVX-512 kernels
		l = AVX512
	}
	pk, ok := peakKernels()[l]
	if !ok {
		return 0, false
	}
	const iters = 1 << 14
	n := 0
	t0 := time.Now()
	for time.Since(t0) < d {
		pk.run(iters)
		n++
	}
	return float64(pk.flops) * iters * float64(n) / time.Since(t0).Seconds() / 1e9, true
}
