package gguf

import (
	"fmt"
	"math"
	"strings"
)

// Value is a typed metadata value: a scalar, a string, or an array
// (possibly of arrays). The zero Value is invalid.
type Value struct {
	typ  ValueType
	elem ValueType // element type of an array
	v    any       // native Go scalar or slice; []Value for arrays of arrays
}

// Type returns the value's type.
func (v Value) Type() ValueType { return v.typ }

// ElemType returns the element type of an array value.
func (v Value) ElemType() ValueType { return v.elem }

// Any returns the value as a Go value: uint8 … float64, bool, string for
// scalars, and []uint8 … []float64, []bool, []string or []Value for arrays.
func (v Value) Any() any { return v.v }

// Len returns the number of elements of an array value (0 otherwise).
func (v Value) Len() int {
	switch a := v.v.(type) {
	case []uint8:
		return len(a)
	case []int8:
		return len(a)
	case []uint16:
		return len(a)
	case []int16:
		return len(a)
	case []uint32:
		return len(a)
	case []int32:
		return len(a)
	case []float32:
		return len(a)
	case []bool:
		return len(a)
	case []string:
		return len(a)
	case []uint64:
		return len(a)
	case []int64:
		return len(a)
	case []float64:
		return len(a)
	case []Value:
		return len(a)
	}
	return 0
}

// Int returns an integer scalar as int64 (false if not an integer or out
// of range).
func (v Value) Int() (int64, bool) {
	switch x := v.v.(type) {
	case uint8:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// Uint returns a non-negative integer scalar of any integer type as
// uint64.
func (v Value) Uint() (uint64, bool) {
	if x, ok := v.v.(uint64); ok {
		return x, true
	}
	i, ok := v.Int()
	if !ok || i < 0 {
		return 0, false
	}
	return uint64(i), true
}

// Float returns a float or integer scalar as float64.
func (v Value) Float() (float64, bool) {
	switch x := v.v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case uint64:
		return float64(x), true
	}
	if i, ok := v.Int(); ok {
		return float64(i), true
	}
	return 0, false
}

// Bool returns a bool scalar.
func (v Value) Bool() (bool, bool) {
	b, ok := v.v.(bool)
	return b, ok
}

// Str returns a string scalar.
func (v Value) Str() (string, bool) {
	s, ok := v.v.(string)
	return s, ok
}

// Strings returns an array of strings. The caller must not modify it.
func (v Value) Strings() ([]string, bool) {
	s, ok := v.v.([]string)
	return s, ok
}

// Float32s returns an array of float32 (the caller must not modify it);
// arrays of float64 are converted.
func (v Value) Float32s() ([]float32, bool) {
	switch a := v.v.(type) {
	case []float32:
		return a, true
	case []float64:
		out := make([]float32, len(a))
		for i, x := range a {
			out[i] = float32(x)
		}
		return out, true
	}
	return nil, false
}

// Int32s returns an array of int32 (the caller must not modify it); arrays
// of other integer types are converted when every element fits in int32.
func (v Value) Int32s() ([]int32, bool) {
	if a, ok := v.v.([]int32); ok {
		return a, true
	}
	if v.typ != TypeArray || !v.elem.isInt() {
		return nil, false
	}
	n := v.Len()
	out := make([]int32, n)
	for i := 0; i < n; i++ {
		x, ok := v.intAt(i)
		if !ok || x < math.MinInt32 || x > math.MaxInt32 {
			return nil, false
		}
		out[i] = int32(x)
	}
	return out, true
}

// intAt returns element i of an integer array.
func (v Value) intAt(i int) (int64, bool) {
	switch a := v.v.(type) {
	case []uint8:
		return int64(a[i]), true
	case []int8:
		return int64(a[i]), true
	case []uint16:
		return int64(a[i]), true
	case []int16:
		return int64(a[i]), true
	case []uint32:
		return int64(a[i]), true
	case []int32:
		return int64(a[i]), true
	case []uint64:
		if a[i] > math.MaxInt64 {
			return 0, false
		}
		return int64(a[i]), true
	case []int64:
		return a[i], true
	}
	return 0, false
}

// Bytes returns an array of uint8 or int8 as bytes (e.g.
// tokenizer.ggml.precompiled_charsmap). The caller must not modify it.
func (v Value) Bytes() ([]byte, bool) {
	switch a := v.v.(type) {
	case []uint8:
		return a, true
	case []int8:
		out := make([]byte, len(a))
		for i, x := range a {
			out[i] = byte(x)
		}
		return out, true
	}
	return nil, false
}

// Array returns the elements of an array value as Values.
func (v Value) Array() ([]Value, bool) {
	if v.typ != TypeArray {
		return nil, false
	}
	if a, ok := v.v.([]Value); ok {
		return a, true
	}
	n := v.Len()
	out := make([]Value, n)
	for i := range out {
		out[i] = v.index(i)
	}
	return out, true
}

func (v Value) index(i int) Value {
	var x any
	switch a := v.v.(type) {
	case []uint8:
		x = a[i]
	case []int8:
		x = a[i]
	case []uint16:
		x = a[i]
	case []int16:
		x = a[i]
	case []uint32:
		x = a[i]
	case []int32:
		x = a[i]
	case []float32:
		x = a[i]
	case []bool:
		x = a[i]
	case []string:
		x = a[i]
	case []uint64:
		x = a[i]
	case []int64:
		x = a[i]
	case []float64:
		x = a[i]
	case []Value:
		return a[i]
	}
	return Value{typ: v.elem, v: x}
}

// String renders the value for display; long arrays are abbreviated.
func (v Value) String() string {
	if v.typ == TypeArray {
		n := v.Len()
		var b strings.Builder
		fmt.Fprintf(&b, "[%s×%d:", v.elem, n)
		for i := 0; i < n && i < 8; i++ {
			b.WriteByte(' ')
			b.WriteString(v.index(i).String())
		}
		if n > 8 {
			b.WriteString(" …")
		}
		b.WriteByte(']')
		return b.String()
	}
	if s, ok := v.v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v.v)
}

