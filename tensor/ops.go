package tensor

import (
	"fmt"
	"math"
	"slices"

	"github.com/llink-go/llink/asm"
)

// BroadcastShape returns the NumPy broadcast of shapes a and b, or an error
// naming both when they are incompatible.
func BroadcastShape(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("tensor: shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// strides returns the element strides of shape aligned to n dims, with 0 for
// broadcast (size-1 or missing) axes.
func bstrides(shape []int, n int) []int {
	st := make([]int, n)
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		j := n - len(shape) + i
		if shape[i] != 1 {
			st[j] = s
		}
		s *= shape[i]
	}
	return st
}

type binop int

const (
	opAdd binop = iota
	opSub
	opMul
	opDiv
)

func (o binop) apply(dst, x, y []float32) {
	switch o {
	case opAdd:
		asm.Add(dst, x, y)
	case opMul:
		asm.Mul(dst, x, y)
	case opSub:
		for i := range dst {
			dst[i] = x[i] - y[i]
		}
	case opDiv:
		for i := range dst {
			dst[i] = x[i] / y[i]
		}
	}
}

func (o binop) scalar(x, y float32) float32 {
	switch o {
	case opAdd:
		return x + y
	case opSub:
		return x - y
	case opMul:
		return x * y
	default:
		return x / y
	}
}

var opNames = [...]string{"Add", "Sub", "Mul", "Div"}

// binary computes o(a, b) with broadcasting into a new tensor.
func binary(o binop, a, b *Tensor) *Tensor {
	shape, err := BroadcastShape(a.shape, b.shape)
	if err != nil {
		panic(fmt.Sprintf("tensor.%s: %v", opNames[o], err))
	}
	out := New(shape...)
	binaryInto(o, out, a, b)
	return out
}

func binaryInto(o binop, out, a, b *Tensor) {
	if slices.Equal(a.shape, b.shape) {
		o.apply(out.data, a.data, b.data)
		return
	}
	n := len(out.shape)
	last := 1
	if n > 0 {
		last = out.shape[n-1]
	}
	// Fast path: both operands are contiguous along the last axis (b a row
	// vector broadcast over rows, or the reverse). A column [m, 1] with
	// m == last has the same length but is not a row: check the last dim.
	if len(b.data) == last && isRow(b, last) && len(a.data) == len(out.data) {
		for r := 0; r < len(out.data)/max(last, 1); r++ {
			o.apply(out.data[r*last:(r+1)*last], a.data[r*last:(r+1)*last], b.data)
		}
		return
	}
	if len(a.data) == last && isRow(a, last) && len(b.data) == len(out.data) {
		for r := 0; r < len(out.data)/max(last, 1); r++ {
			o.apply(out.data[r*last:(r+1)*last], a.data, b.data[r*last:(r+1)*last])
		}
		return
	}
	sa, sb := bstrides(a.shape, n), bstrides(b.shape, n)
	idx := make([]int, n)
	ia, ib := 0, 0
	for i := range out.data {
		out.data[i] = o.scalar(a.data[ia], b.data[ib])
		for d := n - 1; d >= 0; d-- {
			idx[d]++
			ia += sa[d]
			ib += sb[d]
			if idx[d] < out.shape[d] {
				break
			}
			ia -= sa[d] * idx[d]
			ib -= sb[d] * idx[d]
			idx[d] = 0
		}
	}
}

// Add returns a + b with broadcasting.
func Add(a, b *Tensor) *Tensor { return binary(opAdd, a, b) }

// Sub returns a − b with broadcasting.
func Sub(a, b *Tensor) *Tensor { return binary(opSub, a, b) }

// Mul returns a ⊙ b (elementwise) with broadcasting.
func Mul(a, b *Tensor) *Tensor { return binary(opMul, a, b) }

// Div returns a / b (elementwise) with broadcasting.
func Div(a, b *Tensor) *Tensor { return binary(opDiv, a, b) }

// AddInPlace computes t += b, where b broadcasts to t's shape.
func (t *Tensor) AddInPlace(b *Tensor) {
	shape, err := BroadcastShape(t.shape, b.shape)
	if err != nil || !slices.Equal(shape, t.shape) {
		panic(fmt.Sprintf("tensor.AddInPlace: %v does not broadcast to %v", b.shape, t.shape))
	}
	binaryInto(opAdd, t, t, b)
}

// AddScaled computes t += alpha·b for same-shaped tensors.
func (t *Tensor) AddScaled(alpha float32, b *Tensor) {
	mustSameShape("AddScaled", t, b)
	asm.Axpy(alpha, b.data, t.data)
}

// Scale returns alpha·t.
func Scale(alpha float32, t *Tensor) *Tensor {
	out := t.Clone()
	asm.Scale(alpha, out.data)
	return out
}

// ScaleInPlace computes t *= alpha.
func (t *Tensor) ScaleInPlace(alpha float32) { asm.Scale(alpha, t.data) }

// Apply returns f applied to every element.
func Apply(t *Tensor, f func(float32) float32) *Tensor {
	out := New(t.shape...)
	for i, v := range t.data {
		out.data[i] = f(v)
	}
	return out
}

// Sum returns the sum of all elements (accumulated in float64).
func (t *Tensor) Sum() float64 {
	var s float64
	for _, v := range t.data {
		s += float64(v)
	}
	return s
}

// reduceAxis reduces axis with f over (outer, n, inner) blocks.
func reduceAxis(op string, t *Tensor, axis int, keep bool, init float32, f func(acc, v float32) float32) *Tensor {
	if axis < 0 {
		axis += len(t.shape)
	}
	if axis < 0 || axis >= len(t.shape) {
		panic(fmt.Sprintf("tensor.%s: axis out of range for shape %v", op, t.shape))
	}
	outer := numel(t.shape[:axis])
	n := t.shape[axis]
	inner := numel(t.shape[axis+1:])
	shape := slices.Clone(t.shape)
	if keep {
		shape[axis] = 1
	} else {
		shape = slices.Delete(shape, axis, axis+1)
	}
	out := Full(init, shape...)
	for o := 0; o < outer; o++ {
		dst := out.data[o*inner : (o+1)*inner]
		for j := 0; j < n; j++ {
			src := t.data[(o*n+j)*inner : (o*n+j+1)*inner]
			for i, v := range src {
				dst[i] = f(dst[i], v)
			}
		}
	}
	return out
}

// SumAxis sums over axis (negative counts from the end); keep retains it
// with size 1.
func SumAxis(t *Tensor, axis int, keep bool) *Tensor {
	if (axis == -1 || axis == len(t.shape)-1) && len(t.shape) > 0 {
		shape := slices.Clone(t.shape)
		if keep {
			shape[len(shape)-1] = 1
		} else {
			shape = shape[:len(shape)-1]
		}
		out := New(shape...)
		for r := range out.data {
			out.data[r] = asm.Sum(t.Row(r))
		}
		return out
	}
	return reduceAxis("SumAxis", t, axis, keep, 0, func(a, v float32) float32 { return a + v })
}

// MeanAxis averages over axis.
func MeanAxis(t *Tensor, axis int, keep bool) *Tensor {
	out := SumAxis(t, axis, keep)
	if axis < 0 {
		axis += len(t.shape)
	}
	out.ScaleInPlace(1 / float32(t.shape[axis]))
	return out
}

// MaxAxis takes the maximum over axis (NaN propagates).
func MaxAxis(t *Tensor, axis int, keep bool) *Tensor {
	return reduceAxis("MaxAxis", t, axis, keep, float32(math.Inf(-1)), func(a, v float32) float32 {
		if v > a || v != v {
			return v
		}
		return a
	})
}

// SoftmaxRows returns softmax over the last axis.
func SoftmaxRows(t *Tensor) *Tensor {
	out := t.Clone()
	for r := 0; r < out.Rows(); r++ {
		asm.Softmax(out.Row(r))
	}
	return out
}

// MaxAbsDiff returns max |a−b| over same-shaped tensors (for tests and
// checks).
func MaxAbsDiff(a, b *Tensor) float64 {
	mustSameShape("MaxAbsDiff", a, b)
	var m float64
	for i := range a.data {
		m = math.Max(m, math.Abs(float64(a.data[i]-b.data[i])))
	}
	return m
}

// binaryIntoChecked checks that dst has the broadcast shape of a and b.
func binaryIntoChecked(o binop, dst, a, b *Tensor) {
	shape, err := BroadcastShape(a.shape, b.shape)
	if err != nil {
		panic(fmt.Sprintf("tensor.%sInto: %v", opNames[o], err))
	}
	if !slices.Equal(shape, dst.shape) {
		panic(fmt.Sprintf("tensor.%sInto: dst shape %v, want %v for %v and %v", opNames[o], dst.shape, shape, a.shape, b.shape))
	}
	binaryInto(o, dst, a, b)
}

// AddInto computes dst = a + b with broadcasting; dst may alias a or b when
// it has the same shape.
func AddInto(dst, a, b *Tensor) { binaryIntoChecked(opAdd, dst, a, b) }

// SubInto computes dst = a − b with broadcasting.
func SubInto(dst, a, b *Tensor) { binaryIntoChecked(opSub, dst, a, b) }

// MulInto computes dst = a ⊙ b with broadcasting.
func MulInto(dst, a, b *Tensor) { binaryIntoChecked(opMul, dst, a, b) }

// DivInto computes dst = a / b with broadcasting.
func DivInto(dst, a, b *Tensor) { binaryIntoChecked(opDiv, dst, a, b) }

// SumToInto adds src, summed over the axes along which dst's shape was
// broadcast to src's, into dst: the reduction that the backward pass of a
// broadcasting op needs (NumPy's sum_to). dst's shape must broadcast to src's.
func SumToInto(dst, src *Tensor) {
	shape, err := BroadcastShape(dst.shape, src.shape)
	if err != nil || !slices.Equal(shape, src.shape) {
		panic(fmt.Sprintf("tensor.SumToInto: %v does not broadcast to %v", dst.shape, src.shape))
	}
	if len(dst.data) == len(src.data) {
		asm.Axpy(1, src.data, dst.data)
		return
	}
	n := len(src.shape)
	last := 1
	if n > 0 {
		last = src.shape[n-1]
	}
	if len(dst.data) == last && isRow(dst, last) { // bias-style: sum the rows
		for r := 0; r < len(src.data)/max(last, 1); r++ {
			asm.Axpy(1, src.data[r*last:(r+1)*last], dst.data)
		}
		return
	}
	sd := bstrides(dst.shape, n)
	idx := make([]int, n)
	id := 0
	for _, v := range src.data {
		dst.data[id] += v
		for d := n - 1; d >= 0; d-- {
			idx[d]++
			id += sd[d]
			if idx[d] < src.shape[d] {
				break
			}
			id -= sd[d] * idx[d]
			idx[d] = 0
		}
	}
}

// isRow reports whether t is a row vector of length last (all leading dims 1).
func isRow(t *Tensor, last int) bool {
	return len(t.shape) == 0 && last == 1 || len(t.shape) > 0 && t.shape[len(t.shape)-1] == last
}
