//go:build !purego

package asm

// setBF16Quad forces the m = 1 row grouping on or off for every matrix size.
func setBF16Quad(on bool) (restore func()) {
	prev := bf16QuadBytes
	bf16QuadBytes = 0
	if on {
		bf16QuadBytes = 1 << 62
	}
	return func() { bf16QuadBytes = prev }
}
