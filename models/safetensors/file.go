package safetensors

import (
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sort"
	"unsafe"

	"github.com/llink-go/llink/internal/safeio"
)

// File is an open safetensors file. Its methods are safe for concurrent
// use; slices returned by [File.Bytes] and [File.BF16] may alias a
// read-only memory mapping and are valid only until [File.Close].
type File struct {
	name string
	r    io.ReaderAt
	f    *os.File // nil for Parse
	data []byte   // whole-file mapping, or nil
	h    *header
}

// Open opens and validates the safetensors file at path. On Unix the file
// is memory-mapped read-only; elsewhere tensors are read with ReadAt.
func Open(path string) (*File, error) {
	if err := safeio.CheckRegular(path); err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	size := st.Size()
	data, _ := mmapFile(f, size)
	var r io.ReaderAt = f
	if data != nil {
		r = bytesReaderAt(data)
	}
	h, err := readHeader(r, size, path)
	if err != nil {
		if data != nil {
			munmap(data)
		}
		f.Close()
		return nil, err
	}
	return &File{name: path, r: r, f: f, data: data, h: h}, nil
}

// Parse validates a safetensors file held by r (size bytes long) without
// memory-mapping it; name is used in error messages. Tensor data is read
// from r on demand.
func Parse(r io.ReaderAt, size int64, name string) (*File, error) {
	h, err := readHeader(r, size, name)
	if err != nil {
		return nil, err
	}
	if b, ok := r.(bytesReaderAt); ok {
		return &File{name: name, r: r, data: b, h: h}, nil
	}
	return &File{name: name, r: r, h: h}, nil
}

// ParseBytes validates a safetensors file held in memory; tensor views
// returned by [File.Bytes] and [File.BF16] alias b.
func ParseBytes(b []byte, name string) (*File, error) {
	return Parse(bytesReaderAt(b), int64(len(b)), name)
}

// Close releases the mapping and the file handle. Slices obtained from the
// file must not be used afterwards.
func (f *File) Close() error {
	var err error
	if f.f != nil {
		if f.data != nil {
			err = munmap(f.data)
		}
		if e := f.f.Close(); err == nil {
			err = e
		}
		f.f = nil
	}
	f.data = nil
	return err
}

// Name returns the path or name the file was opened with.
func (f *File) Name() string { return f.name }

// Metadata returns the "__metadata__" map (empty if absent). The caller
// must not modify it.
func (f *File) Metadata() map[string]string { return f.h.metadata }

// Names returns the tensor names in sorted order.
func (f *File) Names() []string {
	names := make([]string, len(f.h.tensors))
	for i, t := range f.h.tensors {
		names[i] = t.Name
	}
	sort.Strings(names)
	return names
}

// Tensors returns the tensor descriptions in data (offset) order.
func (f *File) Tensors() []TensorInfo {
	out := make([]TensorInfo, len(f.h.tensors))
	copy(out, f.h.tensors)
	return out
}

