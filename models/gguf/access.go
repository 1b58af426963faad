package gguf

import (
	"encoding/binary"
	"fmt"
	"github.com/llink-go/llink/asm"
	"io/fs"
	"math"
	"unsafe"

	"github.com/llink-go/llink/models/safetensors"
)

// Keys returns the metadata keys in file order.
func (f *File) Keys() []string { return append([]string(nil), f.keys...) }

// Value returns the metadata value stored under key.
func (f *File) Value(key string) (Value, bool) {
	v, ok := f.kv[key]
	return v, ok
}

// String returns a string metadata value, e.g. general.architecture.
func (f *File) String(key string) (string, bool) { return f.kv[key].Str() }

// Uint returns an integer metadata value of any integer type, when it is
// non-negative.
func (f *File) Uint(key string) (uint64, bool) { return f.kv[key].Uint() }

// Int returns an integer metadata value of any integer type that fits in
// int64.
func (f *File) Int(key string) (int64, bool) { return f.kv[key].Int() }

// Float returns a float (or integer) metadata value as float64.
func (f *File) Float(key string) (float64, bool) { return f.kv[key].Float() }

// Bool returns a bool metadata value.
func (f *File) Bool(key string) (bool, bool) { return f.kv[key].Bool() }

// Strings returns an array-of-string metadata value, e.g.
// tokenizer.ggml.tokens or tokenizer.ggml.merges. The caller must not
// modify the slice.
func (f *File) Strings(key string) ([]string, bool) { return f.kv[key].Strings() }

// Float32s returns an array-of-float32 metadata value, e.g.
// tokenizer.ggml.scores. The caller must not modify the slice.
func (f *File) Float32s(key string) ([]float32, bool) { return f.kv[key].Float32s() }

// Int32s returns an array-of-int32 metadata value (other integer arrays
// are converted when every element fits), e.g. tokenizer.ggml.token_type.
func (f *File) Int32s(key string) ([]int32, bool) { return f.kv[key].Int32s() }

// Bytes returns an array-of-uint8/int8 metadata value, e.g.
// tokenizer.ggml.precompiled_charsmap.
func (f *File) Bytes(key string) ([]byte, bool) { return f.kv[key].Bytes() }

// Tensor returns the description of the named tensor.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	i, ok := f.byName[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Tensors[i], true
}

func (f *File) lookup(name string) (TensorInfo, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return t, fmt.Errorf("gguf: %s: no tensor %q: %w", f.name, name, fs.ErrNotExist)
	}
	return t, nil
}

// ReadRaw returns a new copy of the named tensor's bytes, whatever its
// type (quantised blocks included).
func (f *File) ReadRaw(name string) ([]byte, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	if t.Size < 0 {
		return nil, fmt.Errorf("gguf: %s: tensor %q has unknown type %s", f.name, name, t.Type)
	}
	buf := make([]byte, t.Size)
	if err := f.readInto(buf, t); err != nil {
		return nil, err
	}
	return buf, nil
}

func (f *File) readInto(buf []byte, t TensorInfo) error {
	if len(buf) == 0 {
		return nil
	}
	n, err := f.r.ReadAt(buf, f.DataOffset+int64(t.Offset))
	if n == len(buf) {
		return nil
	}
	return fmt.Errorf("gguf: %s: reading tensor %q: %w", f.name, t.Name, err)
}

func (f *File) checkFloat(t TensorInfo) error {
	switch {
	case t.Type == F32 || t.Type == F16 || t.Type == BF16 || blockType(t.Type) != 0:
		return nil
	case t.Type.Quantised():
		return fmt.Errorf("gguf: %s: tensor %q: quantised type %s not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)", f.name, t.Name, t.Type)
	}
	return fmt.Errorf("gguf: %s: tensor %q: type %s not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)", f.name, t.Name, t.Type)
}

// blockType is the asm block format of a quantised type llink multiplies
// directly, or 0.
func blockType(t TensorType) asm.QType {
	switch t {
	case Q8_0:
		return asm.Q8_0
	case Q4_0:
		return asm.Q4_0
	case Q4_K:
		return asm.Q4_K
	case Q6_K:
		return asm.Q6_K
	}
	return 0
}

