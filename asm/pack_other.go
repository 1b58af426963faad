//go:build purego || !amd64

package asm

import "unsafe"

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
