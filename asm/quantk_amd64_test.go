//go:build !purego

package asm

import "golang.org/x/sys/cpu"

// archKDots returns the int8 kernels of t that a level's table may not hold
// on this CPU: the Q4_0 VNNI kernel, which CPUs with VBMI replace.
func archKDots(t QType) map[string]kdotKernel {
	if t != Q4_0 || !cpu.X86.HasAVX512VNNI || !cpu.X86.HasAVX512BF16 {
		return nil
	}
	return map[string]kdotKernel{"vnni": q8kdotVNNI(Q4_0)}
}
