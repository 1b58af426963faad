//go:build !purego

package asm

import "unsafe"

// qdot8AVX512 returns qdotGeneric(Q8_0)(x, b, nb) up to summation order:
// two blocks per iteration, 32 int8 widened (VPMOVSXBD, VCVTDQ2PS) and
// multiplied into x, each block's sum scaled by its f16 scale:
//
//	for blk := 0; blk < nb; blk++ {
//		var bs float32
//		for i := 0; i < 32; i++ { bs += x[blk*32+i] * float32(int8(b[blk*34+2+i])) }
//		s += f16(b[blk*34:]) * bs
//	}
//
//go:noescape
func qdot8AVX512(x *float32, b *byte, nb int) float32

// qdot4AVX512 is qdot8AVX512 for Q4_0 blocks (18 bytes: f16 scale, then
// byte j = weight j + 8 in the low nibble, weight j+16 + 8 in the high one).
//
//go:noescape
func qdot4AVX512(x *float32, b *byte, nb int) float32

// dequant8AVX512 and dequant4AVX512 widen nb Q8_0 or Q4_0 blocks at b into
// dst (32·nb floats) as Dequantize does: d·float32(q), one rounding.
//
//go:noescape
func dequant8AVX512(dst *float32, b *byte, nb int)

//go:noescape
func dequant4AVX512(dst *float32, b *byte, nb int)

// dequant8BF16AVX512 and dequant4BF16AVX512 are dequant8AVX512 and
// dequant4AVX512 rounding to bf16 (F32ToBF16) as they go (AVX512-BF16).
//
//go:noescape
func dequant8BF16AVX512(dst *uint16, b *byte, nb int)

//go:noescape
func dequant4BF16AVX512(dst *uint16, b *byte, nb int)

// dequantQ4KAVX512 and dequantQ6KAVX512 widen nb Q4_K or Q6_K super-blocks
// at b into dst (256·nb floats) given their group scales in sc, 16 floats
// per super-block (kScales): as Dequantize, bit for bit.
//
//go:noescape
func dequantQ4KAVX512(dst *float32, b *byte, sc *float32, nb int)

//go:noescape
func dequantQ6KAVX512(dst *float32, b *byte, sc *float32, nb int)

// kScaleBlocks is how many super-blocks dequantKAVX512 widens per call (an
// 8192-column row is 32).
const kScaleBlocks = 32

// dequantKAVX512 widens Q4_K or Q6_K super-blocks: the group scales of up
// to kScaleBlocks at a time in Go (kScales), the weights in assembly.
func dequantKAVX512(t QType, dst []float32, src []byte) {
	var sc [16 * kScaleBlocks]float32
	bb := t.BlockBytes()
	for b0 := 0; b0 < len(dst)/256; b0 += kScaleBlocks {
		nb := min(kScaleBlocks, len(dst)/256-b0)
		blocks := src[b0*bb : (b0+nb)*bb]
		out := dst[b0*256 : (b0+nb)*256]
		for b := 0; b < nb; b++ {
			kScales(t, sc[16*b:16*b+16], blocks[b*bb:(b+1)*bb])
		}
		if t == Q4_K {
			dequantQ4KAVX512(unsafe.SliceData(out), unsafe.SliceData(blocks), &sc[0], nb)
		} else {
			dequantQ6KAVX512(unsafe.SliceData(out), unsafe.SliceData(blocks), &sc[0], nb)
		}
	}
}

// qdotAVX512 installs the AVX-512 quantised dot and dequantisation kernels
// into k.
func qdotAVX512(k *kernels) {
	k.kpUnits = kpUnitsKernel
	k.dequant = func(t QType, dst []float32, src []byte) {
		if t == Q4_K || t == Q6_K {
			dequantKAVX512(t, dst, src)
			return
		}
		nb := len(dst) / QBlock
		if nb == 0 {
			return
		}
		_, _ = dst[nb*QBlock-1], src[nb*t.BlockBytes()-1]
		if t == Q8_0 {
			dequant8AVX512(unsafe.SliceData(dst), unsafe.SliceData(src), nb)
		} else {
			dequant4AVX512(unsafe.SliceData(dst), unsafe.SliceData(src), nb)
		}
	}
	k.qdot[Q8_0] = func(x []float32, b []byte, nb int) float32 {
		if nb == 0 {
			return 0
		}
		_, _ = x[nb*QBlock-1], b[nb*34-1]
		return qdot8AVX512(unsafe.SliceData(x), unsafe.SliceData(b), nb)
	}
	k.qdot[Q4_0] = func(x []float32, b []byte, nb int) float32 {
		if nb == 0 {
			return 0
		}
		_, _ = x[nb*QBlock-1], b[nb*18-1]
		return qdot4AVX512(unsafe.SliceData(x), unsafe.SliceData(b), nb)
	}
}

// dequantBF16AVX512 installs the AVX512-BF16 dequantisation of Q8_0 and
// Q4_0 straight to bf16 into k, and that of packed Q4_K, Q6_K and Q8_0 groups
// straight into bf16nn panels (kpPanel).
func dequantBF16AVX512(k *kernels) {
	kpPanelAVX512(k)
	for _, t := range []QType{Q8_0, Q4_0} {
		f, bb := dequant8BF16AVX512, t.BlockBytes()
		if t == Q4_0 {
			f = dequant4BF16AVX512
		}
		k.dequantBF16[t] = func(dst []uint16, src []byte) {
			nb := len(dst) / QBlock
			if nb == 0 {
				return
			}
			_, _ = dst[nb*QBlock-1], src[nb*bb-1]
			f(unsafe.SliceData(dst), unsafe.SliceData(src), nb)
		}
	}
}
