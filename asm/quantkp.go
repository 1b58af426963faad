package asm

import (
	"encoding/binary"
	"sync"
)

// The packed layout of Q4_K, Q6_K and Q8_0 matrices (QMatrix.Repack): the
// decoding step's int8 kernels read kpRows rows at once, so that the scale
// work of a super-block is done once for the kpRows rows in the lanes of one
// vector, and one 64-byte load holds 4 weights of each of the rows — one
// VPDPBUSD with the 4 activations broadcast from memory.
//
// Rows are packed in groups of kpRows; group g's super-block b (of nb per
// row) is kpBytes(t) bytes at (g·nb + b)·kpBytes(t), and the rows past the
// last whole group follow as stored. In a packed super-block, row r's
// f16 scales sit at 2r (d; Q4_K's dmin at 32+2r), its group scales (and
// Q4_K's mins) as one byte per row and group, and its quant bytes (Q4_K's
// 128 nibble bytes, Q6_K's 128 bytes of ql and 64 of qh) cut in 4-byte
// units, each 64 bytes holding one unit of each of the rows: Q4_K's unit at
// block offset o at base + 64·(o/4) + 4r; Q6_K's in the order the kernels
// read them (kp6Unit), so that a super-block is read front to back.
//
//	Q4_K (2368 bytes per 16 rows, 148 per row against 144):
//	  0     d[r] f16
//	  32    dmin[r] f16
//	  64    sc[g][r]   at 64 + 16g + r (6-bit group scales, g < 8)
//	  192   mn[g][r]   at 192 + 32(g/2) + 2r + g%2 (6-bit mins, pairs of groups
//	                   side by side, as VPDPWSSD multiplies them with the
//	                   activations' pairs of group sums)
//	  320   the 128 nibble bytes (block offset 16..143) in units
//	Q6_K (3360 bytes per 16 rows, 210 per row as stored):
//	  0     d[r] f16
//	  32    sc[g][r]   at 32 + 16g + r (int8 group scales, g < 16)
//	  288   ql (block offset 0..127) and qh (128..191) in units: for j < 16
//	        (h = j/8, k = j%8) the three lines at 288 + 64·(3j + i) hold ql's
//	        units 16h + k (i = 0) and 16h + 8 + k (i = 1), and qh's unit j
//	        (i = 2): the low bits and the high bit pairs of weights
//	        128h + 32u + 4k.. for u < 4
//
//	Q8_0 (4352 bytes per 16 rows and 256 weights, 272 per row as stored):
//	  a "super-block" is 8 consecutive blocks of 32 weights
//	  0     d[j][r]    at 32j + 2r (f16 block scales, j < 8)
//	  256   the blocks' quant bytes in units, as stored (signed): unit u
//	        (block u/8, weights 4(u%8)..) of row r at 256 + 64u + 4r
//
// Every bit of the stored blocks is kept (the 6-bit scales and mins are
// unpacked, not changed), so unpacking gives the blocks back exactly.

// kpRows is how many rows the packed layout interleaves.
const kpRows = 16

// Offsets in a packed super-block (see above).
const (
	kp4Dmin = 32
	kp4Sc   = 64
	kp4Mn   = 192
	kp4Qs   = 320
	kp6Sc   = 32
	kp6Qs   = 288
	kp8Qs   = 256
	// kp4Units is a Q4_K row's 4-byte units per super-block (its 128
	// quant bytes).
	kp4Units = 32
)

// kpTypes are the types with a packed layout.
var kpTypes = []QType{Q4_K, Q6_K, Q8_0}

// kpRowBytes is the stored bytes of one row's 256 weights of a type with a
// packed layout (a K type's block; Q8_0's eight blocks).
func kpRowBytes(t QType) int { return 256 / t.BlockWeights() * t.BlockBytes() }

