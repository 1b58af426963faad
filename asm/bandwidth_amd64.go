//go:build !purego

package asm

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// readAVX2 returns xorWordsGeneric(p, n) (n a multiple of 256), reading
// 256 bytes per iteration with eight independent ymm loads; when pf > 0 it
// also prefetches (PREFETCHT0) the four lines pf bytes ahead.
//
//go:noescape
func readAVX2(p unsafe.Pointer, n, pf int) uint64

// read4AVX2 is readAVX2 over four streams at once: the quarters of the
// n bytes, 64 bytes of each per iteration.
//
//go:noescape
func read4AVX2(p unsafe.Pointer, n, pf int) uint64

// readNTAVX2 is readAVX2 with non-temporal loads (VMOVNTDQA).
//
//go:noescape
func readNTAVX2(p unsafe.Pointer, n int) uint64

// bwReadersArch lists the AVX2 readers when the CPU has AVX2.
func bwReadersArch() []bwReader {
	if !cpu.X86.HasAVX2 {
		return nil
	}
	pf := func(f func(unsafe.Pointer, int, int) uint64, d int) func(unsafe.Pointer, int) uint64 {
		return func(p unsafe.Pointer, n int) uint64 { return f(p, n, d) }
	}
	return []bwReader{
		{"avx2/1stream", pf(readAVX2, 0)},
		{"avx2/1stream+pf1k", pf(readAVX2, 1024)},
		{"avx2/1stream+pf2k", pf(readAVX2, 2048)},
		{"avx2/1stream+pf4k", pf(readAVX2, 4096)},
		{"avx2/1stream+pf8k", pf(readAVX2, 8192)},
		{"avx2/4streams", pf(read4AVX2, 0)},
		{"avx2/4streams+pf1k", pf(read4AVX2, 1024)},
		{"avx2/4streams+pf4k", pf(read4AVX2, 4096)},
		{"avx2/nt", readNTAVX2},
	}
}
