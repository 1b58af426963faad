package asm

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"
)

// Block-quantised weights in GGML's formats, multiplied on their blocks
// directly: a decoding step reads a Q8_0 matrix at 1.06 bytes per weight
// (Q4_0: 0.56) instead of bf16's 2, and the activations stay float32.
//
//	Q8_0 block (34 bytes, 32 weights): f16 scale d, then int8 q[32]; w = d·q
//	Q4_0 block (18 bytes, 32 weights): f16 scale d, then 16 bytes; byte j holds
//	  weight j in its low nibble and weight j+16 in its high one; w = d·(nibble−8)
//	Q4_K super-block (144 bytes, 256 weights: 8 groups of 32): f16 d and dmin,
//	  12 bytes of 6-bit group scales sc and mins mn (k4Scale), 128 bytes of
//	  nibbles: bytes 32c..32c+31 hold group 2c in their low nibbles and group
//	  2c+1 in their high ones; w = (d·sc)·q − dmin·mn
//	Q6_K super-block (210 bytes, 256 weights: 16 groups of 16): 128 bytes of
//	  low nibbles ql, 64 bytes of high bit pairs qh, 16 int8 group scales,
//	  f16 d; q = ql | qh<<4 − 32 laid out as in dequantQ6K; w = (d·sc)·q

// QType is a block-quantised format.
type QType uint8

// The quantised formats.
const (
	Q8_0 QType = iota + 1
	Q4_0
	Q4_K
	Q6_K
	qTypes // one past the last
)

// QBlock is the number of weights in one block of Q8_0 and Q4_0 (the
// K types' super-blocks hold 256: [QType.BlockWeights]).
const QBlock = 32

// BlockBytes returns the bytes of one block (0 for an unknown type).
func (t QType) BlockBytes() int {
	switch t {
	case Q8_0:
		return 34
	case Q4_0:
		return 18
	case Q4_K:
		return 144
	case Q6_K:
		return 210
	}
	return 0
}

// BlockWeights returns the weights in one block: 32, or 256 for the K
// types (0 for an unknown type).
func (t QType) BlockWeights() int {
	switch t {
	case Q8_0, Q4_0:
		return QBlock
	case Q4_K, Q6_K:
		return 256
	}
	return 0
}

func (t QType) String() string {
	switch t {
	case Q8_0:
		return "Q8_0"
	case Q4_0:
		return "Q4_0"
	case Q4_K:
		return "Q4_K"
	case Q6_K:
		return "Q6_K"
	}
	return fmt.Sprintf("QType(%d)", uint8(t))
}

// QMatrix is a [Rows, Cols] matrix stored row by row as blocks of Type
// (Cols a multiple of its BlockWeights): row r is
// Blocks[r·Cols/BlockWeights·BlockBytes:] — unless [QMatrix.Repack] has
// packed it (Q4_K, Q6_K), when Blocks holds the packed layout of
// quantkp.go ([QMatrix.Packed]).
type QMatrix struct {
	Type       QType
	Rows, Cols int
	Blocks     []byte
	// packed: Blocks holds the packed layout (quantkp.go).
	packed bool
}

// NewQMatrix checks that blocks hold a rows×cols matrix of type t.
func NewQMatrix(t QType, rows, cols int, blocks []byte) (*QMatrix, error) {
	if t.BlockBytes() == 0 {
		return nil, fmt.Errorf("asm: unknown quantised type %d", t)
	}
	if rows < 0 || cols < 0 || cols%t.BlockWeights() != 0 {
		return nil, fmt.Errorf("asm: %s matrix %d×%d: columns must be a multiple of %d", t, rows, cols, t.BlockWeights())
	}
	if want := rows * cols / t.BlockWeights() * t.BlockBytes(); len(blocks) != want {
		return nil, fmt.Errorf("asm: %s matrix %d×%d needs %d bytes of blocks, have %d", t, rows, cols, want, len(blocks))
	}
	return &QMatrix{Type: t, Rows: rows, Cols: cols, Blocks: blocks}, nil
}

// rowBytes is the size of one row's blocks.
func (w *QMatrix) rowBytes() int { return w.Cols / w.Type.BlockWeights() * w.Type.BlockBytes() }

// Bytes returns the storage size of the matrix (packed: of the packed
// layout).
func (w *QMatrix) Bytes() int64 { return int64(len(w.Blocks)) }

