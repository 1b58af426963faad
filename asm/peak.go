package asm

// peakKernel is an FMA throughput loop used by the benchmarks to measure the
// machine's peak, so GEMM speed can be quoted as a fraction of it.
type peakKernel struct {
	run   func(n int)
	flops int // per iteration
}
