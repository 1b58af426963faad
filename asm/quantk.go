package asm

import (
	"encoding/binary"
	"math"
	"sync"
)

// Int8 dot products on quantised blocks (as llama.cpp's q8_K and q8_0
// paths): the activations of a decoding step are quantised once per call to
// int8 per block (qActs: 256 values for the K types, 32 for Q8_0 and Q4_0),
// and each weight row is then multiplied on its blocks in integers — the
// weights as unsigned bytes (nibbles; Q6_K's with their high bits; Q8_0's
// offset by 128) times the int8 activations, Q4_K's and Q6_K's group scales
// applied in int16/int32, the weights' offsets (Q4_K's mins, Q6_K's 32,
// Q4_0's 8, Q8_0's 128) taken off through the activations' block sums —
// leaving a float multiplication and addition per block. The error this
// adds over the float path is that of rounding x: at most half a
// quantisation step, amax/254, per value.

// qActs is one row of activations quantised for the int8 kernels.
type qActs struct {
	// d holds each block's scale: x ≈ d·q.
	d []float32
	// q holds the int8 values of each block in the kernel's order: the
	// natural order for Q6_K; Q4_K's nibble order (groups of 32: 0, 2, 1,
	// 3, 4, 6, 5, 7, so that the low nibbles of 64 block bytes meet 64
	// consecutive q); for Q8_0 and Q4_0, four blocks at a time, values 0-15
	// of each block, then values 16-31 of each (q4Pos), the blocks past the
	// last four in the natural order.
	q []int8
	// bsum holds, for the K types, 16 int16 per super-block: the sums of q
	// over the type's groups in natural order (Q6_K: 16 groups of 16; Q4_K:
	// 8 groups of 32, then 8 zeros).
	bsum []int16
	// off6 holds, for Q6_K, −32 times each of bsum's group sums as int32:
	// the weights' offset, where the packed kernels start each group.
	off6 []int32
	// negSum holds, for Q8_0 and Q4_0, minus the sum of each block's q.
	negSum []int32
	// dx16 and neg16 hold, for Q8_0 and Q4_0, d and q8Offset/4 · negSum
	// of each group of four blocks spread over 16 lanes (lane l: block
	// l/4 of the group), as the kernels add and scale them.
	dx16  []float32
	neg16 []int32
	// csum holds the sums of the runs of 16 values (actRowKernel's).
	csum []int32
}

// kOrder4 is the Q4_K activation order: position 32i.. of a super-block's q
// holds group kOrder4[i].
var kOrder4 = [8]int{0, 2, 1, 3, 4, 6, 5, 7}

// q4Pos is where value p of block b (of nb) sits in a Q8_0/Q4_0 row of
// quantised activations.
func q4Pos(b, nb, p int) int {
	if b >= nb&^3 {
		return 32*b + p
	}
	return 128*(b/4) + 64*(p/16) + 16*(b%4) + p%16
}

// actChunks gives, per layout, where each run of 16 values of a 256-value
// span goes in q (actRow's perm): natural, Q4_K's group order, and four
// Q8_0/Q4_0 blocks' halves interleaved (q4Pos).
var actChunks = func() (c struct{ natural, q4k, q40 [16]int32 }) {
	for i := range 16 {
		c.natural[i] = int32(16 * i)
		c.q4k[i] = int32(32*kPos4(i/2) + 16*(i%2))
		c.q40[i] = int32(q4Pos(i/2, 8, 16*(i%2)))
	}
	return c
}()

// actRowKernel quantises x (len a multiple of bw; bw 32 or 256) to int8
// per block of bw values: d[b] = amax/127 and each value x·(127/amax)
// rounded to nearest even, written 16 at a time (run c to q[256(c/16) +
// perm[c%16]:]) with the run's sum in csum[c]. A block with a NaN or
// infinite value has d = NaN and q = 0, an all-zero one d = 0.
type actRowKernel func(x []float32, bw int, perm *[16]int32, q []int8, d []float32, csum []int32)