// dataLen is the size Blocks must have in the matrix's layout.
func (w *QMatrix) dataLen() int {
	if w.packed {
		return packedLen(w.Type, w.Rows, w.Cols)
	}
	return w.Rows * w.rowBytes()
}

// DequantizeRows writes rows r0..r1-1 as float32 to dst (row-major, Cols
// per row).
func (w *QMatrix) DequantizeRows(dst []float32, r0, r1 int) {
	if !w.packed {
		rb := w.rowBytes()
		cur.dequant(w.Type, dst[:(r1-r0)*w.Cols], w.Blocks[r0*rb:r1*rb])
		return
	}
	// Unpacked qChunkRows rows at a time into a pooled buffer.
	p := kpScratch.Get().(*[]byte)
	defer kpScratch.Put(p)
	for j := r0; j < r1; j += qChunkRows {
		j1 := min(j+qChunkRows, r1)
		*p = w.rowBlocks(*p, j, j1)
		cur.dequant(w.Type, dst[(j-r0)*w.Cols:(j1-r0)*w.Cols], *p)
	}
}

// Dequantize widens the blocks of src into dst (len(dst) weights, a
// multiple of t's BlockWeights).
func Dequantize(t QType, dst []float32, src []byte) {
	bb, bw := t.BlockBytes(), t.BlockWeights()
	if t == Q4_K || t == Q6_K {
		for b := 0; b < len(dst)/bw; b++ {
			if t == Q4_K {
				dequantQ4K(dst[b*bw:(b+1)*bw], src[b*bb:(b+1)*bb])
			} else {
				dequantQ6K(dst[b*bw:(b+1)*bw], src[b*bb:(b+1)*bb])
			}
		}
		return
	}
	for b := 0; b < len(dst)/QBlock; b++ {
		blk := src[b*bb : (b+1)*bb]
		d := F16ToF32(binary.LittleEndian.Uint16(blk))
		out := dst[b*QBlock : (b+1)*QBlock]
		switch t {
		case Q8_0:
			for i, q := range blk[2:] {
				out[i] = d * float32(int8(q))
			}
		case Q4_0:
			for j, q := range blk[2:] {
				out[j] = d * float32(int(q&15)-8)
				out[j+16] = d * float32(int(q>>4)-8)
			}
		}
	}
}

// Quantize writes src (a multiple of t's BlockWeights values) as blocks of
// type t to dst, with llama.cpp's reference rounding for Q8_0 and Q4_0:
// Q8_0 scales each block by max|x|/127 and rounds to nearest; Q4_0 by its
// largest-magnitude value / −8, truncating x/d + 8.5 and clamping to 15.
// The K types get a plain min/max fit (quantK), not llama.cpp's search for
// the best scales: valid blocks, somewhat larger errors.
func Quantize(t QType, dst []byte, src []float32) {
	if t == Q4_K || t == Q6_K {
		quantK(t, dst, src)
		return
	}
	bb := t.BlockBytes()
	for b := 0; b < len(src)/QBlock; b++ {
		x := src[b*QBlock : (b+1)*QBlock]
		blk := dst[b*bb : (b+1)*bb]
		var amax, vmax float32
		for _, v := range x {
			if a := float32(math.Abs(float64(v))); a > amax {
				amax, vmax = a, v
			}
		}
		var d float32
		switch t {
		case Q8_0:
			d = amax / 127
		case Q4_0:
			d = vmax / -8
		}
		var id float32
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(blk, F32ToF16(d))
		switch t {
		case Q8_0:
			for i, v := range x {
				blk[2+i] = byte(int8(math.Round(float64(v * id))))
			}
		case Q4_0:
			for j := 0; j < 16; j++ {
				lo := min(15, int8(x[j]*id+8.5))
				hi := min(15, int8(x[j+16]*id+8.5))
				blk[2+j] = byte(lo) | byte(hi)<<4
			}
		}
	}
}

// F16ToF32 widens an IEEE half-precision bit pattern to float32.
func F16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp, mant := uint32(h>>10)&0x1f, uint32(h)&0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	}
	// Zero or subnormal: mant·2⁻²⁴, exact in float32.
	v := float32(mant) * 0x1p-24
	if sign != 0 {
		v = -v
	}
	return v
}

