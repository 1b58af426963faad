package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"github.com/llink-go/llink/asm"
	"io"
	"math"

	"github.com/llink-go/llink/internal/safeio"
	"github.com/llink-go/llink/models/safetensors"
)

// Writer builds a GGUF file: metadata in the order it is set, then tensors
// in the order they are added, each aligned to general.alignment (default
// 32). Use [Writer.WriteTo] or [Writer.WriteFile].
type Writer struct {
	// Version is the GGUF version written (3 by default; 2 is also valid
	// and has the same layout).
	Version uint32

	keys    []string
	vals    map[string]Value
	tensors []wTensor
	names   map[string]bool
}

type wTensor struct {
	info TensorInfo
	data []byte
}

// NewWriter returns an empty GGUF v3 writer.
func NewWriter() *Writer {
	return &Writer{Version: 3, vals: map[string]Value{}, names: map[string]bool{}}
}

// Set stores a metadata value; setting an existing key replaces its value
// and keeps its position.
func (w *Writer) Set(key string, v Value) {
	if _, ok := w.vals[key]; !ok {
		w.keys = append(w.keys, key)
	}
	w.vals[key] = v
}

// AddTensor adds a tensor with dims in ggml order (Dims[0] fastest) and
// its raw little-endian data. The type may be quantised (data is then
// opaque blocks) but must be known, and len(data) must match.
func (w *Writer) AddTensor(name string, typ TensorType, dims []uint64, data []byte) error {
	if w.names[name] {
		return fmt.Errorf("gguf: duplicate tensor name %q", name)
	}
	ti, ok := tensorTypes[typ]
	if !ok {
		return fmt.Errorf("gguf: tensor %q: unknown type %s", name, typ)
	}
	if len(dims) > maxDims {
		return fmt.Errorf("gguf: tensor %q: %d dimensions, at most %d allowed", name, len(dims), maxDims)
	}
	n := uint64(1)
	for _, d := range dims {
		if d != 0 && n > math.MaxInt64/d {
			return fmt.Errorf("gguf: tensor %q: dimensions %v overflow", name, dims)
		}
		n *= d
	}
	if len(dims) > 0 && dims[0]%ti.block != 0 {
		return fmt.Errorf("gguf: tensor %q: first dimension %d is not a multiple of the %s block size %d", name, dims[0], typ, ti.block)
	}
	if want := n / ti.block * ti.bytes; uint64(len(data)) != want {
		return fmt.Errorf("gguf: tensor %q: %s dims %v need %d bytes, data has %d", name, typ, dims, want, len(data))
	}
	w.names[name] = true
	w.tensors = append(w.tensors, wTensor{TensorInfo{Name: name, Dims: append([]uint64(nil), dims...), Type: typ, Size: int64(len(data))}, data})
	return nil
}

// AddFloat32 adds a tensor given its row-major shape (PyTorch order) and
// float32 values, stored as typ (F32, F16 or BF16; rounded to nearest-even).
//
// Q8_0 and Q4_0 quantise each run of 32 values of a row as llama.cpp's
// reference quantiser does, Q4_K and Q6_K each run of 256 with a plain
// min/max fit ([asm.Quantize]).
func (w *Writer) AddFloat32(name string, shape []int, data []float32, typ TensorType) error {
	dims := make([]uint64, len(shape))
	for i, s := range shape {
		if s < 0 {
			return fmt.Errorf("gguf: tensor %q: negative dimension in shape %v", name, shape)
		}
		dims[len(shape)-1-i] = uint64(s)
	}
	var b []byte
	le := binary.LittleEndian
	switch typ {
	case F32:
		b = make([]byte, 4*len(data))
		for i, x := range data {
			le.PutUint32(b[4*i:], math.Float32bits(x))
		}
	case F16:
		b = make([]byte, 2*len(data))
		for i, x := range data {
			le.PutUint16(b[2*i:], safetensors.F32ToF16(x))
		}
	case BF16:
		b = make([]byte, 2*len(data))
		for i, x := range data {
			le.PutUint16(b[2*i:], safetensors.F32ToBF16(x))
		}
	case Q8_0, Q4_0, Q4_K, Q6_K:
		qt := blockType(typ)
		if bw := qt.BlockWeights(); len(shape) == 0 || shape[len(shape)-1]%bw != 0 {
			return fmt.Errorf("gguf: tensor %q: %s needs rows of a multiple of %d values, shape %v", name, typ, bw, shape)
		}
		b = make([]byte, len(data)/qt.BlockWeights()*qt.BlockBytes())
		asm.Quantize(qt, b, data)
	default:
		return fmt.Errorf("gguf: tensor %q: AddFloat32 supports F32, F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K, not %s", name, typ)
	}
	return w.AddTensor(name, typ, dims, b)
}