// kpBytes returns the bytes of one packed super-block of kpRows rows of t
// (0 for types without a packed layout).
func kpBytes(t QType) int {
	switch t {
	case Q4_K:
		return 2368
	case Q6_K:
		return 3360
	case Q8_0:
		return 4352
	}
	return 0
}

// kdotPKernel computes the dots of one packed group of kpRows rows (nb
// super-blocks each, at blocks) with the quantised activations a, row r's
// into out[r].
type kdotPKernel func(a *qActs, blocks []byte, nb int, out []float32)

// kdotP4Kernel is kdotPKernel on the four groups at blocks, blocks[ld:],
// blocks[2·ld:] and blocks[3·ld:], group s's results into out[s·os:], each
// bit for bit as kdotPKernel computes it.
type kdotP4Kernel func(a *qActs, blocks []byte, ld, nb int, out []float32, os int)

// Packed reports whether the matrix is in the packed layout (Repack).
func (w *QMatrix) Packed() bool { return w.packed }

// Repack converts a Q4_K, Q6_K or Q8_0 matrix of at least kpRows rows (and
// for Q8_0 a multiple of 256 columns) to the
// packed layout that the active level's int8 kernels read (groups of 16
// rows interleaved, see quantkp.go), when the level has such kernels
// (avx512bf16 with VNNI), and reports whether the matrix is packed. The
// packed matrix computes the same products up to the int8 kernels' rounding,
// reads its weights as fewer instructions in a decoding step, and is 2.8%
// larger for Q4_K (Q6_K and Q8_0: the same size); the stored blocks are
// replaced (a new buffer: the old one is garbage once nothing else holds it). Every method works on either layout;
// [QMatrix.Unpack] restores the stored one. A level switched to after
// packing that has no packed kernels multiplies packed matrices as it does
// stored ones (a chunk of rows unpacked at a time), with the same results.
func (w *QMatrix) Repack() bool {
	if w.packed || kpBytes(w.Type) == 0 || w.Rows < kpRows || w.Cols%256 != 0 || cur.kdotP[w.Type] == nil {
		return w.packed
	}
	w.Blocks, w.packed = packK(w.Type, w.Rows, w.Cols, w.Blocks), true
	return true
}

// Unpack converts a packed matrix back to the stored layout (the blocks
// as they were before Repack, byte for byte).
func (w *QMatrix) Unpack() {
	if w.packed {
		w.Blocks, w.packed = w.rowBlocks(nil, 0, w.Rows), false
	}
}

// packK returns rows×cols of t's blocks (row-major) in the packed layout.
func packK(t QType, rows, cols int, blocks []byte) []byte {
	nb, bb, pb := cols/256, kpRowBytes(t), kpBytes(t)
	rb, groups := nb*bb, rows/kpRows
	out := make([]byte, groups*nb*pb+(rows-groups*kpRows)*rb)
	for g := range groups {
		for b := range nb {
			dst := out[(g*nb+b)*pb : (g*nb+b+1)*pb]
			for r := range kpRows {
				packBlock(t, dst, r, blocks[(g*kpRows+r)*rb+b*bb:][:bb])
			}
		}
	}
	copy(out[groups*nb*pb:], blocks[groups*kpRows*rb:])
	return out
}

// packUnits moves the 4-byte units of a block's bytes [o0, o1) to row r
// of a packed super-block's region at base: the unit at offset o to
// base + 64·((o−o0)/4) + 4r.
func packUnits(dst, blk []byte, r, base, o0, o1 int) {
	le := binary.LittleEndian
	u := dst[base+4*r:]
	for o := o0; o < o1; o += 4 {
		le.PutUint32(u[16*(o-o0):], le.Uint32(blk[o:]))
	}
}