// F32ToF16 rounds a float32 to the nearest half-precision value (ties to
// even; overflow to ±Inf, NaN kept quiet).
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case b&0x7fffffff > 0x7f800000: // NaN
		return sign | 0x7e00
	case exp >= 0x1f: // overflow or Inf
		return sign | 0x7c00
	case exp <= 0: // subnormal half (or zero)
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint(14 - exp)
		h := mant >> shift
		rem := mant & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || rem == half && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(exp)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || rem == 0x1000 && h&1 == 1 {
		h++ // may carry into the exponent, up to Inf: still correct
	}
	return sign | uint16(h)
}

// qdotKernel returns Σ_p x[p]·w[p] over nb blocks of one quantised row at
// blocks (the kernel reads x[:nb·BlockWeights] and blocks[:nb·BlockBytes]).
type qdotKernel func(x []float32, blocks []byte, nb int) float32

// qdotGeneric is the Go twin of the quantised dot kernels: per block, the
// sum of x·q in float32, then scaled by d and added. The K types' super-
// blocks are dequantised and dotted (qdotK with the generic kernels).
func qdotGeneric(t QType) qdotKernel {
	if t == Q4_K || t == Q6_K {
		return qdotK(t, Dequantize, dotGeneric)
	}
	return func(x []float32, blocks []byte, nb int) float32 {
		bb := t.BlockBytes()
		var s float32
		for b := 0; b < nb; b++ {
			blk := blocks[b*bb : (b+1)*bb]
			xs := x[b*QBlock : (b+1)*QBlock]
			var bs float32
			switch t {
			case Q8_0:
				for i, q := range blk[2:] {
					bs += xs[i] * float32(int8(q))
				}
			case Q4_0:
				for j, q := range blk[2:] {
					bs += xs[j]*float32(int(q&15)-8) + xs[j+16]*float32(int(q>>4)-8)
				}
			}
			s += F16ToF32(binary.LittleEndian.Uint16(blk)) * bs
		}
		return s
	}
}

// qSplitBytes is the weight traffic below which a quantised matvec runs on
// one thread. A quarter of bf16SplitBytes: at the 1B shape the k and v
// projections (512 × 2048) are 0.56 MB in Q4_0 and 0.59 MB in Q4_K, and
// left on the caller they were both slower than split and, with rotation
// and attention after them, a gap long enough for the polling worker to
// park, so that the o projection paid a wake-up (a Q4_K_M token on two
// threads: q, k, v 3.0 → 2.6 ms, o 1.9 → 1.9 ms against 1.8× on gate and
// up; sixth round of bench/RESULTS.md).
const qSplitBytes = 256 << 10

// qChunkRows is how many rows SgemmQ dequantises at a time for products of
// more than bf16MaxM rows of X: the chunks are taken in turn by up to
// Threads() threads (parallelFor).
const qChunkRows = 64

