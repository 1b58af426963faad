//go:build !purego

package asm

// fmaPeakAVX512 runs n iterations of 16 independent zmm FMAs (512 flops per
// iteration): the machine's FMA throughput ceiling, for benchmarks only.
//
//go:noescape
func fmaPeakAVX512(n int)

// fmaPeakAVX2 runs n iterations of 12 independent ymm FMAs (192 flops per
// iteration).
//
//go:noescape
func fmaPeakAVX2(n int)

// peakKernels lists the FMA-peak loops by level with their flops per
// iteration.
func peakKernels() map[Level]peakKernel {
	return map[Level]peakKernel{
		AVX2:   {fmaPeakAVX2, 12 * 8 * 2},
		AVX512: {fmaPeakAVX512, 16 * 16 * 2},
	}
}