// packBlock writes block blk (Q8_0: eight blocks) as row r of the packed
// super-block dst.
func packBlock(t QType, dst []byte, r int, blk []byte) {
	if t == Q8_0 {
		le := binary.LittleEndian
		for j := range 8 {
			copy(dst[32*j+2*r:32*j+2*r+2], blk[34*j:])
			for k := range 8 {
				le.PutUint32(dst[kp8Qs+64*(8*j+k)+4*r:], le.Uint32(blk[34*j+2+4*k:]))
			}
		}
		return
	}
	if t == Q4_K {
		copy(dst[2*r:], blk[0:2])
		copy(dst[kp4Dmin+2*r:], blk[2:4])
		for g := range 8 {
			s, m := k4Scale(g, blk[4:16])
			dst[kp4Sc+16*g+r] = s
			dst[kp4Mn+32*(g/2)+2*r+g%2] = m
		}
		packUnits(dst, blk, r, kp4Qs, 16, 144)
		return
	}
	copy(dst[2*r:], blk[208:210])
	for g := range 16 {
		dst[kp6Sc+16*g+r] = blk[192+g]
	}
	le := binary.LittleEndian
	for u := range 48 {
		le.PutUint32(dst[kp6Unit(u)+4*r:], le.Uint32(blk[4*u:]))
	}
}

// kp6Unit is where a packed Q6_K super-block holds unit u < 48 of the
// block's quant bytes (offset 4u: ql's units 0..31, then qh's 0..15), for
// row 0 (row r's is 4r further).
func kp6Unit(u int) int {
	if u >= 32 { // qh's unit j = u − 32
		return kp6Qs + 64*(3*(u-32)+2)
	}
	h, k, i := u/16, u%8, u%16/8
	return kp6Qs + 64*(3*(8*h+k)+i)
}

// unpackBlock writes row r of the packed super-block src to blk as stored
// (word moves, no copy calls).
func unpackBlock(t QType, blk, src []byte, r int) {
	le := binary.LittleEndian
	if t == Q8_0 {
		s, b := (*[4352]byte)(src), (*[272]byte)(blk)
		for j := range 8 {
			le.PutUint16(b[34*j:], le.Uint16(s[32*j+2*r:]))
			for k := range 8 {
				le.PutUint32(b[34*j+2+4*k:], le.Uint32(s[kp8Qs+64*(8*j+k)+4*r:]))
			}
		}
		return
	}
	unpackHeader(t, blk, src, r)
	if t == Q6_K {
		for u := range 48 {
			le.PutUint32(blk[4*u:], le.Uint32(src[kp6Unit(u)+4*r:]))
		}
		return
	}
	u, b := src[kp4Qs+4*r:], blk[16:144]
	for i := 0; i < 128; i += 4 {
		le.PutUint32(b[i:], le.Uint32(u[16*i:]))
	}
}

// unpackHeader writes the scales of row r of the packed super-block src to
// blk as stored (Q4_K: d, dmin and the 12 bytes of 6-bit scales and mins;
// Q6_K: the 16 group scales and d).
func unpackHeader(t QType, blk, src []byte, r int) {
	le := binary.LittleEndian
	if t == Q4_K {
		s, b := (*[2368]byte)(src), (*[144]byte)(blk)
		le.PutUint16(b[0:], le.Uint16(s[2*r:]))
		le.PutUint16(b[2:], le.Uint16(s[kp4Dmin+2*r:]))
		var sc, mn [8]uint8
		for g := range 8 {
			sc[g], mn[g] = s[kp4Sc+16*g+r], s[kp4Mn+32*(g/2)+2*r+g%2]
		}
		k4PackScales(b[4:16], &sc, &mn)
		return
	}
	s, b := (*[3360]byte)(src), (*[210]byte)(blk)
	le.PutUint16(b[208:], le.Uint16(s[2*r:]))
	for g := range 16 {
		b[192+g] = s[kp6Sc+16*g+r]
	}
}

