//go:build !amd64 || purego

package asm

// bf16DotPeakLoop is nil where no level has VDPBF16PS.
var bf16DotPeakLoop func(n int)
