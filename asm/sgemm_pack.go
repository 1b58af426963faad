package asm

import "unsafe"

// Packing copies a block of op(A) or op(B) into the panel layout the
// micro-kernels stream: A as MR-row panels stored column by column
// (a[p*MR+i]), B as NR-column panels stored row by row (b[p*NR+j]). Rows or
// columns past the matrix edge are zero, so the kernels never need edge
// logic on the k side and never read outside the caller's slices.
//
// Two primitives do all the work: packT (a block of source rows written
// transposed, for A as stored and for Bᵀ) and packC (source rows copied, for
// Aᵀ and B as stored), each in a float32 and a bfloat16 form. Every level's
// kernel table carries its own (kernels.packT etc.): the AVX-512 level runs
// all four in assembly (pack_avx512_amd64.s, 16×16 in-register transposes
// and k-masked copies), the AVX2 level its float32 transpose
// (pack_avx2_amd64.s, 8×8); the Go twins below are the rest and the tests'
// reference.

// packA packs op(A)[i0:i0+mc, p0:p0+kc] into dst (len ≥ ceil(mc/mr)*mr*kc).
func packA(kr *kernels, dst []float32, trans bool, a []float32, lda, i0, p0, mc, kc int) {
	mr := kr.mr
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		panel := dst[ir*kc : ir*kc+mr*kc]
		if trans {
			// op(A)(i,p) = A[p, i]: each p gives `rows` contiguous values.
			kr.packC(panel, mr, a[p0*lda+i0+ir:], lda, rows, kc)
			continue
		}
		packTLanes(kr, panel, mr, a[(i0+ir)*lda+p0:], nil, lda, rows, kc)
	}
}

// packTLanes transposes `rows` source rows (float32 src, or bf16 src16 when
// src is nil) into the w lanes of a panel, in calls of at most kr.packTMax
// lanes.
func packTLanes(kr *kernels, panel []float32, w int, src []float32, src16 []uint16, ld, rows, kc int) {
	step := kr.packTMax
	if step == 0 {
		step = w
	}
	for h := 0; h < w; h += step {
		lanes := min(step, w-h)
		r := max(min(lanes, rows-h), 0)
		if src16 != nil {
			s := src16
			if r > 0 {
				s = s[h*ld:]
			}
			kr.packTBF16(panel[h:], w, lanes, s, ld, r, kc)
			continue
		}
		s := src
		if r > 0 {
			s = s[h*ld:]
		}
		kr.packT(panel[h:], w, lanes, s, ld, r, kc)
	}
}

// bOperand is the B matrix of a GEMM: float32 or bfloat16 storage.
type bOperand struct {
	f32   []float32
	bf16  []uint16
	ld    int
	trans bool
	dot   bool // bf16 B may be multiplied with A rounded to bf16 (SgemmBF16Dot)
}

func (b *bOperand) length() int {
	if b.bf16 != nil {
		return len(b.bf16)
	}
	return len(b.f32)
}

// packB packs op(B)[p0:p0+kc, j0:j0+nc] into dst (len ≥ kc*ceil(nc/nr)*nr),
// widening bfloat16 on the way.
func packB(kr *kernels, dst []float32, b *bOperand, p0, j0, kc, nc int) {
	nr := kr.nr
	ld := b.ld
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		panel := dst[jr*kc : jr*kc+nr*kc]
		switch {
		case !b.trans && b.bf16 == nil:
			kr.packC(panel, nr, b.f32[p0*ld+j0+jr:], ld, cols, kc)
		case !b.trans:
			kr.packCBF16(panel, nr, b.bf16[p0*ld+j0+jr:], ld, cols, kc)
		case b.bf16 == nil:
			// op(B)(p,j) = B[j, p]: row j of B gives column j of the panel.
			packTLanes(kr, panel, nr, b.f32[(j0+jr)*ld+p0:], nil, ld, cols, kc)
		default:
			packTLanes(kr, panel, nr, nil, b.bf16[(j0+jr)*ld+p0:], ld, cols, kc)
		}
	}
}

// packTGeneric writes `rows` source rows (stride ld) transposed into dst with
// row stride w, zero-filling lanes rows..lanes-1 (rows ≤ lanes ≤ w):
//
//	dst[p*w+i] = src[i*ld+p] for i < rows, 0 for rows ≤ i < lanes   (p < kc)
func packTGeneric(dst []float32, w, lanes int, src []float32, ld, rows, kc int) {
	if kc == 0 {
		return
	}
	transposeInto(dst, w, src, ld, rows, kc)
	zeroLanes(dst, w, rows, lanes, kc)
}

// packTBF16Generic is packTGeneric reading bfloat16 bit patterns.
func packTBF16Generic(dst []float32, w, lanes int, src []uint16, ld, rows, kc int) {
	if kc == 0 {
		return
	}
	for i := 0; i < rows; i++ {
		for p, h := range src[i*ld:][:kc] {
			dst[p*w+i] = BF16ToF32(h)
		}
	}
	zeroLanes(dst, w, rows, lanes, kc)
}

// packCGeneric copies kc source rows (stride ld) of `cols` values into dst
// with row stride w, zero-filling columns cols..w-1 (cols ≤ w):
//
//	dst[p*w+j] = src[p*ld+j] for j < cols, 0 for cols ≤ j < w   (p < kc)
func packCGeneric(dst []float32, w int, src []float32, ld, cols, kc int) {
	for p := 0; p < kc; p++ {
		d := dst[p*w : p*w+w]
		if cols > 0 {
			copy(d, src[p*ld:][:cols])
		}
		clear(d[cols:])
	}
}