// SgemmQ computes C = X·Wᵀ for X [m, w.Cols] (row stride ldx) and the
// quantised W [w.Rows, w.Cols], C [m, w.Rows] (row stride ldc), overwriting
// C. Up to bf16MaxM rows of X (a decoding step) run the block kernels
// directly, rows of W split over threads (and, where the level has a
// four-row kernel for w's type — Q4_0 with AVX512-VBMI —, each thread's
// rows read as four streams a quarter of its range apart); on a level with int8 kernels for
// w's type (every type on avx512bf16 with VNNI) each row of X is first
// quantised to int8 per block of W's type (an error of half a step,
// amax/254, on each value), as llama.cpp does. More rows (a prompt) dequantise W
// qChunkRows rows at a time and multiply them by the level's GEMM: on a
// level with the bf16 GEMM (avx512bf16) the rows are rounded to bf16 and
// multiplied with X rounded to bf16 ([SgemmBF16Dot]'s kernels, the packed
// one from bf16PackedMinM rows of X; each weight then carries a relative
// rounding of 2⁻⁹ at most, as X does), elsewhere in float32 by [Sgemm].
//
// Reference:
//
//	for i < m, j < w.Rows: c[i*ldc+j] = Σ_p x[i*ldx+p] · dequantised w[j][p]
func SgemmQ(m int, x []float32, ldx int, w *QMatrix, c []float32, ldc int) {
	n, k := w.Rows, w.Cols
	checkSgemmQ(m, x, ldx, w, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if m > bf16MaxM {
		gemmQ(cur, m, x, ldx, w, c, ldc, Threads())
		return
	}
	if w.packed {
		if cur.kdotP[w.Type] != nil {
			sgemvPacked(m, x, ldx, w, c, ldc)
			return
		}
		// A level without packed kernels (switched to after Repack): the
		// stored layout's path, qChunkRows rows unpacked at a time, so the
		// results are those of the matrix as stored.
		p := kpScratch.Get().(*[]byte)
		defer kpScratch.Put(p)
		for j := 0; j < n; j += qChunkRows {
			j1 := min(j+qChunkRows, n)
			*p = w.rowBlocks(*p, j, j1)
			SgemmQ(m, x, ldx, &QMatrix{Type: w.Type, Rows: j1 - j, Cols: k, Blocks: *p}, c[j:], ldc)
		}
		return
	}
	var acts *[bf16MaxM]qActs
	if cur.kdot[w.Type] != nil {
		acts = qActsPool.Get().(*[bf16MaxM]qActs)
		defer qActsPool.Put(acts)
		for i := 0; i < m; i++ {
			quantizeActs(w.Type, &acts[i], x[i*ldx:i*ldx+k])
		}
	}
	parts := 1
	if t := Threads(); t > 1 && m*len(w.Blocks) >= qSplitBytes {
		parts = min(t, n)
	}
	runMatvecs(parts, []mvJob{qJob(m, x, ldx, acts, w, c, ldc)})
}

// checkSgemmQ panics unless SgemmQ's operands hold the matrices it reads
// and writes.
func checkSgemmQ(m int, x []float32, ldx int, w *QMatrix, c []float32, ldc int) {
	n, k := w.Rows, w.Cols
	if m < 0 || ldx < k || ldc < n || len(w.Blocks) != w.dataLen() ||
		m > 0 && (len(x) < need(m, k, ldx) || len(c) < need(m, n, ldc)) {
		panic(fmt.Sprintf("asm.SgemmQ: m=%d %s %d×%d (%d bytes) ldx=%d ldc=%d len(x)=%d len(c)=%d",
			m, w.Type, n, k, len(w.Blocks), ldx, ldc, len(x), len(c)))
	}
}

// qJob is SgemmQ's decoding step (1 ≤ m ≤ bf16MaxM rows of X) on a matrix
// in the stored layout as a job of w.Rows units (rows of W): with the
// level's int8 kernels on acts (X quantised for w's type), else the block
// kernels on X.
func qJob(m int, x []float32, ldx int, acts *[bf16MaxM]qActs, w *QMatrix, c []float32, ldc int) mvJob {
	n, k := w.Rows, w.Cols
	dot, kdot := cur.qdot[w.Type], cur.kdot[w.Type]
	rb, nb := w.rowBytes(), k/w.Type.BlockWeights()
	rows := func(j0, j1 int) {
		if k4 := cur.kdot4[w.Type]; k4 != nil && j1-j0 >= 4 {
			// Four rows a quarter of the range apart per call: four long
			// streams, as bf16mvDotAVX512Go reads (the rows past 4·q one
			// at a time below).
			q := (j1 - j0) / 4
			for j := j0; j < j0+q; j++ {
				for i := 0; i < m; i++ {
					k4(&acts[i], w.Blocks[j*rb:], q*rb, nb, c[i*ldc+j:], q)
				}
			}
			j0 += 4 * q
		}
		for j := j0; j < j1; j++ {
			blk := w.Blocks[j*rb : (j+1)*rb]
			for i := 0; i < m; i++ {
				if kdot != nil {
					c[i*ldc+j] = kdot(&acts[i], blk, nb)
				} else {
					c[i*ldc+j] = dot(x[i*ldx:i*ldx+k], blk, nb)
				}
			}
		}
	}
	return mvJob{units: n, maxChunks: n, bytes: m * len(w.Blocks), run: rows}
}

// gemmQ is SgemmQ for more than bf16MaxM rows of X (kr's kernels, up to t
// threads, each taking chunks of qChunkRows rows of W in turn).
func gemmQ(kr *kernels, m int, x []float32, ldx int, w *QMatrix, c []float32, ldc int, t int) {
	n, k, rb := w.Rows, w.Cols, w.rowBytes()
	nc := ceilDiv(n, qChunkRows)
	if kr.bf16tile == nil {
		parallelFor(t, nc, func(ci int) {
			j0, j1 := ci*qChunkRows, min((ci+1)*qChunkRows, n)
			p := qChunkF32.Get().(*[]float32)
			defer qChunkF32.Put(p)
			tmp := grow(*p, qChunkRows*k)
			*p = tmp
			blocks, put := chunkBlocks(w, j0, j1)
			defer put()
			kr.dequant(w.Type, tmp[:(j1-j0)*k], blocks)
			gemm(kr, false, m, j1-j0, k, 1, x, ldx, &bOperand{f32: tmp, ld: k, trans: true}, 0, c[j0:], ldc, 1)
		})
		return
	}
	// k is a multiple of 32, so X's rounded rows are the even-strided rows
	// the packed kernel reads.
	xb, s := roundRows(kr.tobf16, m, k, x, ldx)
	defer bf16Scratch.Put(s)
	// A packed Q4_K/Q6_K matrix is widened from its groups straight into
	// the packed kernel's panels (kpPanel), which costs less than the
	// stored layout's dequantised rows even for the few rows of X that
	// leave the tile kernel ahead on those (BenchmarkPromptGEMM, 1 thread,
	// from DRAM: Q4_K at 16 and 32 rows 1.6× and 1.5× the stored path's
	// GFLOP per CPU-second), so on such a matrix every chunk runs on the
	// packed kernel.
	panel := kr.kpPanel[w.Type]
	if !w.packed || kr.bf16nn == nil {
		panel = nil
	}
	packed := kr.bf16nn != nil && (m >= bf16PackedMinM || panel != nil)
	toBF16 := kr.dequantBF16[w.Type] // else dequant, then tobf16, a row at a time
	parallelFor(t, nc, func(ci int) {
		j0, j1 := ci*qChunkRows, min((ci+1)*qChunkRows, n)
		if panel != nil && j1 <= n/kpRows*kpRows {
			// Whole packed groups: widened straight into the kernel's
			// panels, a pass of bf16NNKC columns of W at a time (the same
			// values and sums as the stored layout's path below).
			nb, pb := k/256, kpBytes(w.Type)
			g0 := j0 / kpRows
			bf16NNColsWith(kr, m, 0, j1-j0, k, k, xb, func(buf []uint16, pc, kc, _, _ int) {
				panel(buf, w.Blocks[(g0*nb+pc/256)*pb:], nb*pb, kc/256, (j1-j0)/kpRows)
			}, c[j0:], ldc, false)
			return
		}
		p := qChunkBF16.Get().(*[]uint16)
		defer qChunkBF16.Put(p)
		wb := grow(*p, qChunkRows*k)
		*p = wb
		blocks, put := chunkBlocks(w, j0, j1)
		defer put()
		if toBF16 != nil {
			toBF16(wb[:(j1-j0)*k], blocks)
		} else {
			r := qChunkF32.Get().(*[]float32)
			defer qChunkF32.Put(r)
			row := grow(*r, k)
			*r = row
			for j := j0; j < j1; j++ {
				kr.dequant(w.Type, row, blocks[(j-j0)*rb:(j-j0+1)*rb])
				kr.tobf16(wb[(j-j0)*k:(j-j0+1)*k], row)
			}
		}
		if packed {
			bf16NNCols(kr, true, m, 0, j1-j0, k, k, xb, wb, k, c[j0:], ldc, false)
		} else {
			bf16GemmCols(kr.bf16tile, m, 0, j1-j0, k, xb, wb, k, c[j0:], ldc, false)
		}
	})
}

// chunkBlocks returns rows j0..j1-1 of w as stored (unpacked into a
// pooled buffer if w is packed) and the function that returns the buffer.
func chunkBlocks(w *QMatrix, j0, j1 int) ([]byte, func()) {
	if !w.packed {
		return w.rowBlocks(nil, j0, j1), func() {}
	}
	p := kpScratch.Get().(*[]byte)
	*p = w.rowBlocks(*p, j0, j1)
	return *p, func() { kpScratch.Put(p) }
}

// qChunkF32 and qChunkBF16 hold gemmQ's dequantised chunks between calls
// (up to 2 MB at 8192 columns: allocated per call, they were fresh pages
// to fault in and zero every time).
var (
	qChunkF32  = sync.Pool{New: func() any { return new([]float32) }}
	qChunkBF16 = sync.Pool{New: func() any { return new([]uint16) }}
)

// qdotK returns the dot kernel of a K type: the row's super-blocks
// dequantised (deq) into a pooled buffer, then dotted with x (dot).
func qdotK(t QType, deq func(QType, []float32, []byte), dot func(x, y []float32) float32) qdotKernel {
	bb := t.BlockBytes()
	return func(x []float32, blocks []byte, nb int) float32 {
		if nb == 0 {
			return 0
		}
		p := kRowScratch.Get().(*[]float32)
		defer kRowScratch.Put(p)
		if cap(*p) < nb*256 {
			*p = make([]float32, nb*256)
		}
		w := (*p)[:nb*256]
		deq(t, w, blocks[:nb*bb])
		return dot(x[:nb*256], w)
	}
}

// kRowScratch holds a dequantised row between qdotK calls.
var kRowScratch = sync.Pool{New: func() any { return new([]float32) }}

// k4Scale returns group j's 6-bit scale and min of a Q4_K super-block from
// its 12 packed bytes: groups 0-3 in the low 6 bits of bytes j and j+4;
// groups 4-7 in the nibbles of byte j+4 with bytes j−4 and j's top 2 bits.
func k4Scale(j int, q []byte) (sc, mn uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&15 | q[j-4]>>6<<4, q[j+4]>>4 | q[j]>>6<<4
}

// k4PackScales packs 6-bit group scales sc and mins mn into a Q4_K
// super-block's 12 scale bytes, the inverse of k4Scale.
func k4PackScales(q []byte, sc, mn *[8]uint8) {
	for j := 0; j < 4; j++ {
		q[j] = sc[j] | sc[j+4]>>4<<6
		q[j+4] = mn[j] | mn[j+4]>>4<<6
		q[j+8] = sc[j+4]&15 | mn[j+4]&15<<4
	}
}

// kScales writes a K super-block's group scales as float32 to sc[:16]:
// Q4_K the 8 scales d·sc then the 8 offsets dmin·mn; Q6_K the 16 d·sc.
func kScales(t QType, sc []float32, blk []byte) {
	if t == Q6_K {
		d := F16ToF32(binary.LittleEndian.Uint16(blk[208:]))
		for g, v := range blk[192:208] {
			sc[g] = d * float32(int8(v))
		}
		return
	}
	d := F16ToF32(binary.LittleEndian.Uint16(blk))
	dmin := F16ToF32(binary.LittleEndian.Uint16(blk[2:]))
	for j := 0; j < 8; j++ {
		s, m := k4Scale(j, blk[4:16])
		sc[j], sc[8+j] = d*float32(s), dmin*float32(m)
	}
}

// dequantQ4K widens one Q4_K super-block (144 bytes) into dst[:256]: per
// group the scale d·sc and the offset dmin·mn, then (d·sc)·q − dmin·mn.
func dequantQ4K(dst []float32, blk []byte) {
	var sc [16]float32
	kScales(Q4_K, sc[:], blk)
	qs := blk[16:144]
	for c := 0; c < 4; c++ {
		d0, o0, d1, o1 := sc[2*c], sc[8+2*c], sc[2*c+1], sc[9+2*c]
		q, out := qs[32*c:32*c+32], dst[64*c:64*c+64]
		for l, v := range q {
			out[l] = float32(d0*float32(v&15)) - o0
			out[32+l] = float32(d1*float32(v>>4)) - o1
		}
	}
}

// dequantQ6K widens one Q6_K super-block (210 bytes) into dst[:256]. Each
// half h (128 weights) reads 64 bytes of ql, 32 of qh and 8 scales: weight
// 32u + l (u < 4, l < 32) is ql[l + 32(u&1)] (low nibble for u < 2, high
// for u ≥ 2) with bits 2u, 2u+1 of qh[l] above it, minus 32, times the
// scale of group 2u + l/16.
func dequantQ6K(dst []float32, blk []byte) {
	var scales [16]float32
	kScales(Q6_K, scales[:], blk)
	for h := 0; h < 2; h++ {
		ql, qh, sc := blk[64*h:64*h+64], blk[128+32*h:128+32*h+32], scales[8*h:8*h+8]
		out := dst[128*h : 128*h+128]
		for u := 0; u < 4; u++ {
			for l := 0; l < 32; l++ {
				lo := ql[l+32*(u&1)]
				if u >= 2 {
					lo >>= 4
				}
				q := int(lo&15|(qh[l]>>(2*u)&3)<<4) - 32
				out[32*u+l] = sc[2*u+l/16] * float32(q)
			}
		}
	}
}

// quantK writes src as Q4_K or Q6_K super-blocks: each group's range
// fitted by its min and max (Q4_K: offsets ≥ 0 as the format's mins are;
// Q6_K: symmetric, largest magnitude to −32), the group scales quantised
// against the super-block's largest, then each weight rounded on its
// group's quantised scale.
func quantK(t QType, dst []byte, src []float32) {
	bb := t.BlockBytes()
	for b := 0; b < len(src)/256; b++ {
		x, blk := src[b*256:(b+1)*256], dst[b*bb:(b+1)*bb]
		clear(blk)
		if t == Q4_K {
			quantQ4K(blk, x)
		} else {
			quantQ6K(blk, x)
		}
	}
}

func quantQ4K(blk []byte, x []float32) {
	var sc, mn [8]float32
	var scMax, mnMax float32
	for j := 0; j < 8; j++ {
		lo, hi := float32(0), float32(0)
		for _, v := range x[32*j : 32*j+32] {
			lo, hi = min(lo, v), max(hi, v)
		}
		sc[j], mn[j] = (hi-lo)/15, -lo
		scMax, mnMax = max(scMax, sc[j]), max(mnMax, mn[j])
	}
	d, dmin := F16ToF32(F32ToF16(scMax/63)), F16ToF32(F32ToF16(mnMax/63))
	binary.LittleEndian.PutUint16(blk, F32ToF16(d))
	binary.LittleEndian.PutUint16(blk[2:], F32ToF16(dmin))
	var qs, qm [8]uint8
	for j := 0; j < 8; j++ {
		if d > 0 {
			qs[j] = uint8(min(63, math.Round(float64(sc[j]/d))))
		}
		if dmin > 0 {
			qm[j] = uint8(min(63, math.Round(float64(mn[j]/dmin))))
		}
	}
	k4PackScales(blk[4:16], &qs, &qm)
	qsb := blk[16:144]
	for j := 0; j < 8; j++ {
		g, o := d*float32(qs[j]), dmin*float32(qm[j])
		for l, v := range x[32*j : 32*j+32] {
			var q uint8
			if g > 0 {
				q = uint8(max(0, min(15, math.Round(float64((v+o)/g)))))
			}
			if j%2 == 0 {
				qsb[32*(j/2)+l] |= q
			} else {
				qsb[32*(j/2)+l] |= q << 4
			}
		}
	}
}

func quantQ6K(blk []byte, x []float32) {
	var sc [16]float32
	var scMax float32
	for g := 0; g < 16; g++ {
		var amax float32
		for _, v := range x[16*g : 16*g+16] {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		sc[g] = amax / 32
		scMax = max(scMax, sc[g])
	}
	d := F16ToF32(F32ToF16(scMax / 127))
	binary.LittleEndian.PutUint16(blk[208:], F32ToF16(d))
	for h := 0; h < 2; h++ {
		ql, qh, scb := blk[64*h:64*h+64], blk[128+32*h:128+32*h+32], blk[192+8*h:192+8*h+8]
		for g := 0; g < 8; g++ {
			if d > 0 {
				scb[g] = byte(int8(min(127, math.Round(float64(sc[8*h+g]/d)))))
			}
		}
		for u := 0; u < 4; u++ {
			for l := 0; l < 32; l++ {
				g := d * float32(int8(scb[2*u+l/16]))
				q := 32
				if g > 0 {
					q = int(max(0, min(63, math.Round(float64(x[128*h+32*u+l]/g))+32)))
				}
				lo := byte(q & 15)
				if u >= 2 {
					lo <<= 4
				}
				ql[l+32*(u&1)] |= lo
				qh[l] |= byte(q>>4) << (2 * u)
			}
		}
	}
}