// Info returns the description of the named tensor.
func (f *File) Info(name string) (TensorInfo, bool) {
	i, ok := f.h.byName[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.h.tensors[i], true
}

func (f *File) lookup(name string) (TensorInfo, error) {
	t, ok := f.Info(name)
	if !ok {
		return t, fmt.Errorf("safetensors: %s: no tensor %q: %w", f.name, name, fs.ErrNotExist)
	}
	return t, nil
}

// Bytes returns the raw little-endian bytes of the named tensor. When the
// file is memory-mapped (or parsed from bytes) the slice aliases that
// memory: it is read-only and valid until Close. Otherwise it is a fresh
// copy.
func (f *File) Bytes(name string) ([]byte, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	return f.raw(t)
}

func (f *File) raw(t TensorInfo) ([]byte, error) {
	if f.data != nil {
		return f.data[t.Offset : t.Offset+t.Size : t.Offset+t.Size], nil
	}
	buf := make([]byte, t.Size)
	if _, err := f.r.ReadAt(buf, t.Offset); err != nil {
		return nil, fmt.Errorf("safetensors: %s: reading tensor %q: %w", f.name, t.Name, err)
	}
	return buf, nil
}

func (f *File) unsupported(t TensorInfo, want string) error {
	return fmt.Errorf("safetensors: %s: tensor %q has unsupported dtype %s (want %s)", f.name, t.Name, t.DType, want)
}

// Float32 returns the named F32, F16 or BF16 tensor converted to a new
// float32 slice; other dtypes are an "unsupported dtype" error, and a NaN or
// ±Inf element is an error naming the tensor ([File.Bytes] reads unchecked).
func (f *File) Float32(name string) ([]float32, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	if !t.DType.IsFloat() {
		return nil, f.unsupported(t, "F32, F16 or BF16")
	}
	out := make([]float32, t.Size/int64(t.DType.Size()))
	if f.data == nil && t.DType == F32 && littleEndian {
		// Read straight into the result: one copy of the tensor in RAM.
		b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), t.Size)
		if err := f.readInto(b, t); err != nil {
			return nil, err
		}
		if err := f.finite(t, b); err != nil {
			return nil, err
		}
		return out, nil
	}
	raw, err := f.raw(t)
	if err != nil {
		return nil, err
	}
	if err := f.finite(t, raw); err != nil {
		return nil, err
	}
	decodeFloat32(out, raw, t.DType)
	return out, nil
}

// BF16 returns the named tensor as bfloat16 bits. For a BF16 tensor in a
// memory-mapped file on a little-endian machine, with 2-byte aligned data,
// the result is a zero-copy read-only view valid until Close; otherwise it
// is a new slice (F32 and F16 tensors are rounded to nearest-even bf16). A
// NaN or ±Inf element is an error naming the tensor, as for [File.Float32].
func (f *File) BF16(name string) ([]uint16, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	if !t.DType.IsFloat() {
		return nil, f.unsupported(t, "BF16, F16 or F32")
	}
	n := t.Size / int64(t.DType.Size())
	if t.DType == BF16 && littleEndian {
		if f.data != nil {
			raw := f.data[t.Offset : t.Offset+t.Size]
			if n == 0 {
				return []uint16{}, nil
			}
			if uintptr(unsafe.Pointer(&raw[0]))%2 == 0 {
				if err := f.finite(t, raw); err != nil {
					return nil, err
				}
				return unsafe.Slice((*uint16)(unsafe.Pointer(&raw[0])), n), nil
			}
		} else {
			out := make([]uint16, n)
			b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), t.Size)
			if err := f.readInto(b, t); err != nil {
				return nil, err
			}
			if err := f.finite(t, b); err != nil {
				return nil, err
			}
			return out, nil
		}
	}
	raw, err := f.raw(t)
	if err != nil {
		return nil, err
	}
	if err := f.finite(t, raw); err != nil {
		return nil, err
	}
	out := make([]uint16, n)
	switch t.DType {
	case BF16:
		for i := range out {
			out[i] = binary.LittleEndian.Uint16(raw[2*i:])
		}
	case F16:
		for i := range out {
			out[i] = F32ToBF16(F16ToF32(binary.LittleEndian.Uint16(raw[2*i:])))
		}
	case F32:
		for i := range out {
			out[i] = F32ToBF16(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	}
	return out, nil
}

// finite refuses a tensor holding NaN or ±Inf (see [NonFiniteError]).
func (f *File) finite(t TensorInfo, raw []byte) error {
	if err := NonFiniteError(t.Name, raw, t.DType); err != nil {
		return fmt.Errorf("safetensors: %s: %w", f.name, err)
	}
	return nil
}

func (f *File) readInto(dst []byte, t TensorInfo) error {
	if len(dst) == 0 {
		return nil
	}
	if _, err := f.r.ReadAt(dst, t.Offset); err != nil {
		return fmt.Errorf("safetensors: %s: reading tensor %q: %w", f.name, t.Name, err)
	}
	return nil
}

// littleEndian reports whether the host stores integers little-endian
// (then file bytes can be viewed as []uint16 / []float32 directly).
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// bytesReaderAt is an io.ReaderAt over a byte slice.
type bytesReaderAt []byte

// ReadAt implements io.ReaderAt.
func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