// Constructors, for the Writer.

// NewUint8 returns a uint8 value.
func NewUint8(x uint8) Value { return Value{typ: TypeUint8, v: x} }

// NewInt8 returns an int8 value.
func NewInt8(x int8) Value { return Value{typ: TypeInt8, v: x} }

// NewUint16 returns a uint16 value.
func NewUint16(x uint16) Value { return Value{typ: TypeUint16, v: x} }

// NewInt16 returns an int16 value.
func NewInt16(x int16) Value { return Value{typ: TypeInt16, v: x} }

// NewUint32 returns a uint32 value.
func NewUint32(x uint32) Value { return Value{typ: TypeUint32, v: x} }

// NewInt32 returns an int32 value.
func NewInt32(x int32) Value { return Value{typ: TypeInt32, v: x} }

// NewUint64 returns a uint64 value.
func NewUint64(x uint64) Value { return Value{typ: TypeUint64, v: x} }

// NewInt64 returns an int64 value.
func NewInt64(x int64) Value { return Value{typ: TypeInt64, v: x} }

// NewFloat32 returns a float32 value.
func NewFloat32(x float32) Value { return Value{typ: TypeFloat32, v: x} }

// NewFloat64 returns a float64 value.
func NewFloat64(x float64) Value { return Value{typ: TypeFloat64, v: x} }

// NewBool returns a bool value.
func NewBool(x bool) Value { return Value{typ: TypeBool, v: x} }

// NewString returns a string value.
func NewString(s string) Value { return Value{typ: TypeString, v: s} }

// NewStrings returns an array of strings.
func NewStrings(s []string) Value { return Value{typ: TypeArray, elem: TypeString, v: s} }

// NewFloat32s returns an array of float32.
func NewFloat32s(x []float32) Value { return Value{typ: TypeArray, elem: TypeFloat32, v: x} }

// NewInt32s returns an array of int32.
func NewInt32s(x []int32) Value { return Value{typ: TypeArray, elem: TypeInt32, v: x} }

// NewUint32s returns an array of uint32.
func NewUint32s(x []uint32) Value { return Value{typ: TypeArray, elem: TypeUint32, v: x} }

// NewInt64s returns an array of int64.
func NewInt64s(x []int64) Value { return Value{typ: TypeArray, elem: TypeInt64, v: x} }

// NewBytes returns an array of uint8.
func NewBytes(b []byte) Value { return Value{typ: TypeArray, elem: TypeUint8, v: b} }

// NewArray returns an array of the given values, which must all be
// scalars or strings of type elem, or all arrays (elem = TypeArray).
func NewArray(elem ValueType, vals []Value) (Value, error) {
	for i, x := range vals {
		if x.typ != elem {
			return Value{}, fmt.Errorf("gguf: array element %d has type %s, want %s", i, x.typ, elem)
		}
	}
	if elem == TypeArray {
		return Value{typ: TypeArray, elem: TypeArray, v: append([]Value(nil), vals...)}, nil
	}
	var out any
	switch elem {
	case TypeUint8:
		out = collect[uint8](vals)
	case TypeInt8:
		out = collect[int8](vals)
	case TypeUint16:
		out = collect[uint16](vals)
	case TypeInt16:
		out = collect[int16](vals)
	case TypeUint32:
		out = collect[uint32](vals)
	case TypeInt32:
		out = collect[int32](vals)
	case TypeFloat32:
		out = collect[float32](vals)
	case TypeBool:
		out = collect[bool](vals)
	case TypeString:
		out = collect[string](vals)
	case TypeUint64:
		out = collect[uint64](vals)
	case TypeInt64:
		out = collect[int64](vals)
	case TypeFloat64:
		out = collect[float64](vals)
	default:
		return Value{}, fmt.Errorf("gguf: invalid array element type %s", elem)
	}
	return Value{typ: TypeArray, elem: elem, v: out}, nil
}

func collect[T any](vals []Value) []T {
	out := make([]T, len(vals))
	for i, x := range vals {
		out[i] = x.v.(T)
	}
	return out
}
