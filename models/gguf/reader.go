package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/llink-go/llink/internal/safeio"
)

// Magic is the first four bytes of a GGUF file.
const Magic = "GGUF"

// DefaultAlignment is the tensor data alignment when general.alignment is
// absent.
const DefaultAlignment = 32

// Limits that keep a hostile file from causing deep recursion.
const (
	maxDims       = 4  // GGML_MAX_DIMS
	maxArrayDepth = 32 // nesting of arrays of arrays
	// prealloc caps capacity reserved up front from a count read from the
	// file; longer lists grow as their elements are actually read.
	prealloc = 1 << 16
)

// TensorInfo describes one tensor of a GGUF file.
type TensorInfo struct {
	// Name is the tensor's name, e.g. "blk.0.attn_q.weight".
	Name string
	// Dims are the dimensions in ggml order: Dims[0] varies fastest.
	Dims []uint64
	// Type is the element type.
	Type TensorType
	// Offset is the byte offset of the data relative to the start of the
	// data section ([File.DataOffset]).
	Offset uint64
	// Size is the data's length in bytes, or -1 for a type this package
	// does not know.
	Size int64
}

// Shape returns the row-major shape (the reverse of Dims), as used by
// PyTorch and safetensors.
func (t TensorInfo) Shape() []int {
	s := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		s[len(s)-1-i] = int(d)
	}
	return s
}

// NumElements returns the product of the dimensions.
func (t TensorInfo) NumElements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// File is a parsed GGUF file: its metadata and tensor descriptions. Tensor
// data is read on demand from the underlying reader.
type File struct {
	// Version is the GGUF version (2 or 3).
	Version uint32
	// Tensors are the tensor descriptions in file order.
	Tensors []TensorInfo
	// Alignment is the data alignment (general.alignment, default 32).
	Alignment uint64
	// DataOffset is the absolute file offset of the tensor data section.
	DataOffset int64

	name   string
	r      io.ReaderAt
	size   int64
	closer io.Closer
	keys   []string
	kv     map[string]Value
	byName map[string]int
}

// Open opens and parses the GGUF file at path. Close releases it.
func Open(path string) (*File, error) {
	if err := safeio.CheckRegular(path); err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("gguf: %w", err)
	}
	f, err := parse(fh, st.Size(), path)
	if err != nil {
		fh.Close()
		return nil, err
	}
	f.closer = fh
	return f, nil
}

// Parse parses a GGUF file of size bytes held by r. Tensor data is read
// from r on demand, so r must stay usable while the File is. If r has a
// Name() string method (like *os.File), error messages use that name.
func Parse(r io.ReaderAt, size int64) (*File, error) {
	name := "(gguf input)"
	if n, ok := r.(interface{ Name() string }); ok {
		name = n.Name()
	}
	return parse(r, size, name)
}

// Close closes the file opened by Open (a no-op for Parse).
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer = nil
	return err
}

// Name returns the path or name the file was parsed from.
func (f *File) Name() string { return f.name }

// cursor reads little-endian values through a window buffer, bounding
// every read by the file size.
type cursor struct {
	r      io.ReaderAt
	size   int64
	off    int64
	buf    []byte
	bufOff int64
}

const windowSize = 64 << 10

var errTruncated = errors.New("unexpected end of file")

// take returns the next n bytes; the slice is valid until the next call.
func (c *cursor) take(n int64) ([]byte, error) {
	if n < 0 || n > c.size-c.off {
		return nil, fmt.Errorf("need %d bytes at offset %d but the file has %d: %w", n, c.off, c.size, errTruncated)
	}
	if c.off >= c.bufOff && c.off+n <= c.bufOff+int64(len(c.buf)) {
		b := c.buf[c.off-c.bufOff : c.off-c.bufOff+n]
		c.off += n
		return b, nil
	}
	if n > windowSize {
		b := make([]byte, n) // n is bounded by the bytes left in the file
		if err := c.readAt(b, c.off); err != nil {
			return nil, err
		}
		c.off += n
		return b, nil
	}
	w := min(int64(windowSize), c.size-c.off)
	if c.buf == nil {
		c.buf = make([]byte, 0, windowSize)
	}
	c.buf = c.buf[:w]
	if err := c.readAt(c.buf, c.off); err != nil {
		c.buf = c.buf[:0]
		return nil, err
	}
	c.bufOff = c.off
	c.off += n
	return c.buf[:n], nil
}

