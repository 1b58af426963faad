package asm

// Packing copies a block of op(A) or op(B) into the panel layout the
// micro-kernels stream: A as MR-row panels stored column by column
// (a[p*MR+i]), B as NR-column panels stored row by row (b[p*NR+j]). Rows or
// columns past the matrix edge are zero, so the kernels never need edge
// logic on the k side and never read outside the caller's slices.

// packA packs op(A)[i0:i0+mc, p0:p0+kc] into dst (len ≥ ceil(mc/mr)*mr*kc).
func packA(dst []float32, trans bool, a []float32, lda, i0, p0, mc, kc, mr int) {
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		panel := dst[ir*kc : ir*kc+mr*kc]
		if trans {
			// op(A)(i,p) = A[p, i]: each p gives `rows` contiguous values.
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+i0+ir:][:rows]
				d := panel[p*mr : p*mr+mr]
				copy(d, src)
				clear(d[rows:])
			}
			continue
		}
		transposeInto(panel, mr, a[(i0+ir)*lda+p0:], lda, rows, kc)
		if rows < mr {
			for p := 0; p < kc; p++ {
				clear(panel[p*mr+rows : p*mr+mr])
			}
		}
	}
}

// bOperand is the B matrix of a GEMM: float32 or bfloat16 storage.
type bOperand struct {
	f32   []float32
	bf16  []uint16
	ld    int
	trans bool
}

func (b *bOperand) length() int {
	if b.bf16 != nil {
		return len(b.bf16)
	}
	return len(b.f32)
}

// packB packs op(B)[p0:p0+kc, j0:j0+nc] into dst (len ≥ kc*ceil(nc/nr)*nr),
// widening bfloat16 on the way.
func packB(dst []float32, b *bOperand, p0, j0, kc, nc, nr int) {
	ld := b.ld
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		panel := dst[jr*kc : jr*kc+nr*kc]
		switch {
		case !b.trans && b.bf16 == nil:
			for p := 0; p < kc; p++ {
				d := panel[p*nr : p*nr+nr]
				copy(d, b.f32[(p0+p)*ld+j0+jr:][:cols])
				clear(d[cols:])
			}
		case !b.trans:
			for p := 0; p < kc; p++ {
				d := panel[p*nr : p*nr+nr]
				cur.bf16to(d[:cols], b.bf16[(p0+p)*ld+j0+jr:][:cols])
				clear(d[cols:])
			}
		case b.bf16 == nil:
			// op(B)(p,j) = B[j, p]: row j of B gives column j of the panel.
			transposeInto(panel, nr, b.f32[(j0+jr)*ld+p0:], ld, cols, kc)
			zeroCols(panel, kc, nr, cols)
		default:
			for j := 0; j < cols; j++ {
				src := b.bf16[(j0+jr+j)*ld+p0:][:kc]
				for p, h := range src {
					panel[p*nr+j] = BF16ToF32(h)
				}
			}
			zeroCols(panel, kc, nr, cols)
		}
	}
}

func zeroCols(panel []float32, kc, nr, cols int) {
	if cols == nr {
		return
	}
	for p := 0; p < kc; p++ {
		clear(panel[p*nr+cols : p*nr+nr])
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
