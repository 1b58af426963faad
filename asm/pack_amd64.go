//go:build !purego

package asm

import "unsafe"

// packT8AVX2 is packTGeneric for rows ≤ lanes, lanes 6 or 8 (bounds checked
// by the caller, packT8F32).
//
//go:noescape
func packT8AVX2(dst unsafe.Pointer, w, lanes int, src unsafe.Pointer, ld, rows, kc int)

// packTAVX512 is packTGeneric for rows ≤ 16, lanes ≤ 16 (bounds checked by
// the caller, packTF32).
//
//go:noescape
func packTAVX512(dst unsafe.Pointer, w, lanes int, src unsafe.Pointer, ld, rows, kc int)

// packT12AVX512 is packTAVX512 for w = lanes = 12, rows ≤ 12.
//
//go:noescape
func packT12AVX512(dst unsafe.Pointer, w, lanes int, src unsafe.Pointer, ld, rows, kc int)

// packTBF16AVX512 is packTBF16Generic for rows ≤ 16, lanes ≤ 16.
//
//go:noescape
func packTBF16AVX512(dst unsafe.Pointer, w, lanes int, src unsafe.Pointer, ld, rows, kc int)

// packCAVX512 is packCGeneric for w ≤ 32.
//
//go:noescape
func packCAVX512(dst unsafe.Pointer, w int, src unsafe.Pointer, ld, cols, kc int)

// packCBF16AVX512 is packCBF16Generic for w ≤ 32.
//
//go:noescape
func packCBF16AVX512(dst unsafe.Pointer, w int, src unsafe.Pointer, ld, cols, kc int)
