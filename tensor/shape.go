package tensor

import (
	"fmt"
	"slices"

	"github.com/llink-go/llink/asm"
)

// axisDims splits shape around axis into (outer, n, inner) element counts,
// resolving a negative axis.
func axisDims(op string, shape []int, axis int) (ax, outer, n, inner int) {
	if axis < 0 {
		axis += len(shape)
	}
	if axis < 0 || axis >= len(shape) {
		panic(fmt.Sprintf("tensor.%s: axis out of range for shape %v", op, shape))
	}
	return axis, numel(shape[:axis]), shape[axis], numel(shape[axis+1:])
}

// SliceShape returns the shape of t sliced to [lo, hi) along axis.
func SliceShape(t *Tensor, axis, lo, hi int) []int {
	ax, _, n, _ := axisDims("Slice", t.shape, axis)
	if lo < 0 || hi > n || lo > hi {
		panic(fmt.Sprintf("tensor.Slice: range [%d,%d) out of bounds for axis %d of shape %v", lo, hi, axis, t.shape))
	}
	s := slices.Clone(t.shape)
	s[ax] = hi - lo
	return s
}

// SliceInto copies t[..., lo:hi, ...] (along axis) into dst, whose shape
// must be [SliceShape]; with accumulate it adds instead of overwriting.
func SliceInto(dst, t *Tensor, axis, lo, hi int, accumulate bool) {
	want := SliceShape(t, axis, lo, hi)
	if !slices.Equal(dst.shape, want) {
		panic(fmt.Sprintf("tensor.SliceInto: dst shape %v, want %v (slice of %v)", dst.shape, want, t.shape))
	}
	_, outer, n, inner := axisDims("Slice", t.shape, axis)
	w := (hi - lo) * inner
	for o := 0; o < outer; o++ {
		src := t.data[(o*n+lo)*inner : (o*n+lo)*inner+w]
		d := dst.data[o*w : (o+1)*w]
		if accumulate {
			addTo(d, src)
		} else {
			copy(d, src)
		}
	}
}

// Slice returns a copy of t restricted to [lo, hi) along axis.
func Slice(t *Tensor, axis, lo, hi int) *Tensor {
	out := New(SliceShape(t, axis, lo, hi)...)
	SliceInto(out, t, axis, lo, hi, false)
	return out
}

// AddSlice adds src into t[..., lo:lo+src.Dim(axis), ...] (the backward of
// [Slice]).
func AddSlice(t, src *Tensor, axis, lo int) {
	ax, outer, n, inner := axisDims("AddSlice", t.shape, axis)
	want := slices.Clone(t.shape)
	want[ax] = src.shape[ax]
	if len(src.shape) != len(t.shape) || !slices.Equal(src.shape, want) || lo < 0 || lo+src.shape[ax] > n {
		panic(fmt.Sprintf("tensor.AddSlice: %v at %d along axis %d does not fit in %v", src.shape, lo, axis, t.shape))
	}
	w := src.shape[ax] * inner
	for o := 0; o < outer; o++ {
		addTo(t.data[(o*n+lo)*inner:(o*n+lo)*inner+w], src.data[o*w:(o+1)*w])
	}
}

// ConcatShape returns the shape of ts concatenated along axis; all other
// sizes must agree.
func ConcatShape(axis int, ts ...*Tensor) []int {
	if len(ts) == 0 {
		panic("tensor.Concat: no tensors")
	}
	ax, _, _, _ := axisDims("Concat", ts[0].shape, axis)
	s := slices.Clone(ts[0].shape)
	s[ax] = 0
	for _, t := range ts {
		if len(t.shape) != len(s) {
			panic(fmt.Sprintf("tensor.Concat: shapes %v and %v differ in rank", ts[0].shape, t.shape))
		}
		for i := range s {
			if i != ax && t.shape[i] != s[i] {
				panic(fmt.Sprintf("tensor.Concat: shapes %v and %v differ off axis %d", ts[0].shape, t.shape, axis))
			}
		}
		s[ax] += t.shape[ax]
	}
	return s
}

// ConcatInto writes ts concatenated along axis into dst (shape [ConcatShape]).
func ConcatInto(dst *Tensor, axis int, ts ...*Tensor) {
	want := ConcatShape(axis, ts...)
	if !slices.Equal(dst.shape, want) {
		panic(fmt.Sprintf("tensor.ConcatInto: dst shape %v, want %v", dst.shape, want))
	}
	ax, outer, n, inner := axisDims("Concat", dst.shape, axis)
	off := 0
	for _, t := range ts {
		w := t.shape[ax] * inner
		for o := 0; o < outer; o++ {
			copy(dst.data[(o*n)*inner+off:(o*n)*inner+off+w], t.data[o*w:(o+1)*w])
		}
		off += w
	}
}

// Concat returns ts joined along axis.
func Concat(axis int, ts ...*Tensor) *Tensor {
	out := New(ConcatShape(axis, ts...)...)
	ConcatInto(out, axis, ts...)
	return out
}

// GatherRows returns the rows idx of t viewed as a matrix [rows, last dim]:
// shape [len(idx), last dim] — an embedding lookup.
func GatherRows(t *Tensor, idx []int) *Tensor {
	d := t.shape[len(t.shape)-1]
	out := New(len(idx), d)
	GatherRowsInto(out, t, idx)
	return out
}

// GatherRowsInto writes rows idx of t into dst [len(idx), last dim].
func GatherRowsInto(dst, t *Tensor, idx []int) {
	d := t.shape[len(t.shape)-1]
	if dst.Len() != len(idx)*d {
		panic(fmt.Sprintf("tensor.GatherRowsInto: dst shape %v for %d rows of %v", dst.shape, len(idx), t.shape))
	}
	rows := t.Rows()
	for i, r := range idx {
		if r < 0 || r >= rows {
			panic(fmt.Sprintf("tensor.GatherRows: row %d out of range for shape %v", r, t.shape))
		}
		copy(dst.data[i*d:(i+1)*d], t.data[r*d:(r+1)*d])
	}
}

// ScatterAddRows adds row i of src into row idx[i] of t (the backward of
// [GatherRows]); repeated indices accumulate.
func ScatterAddRows(t, src *Tensor, idx []int) {
	d := t.shape[len(t.shape)-1]
	if src.Len() != len(idx)*d {
		panic(fmt.Sprintf("tensor.ScatterAddRows: src shape %v for %d rows of %v", src.shape, len(idx), t.shape))
	}
	rows := t.Rows()
	for i, r := range idx {
		if r < 0 || r >= rows {
			panic(fmt.Sprintf("tensor.ScatterAddRows: row %d out of range for shape %v", r, t.shape))
		}
		addTo(t.data[r*d:(r+1)*d], src.data[i*d:(i+1)*d])
	}
}

// ScatterRows overwrites row idx[i] of t with row i of src.
func ScatterRows(t, src *Tensor, idx []int) {
	d := t.shape[len(t.shape)-1]
	if src.Len() != len(idx)*d {
		panic(fmt.Sprintf("tensor.ScatterRows: src shape %v for %d rows of %v", src.shape, len(idx), t.shape))
	}
	rows := t.Rows()
	for i, r := range idx {
		if r < 0 || r >= rows {
			panic(fmt.Sprintf("tensor.ScatterRows: row %d out of range for shape %v", r, t.shape))
		}
		copy(t.data[r*d:(r+1)*d], src.data[i*d:(i+1)*d])
	}
}

// addTo computes dst += src.
func addTo(dst, src []float32) { asm.Axpy(1, src, dst) }