// kpUnitsGeneric is the Go twin of the kpUnits kernels: the 32 units of
// each of the kpRows rows of a packed Q4_K super-block's quant bytes at src
// (unit u of row r at 64u + 4r) to row r's bytes dst[r·ds:], 4u..4u+3.
func kpUnitsGeneric(dst []byte, ds int, src []byte) {
	le := binary.LittleEndian
	for r := range kpRows {
		for u := range kp4Units {
			le.PutUint32(dst[r*ds+4*u:], le.Uint32(src[64*u+4*r:]))
		}
	}
}

// rowBlocks returns rows r0..r1-1 as stored (row-major blocks): a slice of
// Blocks, or, packed, those rows unpacked into dst (grown as needed).
func (w *QMatrix) rowBlocks(dst []byte, r0, r1 int) []byte {
	rb := w.rowBytes()
	if !w.packed {
		return w.Blocks[r0*rb : r1*rb]
	}
	t := w.Type
	nb, bb, pb := w.Cols/256, kpRowBytes(t), kpBytes(t)
	groups := w.Rows / kpRows
	dst = grow(dst, (r1-r0)*rb)
	// A group's super-block at a time for its rows in range, so that each
	// packed super-block is read from L1 by all of them.
	for g := r0 / kpRows; g < groups && g*kpRows < r1; g++ {
		lo, hi := max(r0, g*kpRows), min(r1, (g+1)*kpRows)
		for b := range nb {
			src := w.Blocks[(g*nb+b)*pb : (g*nb+b+1)*pb]
			if units := cur.kpUnits; units != nil && hi-lo == kpRows && t == Q4_K {
				// A whole Q4_K group: its quant bytes by the level's
				// transposing kernel (Q6_K's units are in the kernels'
				// order, not the block's), the scales row by row.
				at := (lo-r0)*rb + b*bb
				units(dst[at+16:], rb, src[kp4Qs:])
				for r := lo; r < hi; r++ {
					unpackHeader(t, dst[(r-r0)*rb+b*bb:], src, r%kpRows)
				}
				continue
			}
			for r := lo; r < hi; r++ {
				unpackBlock(t, dst[(r-r0)*rb+b*bb:(r-r0)*rb+(b+1)*bb], src, r%kpRows)
			}
		}
	}
	if t0 := max(r0, groups*kpRows); t0 < r1 {
		copy(dst[(t0-r0)*rb:], w.Blocks[groups*nb*pb+(t0-groups*kpRows)*rb:groups*nb*pb+(r1-groups*kpRows)*rb])
	}
	return dst
}

// packedLen is the size of a rows×cols matrix of t in the packed layout.
func packedLen(t QType, rows, cols int) int {
	groups := rows / kpRows
	return groups*cols/256*kpBytes(t) + (rows-groups*kpRows)*cols/256*kpRowBytes(t)
}

// kpScratch holds unpacked rows between calls (DequantizeRows, gemmQ).
var kpScratch = sync.Pool{New: func() any { return new([]byte) }}

