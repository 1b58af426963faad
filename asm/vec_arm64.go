//go:build !purego

package asm

// vecNEON installs the NEON vector kernels into k (none yet: generic twins).
func vecNEON(k *kernels) {}
