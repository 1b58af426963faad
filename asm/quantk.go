package asm

import (
	"encoding/binary"
	"math"
	"sync"
)

// Int8 dot products on Q4_K and Q6_K super-blocks (as llama.cpp's q8_K
// path): the activations of a decoding step are quantised once per call to
// int8 per 256 values (kActs), and each weight row is then multiplied on
// its super-blocks in integers — nibbles (and Q6_K's high bits) as unsigned
// bytes times the int8 activations, summed in pairs to int16, multiplied by
// the 6- or 8-bit group scales and summed in int32 — leaving two float
// multiplications per super-block. The error this adds over the float path
// is that of rounding x: at most half a quantisation step, amax/254 per
// value of a 256-block.

// kActs is one row of activations quantised for the int8 K kernels.
type kActs struct {
	// d holds each super-block's scale: x ≈ d·q.
	d []float32
	// q holds 256 int8 per super-block: in the natural order for Q6_K, in
	// Q4_K's nibble order for Q4_K (groups of 32: 0, 2, 1, 3, 4, 6, 5, 7,
	// so that the low nibbles of 64 block bytes meet 64 consecutive q).
	q []int8
	// bsum holds 16 int16 per super-block: the sums of q over the type's
	// groups in natural order (Q6_K: 16 groups of 16; Q4_K: 8 groups of 32,
	// then 8 zeros).
	bsum []int16
}

// kOrder4 is the Q4_K activation order: position 32i.. of a super-block's q
// holds group kOrder4[i].
var kOrder4 = [8]int{0, 2, 1, 3, 4, 6, 5, 7}