// kdotPGeneric is the Go twin of the packed int8 kernels, bit for bit. Per
// super-block and row: the weights' products with the activations summed
// per group in int32 (Q6_K's from −32 times the group's activation sum, its
// weights' offset), times the group scale, summed over the groups; Q4_K's
// mins times the activations' group sums likewise; each sum converted to
// float32 and multiplied by f16(d)·dx (Q4_K's mins by f16(dmin)·dx) and
// added to the row's accumulator (Q4_K: the scaled sums and the mins in
// two, the second subtracted at the end).
func kdotPGeneric(t QType) kdotPKernel {
	pb := kpBytes(t)
	if t == Q8_0 {
		return kdotP8Generic
	}
	return func(a *qActs, blocks []byte, nb int, out []float32) {
		var acc, macc [kpRows]float32
		for b := range nb {
			p, q := blocks[b*pb:(b+1)*pb], a.q[256*b:256*b+256]
			for r := range kpRows {
				var isum int32
				if t == Q4_K {
					var msum int32
					for g := range 8 {
						var s int32
						c, sh := g/2, 4*(g%2)
						for k4 := range 8 {
							for i := range 4 {
								w := p[kp4Qs+512*c+64*k4+4*r+i] >> sh & 15
								s += int32(w) * int32(q[32*kPos4(g)+4*k4+i])
							}
						}
						isum += int32(p[kp4Sc+16*g+r]) * s
						msum += int32(p[kp4Mn+32*(g/2)+2*r+g%2]) * int32(a.bsum[16*b+g])
					}
					dm := F16ToF32(binary.LittleEndian.Uint16(p[kp4Dmin+2*r:])) * a.d[b]
					macc[r] += float32(float32(msum) * dm)
				} else {
					for g := range 16 {
						s := a.off6[16*b+g]
						for n := 16 * g; n < 16*g+16; n++ {
							s += int32(kp6Weight(p, r, n)) * int32(q[n])
						}
						isum += int32(int8(p[kp6Sc+16*g+r])) * s
					}
				}
				dd := F16ToF32(binary.LittleEndian.Uint16(p[2*r:])) * a.d[b]
				acc[r] += float32(float32(isum) * dd)
			}
		}
		for r := range kpRows {
			if t == Q4_K {
				out[r] = acc[r] - macc[r]
			} else {
				out[r] = acc[r]
			}
		}
	}
}

// kdotP8Generic is kdotPGeneric for Q8_0. Per block j of a super-block
// and row: 128 times the block's negated activation sum (negSum: the
// weights' offset) plus the products of the weights + 128 (unsigned bytes)
// with the activations in int32, converted to float32, multiplied by
// f16(d)·dx and added to the row's accumulator, block after block.
func kdotP8Generic(a *qActs, blocks []byte, nb int, out []float32) {
	var acc [kpRows]float32
	for b := range nb {
		p, q := (*[4352]byte)(blocks[b*4352:]), a.q[256*b:256*b+256]
		for j := range 8 {
			dx := a.d[8*b+j]
			for r := range kpRows {
				isum := 128 * a.negSum[8*b+j]
				for k := range 8 {
					for i := range 4 {
						w := p[kp8Qs+64*(8*j+k)+4*r+i] ^ 0x80
						isum += int32(w) * int32(q[kp8Act(j, 4*k+i)])
					}
				}
				dd := F16ToF32(binary.LittleEndian.Uint16(p[32*j+2*r:])) * dx
				acc[r] += float32(float32(isum) * dd)
			}
		}
	}
	copy(out[:kpRows], acc[:])
}

// kp8Act is where weight p of block j < 8 of a Q8_0 super-block meets its
// activation in the super-block's 256 quantised values (q4Pos's order).
func kp8Act(j, p int) int { return 128*(j/4) + 64*(p/16) + 16*(j%4) + p%16 }

// kp6Weight is weight n (0..63, unsigned) of row r in a packed Q6_K
// super-block p: the block's ql nibble and qh bit pair (dequantQ6K's
// layout) at their packed places.
func kp6Weight(p []byte, r, n int) uint8 {
	h, u, l := n/128, n%128/32, n%32
	ol, oh := 64*h+l+32*(u&1), 128+32*h+l
	lo := p[kp6Unit(ol/4)+4*r+ol%4] >> (4 * (u / 2)) & 15
	hi := p[kp6Unit(oh/4)+4*r+oh%4] >> (2 * u) & 3
	return lo | hi<<4
}

// kpPanelKernel widens ng ≤ bf16NNNR/kpRows packed groups of rows (gs
// bytes apart from src, nb ≥ 1 super-blocks of each) to bf16 into a B
// panel of the bf16nn kernel (bf16nn.go): group s's row r is the panel's
// column 16s+r, and its super-block b's weight n is element n%2 of pair
// 128b + n/2, so dst[2·((128b + n/2)·bf16NNNR + 16s + r) + n%2]. The
// values are those the stored layout's path writes (Dequantize, then
// rounded to the nearest bf16), bit for bit; the panel's other columns
// are left as they are.
type kpPanelKernel func(dst []uint16, src []byte, gs, nb, ng int)

