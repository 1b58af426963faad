//go:build !purego

package asm

// dropoutAVX2 installs the AVX2 dropout kernels into k: whole 64-element
// words in assembly, a last partial word in the twins.
func dropoutAVX2(k *kernels) {
	k.dropMask = maskWords(dropMaskAVX2)
	k.maskScale = words64(maskedScaleAVX2, maskedScaleGeneric)
	k.maskAdd = words64(maskedAddAVX2, maskedAddGeneric)
}

// dropoutAVX512 installs the AVX-512 dropout kernels into k: the masked
// products take any length (k-masked ends), the mask whole words.
func dropoutAVX512(k *kernels) {
	k.dropMask = maskWords(dropMaskAVX512)
	k.maskScale = maskedScaleAVX512
	k.maskAdd = maskedAddAVX512
}

// dropMaskAVX2 is dropMaskGeneric for n a multiple of 64 (len(kept) = n/64,
// len(draws) = n/4): VPMAXUW and VPCMPEQW give chunk ≥ drop per 16-bit
// lane, VPACKSSWB and VPMOVMSKB gather the lanes' signs into the word.
//
//go:noescape
func dropMaskAVX2(kept, draws []uint64, n int, drop uint16)

// dropMaskAVX512 is dropMaskGeneric for n a multiple of 64: VPCMPUW
// writes 32 decisions into a mask register, stored as they are.
//
//go:noescape
func dropMaskAVX512(kept, draws []uint64, n int, drop uint16)

// maskedScaleAVX2 is maskedScaleGeneric for len(dst) a multiple of 64:
// each byte of kept expanded to eight lane masks (broadcast, AND with the
// lanes' bits, compare), ANDed onto the products.
//
//go:noescape
func maskedScaleAVX2(dst, src []float32, s float32, kept []uint64)

// maskedAddAVX2 is maskedAddGeneric for len(dst) a multiple of 64: the
// sums blended into dst where kept.
//
//go:noescape
func maskedAddAVX2(dst, src []float32, s float32, kept []uint64)

// maskedScaleAVX512 is maskedScaleGeneric: VMULPS zeroing under a mask
// register loaded from 16 bits of kept, any length.
//
//go:noescape
func maskedScaleAVX512(dst, src []float32, s float32, kept []uint64)

// maskedAddAVX512 is maskedAddGeneric: the sums stored under the kept
// mask, so dropped elements are not written, any length.
//
//go:noescape
func maskedAddAVX512(dst, src []float32, s float32, kept []uint64)
