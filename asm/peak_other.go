//go:build purego || !amd64

package asm

func peakKernels() map[Level]peakKernel { return nil }