// actRowGeneric is the Go twin of the actRow kernels, bit for bit.
func actRowGeneric(x []float32, bw int, perm *[16]int32, q []int8, d []float32, csum []int32) {
	for b := 0; b < len(x)/bw; b++ {
		var amax float32
		for _, v := range x[bw*b : bw*b+bw] {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		var id float32
		switch {
		case !(amax <= math.MaxFloat32): // NaN or Inf
			d[b] = float32(math.NaN())
		case amax > 0:
			// 127/amax overflows for amax under ~3.7e-37; kept finite, v·id
			// stays within ±127 and 0·id is 0.
			d[b], id = amax/127, min(127/amax, math.MaxFloat32)
		default:
			d[b] = 0
		}
		for c := bw * b / 16; c < bw*(b+1)/16; c++ {
			out := q[256*(c/16)+int(perm[c%16]):][:16]
			var sum int32
			for i, v := range x[16*c : 16*c+16] {
				var v8 int8
				if id != 0 {
					v8 = int8(max(-127, min(127, math.RoundToEven(float64(v*id)))))
				}
				out[i] = v8
				sum += int32(v8)
			}
			csum[c] = sum
		}
	}
}

// quantizeActs fills a with x (a multiple of t's block of values) quantised
// for t by the active level's actRow kernel.
func quantizeActs(t QType, a *qActs, x []float32) { quantizeActsWith(cur.actRow, t, a, x) }

// quantizeActsWith is quantizeActs with the actRow kernel row: the values
// in t's order, then the group sums from the runs' sums.
func quantizeActsWith(row actRowKernel, t QType, a *qActs, x []float32) {
	bw := t.BlockWeights()
	nb := len(x) / bw
	a.d, a.q, a.csum = grow(a.d, nb), grow(a.q, bw*nb), grow(a.csum, bw*nb/16)
	switch t {
	case Q6_K, Q4_K:
		perm := &actChunks.natural
		if t == Q4_K {
			perm = &actChunks.q4k
		}
		row(x, bw, perm, a.q, a.d, a.csum)
		a.bsum = grow(a.bsum, 16*nb)
		clear(a.bsum)
		for c, s := range a.csum {
			g := c % 16
			if t == Q4_K {
				g /= 2
			}
			a.bsum[16*(c/16)+g] += int16(s)
		}
		if t == Q6_K {
			a.off6 = grow(a.off6, 16*nb)
			for i, s := range a.bsum {
				a.off6[i] = -32 * int32(s)
			}
		}
	default:
		n4 := 32 * (nb &^ 3)
		row(x[:n4], bw, &actChunks.q40, a.q, a.d, a.csum)
		row(x[n4:], bw, &actChunks.natural, a.q[n4:], a.d[n4/32:], a.csum[n4/16:])
		a.negSum = grow(a.negSum, nb)
		for b := range a.negSum {
			a.negSum[b] = -(a.csum[2*b] + a.csum[2*b+1])
		}
		off := q8Offset(t) / 4
		a.dx16, a.neg16 = grow(a.dx16, 4*(nb&^3)), grow(a.neg16, 4*(nb&^3))
		for l := range a.dx16 {
			b := l / 4
			a.dx16[l], a.neg16[l] = a.d[b], off*a.negSum[b]
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

// qActsPool holds qActs between calls of SgemmQ.
var qActsPool = sync.Pool{New: func() any { return new([bf16MaxM]qActs) }}

// kdotKernel returns Σ_p x[p]·w[p] over nb blocks of one quantised row at
// blocks, x given quantised (a holds exactly the row's blocks).
type kdotKernel func(a *qActs, blocks []byte, nb int) float32

// kdot4Kernel is kdotKernel on the four rows at blocks, blocks[ld:],
// blocks[2*ld:] and blocks[3*ld:] (ld bytes apart), row r's dot into
// c[r*cs], each bit for bit as kdotKernel computes it.
type kdot4Kernel func(a *qActs, blocks []byte, ld, nb int, c []float32, cs int)

// kdot4Generic is the twin of the kdot4 kernels: kdotGeneric on each row.
func kdot4Generic(t QType) kdot4Kernel {
	dot, rb := kdotGeneric(t), t.BlockBytes()
	return func(a *qActs, blocks []byte, ld, nb int, c []float32, cs int) {
		for r := range 4 {
			c[r*cs] = dot(a, blocks[r*ld:r*ld+nb*rb], nb)
		}
	}
}

// kdotGeneric is the Go twin of the int8 K kernels, bit for bit: the same
// integer sums in the same 16 lanes (lane l of a super-block collects the
// products of q bytes 4l..4l+3 of each of its four 64-byte quarters, each
// pair of products times its group scale), converted and scaled per
// super-block into float32 lanes with a multiplication and an addition
// (two roundings, as the kernel's VMULPS and VADDPS), Q4_K's min terms in 4
// lanes of their own, and the lanes folded in the kernel's order.
func kdotGeneric(t QType) kdotKernel {
	if t == Q8_0 || t == Q4_0 {
		return q8dotGeneric(t)
	}
	return func(a *qActs, blocks []byte, nb int) float32 {
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

// q8dotGeneric is the Go twin of the int8 Q8_0 and Q4_0 kernels, bit for
// bit. They take blocks four at a time into 16 int32 lanes: lane 4s+i
// collects block s's products of values 4i..4i+3 and 16+4i..16+4i+3
// (unsigned weights: Q4_0's nibbles, Q8_0's bytes + 128) plus its quarter
// of the offset correction (q8Offset·negSum/4), is converted, multiplied by
// its block's f16(d)·dx and added to its float lane; the lanes are folded as
// kFold does, and the last nb%4 blocks added one at a time (q8Tail).
func q8dotGeneric(t QType) kdotKernel {
	return func(a *qActs, blocks []byte, nb int) float32 {
		bb, off := t.BlockBytes(), q8Offset(t)/4
		var acc [16]float32
		for b := 0; b < nb&^3; b++ {
			blk := blocks[b*bb : (b+1)*bb]
			sc := F16ToF32(binary.LittleEndian.Uint16(blk)) * a.d[b]
			for i := range 4 {
				v := off * a.negSum[b]
				for j := 4 * i; j < 4*i+4; j++ {
					v += q8Weight(t, blk, j)*int32(a.q[q4Pos(b, nb, j)]) + q8Weight(t, blk, j+16)*int32(a.q[q4Pos(b, nb, j+16)])
				}
				acc[4*(b%4)+i] += float32(float32(v) * sc)
			}
		}
		return kFold(&acc, &[4]float32{}) + q8Tail(t, a, blocks, nb)
	}
}

// q8Tail is the int8 Q8_0/Q4_0 kernels' sum of the last nb%4 blocks, one
// block at a time: each block's integer sum times f16(d)·dx, added in turn.
func q8Tail(t QType, a *qActs, blocks []byte, nb int) float32 {
	bb := t.BlockBytes()
	var s float32
	for b := nb &^ 3; b < nb; b++ {
		blk := blocks[b*bb : (b+1)*bb]
		v := q8Offset(t) * a.negSum[b]
		for j := range 32 {
			v += q8Weight(t, blk, j) * int32(a.q[32*b+j])
		}
		s += float32(float32(v) * (F16ToF32(binary.LittleEndian.Uint16(blk)) * a.d[b]))
	}
	return s
}

// q8Weight is weight j of a Q8_0 or Q4_0 block as the int8 kernels read
// it, unsigned: Q8_0's byte + 128, Q4_0's nibble (the weight + 8).
func q8Weight(t QType, blk []byte, j int) int32 {
	if t == Q8_0 {
		return int32(blk[2+j] ^ 0x80)
	}
	if j < 16 {
		return int32(blk[2+j] & 15)
	}
	return int32(blk[2+j-16] >> 4)
}

// q8Offset is what q8Weight adds to a weight: 128 for Q8_0, 8 for Q4_0.
func q8Offset(t QType) int32 {
	if t == Q8_0 {
		return 128
	}
	return 8
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
// nibbles; blk4 spreads four blocks' values over four lanes each (the
// Q8_0/Q4_0 kernels).
var kPerm = func() (p struct {
	idx4, idx6 [4][32]uint16
	shl, shr   [32]uint16
	blk4       [16]uint32
}) {
	for l := range 16 {
		p.blk4[l] = uint32(l / 4)
	}
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
