//go:build purego || !amd64

package asm

import "unsafe"

// packAVX512 reports whether kr packs with AVX-512 assembly: never here.
func packAVX512(*kernels) bool { return false }

// packAVX2 reports whether kr transposes with AVX2 assembly: never here.
func packAVX2(*kernels) bool { return false }

func packT8AVX2(dst unsafe.Pointer, w, lanes int, src unsafe.Pointer, ld, rows, kc int) {
	panic("asm: no AVX2 packing in this build")
}

func packTAVX512(dst unsafe.Pointer, w, lanes int, src unsafe.Pointer, ld, rows, kc int) {
	panic("asm: no AVX-512 packing in this build")
}

func packT12AVX512(dst unsafe.Pointer, w, lanes int, src unsafe.Pointer, ld, rows, kc int) {
	panic("asm: no AVX-512 packing in this build")
}

func packTBF16AVX512(dst unsafe.Pointer, w, lanes int, src unsafe.Pointer, ld, rows, kc int) {
	panic("asm: no AVX-512 packing in this build")
}

func packCAVX512(dst unsafe.Pointer, w int, src unsafe.Pointer, ld, cols, kc int) {
	panic("asm: no AVX-512 packing in this build")
}

func packCBF16AVX512(dst unsafe.Pointer, w int, src unsafe.Pointer, ld, cols, kc int) {
	panic("asm: no AVX-512 packing in this build")
}
