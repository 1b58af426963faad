package tensor

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Tensor is a dense row-major float32 array. The zero value is an empty
// scalar-less tensor; use the constructors.
type Tensor struct {
	shape []int
	data  []float32
}

// numel returns the element count of shape, panicking on negative sizes.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", slices.Clone(shape))) // clone: keep shape from escaping
		}
		n *= d
	}
	return n
}

// New returns a zero tensor of the given shape (no dims: a scalar).
func New(shape ...int) *Tensor {
	return &Tensor{shape: slices.Clone(shape), data: make([]float32, numel(shape))}
}

// FromSlice wraps data (not copied) as a tensor of the given shape. It panics
// if len(data) does not match the shape.
func FromSlice(data []float32, shape ...int) *Tensor {
	if n := numel(shape); n != len(data) {
		panic(fmt.Sprintf("tensor.FromSlice: %d values for shape %v (%d elements)", len(data), shape, n))
	}
	return &Tensor{shape: slices.Clone(shape), data: data}
}

// Scalar returns a 0-dimensional tensor holding v.
func Scalar(v float32) *Tensor { return &Tensor{data: []float32{v}} }

// Full returns a tensor filled with v.
func Full(v float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		t.data[i] = v
	}
	return t
}

// RandN returns a tensor of normal values with mean 0 and the given standard
// deviation, drawn from r.
func RandN(r *rand.Rand, std float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		t.data[i] = float32(r.NormFloat64()) * std
	}
	return t
}

// RandU returns a tensor of values uniform in [lo, hi), drawn from r.
func RandU(r *rand.Rand, lo, hi float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		t.data[i] = lo + (hi-lo)*r.Float32()
	}
	return t
}

// Shape returns the tensor's shape. The caller must not modify it.
func (t *Tensor) Shape() []int { return t.shape }

// Dims returns the number of axes.
func (t *Tensor) Dims() int { return len(t.shape) }

// Dim returns the size of axis i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	if i < 0 || i >= len(t.shape) {
		panic(fmt.Sprintf("tensor.Dim: axis %d out of range for shape %v", i, t.shape))
	}
	return t.shape[i]
}

// Len returns the number of elements.
func (t *Tensor) Len() int { return len(t.data) }

// Data returns the underlying row-major data (shared, not copied).
func (t *Tensor) Data() []float32 { return t.data }

// Item returns the single value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if len(t.data) != 1 {
		panic(fmt.Sprintf("tensor.Item: shape %v has %d elements", t.shape, len(t.data)))
	}
	return t.data[0]
}

// offset returns the flat index of idx.
func (t *Tensor) offset(idx []int) int {
	if len(idx) != len(t.shape) {
		panic(fmt.Sprintf("tensor: index %v for shape %v", idx, t.shape))
	}
	off := 0
	for i, x := range idx {
		if x < 0 || x >= t.shape[i] {
			panic(fmt.Sprintf("tensor: index %v out of range for shape %v", idx, t.shape))
		}
		off = off*t.shape[i] + x
	}
	return off
}

// At returns the element at idx.
func (t *Tensor) At(idx ...int) float32 { return t.data[t.offset(idx)] }

// Set stores v at idx.
func (t *Tensor) Set(v float32, idx ...int) { t.data[t.offset(idx)] = v }

// Reshape returns a view with a new shape sharing t's data. One size may be
// -1 and is inferred.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	s := slices.Clone(shape)
	infer, n := -1, 1
	for i, d := range s {
		if d == -1 {
			if infer >= 0 {
				panic(fmt.Sprintf("tensor.Reshape: more than one -1 in %v", s))
			}
			infer = i
			continue
		}
		if d < 0 {
			panic(fmt.Sprintf("tensor.Reshape: bad size in %v", s))
		}
		n *= d
	}
	if infer >= 0 {
		if n == 0 || len(t.data)%n != 0 {
			panic(fmt.Sprintf("tensor.Reshape: cannot reshape %v into %v", t.shape, s))
		}
		s[infer] = len(t.data) / n
		n *= s[infer]
	}
	if n != len(t.data) {
		panic(fmt.Sprintf("tensor.Reshape: cannot reshape %v (%d elements) into %v", t.shape, len(t.data), s))
	}
	return &Tensor{shape: s, data: t.data}
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{shape: slices.Clone(t.shape), data: slices.Clone(t.data)}
}

// CopyFrom copies src's values into t; the shapes must match.
func (t *Tensor) CopyFrom(src *Tensor) {
	mustSameShape("CopyFrom", t, src)
	copy(t.data, src.data)
}

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.data) }

// Row returns row i of t viewed as a matrix [rows, last dim] (shared data).
func (t *Tensor) Row(i int) []float32 {
	n := t.shape[len(t.shape)-1]
	return t.data[i*n : (i+1)*n]
}

// Rows returns the number of rows of t viewed as a matrix [rows, last dim].
func (t *Tensor) Rows() int {
	if len(t.shape) == 0 {
		return 1
	}
	n := t.shape[len(t.shape)-1]
	if n == 0 {
		return 0
	}
	return len(t.data) / n
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b *Tensor) bool { return slices.Equal(a.shape, b.shape) }

func mustSameShape(op string, a, b *Tensor) {
	if !SameShape(a, b) {
		panic(fmt.Sprintf("tensor.%s: shape mismatch %v vs %v", op, a.shape, b.shape))
	}
}

// String formats small tensors fully and large ones by shape and a prefix.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v", t.shape)
	n := min(len(t.data), 8)
	fmt.Fprintf(&b, "%v", t.data[:n])
	if n < len(t.data) {
		b.WriteString("…")
	}
	return b.String()
}
