//go:build !purego

package asm

// registerArch registers the NEON table (Advanced SIMD is mandatory on arm64).
func registerArch() {
	k := genericKernels()
	k.level = NEON
	vecNEON(&k)
	gemmNEONSetup(&k)
	k.bf16mv = bf16mvNEONGo
	register(k)
}
