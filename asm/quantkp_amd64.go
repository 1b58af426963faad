//go:build !purego

package asm

import "unsafe"

// kdotQ4KP and kdotQ6KP write kdotPGeneric(Q4_K / Q6_K) of one packed
// group of kpRows rows (nb ≥ 1 super-blocks at b) to out[:kpRows], bit for
// bit, given the quantised activations q, d and sums: bsum (Q4_K) or off6
// (Q6_K).
//
//go:noescape
func kdotQ4KP(q *int8, d *float32, sums *int16, b *byte, nb int, out *float32)

//go:noescape
func kdotQ6KP(q *int8, d *float32, sums *int32, b *byte, nb int, out *float32)

// kdotQ8P writes kdotPGeneric(Q8_0) of one packed group (nb ≥ 1
// super-blocks of eight blocks at b) to out[:kpRows], bit for bit, given
// the quantised activations q, d and negSum (sums).
//
//go:noescape
func kdotQ8P(q *int8, d *float32, sums *int32, b *byte, nb int, out *float32)

// kdotQ8P4 is kdotQ8P on four groups, as kdotQ4KP4.
//
//go:noescape
func kdotQ8P4(q *int8, d *float32, sums *int32, b *byte, ld, nb int, out *float32, os int)

// kdotQ4KP4 and kdotQ6KP4 are kdotQ4KP and kdotQ6KP on the four groups at
// b, b+ld, b+2ld and b+3ld (four streams), group s's results to
// out[s·os:s·os+kpRows].
//
//go:noescape
func kdotQ4KP4(q *int8, d *float32, sums *int16, b *byte, ld, nb int, out *float32, os int)

//go:noescape
func kdotQ6KP4(q *int8, d *float32, sums *int32, b *byte, ld, nb int, out *float32, os int)

// kpUnitsAVX512 is kpUnitsGeneric in AVX-512 (a 16×16 transpose of dwords
// per 1 KB of units).
//
//go:noescape
func kpUnitsAVX512(dst *byte, ds int, src *byte)

// kpUnitsKernel is kpUnitsAVX512 with its bounds checked.
func kpUnitsKernel(dst []byte, ds int, src []byte) {
	_, _ = dst[(kpRows-1)*ds+4*kp4Units-1], src[64*kp4Units-1]
	kpUnitsAVX512(unsafe.SliceData(dst), ds, unsafe.SliceData(src))
}

// kpPanelQ4KAVX512 and kpPanelQ6KAVX512 are kpPanelGeneric(Q4_K / Q6_K)
// in AVX512-BF16 (nb, ng ≥ 1).
//
//go:noescape
func kpPanelQ4KAVX512(dst *uint16, src *byte, gs, nb, ng int)

//go:noescape
func kpPanelQ6KAVX512(dst *uint16, src *byte, gs, nb, ng int)

// kpPanelQ8AVX512 is kpPanelGeneric(Q8_0) in AVX512-BF16 (nb, ng ≥ 1).
//
//go:noescape
func kpPanelQ8AVX512(dst *uint16, src *byte, gs, nb, ng int)

// kpPanelAVX512 installs the kpPanel kernels into k.
func kpPanelAVX512(k *kernels) {
	for _, t := range kpTypes {
		f, pb := kpPanelQ4KAVX512, kpBytes(t)
		switch t {
		case Q6_K:
			f = kpPanelQ6KAVX512
		case Q8_0:
			f = kpPanelQ8AVX512
		}
		k.kpPanel[t] = func(dst []uint16, src []byte, gs, nb, ng int) {
			if nb <= 0 || ng <= 0 {
				return
			}
			if ng > bf16NNNR/kpRows || gs < nb*pb {
				panic("asm: kpPanel: more groups than a panel holds, or overlapping groups")
			}
			_, _ = dst[2*((128*nb-1)*bf16NNNR+16*ng)-1], src[(ng-1)*gs+nb*pb-1]
			f(unsafe.SliceData(dst), unsafe.SliceData(src), gs, nb, ng)
		}
	}
}

// kdotPVNNI installs the packed int8 kernels into k.
func kdotPVNNI(k *kernels) {
	for _, t := range kpTypes {
		pb, nd := kpBytes(t), 256/t.BlockWeights() // nd: a super-block's scales d
		sums := func(a *qActs, nb int) unsafe.Pointer {
			switch t {
			case Q4_K:
				_ = a.bsum[16*nb-1]
				return unsafe.Pointer(unsafe.SliceData(a.bsum))
			case Q8_0:
				_ = a.negSum[8*nb-1]
				return unsafe.Pointer(unsafe.SliceData(a.negSum))
			}
			_ = a.off6[16*nb-1]
			return unsafe.Pointer(unsafe.SliceData(a.off6))
		}
		k.kdotP[t] = func(a *qActs, b []byte, nb int, out []float32) {
			_ = out[kpRows-1]
			if nb == 0 {
				clear(out[:kpRows])
				return
			}
			_, _, _ = a.q[256*nb-1], a.d[nd*nb-1], b[nb*pb-1]
			s := sums(a, nb)
			switch t {
			case Q4_K:
				kdotQ4KP(unsafe.SliceData(a.q), unsafe.SliceData(a.d), (*int16)(s), unsafe.SliceData(b), nb, &out[0])
			case Q8_0:
				kdotQ8P(unsafe.SliceData(a.q), unsafe.SliceData(a.d), (*int32)(s), unsafe.SliceData(b), nb, &out[0])
			default:
				kdotQ6KP(unsafe.SliceData(a.q), unsafe.SliceData(a.d), (*int32)(s), unsafe.SliceData(b), nb, &out[0])
			}
		}
		k.kdotP4[t] = func(a *qActs, b []byte, ld, nb int, out []float32, os int) {
			_ = out[3*os+kpRows-1]
			if nb == 0 {
				for s := range 4 {
					clear(out[s*os : s*os+kpRows])
				}
				return
			}
			_, _, _ = a.q[256*nb-1], a.d[nd*nb-1], b[3*ld+nb*pb-1]
			s := sums(a, nb)
			switch t {
			case Q4_K:
				kdotQ4KP4(unsafe.SliceData(a.q), unsafe.SliceData(a.d), (*int16)(s), unsafe.SliceData(b), ld, nb, &out[0], os)
			case Q8_0:
				kdotQ8P4(unsafe.SliceData(a.q), unsafe.SliceData(a.d), (*int32)(s), unsafe.SliceData(b), ld, nb, &out[0], os)
			default:
				kdotQ6KP4(unsafe.SliceData(a.q), unsafe.SliceData(a.d), (*int32)(s), unsafe.SliceData(b), ld, nb, &out[0], os)
			}
		}
	}
}