// quantizeActs fills a with x (a multiple of 256 values) quantised for t:
// per super-block d = amax/127 and q = x/d rounded to nearest (|q| ≤ 127);
// an all-zero block has d = 0, a block with a NaN or infinite value d = NaN
// (and q = 0), so that every product with it is NaN.
func quantizeActs(t QType, a *kActs, x []float32) {
	nb := len(x) / 256
	a.d, a.q, a.bsum = grow(a.d, nb), grow(a.q, 256*nb), grow(a.bsum, 16*nb)
	for b := 0; b < nb; b++ {
		xs, q, bs := x[256*b:256*b+256], a.q[256*b:256*b+256], a.bsum[16*b:16*b+16]
		var amax float32
		for _, v := range xs {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		clear(bs)
		if !(amax <= math.MaxFloat32) { // NaN or Inf
			a.d[b] = float32(math.NaN())
			clear(q)
			continue
		}
		a.d[b] = amax / 127
		var id float32
		if amax > 0 {
			id = 127 / amax
		}
		for p, v := range xs {
			v := int8(max(-127, min(127, math.RoundToEven(float64(v*id)))))
			g := p / 16
			dst := p
			if t == Q4_K {
				g = p / 32
				dst = 32*kPos4(g) + p%32
			}
			q[dst] = v
			bs[g] += int16(v)
		}
	}
}

// kPos4 is where group g of a super-block sits in Q4_K's activation order.
func kPos4(g int) int {
	for i, o := range kOrder4 {
		if o == g {
			return i
		}
	}
	panic("asm: Q4_K group out of range")
}

// grow returns s resliced to n elements, reallocated if its capacity is
// short (contents not kept).
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// kActsPool holds kActs between calls of SgemmQ.
var kActsPool = sync.Pool{New: func() any { return new([bf16MaxM]kActs) }}

// kdotKernel returns Σ_p x[p]·w[p] over nb super-blocks of one K-type row
// at blocks, x given quantised (a holds at least nb super-blocks).
type kdotKernel func(a *kActs, blocks []byte, nb int) float32

// kdotGeneric is the Go twin of the int8 K kernels, bit for bit: the same
// integer sums in the same 16 lanes (lane l of a super-block collects the
// products of q bytes 4l..4l+3 of each of its four 64-byte quarters, each
// pair of products times its group scale), converted and scaled per
// super-block into float32 lanes with a multiplication and an addition
// (two roundings, as the kernel's VMULPS and VADDPS), Q4_K's min terms in 4
// lanes of their own, and the lanes folded in the kernel's order.
func kdotGeneric(t QType) kdotKernel {
	return func(a *kActs, blocks []byte, nb int) float32 {
		var acc [16]float32
		var accm [4]float32
		bb := t.BlockBytes()
		for b := 0; b < nb; b++ {
			blk, q, bs := blocks[b*bb:(b+1)*bb], a.q[256*b:256*b+256], a.bsum[16*b:16*b+16]
			var lanes [16]int32
			var d float32
			if t == Q4_K {
				var sc, mn [8]int32
				for j := range 8 {
					s, m := k4Scale(j, blk[4:16])
					sc[j], mn[j] = int32(s), int32(m)
				}
				for i := range 4 { // quarter i: the low (even i) or high nibbles of bytes 64(i/2)..
					for p := range 64 {
						w := blk[16+64*(i/2)+p]
						if i%2 == 1 {
							w >>= 4
						}
						g := kOrder4[2*i+p/32]
						lanes[p/4] += sc[g] * int32(w&15) * int32(q[64*i+p])
					}
				}
				dm := F16ToF32(binary.LittleEndian.Uint16(blk[2:])) * a.d[b]
				for l := range 4 {
					accm[l] += float32(float32(mn[2*l]*int32(bs[2*l])+mn[2*l+1]*int32(bs[2*l+1])) * dm)
				}
				d = F16ToF32(binary.LittleEndian.Uint16(blk)) * a.d[b]
			} else {
				for h := range 2 {
					ql, qh := blk[64*h:64*h+64], blk[128+32*h:128+32*h+32]
					for i := range 2 { // quarter 2h+i: ql's low (i = 0) or high nibbles
						for p := range 64 {
							w := ql[p]
							if i == 1 {
								w >>= 4
							}
							u := 2*i + p/32
							v := int32(w&15 | qh[p%32]>>(2*u)&3<<4)
							g := 8*h + 4*i + p/16
							lanes[p/4] += int32(int8(blk[192+g])) * v * int32(q[128*h+64*i+p])
						}
					}
				}
				for l := range 8 {
					lanes[l] -= 32 * (int32(int8(blk[192+2*l]))*int32(bs[2*l]) + int32(int8(blk[193+2*l]))*int32(bs[2*l+1]))
				}
				d = F16ToF32(binary.LittleEndian.Uint16(blk[208:])) * a.d[b]
			}
			for l, v := range lanes {
				acc[l] += float32(float32(v) * d)
			}
		}
		return kFold(&acc, &accm)
	}
}

// kFold folds the kernels' lanes as they do: the halves of the 16 added,
// then the halves of those 8, the 4 min lanes subtracted, then pairs.
func kFold(acc *[16]float32, accm *[4]float32) float32 {
	var s [4]float32
	for l := range 4 {
		s[l] = (acc[l] + acc[l+8]) + (acc[l+4] + acc[l+12])
		s[l] -= accm[l]
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

// kPerm holds the int8 K kernels' word permutations and shift counts: for
// quarter i of a super-block, idx4[i] and idx6[i] give each 16-bit lane's
// group (the index of its scale); shl and shr shift Q6_K's high bit pairs
// into bits 4-5 of each byte for the low (u = 0, 1) and high (u = 2, 3)
// nibbles.
var kPerm = func() (p struct {
	idx4, idx6 [4][32]uint16
	shl, shr   [32]uint16
}) {
	for i := range 4 {
		for w := range 32 {
			p.idx4[i][w] = uint16(kOrder4[2*i+w/16])
			p.idx6[i][w] = uint16(4*i + w/8)
		}
	}
	for w := range 32 {
		p.shl[w], p.shr[w] = 4, 0
		if w >= 16 {
			p.shl[w], p.shr[w] = 2, 2
		}
	}
	return p
}()