func (c *cursor) readAt(b []byte, off int64) error {
	n, err := c.r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading %d bytes at offset %d: %w", len(b), off, err)
}

func (c *cursor) u32() (uint32, error) {
	b, err := c.take(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (c *cursor) u64() (uint64, error) {
	b, err := c.take(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (c *cursor) str() (string, error) {
	n, err := c.u64()
	if err != nil {
		return "", err
	}
	if n > uint64(c.size-c.off) {
		return "", fmt.Errorf("string length %d exceeds the %d bytes left in the file", n, c.size-c.off)
	}
	b, err := c.take(int64(n))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// count reads an element count and checks that count elements of at least
// minSize bytes each fit in the rest of the file.
func (c *cursor) count(minSize int64, what string) (int, error) {
	n, err := c.u64()
	if err != nil {
		return 0, err
	}
	left := uint64(c.size - c.off)
	if minSize > 0 && n > left/uint64(minSize) {
		return 0, fmt.Errorf("%s %d cannot fit in the %d bytes left in the file", what, n, left)
	}
	return int(n), nil
}

func parse(r io.ReaderAt, size int64, name string) (*File, error) {
	fail := func(format string, args ...any) (*File, error) {
		return nil, fmt.Errorf("gguf: %s: "+format, append([]any{name}, args...)...)
	}
	if size < 24 {
		return fail("file is %d bytes, too short for a GGUF header", size)
	}
	c := &cursor{r: r, size: size}
	magic, err := c.take(4)
	if err != nil {
		return fail("%w", err)
	}
	if string(magic) != Magic {
		return fail("bad magic %q, want %q (not a GGUF file)", magic, Magic)
	}
	version, _ := c.u32()
	switch {
	case version == 2 || version == 3:
	case version == 1:
		return fail("GGUF version 1 is not supported (only 2 and 3)")
	case version&0xffff == 0 && version != 0:
		return fail("big-endian GGUF files are not supported (version field %#x)", version)
	default:
		return fail("unsupported GGUF version %d (only 2 and 3)", version)
	}
	f := &File{Version: version, name: name, r: r, size: size, kv: map[string]Value{}, byName: map[string]int{}, Alignment: DefaultAlignment}
	nTensors, err := c.count(24, "tensor count")
	if err != nil {
		return fail("header: %w", err)
	}
	nKV, err := c.count(13, "metadata count")
	if err != nil {
		return fail("header: %w", err)
	}
	for i := 0; i < nKV; i++ {
		key, err := c.str()
		if err != nil {
			return fail("metadata entry %d: key: %w", i, err)
		}
		if _, dup := f.kv[key]; dup {
			return fail("duplicate metadata key %q", key)
		}
		t, err := c.u32()
		if err != nil {
			return fail("metadata key %q: type: %w", key, err)
		}
		v, err := c.value(ValueType(t), 0)
		if err != nil {
			return fail("metadata key %q: %w", key, err)
		}
		f.keys = append(f.keys, key)
		f.kv[key] = v
	}
	if v, ok := f.kv["general.alignment"]; ok {
		a, ok := v.Uint()
		if !ok || a == 0 || a&(a-1) != 0 || a > 1<<30 {
			return fail("metadata key %q: alignment %v must be a power of two", "general.alignment", v)
		}
		f.Alignment = a
	}
	f.Tensors = make([]TensorInfo, 0, min(nTensors, prealloc))
	for i := 0; i < nTensors; i++ {
		t, err := c.tensorInfo()
		if err != nil {
			if t.Name != "" {
				return fail("tensor %q: %w", t.Name, err)
			}
			return fail("tensor info %d: %w", i, err)
		}
		if _, dup := f.byName[t.Name]; dup {
			return fail("duplicate tensor name %q", t.Name)
		}
		if t.Offset%f.Alignment != 0 {
			return fail("tensor %q: offset %d is not a multiple of the alignment %d", t.Name, t.Offset, f.Alignment)
		}
		f.byName[t.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
	}
	pad := (f.Alignment - uint64(c.off)%f.Alignment) % f.Alignment
	f.DataOffset = c.off + int64(pad)
	if len(f.Tensors) > 0 && f.DataOffset > size {
		return fail("tensor data section starts at %d, past the end of the file (%d bytes)", f.DataOffset, size)
	}
	// Every tensor within the file, none overlapping.
	dataLen := uint64(max(size-f.DataOffset, 0))
	order := make([]int, len(f.Tensors))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return f.Tensors[order[a]].Offset < f.Tensors[order[b]].Offset })
	var end uint64
	prev := -1
	for _, i := range order {
		t := f.Tensors[i]
		sz := uint64(max(t.Size, 0))
		if t.Offset > dataLen || sz > dataLen-t.Offset {
			return fail("tensor %q: data [%d,%d) past the end of the data section (%d bytes; truncated file?)", t.Name, t.Offset, t.Offset+sz, dataLen)
		}
		if prev >= 0 && t.Offset < end {
			return fail("tensor %q: data at offset %d overlaps tensor %q (which ends at %d)", t.Name, t.Offset, f.Tensors[prev].Name, end)
		}
		if t.Offset+sz > end || prev < 0 {
			end, prev = t.Offset+sz, i
		}
	}
	return f, nil
}

func (c *cursor) tensorInfo() (TensorInfo, error) {
	var t TensorInfo
	name, err := c.str()
	if err != nil {
		return t, fmt.Errorf("name: %w", err)
	}
	t.Name = name
	nd, err := c.u32()
	if err != nil {
		return t, err
	}
	if nd > maxDims {
		return t, fmt.Errorf("%d dimensions, at most %d allowed", nd, maxDims)
	}
	t.Dims = make([]uint64, nd)
	numel := uint64(1)
	overflow, zero := false, false
	for i := range t.Dims {
		d, err := c.u64()
		if err != nil {
			return t, err
		}
		if d > math.MaxInt64 {
			return t, fmt.Errorf("dimension %d is %d, too large", i, d)
		}
		t.Dims[i] = d
		zero = zero || d == 0
		if d != 0 && numel > math.MaxInt64/d {
			overflow = true
		}
		numel *= d
	}
	if zero {
		numel = 0
	}
	if overflow && !zero {
		return t, fmt.Errorf("dimensions %v overflow", t.Dims)
	}
	typ, err := c.u32()
	if err != nil {
		return t, err
	}
	t.Type = TensorType(typ)
	if t.Offset, err = c.u64(); err != nil {
		return t, err
	}
	t.Size = -1
	if ti, ok := tensorTypes[t.Type]; ok {
		if len(t.Dims) > 0 && t.Dims[0]%ti.block != 0 {
			return t, fmt.Errorf("first dimension %d of a %s tensor is not a multiple of its block size %d", t.Dims[0], t.Type, ti.block)
		}
		blocks := numel / ti.block
		if blocks > math.MaxInt64/ti.bytes {
			return t, fmt.Errorf("dimensions %v of %s overflow", t.Dims, t.Type)
		}
		t.Size = int64(blocks * ti.bytes)
	}
	return t, nil
}

// value reads a value of type t.
func (c *cursor) value(t ValueType, depth int) (Value, error) {
	if t == TypeArray {
		return c.array(depth)
	}
	v := Value{typ: t}
	if t == TypeString {
		s, err := c.str()
		if err != nil {
			return v, err
		}
		v.v = s
		return v, nil
	}
	sz := t.minSize()
	if sz == 0 {
		return v, fmt.Errorf("invalid value type %d", uint32(t))
	}
	b, err := c.take(sz)
	if err != nil {
		return v, err
	}
	switch t {
	case TypeUint8:
		v.v = b[0]
	case TypeInt8:
		v.v = int8(b[0])
	case TypeUint16:
		v.v = binary.LittleEndian.Uint16(b)
	case TypeInt16:
		v.v = int16(binary.LittleEndian.Uint16(b))
	case TypeUint32:
		v.v = binary.LittleEndian.Uint32(b)
	case TypeInt32:
		v.v = int32(binary.LittleEndian.Uint32(b))
	case TypeFloat32:
		v.v = math.Float32frombits(binary.LittleEndian.Uint32(b))
	case TypeBool:
		if b[0] > 1 {
			return v, fmt.Errorf("invalid bool byte %d", b[0])
		}
		v.v = b[0] == 1
	case TypeUint64:
		v.v = binary.LittleEndian.Uint64(b)
	case TypeInt64:
		v.v = int64(binary.LittleEndian.Uint64(b))
	case TypeFloat64:
		v.v = math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
	return v, nil
}

func (c *cursor) array(depth int) (Value, error) {
	if depth >= maxArrayDepth {
		return Value{}, fmt.Errorf("arrays nested deeper than %d", maxArrayDepth)
	}
	et, err := c.u32()
	if err != nil {
		return Value{}, err
	}
	elem := ValueType(et)
	ms := elem.minSize()
	if ms == 0 {
		return Value{}, fmt.Errorf("array of invalid type %d", et)
	}
	n, err := c.count(ms, "array length")
	if err != nil {
		return Value{}, err
	}
	v := Value{typ: TypeArray, elem: elem}
	switch elem {
	case TypeString:
		a := make([]string, 0, min(n, prealloc))
		for i := 0; i < n; i++ {
			s, err := c.str()
			if err != nil {
				return v, fmt.Errorf("element %d: %w", i, err)
			}
			a = append(a, s)
		}
		v.v = a
	case TypeArray:
		a := make([]Value, 0, min(n, prealloc))
		for i := 0; i < n; i++ {
			x, err := c.array(depth + 1)
			if err != nil {
				return v, fmt.Errorf("element %d: %w", i, err)
			}
			a = append(a, x)
		}
		v.v = a
	default:
		b, err := c.take(int64(n) * ms)
		if err != nil {
			return v, err
		}
		v.v = decodeFixed(elem, b, n)
		if elem == TypeBool {
			for i, x := range b {
				if x > 1 {
					return v, fmt.Errorf("element %d: invalid bool byte %d", i, x)
				}
			}
		}
	}
	return v, nil
}

// decodeFixed decodes n little-endian values of a fixed-size type.
func decodeFixed(t ValueType, b []byte, n int) any {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return append([]uint8(nil), b...)
	case TypeInt8:
		return fill(n, func(i int) int8 { return int8(b[i]) })
	case TypeBool:
		return fill(n, func(i int) bool { return b[i] == 1 })
	case TypeUint16:
		return fill(n, func(i int) uint16 { return le.Uint16(b[2*i:]) })
	case TypeInt16:
		return fill(n, func(i int) int16 { return int16(le.Uint16(b[2*i:])) })
	case TypeUint32:
		return fill(n, func(i int) uint32 { return le.Uint32(b[4*i:]) })
	case TypeInt32:
		return fill(n, func(i int) int32 { return int32(le.Uint32(b[4*i:])) })
	case TypeFloat32:
		return fill(n, func(i int) float32 { return math.Float32frombits(le.Uint32(b[4*i:])) })
	case TypeUint64:
		return fill(n, func(i int) uint64 { return le.Uint64(b[8*i:]) })
	case TypeInt64:
		return fill(n, func(i int) int64 { return int64(le.Uint64(b[8*i:])) })
	case TypeFloat64:
		return fill(n, func(i int) float64 { return math.Float64frombits(le.Uint64(b[8*i:])) })
	}
	return nil
}

func fill[T any](n int, at func(int) T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = at(i)
	}
	return out
}
