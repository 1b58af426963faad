//go:build !purego

package asm

// gemmNEONSetup installs the NEON micro-kernel into k (none yet: the generic
// 4×8 kernel).
func gemmNEONSetup(k *kernels) {}
