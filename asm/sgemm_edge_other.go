//go:build purego || !amd64

package asm

// edgeKernel returns the micro-kernel for a panel of mrr ≤ kr.mr rows and
// the number of rows it computes: here always kr's own kernel.
func edgeKernel(kr *kernels, mrr int) (microKernel, int) { return kr.gemm, kr.mr }