// packCBF16With returns packCGeneric for bfloat16 sources, widening with
// the given kernel (the level's bf16to).
func packCBF16With(widen func(dst []float32, src []uint16)) func(dst []float32, w int, src []uint16, ld, cols, kc int) {
	return func(dst []float32, w int, src []uint16, ld, cols, kc int) {
		for p := 0; p < kc; p++ {
			d := dst[p*w : p*w+w]
			if cols > 0 {
				widen(d[:cols], src[p*ld:][:cols])
			}
			clear(d[cols:])
		}
	}
}

// The assembly entry points, bounds-checked here: packT reads rows×kc
// source values and writes kc rows of `lanes`; packC reads kc×cols and
// writes kc rows of w. Shapes the kernels do not take (lanes > 16, w > 32)
// go to the Go twins.

func packTF32(dst []float32, w, lanes int, src []float32, ld, rows, kc int) {
	if kc == 0 {
		return
	}
	if lanes > 16 || rows > lanes {
		packTGeneric(dst, w, lanes, src, ld, rows, kc)
		return
	}
	_ = dst[(kc-1)*w+lanes-1]
	if rows > 0 {
		_ = src[(rows-1)*ld+kc-1]
	}
	if w == 12 && lanes == 12 { // the AVX-512 A panels
		packT12AVX512(unsafe.Pointer(&dst[0]), w, lanes, unsafe.Pointer(unsafe.SliceData(src)), ld, rows, kc)
		return
	}
	packTAVX512(unsafe.Pointer(&dst[0]), w, lanes, unsafe.Pointer(unsafe.SliceData(src)), ld, rows, kc)
}

// packT8F32 runs the AVX2 transpose for 6 or 8 lanes, the Go twin for other
// lane counts.
func packT8F32(dst []float32, w, lanes int, src []float32, ld, rows, kc int) {
	if kc == 0 {
		return
	}
	if rows > lanes {
		panic("asm: packT8F32 needs rows ≤ lanes")
	}
	if lanes != 6 && lanes != 8 {
		packTGeneric(dst, w, lanes, src, ld, rows, kc)
		return
	}
	_ = dst[(kc-1)*w+lanes-1]
	if rows > 0 {
		_ = src[(rows-1)*ld+kc-1]
	}
	packT8AVX2(unsafe.Pointer(&dst[0]), w, lanes, unsafe.Pointer(unsafe.SliceData(src)), ld, rows, kc)
}

func packTBF16(dst []float32, w, lanes int, src []uint16, ld, rows, kc int) {
	if kc == 0 {
		return
	}
	if lanes > 16 || rows > lanes {
		packTBF16Generic(dst, w, lanes, src, ld, rows, kc)
		return
	}
	_ = dst[(kc-1)*w+lanes-1]
	if rows > 0 {
		_ = src[(rows-1)*ld+kc-1]
	}
	packTBF16AVX512(unsafe.Pointer(&dst[0]), w, lanes, unsafe.Pointer(unsafe.SliceData(src)), ld, rows, kc)
}

func packCF32(dst []float32, w int, src []float32, ld, cols, kc int) {
	if kc == 0 {
		return
	}
	if w > 32 {
		packCGeneric(dst, w, src, ld, cols, kc)
		return
	}
	_ = dst[(kc-1)*w+w-1]
	if cols > 0 {
		_ = src[(kc-1)*ld+cols-1]
	}
	packCAVX512(unsafe.Pointer(&dst[0]), w, unsafe.Pointer(unsafe.SliceData(src)), ld, cols, kc)
}

func packCBF16(dst []float32, w int, src []uint16, ld, cols, kc int) {
	if kc == 0 {
		return
	}
	if w > 32 {
		packCBF16With(bf16ToF32Generic)(dst, w, src, ld, cols, kc)
		return
	}
	_ = dst[(kc-1)*w+w-1]
	if cols > 0 {
		_ = src[(kc-1)*ld+cols-1]
	}
	packCBF16AVX512(unsafe.Pointer(&dst[0]), w, unsafe.Pointer(unsafe.SliceData(src)), ld, cols, kc)
}

// zeroLanes clears dst[p*w+i] for rows ≤ i < lanes, p < kc.
func zeroLanes(dst []float32, w, rows, lanes, kc int) {
	if rows >= lanes {
		return
	}
	for p := 0; p < kc; p++ {
		clear(dst[p*w+rows : p*w+lanes])
	}
}

// transposeInto writes the rows×kc block src (row stride ld) transposed into
// dst with row stride w: dst[p*w+i] = src[i*ld+p]. Four source rows are read
// together so each destination write covers 16 contiguous bytes.
func transposeInto(dst []float32, w int, src []float32, ld, rows, kc int) {
	i := 0
	for ; i+4 <= rows; i += 4 {
		s0 := src[i*ld:][:kc]
		s1 := src[(i+1)*ld:][:kc]
		s2 := src[(i+2)*ld:][:kc]
		s3 := src[(i+3)*ld:][:kc]
		d := dst[i:]
		for p := range s0 {
			q := d[p*w : p*w+4]
			q[0], q[1], q[2], q[3] = s0[p], s1[p], s2[p], s3[p]
		}
	}
	for ; i < rows; i++ {
		s0 := src[i*ld:][:kc]
		for p, v := range s0 {
			dst[p*w+i] = v
		}
	}
}