// kpPanelGeneric is the Go twin of the kpPanel kernels: each row's
// super-block unpacked, widened by the stored layout's Go dequantisation
// and rounded by F32ToBF16.
func kpPanelGeneric(t QType) kpPanelKernel {
	pb := kpBytes(t)
	return func(dst []uint16, src []byte, gs, nb, ng int) {
		var blk [272]byte
		var f [256]float32
		for s := range ng {
			for b := range nb {
				p := src[s*gs+b*pb : s*gs+(b+1)*pb]
				for r := range kpRows {
					unpackBlock(t, blk[:kpRowBytes(t)], p, r)
					Dequantize(t, f[:], blk[:kpRowBytes(t)])
					for n, v := range f {
						dst[2*((128*b+n/2)*bf16NNNR+16*s+r)+n%2] = F32ToBF16(v)
					}
				}
			}
		}
	}
}

// sgemvPacked is SgemmQ's decoding step (m ≤ bf16MaxM rows of X) on a
// packed matrix, on a level with packed kernels (and so the stored layout's
// int8 kernels): the activations quantised as for the int8 kernels, then
// kpJob, its groups split over threads as SgemmQ splits rows.
func sgemvPacked(m int, x []float32, ldx int, w *QMatrix, c []float32, ldc int) {
	acts := qActsPool.Get().(*[bf16MaxM]qActs)
	defer qActsPool.Put(acts)
	for i := range m {
		quantizeActs(w.Type, &acts[i], x[i*ldx:i*ldx+w.Cols])
	}
	parts := 1
	if th := Threads(); th > 1 && m*len(w.Blocks) >= qSplitBytes {
		parts = min(th, w.Rows/kpRows)
	}
	runMatvecs(parts, []mvJob{kpJob(m, acts, w, c, ldc)})
}

// kpJob is the decoding step on a packed matrix as a job of its groups of
// kpRows rows (acts: X quantised for w's type): the level's packed kernel
// on each group, and the rows past the last group, with the last unit (or
// alone, when there is no whole group), on the stored layout's int8 kernel.
func kpJob(m int, acts *[bf16MaxM]qActs, w *QMatrix, c []float32, ldc int) mvJob {
	t, n, k := w.Type, w.Rows, w.Cols
	kp, kd := cur.kdotP[t], cur.kdot[t]
	nb := k / 256
	gb, groups := nb*kpBytes(t), n/kpRows
	kp4 := cur.kdotP4[t]
	run := func(g0, g1 int) {
		if q := (g1 - g0) / 4; kp4 != nil && q > 0 {
			// Four groups a quarter of the range apart per call: four
			// streams, as SgemmQ's four-row kernels read (the groups past
			// 4·q one at a time below).
			for g := g0; g < g0+q; g++ {
				for i := range m {
					kp4(&acts[i], w.Blocks[g*gb:], q*gb, nb, c[i*ldc+g*kpRows:], q*kpRows)
				}
			}
			g0 += 4 * q
		}
		for g := g0; g < g1; g++ {
			blk := w.Blocks[g*gb : (g+1)*gb]
			for i := range m {
				kp(&acts[i], blk, nb, c[i*ldc+g*kpRows:i*ldc+(g+1)*kpRows])
			}
		}
		if g1 == groups { // the last chunk takes the rows past the groups
			rb, tail := w.rowBytes(), w.Blocks[groups*gb:]
			for j := groups * kpRows; j < n; j++ {
				for i := range m {
					c[i*ldc+j] = kd(&acts[i], tail[(j-groups*kpRows)*rb:], k/t.BlockWeights())
				}
			}
		}
	}
	return mvJob{units: groups, maxChunks: groups, bytes: m * len(w.Blocks), run: run}
}
