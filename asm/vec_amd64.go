//go:build !purego

package asm

// vecAVX2 installs the AVX2+FMA vector kernels into k.
func vecAVX2(k *kernels) {}

// vecAVX512 installs the AVX-512 vector kernels into k.
func vecAVX512(k *kernels) {}