func (w *Writer) alignment() (uint64, error) {
	v, ok := w.vals["general.alignment"]
	if !ok {
		return DefaultAlignment, nil
	}
	a, ok := v.Uint()
	if !ok || a == 0 || a&(a-1) != 0 || a > 1<<30 {
		return 0, fmt.Errorf("gguf: general.alignment %v must be a power of two", v)
	}
	return a, nil
}

// counter counts bytes written.
type counter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (c *counter) write(b []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.err = err
}

func (c *counter) u32(x uint32) { c.write(binary.LittleEndian.AppendUint32(nil, x)) }
func (c *counter) u64(x uint64) { c.write(binary.LittleEndian.AppendUint64(nil, x)) }
func (c *counter) str(s string) { c.u64(uint64(len(s))); c.write([]byte(s)) }

// WriteTo writes the file to out.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	align, err := w.alignment()
	if err != nil {
		return 0, err
	}
	if w.Version != 2 && w.Version != 3 {
		return 0, fmt.Errorf("gguf: cannot write version %d (only 2 and 3)", w.Version)
	}
	c := &counter{w: bufio.NewWriterSize(out, 1<<20)}
	c.write([]byte(Magic))
	c.u32(w.Version)
	c.u64(uint64(len(w.tensors)))
	c.u64(uint64(len(w.keys)))
	for _, k := range w.keys {
		c.str(k)
		v := w.vals[k]
		c.u32(uint32(v.typ))
		if err := c.value(v); err != nil {
			return c.n, fmt.Errorf("gguf: metadata key %q: %w", k, err)
		}
	}
	var off uint64
	for i := range w.tensors {
		t := &w.tensors[i]
		t.info.Offset = off
		off += uint64(t.info.Size)
		off += (align - off%align) % align
		c.str(t.info.Name)
		c.u32(uint32(len(t.info.Dims)))
		for _, d := range t.info.Dims {
			c.u64(d)
		}
		c.u32(uint32(t.info.Type))
		c.u64(t.info.Offset)
	}
	if len(w.tensors) > 0 {
		c.write(make([]byte, (align-uint64(c.n)%align)%align))
		for _, t := range w.tensors {
			c.write(t.data)
			c.write(make([]byte, (align-uint64(t.info.Size)%align)%align))
		}
	}
	if c.err == nil {
		c.err = c.w.Flush()
	}
	if c.err != nil {
		return c.n, fmt.Errorf("gguf: %w", c.err)
	}
	return c.n, nil
}

func (c *counter) value(v Value) error {
	switch v.typ {
	case TypeArray:
		c.u32(uint32(v.elem))
		c.u64(uint64(v.Len()))
		if v.elem == TypeArray {
			for _, x := range v.v.([]Value) {
				if x.typ != TypeArray {
					return fmt.Errorf("array of arrays holds a %s", x.typ)
				}
				if err := c.value(x); err != nil {
					return err
				}
			}
			return nil
		}
		n := v.Len()
		for i := 0; i < n; i++ {
			if err := c.value(v.index(i)); err != nil {
				return err
			}
		}
		return nil
	case TypeString:
		c.str(v.v.(string))
		return nil
	}
	var b []byte
	le := binary.LittleEndian
	switch x := v.v.(type) {
	case uint8:
		b = []byte{x}
	case int8:
		b = []byte{byte(x)}
	case bool:
		b = []byte{0}
		if x {
			b[0] = 1
		}
	case uint16:
		b = le.AppendUint16(nil, x)
	case int16:
		b = le.AppendUint16(nil, uint16(x))
	case uint32:
		b = le.AppendUint32(nil, x)
	case int32:
		b = le.AppendUint32(nil, uint32(x))
	case float32:
		b = le.AppendUint32(nil, math.Float32bits(x))
	case uint64:
		b = le.AppendUint64(nil, x)
	case int64:
		b = le.AppendUint64(nil, uint64(x))
	case float64:
		b = le.AppendUint64(nil, math.Float64bits(x))
	default:
		return fmt.Errorf("invalid value of type %s", v.typ)
	}
	c.write(b)
	return nil
}

// WriteFile writes the file to path atomically (temporary file in the same
// directory, fsync, rename; leftovers of a killed earlier write of path are
// removed first — see internal/safeio).
func (w *Writer) WriteFile(path string) error {
	f, err := safeio.Create(path, 0o644)
	if err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	defer f.Abort()
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.WriteTo(bw); err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("gguf: writing %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	return nil
}
