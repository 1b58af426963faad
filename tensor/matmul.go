package tensor

import (
	"fmt"
	"slices"

	"github.com/llink-go/llink/asm"
)

// matDims returns (batch, rows, cols) of t seen as a stack of matrices.
func matDims(op string, t *Tensor) (batch int, rows, cols int) {
	if len(t.shape) < 2 {
		panic(fmt.Sprintf("tensor.%s: need at least 2 dims, got shape %v", op, t.shape))
	}
	r, c := t.shape[len(t.shape)-2], t.shape[len(t.shape)-1]
	return numel(t.shape[:len(t.shape)-2]), r, c
}

// MatMul returns op(a)·op(b), where op transposes the last two axes when the
// flag is set. a is [..., m, k] (or [..., k, m] with transA); b is either a
// matrix [k, n] ([n, k] with transB) shared by every matrix of a — the
// Linear-layer case — or a stack with the same leading dims as a. The result
// is [..., m, n].
func MatMul(a, b *Tensor, transA, transB bool) *Tensor {
	m, n := mnOf("MatMul", a, b, transA, transB)
	shape := append(slices.Clone(a.shape[:len(a.shape)-2]), m, n)
	out := New(shape...)
	MatMulInto(out, a, b, transA, transB, 1, 0)
	return out
}

func mnOf(op string, a, b *Tensor, transA, transB bool) (m, n int) {
	_, ar, ac := matDims(op, a)
	_, br, bc := matDims(op, b)
	m, k := ar, ac
	if transA {
		m, k = ac, ar
	}
	kb, n := br, bc
	if transB {
		kb, n = bc, br
	}
	if k != kb {
		panic(fmt.Sprintf("tensor.%s: inner sizes differ: a %v (transA=%v) × b %v (transB=%v)", op, a.shape, transA, b.shape, transB))
	}
	return m, n
}

// MatMulInto computes dst = alpha·op(a)·op(b) + beta·dst with the shapes of
// [MatMul]; with beta == 1 it accumulates (as backward passes do).
func MatMulInto(dst, a, b *Tensor, transA, transB bool, alpha, beta float32) {
	m, n := mnOf("MatMulInto", a, b, transA, transB)
	ba, ar, ac := matDims("MatMulInto", a)
	bb, br, bc := matDims("MatMulInto", b)
	k := ac
	if transA {
		k = ar
	}
	wantShape := append(slices.Clone(a.shape[:len(a.shape)-2]), m, n)
	if !slices.Equal(dst.shape, wantShape) {
		panic(fmt.Sprintf("tensor.MatMulInto: dst shape %v, want %v for a %v × b %v", dst.shape, wantShape, a.shape, b.shape))
	}
	switch {
	case len(b.shape) == 2 && !transA:
		// Fold a's batch into rows: one large GEMM.
		asm.Sgemm(false, transB, ba*m, n, k, alpha, a.data, ac, b.data, bc, beta, dst.data, n)
	case len(b.shape) == 2:
		for i := 0; i < ba; i++ {
			asm.Sgemm(true, transB, m, n, k, alpha, a.data[i*ar*ac:], ac, b.data, bc, beta, dst.data[i*m*n:], n)
		}
	default:
		if !slices.Equal(a.shape[:len(a.shape)-2], b.shape[:len(b.shape)-2]) {
			panic(fmt.Sprintf("tensor.MatMulInto: batch dims differ: a %v, b %v", a.shape, b.shape))
		}
		_ = bb
		asm.SgemmStrided(transA, transB, m, n, k, alpha, a.data, ac, ar*ac, b.data, bc, br*bc, beta, dst.data, n, m*n, ba)
	}
}

// BF16 is a tensor stored as bfloat16 bit patterns: half the memory of
// float32, for frozen weights. Products widen it to float32 on the fly.
type BF16 struct {
	shape []int
	data  []uint16
}

// NewBF16 wraps bfloat16 bit patterns (not copied) with a shape.
func NewBF16(data []uint16, shape ...int) *BF16 {
	if n := numel(shape); n != len(data) {
		panic(fmt.Sprintf("tensor.NewBF16: %d values for shape %v (%d elements)", len(data), shape, n))
	}
	return &BF16{shape: slices.Clone(shape), data: data}
}

// ToBF16 rounds t to bfloat16 (nearest, ties to even).
func ToBF16(t *Tensor) *BF16 {
	h := make([]uint16, len(t.data))
	asm.F32ToBF16Slice(h, t.data)
	return &BF16{shape: slices.Clone(t.shape), data: h}
}

// Shape returns the shape (not to be modified).
func (w *BF16) Shape() []int { return w.shape }

// Data returns the bfloat16 bit patterns (shared).
func (w *BF16) Data() []uint16 { return w.data }

// Float32 widens w to a float32 tensor.
func (w *BF16) Float32() *Tensor {
	t := New(w.shape...)
	asm.BF16ToF32Slice(t.data, w.data)
	return t
}

// MatMulBF16 returns a·op(w) for a [..., m, k] and a bfloat16 matrix w, [k, n]
// or [n, k] with transB (the PyTorch Linear weight layout [out, in]).
func MatMulBF16(a *Tensor, w *BF16, transB bool) *Tensor {
	ba, m, k := matDims("MatMulBF16", a)
	if len(w.shape) != 2 {
		panic(fmt.Sprintf("tensor.MatMulBF16: weight must be a matrix, got shape %v", w.shape))
	}
	kb, n := w.shape[0], w.shape[1]
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("tensor.MatMulBF16: inner sizes differ: a %v × w %v (transB=%v)", a.shape, w.shape, transB))
	}
	out := New(append(slices.Clone(a.shape[:len(a.shape)-2]), m, n)...)
	asm.SgemmBF16(false, transB, ba*m, n, k, 1, a.data, k, w.data, w.shape[1], 0, out.data, n)
	return out
}

// TransposeLast2 returns a copy of t with its last two axes swapped.
func TransposeLast2(t *Tensor) *Tensor {
	b, r, c := matDims("TransposeLast2", t)
	shape := slices.Clone(t.shape)
	shape[len(shape)-2], shape[len(shape)-1] = c, r
	out := New(shape...)
	const blk = 32
	for q := 0; q < b; q++ {
		src, dst := t.data[q*r*c:(q+1)*r*c], out.data[q*r*c:(q+1)*r*c]
		for i0 := 0; i0 < r; i0 += blk {
			for j0 := 0; j0 < c; j0 += blk {
				for i := i0; i < min(i0+blk, r); i++ {
					for j := j0; j < min(j0+blk, c); j++ {
						dst[j*r+i] = src[i*c+j]
					}
				}
			}
		}
	}
	return out
}