// ReadQuantised reads the named Q8_0, Q4_0, Q4_K or Q6_K tensor as an
// [asm.QMatrix] over a new copy of its blocks (rows = the product of all
// dimensions but the first; the first, the row length, is a multiple of the
// block by the format). A block whose scale is NaN or ±Inf is an error
// naming the tensor.
func (f *File) ReadQuantised(name string) (*asm.QMatrix, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	qt := blockType(t.Type)
	if qt == 0 || len(t.Dims) == 0 {
		return nil, fmt.Errorf("gguf: %s: tensor %q: type %s is not Q8_0, Q4_0, Q4_K or Q6_K", f.name, name, t.Type)
	}
	raw, err := f.ReadRaw(name)
	if err != nil {
		return nil, err
	}
	if err := f.finiteScales(t, qt, raw); err != nil {
		return nil, err
	}
	cols := int(t.Dims[0])
	rows := int(t.NumElements()) / max(cols, 1)
	m, err := asm.NewQMatrix(qt, rows, cols, raw)
	if err != nil {
		return nil, fmt.Errorf("gguf: %s: tensor %q: %w", f.name, name, err)
	}
	return m, nil
}

// finiteScales refuses quantised blocks whose f16 scales are NaN or ±Inf
// (the first two bytes; Q4_K's d and dmin; Q6_K's d at its end).
func (f *File) finiteScales(t TensorInfo, qt asm.QType, raw []byte) error {
	bb := qt.BlockBytes()
	offs := []int{0}
	switch qt {
	case asm.Q4_K:
		offs = []int{0, 2}
	case asm.Q6_K:
		offs = []int{208}
	}
	for b := 0; b+bb <= len(raw); b += bb {
		for _, o := range offs {
			if binary.LittleEndian.Uint16(raw[b+o:])&0x7c00 == 0x7c00 {
				return fmt.Errorf("gguf: %s: tensor %q: block %d has a non-finite scale", f.name, t.Name, b/bb)
			}
		}
	}
	return nil
}

// finite refuses a tensor holding NaN or ±Inf, naming it.
func (f *File) finite(t TensorInfo, raw []byte) error {
	d := safetensors.F32
	switch t.Type {
	case F16:
		d = safetensors.F16
	case BF16:
		d = safetensors.BF16
	}
	if err := safetensors.NonFiniteError(t.Name, raw, d); err != nil {
		return fmt.Errorf("gguf: %s: %w", f.name, err)
	}
	return nil
}

// ReadFloat32 reads the named F32, F16, BF16 or block-quantised tensor
// (Q8_0, Q4_0, Q4_K, Q6_K) into a
// new float32 slice (in file order: Dims[0] fastest, i.e. row-major for
// Shape()), dequantising quantised blocks. A NaN or ±Inf element (or block
// scale) is an error naming the tensor ([File.ReadRaw] reads unchecked).
func (f *File) ReadFloat32(name string) ([]float32, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	if err := f.checkFloat(t); err != nil {
		return nil, err
	}
	n := t.NumElements()
	out := make([]float32, n)
	if t.Type == F32 && littleEndian {
		if err := f.readInto(asBytes(out), t); err != nil {
			return nil, err
		}
		return out, f.finite(t, asBytes(out))
	}
	if qt := blockType(t.Type); qt != 0 {
		q, err := f.ReadQuantised(name)
		if err != nil {
			return nil, err
		}
		asm.Dequantize(qt, out, q.Blocks)
		return out, nil
	}
	raw, err := f.ReadRaw(name)
	if err != nil {
		return nil, err
	}
	if err := f.finite(t, raw); err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	switch t.Type {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case F16:
		for i := range out {
			out[i] = safetensors.F16ToF32(le.Uint16(raw[2*i:]))
		}
	case BF16:
		for i := range out {
			out[i] = safetensors.BF16ToF32(le.Uint16(raw[2*i:]))
		}
	}
	return out, nil
}

// ReadBF16 reads the named tensor as bfloat16 bits into a new slice: BF16
// data as stored, F32 and F16 rounded to nearest-even bf16; NaN or ±Inf is
// an error naming the tensor, as for [File.ReadFloat32].
func (f *File) ReadBF16(name string) ([]uint16, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	if err := f.checkFloat(t); err != nil {
		return nil, err
	}
	out := make([]uint16, t.NumElements())
	if t.Type == BF16 {
		if littleEndian {
			b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), 2*len(out))
			if err := f.readInto(b, t); err != nil {
				return nil, err
			}
			return out, f.finite(t, b)
		}
		raw, err := f.ReadRaw(name)
		if err != nil {
			return nil, err
		}
		if err := f.finite(t, raw); err != nil {
			return nil, err
		}
		for i := range out {
			out[i] = binary.LittleEndian.Uint16(raw[2*i:])
		}
		return out, nil
	}
	v, err := f.ReadFloat32(name)
	if err != nil {
		return nil, err
	}
	for i, x := range v {
		out[i] = safetensors.F32ToBF16(x)
	}
	return out, nil
}

func asBytes(s []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), 4*len(s))
}

var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()
