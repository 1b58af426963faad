//go:build purego || !amd64

package asm

// archKDots returns no extra kernels on this build.
func archKDots(QType) map[string]kdotKernel { return nil }
