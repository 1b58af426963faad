package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
)

// MaxHeaderSize bounds the JSON header length accepted by the reader
// (100 MB, the limit of the reference implementation).
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key holding the string-to-string
// metadata map.
const metadataKey = "__metadata__"

// TensorInfo describes one tensor of a file.
type TensorInfo struct {
	// Name is the tensor's key in the header.
	Name string
	// DType is the element type.
	DType DType
	// Shape is the row-major shape (outermost dimension first); a scalar
	// has an empty shape.
	Shape []int
	// Offset is the absolute byte offset of the tensor's data in the file.
	Offset int64
	// Size is the length of the tensor's data in bytes.
	Size int64
}

// NumElements returns the product of the shape (1 for a scalar).
func (t TensorInfo) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// header is the parsed, validated header of one file.
type header struct {
	tensors  []TensorInfo // in data order
	byName   map[string]int
	metadata map[string]string
	dataOff  int64
}

// rawEntry is one tensor entry of the JSON header.
type rawEntry struct {
	DType       *string   `json:"dtype"`
	Shape       *[]int64  `json:"shape"`
	DataOffsets *[]uint64 `json:"data_offsets"`
}

// readHeader reads and validates the header of a file of the given size.
// name is used in error messages.
func readHeader(r io.ReaderAt, size int64, name string) (*header, error) {
	if size < 8 {
		return nil, fmt.Errorf("safetensors: %s: file is %d bytes, too short for the 8-byte header length", name, size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("safetensors: %s: reading header length: %w", name, err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("safetensors: %s: header length %d exceeds the limit of %d bytes", name, n, MaxHeaderSize)
	}
	if n > uint64(size-8) {
		return nil, fmt.Errorf("safetensors: %s: header length %d exceeds the file size %d (truncated file?)", name, n, size)
	}
	if n < 2 {
		return nil, fmt.Errorf("safetensors: %s: header length %d is too short for a JSON object", name, n)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, 8); err != nil {
		return nil, fmt.Errorf("safetensors: %s: reading %d-byte header: %w", name, n, err)
	}
	return parseHeader(buf, 8+int64(n), size, name)
}

// parseHeader validates the JSON header buf; the data section runs from
// dataOff to fileSize.
func parseHeader(buf []byte, dataOff, fileSize int64, name string) (*header, error) {
	if buf[0] != '{' {
		return nil, fmt.Errorf("safetensors: %s: header does not start with '{' (not a safetensors file?)", name)
	}
	h := &header{byName: map[string]int{}, dataOff: dataOff}
	dataLen := fileSize - dataOff
	err := decodeObject(buf, func(key string, raw json.RawMessage) error {
		if key == metadataKey {
			if h.metadata != nil {
				return fmt.Errorf("duplicate %q", metadataKey)
			}
			md := map[string]string{}
			if err := decodeStringMap(raw, md); err != nil {
				return fmt.Errorf("%s: %w", metadataKey, err)
			}
			h.metadata = md
			return nil
		}
		if _, dup := h.byName[key]; dup {
			return fmt.Errorf("duplicate tensor name %q", key)
		}
		t, err := parseEntry(key, raw, dataLen)
		if err != nil {
			return err
		}
		t.Offset += dataOff
		h.byName[key] = len(h.tensors)
		h.tensors = append(h.tensors, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: header: %w", name, err)
	}
	if h.metadata == nil {
		h.metadata = map[string]string{}
	}
	// Sort by offset (zero-size tensors first at equal offsets) and check
	// that the tensors tile the data section exactly.
	sort.SliceStable(h.tensors, func(i, j int) bool {
		a, b := h.tensors[i], h.tensors[j]
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		return a.Size < b.Size
	})
	pos := dataOff
	for i, t := range h.tensors {
		h.byName[t.Name] = i
		switch {
		case t.Offset < pos:
			prev := h.tensors[i-1]
			return nil, fmt.Errorf("safetensors: %s: tensor %q data [%d,%d) overlaps tensor %q data [%d,%d)",
				name, t.Name, t.Offset-dataOff, t.Offset-dataOff+t.Size, prev.Name, prev.Offset-dataOff, prev.Offset-dataOff+prev.Size)
		case t.Offset > pos:
			return nil, fmt.Errorf("safetensors: %s: data bytes [%d,%d) before tensor %q are not covered by any tensor",
				name, pos-dataOff, t.Offset-dataOff, t.Name)
		}
		pos = t.Offset + t.Size
	}
	if pos != fileSize {
		return nil, fmt.Errorf("safetensors: %s: data bytes [%d,%d) at the end of the file are not covered by any tensor",
			name, pos-dataOff, dataLen)
	}
	return h, nil
}

// parseEntry validates one tensor entry; Offset is relative to the data
// section.
func parseEntry(key string, raw json.RawMessage, dataLen int64) (TensorInfo, error) {
	var e rawEntry
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&e); err != nil {
		return TensorInfo{}, fmt.Errorf("tensor %q: %w", key, err)
	}
	switch {
	case e.DType == nil:
		return TensorInfo{}, fmt.Errorf("tensor %q: missing \"dtype\"", key)
	case e.Shape == nil:
		return TensorInfo{}, fmt.Errorf("tensor %q: missing \"shape\"", key)
	case e.DataOffsets == nil:
		return TensorInfo{}, fmt.Errorf("tensor %q: missing \"data_offsets\"", key)
	}
	t := TensorInfo{Name: key, DType: DType(*e.DType)}
	es := t.DType.Size()
	if es == 0 {
		return t, fmt.Errorf("tensor %q: unknown dtype %q", key, *e.DType)
	}
	offs := *e.DataOffsets
	if len(offs) != 2 {
		return t, fmt.Errorf("tensor %q: data_offsets has %d entries, want 2", key, len(offs))
	}
	begin, end := offs[0], offs[1]
	if begin > end {
		return t, fmt.Errorf("tensor %q: data_offsets [%d,%d) has begin after end", key, begin, end)
	}
	if end > uint64(dataLen) {
		return t, fmt.Errorf("tensor %q: data_offsets [%d,%d) out of range: the data section has %d bytes", key, begin, end, dataLen)
	}
	// Element count, bounded by the byte length so it cannot overflow.
	size := end - begin
	numel := uint64(1)
	t.Shape = make([]int, len(*e.Shape))
	zero := false
	for i, d := range *e.Shape {
		if d < 0 {
			return t, fmt.Errorf("tensor %q: negative dimension %d in shape %v", key, d, *e.Shape)
		}
		t.Shape[i] = int(d)
		if d == 0 {
			zero = true
		}
	}
	if !zero {
		for _, d := range *e.Shape {
			if uint64(d) > math.MaxInt64/uint64(es)/numel {
				return t, fmt.Errorf("tensor %q: shape %v overflows", key, *e.Shape)
			}
			numel *= uint64(d)
		}
	} else {
		numel = 0
	}
	if numel*uint64(es) != size {
		return t, fmt.Errorf("tensor %q: shape %v of %s needs %d bytes but data_offsets [%d,%d) hold %d",
			key, *e.Shape, t.DType, numel*uint64(es), begin, end, size)
	}
	t.Offset = int64(begin)
	t.Size = int64(size)
	return t, nil
}

// decodeObject walks a JSON object whose keys must be unique, calling fn
// for each key with its raw value. Trailing whitespace is allowed (writers
// pad the header with spaces); other trailing data is an error.
func decodeObject(buf []byte, fn func(key string, raw json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(buf))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("invalid JSON: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("invalid JSON: unexpected %v", tok)
		}
		if seen[key] {
			return fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("invalid JSON at key %q: %w", key, err)
		}
		if err := fn(key, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // closing '}'
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("invalid JSON: trailing data after the object")
	}
	return nil
}

// decodeStringMap decodes a JSON object of string values into m,
// rejecting duplicate keys.
func decodeStringMap(raw json.RawMessage, m map[string]string) error {
	return decodeObject(raw, func(k string, v json.RawMessage) error {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("key %q: value is not a string: %w", k, err)
		}
		m[k] = s
		return nil
	})
}
